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

/* Accept one connection, replacing dead workers meanwhile; -1 to stop. */
static int accept_one(int listen_sd, struct workers *workers)
{
    for (;;) {
        int sd = -1;
        enum wait_status accepted = design_accept(listen_sd, SOCK_CLOEXEC, &sd);

        if (accepted == WAIT_ERROR)
            die_errno(WHO " - accept() error", EXIT_MINUS_ONE);
        if (child && !stop) {
            child = 0;
            workers_restart_dead(workers, WHO);
        }
        if (accepted == WAIT_READY || stop)
            return sd;
    }
}

int main(int argc, char *argv[])
{
    long nworkers, limit = 0;
    struct workers workers;
    int pair[2], listen_sd;

    if (argc < 2 || argc > 3 || parse_long(argv[1], 1, DESIGN_MAX_WORKERS, &nworkers) < 0
        || (argc == 3 && parse_long(argv[2], 0, DESIGN_MAX_CONNECTIONS, &limit) < 0))
        usage(argv[0]);
    design_signals(&stop, &child);
    listen_sd = design_listen(WHO);
    if (fcntl(listen_sd, F_SETFL, O_NONBLOCK) < 0)
        die_errno(WHO " - fcntl() error", EXIT_MINUS_ONE);
    /* The queue: the server keeps pair[0]; every worker inherits pair[1]. */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0
        || fcntl(pair[1], F_SETFD, 0) < 0)
        die_errno(WHO " - socketpair() error", EXIT_MINUS_ONE);
    workers_start(&workers, WHO, "recvmsgworker", pair[1], (int)nworkers);
    printf("The " WHO " is ready!\n");
    for (long i = 1; !stop && (limit == 0 || i <= limit); i++) {
        int sd;

        printf("Iteration: #%ld\n", i);
        printf(" waiting on accept()\n");
        sd = accept_one(listen_sd, &workers);
        if (sd < 0)
            break;
        printf("accept() is OK and completed successfully!\n");
        if (design_send_descriptor(pair[0], sd) < 0)
            perror(WHO " - sendmsg() error");      /* report, accept the next client */
        else
            printf("Passed the descriptor to a worker\n");
        close(sd);
    }
    close(listen_sd);
    close(pair[0]);          /* workers see end of queue once it is drained */
    printf("The " WHO " is shutting down\n");
    if (!stop)
        workers_wait(&workers, DESIGN_DRAIN_SECONDS);   /* the last clients are served first */
    workers_stop(&workers);
    return 0;
}
