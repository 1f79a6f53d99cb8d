/* spawnserver.c - the spawn() server design on port 12345: accept each
 * connection and start a new spawnworker process for it, handing it the
 * connected descriptor; reap every worker that ends.
 *
 * Usage: spawnserver [CONNECTIONS]   (default 0: until SIGTERM)
 * Console lines in the style of iserver; see tests/SPEC.md "Server designs".
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "design.h"
#include "sockutil.h"

#define WHO "Spawnserver"

static volatile sig_atomic_t stop, child;
static struct workers workers;      /* the workers alive now, one per connection */

/* The number of connections to serve (0: no limit), strictly parsed. */
static long connection_limit(int argc, char *argv[])
{
    long limit = 0;

    if (argc > 2 || (argc == 2 && parse_long(argv[1], 0, DESIGN_MAX_CONNECTIONS, &limit) < 0)) {
        printf("Usage: %s [number of connections, 0 = until terminated]\n", argv[0]);
        exit(EXIT_MINUS_ONE);
    }
    return limit;
}

/* Accept one connection (inherited by the worker: no CLOEXEC), reaping
 * workers meanwhile; -1 when a signal asks to stop. */
static int accept_one(int listen_sd)
{
    for (;;) {
        int sd = -1;
        enum wait_status accepted = design_accept(listen_sd, 0, &sd);

        if (accepted == WAIT_ERROR)
            die_errno(WHO " - accept() error", EXIT_MINUS_ONE);
        if (child) {
            child = 0;
            workers_reap(&workers);
        }
        if (accepted == WAIT_READY || stop)
            return sd;
    }
}

/* Start a worker for SD, then drop the server's copy of the descriptor. */
static void hand_over(int sd)
{
    char arg[DESIGN_FD_ARG_SIZE];
    enum wait_status spawned;

    snprintf(arg, sizeof(arg), "%d", sd);
    spawned = workers_add(&workers, "spawnworker", arg);
    if (spawned == WAIT_ERROR)
        perror(WHO " - posix_spawn() error");      /* report, accept the next client */
    else if (spawned == WAIT_READY)
        printf("Spawned a worker for the connection\n");
    close(sd);
}

int main(int argc, char *argv[])
{
    long limit = connection_limit(argc, argv);
    int listen_sd;

    design_signals(&stop, &child);
    listen_sd = design_listen(WHO);
    if (fcntl(listen_sd, F_SETFL, O_NONBLOCK) < 0)
        die_errno(WHO " - fcntl() error", EXIT_MINUS_ONE);
    printf("The " WHO " is ready!\n");
    for (long i = 1; !stop && (limit == 0 || i <= limit); i++) {
        int sd;

        printf("Iteration: #%ld\n", i);
        printf(" waiting on accept()\n");
        sd = accept_one(listen_sd);
        if (sd < 0)
            break;
        printf("accept() is OK and completed successfully!\n");
        hand_over(sd);
    }
    close(listen_sd);
    printf("The " WHO " is shutting down\n");
    if (!stop)
        workers_wait(&workers, DESIGN_DRAIN_SECONDS);   /* the last clients are served first */
    workers_stop(&workers);
    return 0;
}
