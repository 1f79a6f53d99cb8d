/* design.h - what the four connection-oriented server designs share: the
 * iterative server's console lines, the echo service, strict arguments,
 * starting a helper program from the server's own folder, and supervision
 * of pre-started workers.  See tests/SPEC.md "Server designs".
 */
#ifndef DESIGN_H
#define DESIGN_H

#include <signal.h>
#include <sys/types.h>

#define DESIGN_PORT 12345
#define DESIGN_BACKLOG 128
#define DESIGN_BUFFER 100     /* iserver's buffer */
#define DESIGN_MAX_WORKERS 256

/* socket (CLOEXEC), SO_REUSEADDR, bind INADDR_ANY:12345, listen, printing
 * WHO's lines in the style of iserver; exit(-1) with perror on failure. */
int design_listen(const char *who);

/* Serve one connection as iserver does: one recv() of up to 100 bytes, echo
 * exactly those bytes.  Returns 0 when served, -1 (errno set, or 0 for a
 * client that closed without sending) otherwise.  Never closes FD. */
int design_echo(int fd);

/* Parse a descriptor number given on the command line (0..65535). */
int design_fd_arg(const char *text);

/* Send descriptor FD as SCM_RIGHTS over the AF_UNIX socket QUEUE (one
 * byte of data with it).  Returns 0, or -1 with errno set. */
int design_send_descriptor(int queue, int fd);

/* Receive the next descriptor from QUEUE (close-on-exec).  Returns it, -1
 * at end of queue or on error, -2 for a message without a descriptor. */
int design_recv_descriptor(int queue);

/* Start PROGRAM (a file in the folder of the running executable) with the
 * single argument ARG.  Returns the pid, or -1 with errno set. */
pid_t design_spawn(const char *program, const char *arg);

/* Signals that the servers handle: SIGTERM/SIGINT set *stop, SIGCHLD sets
 * *child.  They stay blocked except inside design_wait(), so a signal can
 * never slip in between the check of a flag and a blocking call. */
void design_signals(volatile sig_atomic_t *stop, volatile sig_atomic_t *child);

/* Wait until FD is readable (FD < 0: until any signal).  Returns 1 when
 * readable, 0 when a handled signal arrived (check the flags). */
int design_wait(int fd);

/* Accept one connection on the non-blocking listening socket LISTEN_SD
 * (FLAGS as accept4), waiting with design_wait().  Returns the descriptor,
 * or -1 when a signal arrived (0 == errno) or on error (errno set). */
int design_accept(int listen_sd, int flags);

/* A set of pre-started workers, each started as PROGRAM ARG. */
struct workers {
    const char *program;
    char arg[16];
    pid_t pid[DESIGN_MAX_WORKERS];
    int count;
};

/* Start COUNT workers; exit(-1) naming the call when one cannot start. */
void workers_start(struct workers *w, const char *who, const char *program, int fd, int count);

/* Reap dead workers and start a replacement for each, with a console line. */
void workers_restart_dead(struct workers *w, const char *who);

/* Wait up to SECONDS for every worker to end by itself. */
void workers_wait(struct workers *w, int seconds);

/* SIGTERM every worker and wait (bounded) for all; SIGKILL the rest. */
void workers_stop(struct workers *w);

/* Reap the workers that ended, without blocking; free their slots. */
void workers_reap(struct workers *w);

/* Start PROGRAM ARG as one more worker in a free slot (waiting for one to
 * end when all DESIGN_MAX_WORKERS are busy).  Returns the pid or -1. */
pid_t workers_add(struct workers *w, const char *program, const char *arg);

#endif
