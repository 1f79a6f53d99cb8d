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
#define DESIGN_MAX_CONNECTIONS 1000000000L   /* the largest CONNECTIONS argument */
#define DESIGN_DRAIN_SECONDS 5   /* a server that served its CONNECTIONS lets the workers finish */
#define DESIGN_FD_ARG_SIZE 16    /* a descriptor number as text, with room to spare */

/* socket (CLOEXEC), SO_REUSEADDR, bind INADDR_ANY:12345, listen, printing
 * WHO's lines in the style of iserver; exit(-1) with perror on failure. */
int design_listen(const char *who);

/* Outcome of design_echo(). */
enum echo_status { ECHO_SERVED, ECHO_CLOSED, ECHO_ERROR };

/* Serve one connection as iserver does: one recv() of up to 100 bytes, echo
 * exactly those bytes.  ECHO_CLOSED: the client closed without sending;
 * ECHO_ERROR: a call failed (errno set).  Never closes FD. */
enum echo_status design_echo(int fd);

/* The descriptor a worker is started with: ARGV[1], a number 0..65535.
 * Anything else prints "Usage: NAME WHAT" and exits with -1 (255). */
int design_worker_fd(int argc, char *argv[], const char *name, const char *what);

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

/* Outcome of design_wait() and design_accept(). */
enum wait_status { WAIT_READY, WAIT_SIGNAL, WAIT_ERROR };

/* Wait until FD is readable (FD < 0: until any signal).  WAIT_SIGNAL: a
 * handled signal arrived (check the flags); WAIT_ERROR: ppoll() failed
 * (errno set). */
enum wait_status design_wait(int fd);

/* Accept one connection on the non-blocking listening socket LISTEN_SD
 * (FLAGS as accept4) into *SD, waiting with design_wait().  WAIT_READY:
 * *SD is the connection; WAIT_SIGNAL: a signal arrived first; WAIT_ERROR:
 * accept4() or ppoll() failed (errno set). */
enum wait_status design_accept(int listen_sd, int flags, int *sd);

/* A set of pre-started workers, each started as PROGRAM ARG. */
struct workers {
    const char *program;
    char arg[DESIGN_FD_ARG_SIZE];
    pid_t pid[DESIGN_MAX_WORKERS];
    int count;
};

/* What differs between the design servers that accept connections
 * themselves (spawn, sendmsg); design_serve() is the loop they share. */
struct design_server {
    const char *who;                       /* "Spawnserver" */
    int accept_flags;                      /* accept4()'s flags for the connections */
    long limit;                            /* connections to serve, 0: until a stop signal */
    volatile sig_atomic_t *stop, *child;   /* set by design_signals()' handlers */
    void (*on_child)(void *ctx);           /* after SIGCHLD: reap (and restart) workers */
    void (*hand_over)(int sd, void *ctx);  /* give the connection to a worker; the server closes SD */
    void *ctx;
};

/* Make LISTEN_SD non-blocking, print the ready line, accept and hand over
 * connections until the limit or a stop signal, close LISTEN_SD and print
 * the shutting-down line.  The workers are the caller's to drain and stop. */
void design_serve(const struct design_server *s, int listen_sd);

/* Start COUNT workers; exit(-1) naming the call when one cannot start. */
void workers_start(struct workers *w, const char *who, const char *program, int fd, int count);

/* Reap the workers that ended (only its own: waitpid per worker) and start
 * a replacement for each, with a console line; a slot whose start failed
 * earlier is started again. */
void workers_restart_dead(struct workers *w, const char *who);

/* Wait up to SECONDS for every worker to end by itself. */
void workers_wait(struct workers *w, int seconds);

/* SIGTERM every worker and wait (bounded) for all; SIGKILL the rest. */
void workers_stop(struct workers *w);

/* Reap the workers that ended, without blocking; free their slots. */
void workers_reap(struct workers *w);

/* Start PROGRAM ARG as one more worker in a free slot.  When all
 * DESIGN_MAX_WORKERS are busy it waits for one to end, and gives up with
 * WAIT_SIGNAL when a stop signal comes first.  WAIT_ERROR: posix_spawn()
 * failed (errno set). */
enum wait_status workers_add(struct workers *w, const char *program, const char *arg);

#endif
