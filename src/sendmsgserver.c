/* sendmsgserver.c - the sendmsg() server design on port 12345: pre-start
 * WORKERS recvmsgworker processes that share one AF_UNIX socket, accept each
 * connection and pass its descriptor over that socket (SCM_RIGHTS); the
 * first idle worker takes it.  A worker that dies is replaced.
 *
 * Usage: sendmsgserver WORKERS [CONNECTIONS]   (default 0: until SIGTERM)
 * Console lines in the style of iserver; see tests/SPEC.md "Server designs".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "design.h"
#include "sockutil.h"

#define WHO "Sendmsgserver"

static volatile sig_atomic_t stop, child;

static void usage(const char *progname)
{
    printf("Usage: %s WORKERS(1-%d) [number of connections, 0 = until terminated]\n", progname,
           DESIGN_MAX_WORKERS);
    exit(EXIT_MINUS_ONE);
}

/* The server's side of the queue and its workers. */
struct queue {
    int sd;
    struct workers workers;
};

static void restart(void *ctx)
{
    workers_restart_dead(&((struct queue *)ctx)->workers, WHO);
}

static void hand_over(int sd, void *ctx)
{
    if (design_send_descriptor(((struct queue *)ctx)->sd, sd) < 0)
        perror(WHO " - sendmsg() error");      /* report, accept the next client */
    else
        printf("Passed the descriptor to a worker\n");
}

int main(int argc, char *argv[])
{
    long nworkers, limit = 0;
    struct queue queue;
    struct design_server server = { .who = WHO, .accept_flags = SOCK_CLOEXEC, .stop = &stop, .child = &child,
                                    .on_child = restart, .hand_over = hand_over, .ctx = &queue };
    int pair[2], listen_sd;

    if (argc < 2 || argc > 3 || parse_long(argv[1], 1, DESIGN_MAX_WORKERS, &nworkers) < 0
        || (argc == 3 && parse_long(argv[2], 0, DESIGN_MAX_CONNECTIONS, &limit) < 0))
        usage(argv[0]);
    server.limit = limit;
    design_signals(&stop, &child);
    listen_sd = design_listen(WHO);
    /* The queue: the server keeps pair[0]; every worker inherits pair[1]. */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0
        || fcntl(pair[1], F_SETFD, 0) < 0)
        die_errno(WHO " - socketpair() error", EXIT_MINUS_ONE);
    queue.sd = pair[0];
    workers_start(&queue.workers, WHO, "recvmsgworker", pair[1], (int)nworkers);
    design_serve(&server, listen_sd);
    close(pair[0]);          /* workers see end of queue once it is drained */
    if (!stop)
        workers_wait(&queue.workers, DESIGN_DRAIN_SECONDS);   /* the last clients are served first */
    workers_stop(&queue.workers);
    return 0;
}
