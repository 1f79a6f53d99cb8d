/* spawnserver.c - the spawn() server design on port 12345: accept each
 * connection and start a new spawnworker process for it, handing it the
 * connected descriptor; reap every worker that ends.
 *
 * Usage: spawnserver [CONNECTIONS]   (default 0: until SIGTERM)
 * Console lines in the style of iserver; see tests/SPEC.md "Server designs".
 */
#define _DEFAULT_SOURCE
#include <errno.h>
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

    if (argc > 2 || (argc == 2 && parse_long(argv[1], 0, 1000000000L, &limit) < 0)) {
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
        int sd = design_accept(listen_sd, 0);
        int accept_errno = errno;     /* reaping below may change errno */

        if (child) {
            child = 0;
            workers_reap(&workers);
        }
        if (sd >= 0 || stop)
            return sd;
        errno = accept_errno;
        if (errno != 0)
            die_errno(WHO " - accept() error", EXIT_MINUS_ONE);
    }
}

/* Start a worker for SD, then drop the server's copy of the descriptor. */
static void hand_over(int sd)
{
    char arg[16];

    snprintf(arg, sizeof(arg), "%d", sd);
    if (workers_add(&workers, "spawnworker", arg) < 0)
        perror(WHO " - posix_spawn() error");
    else
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
        workers_wait(&workers, 5);   /* the last clients are served first */
    workers_stop(&workers);
    return 0;
}
