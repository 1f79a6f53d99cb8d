/* spawnserver.c - the spawn() server design on port 12345: accept each
 * connection and start a new spawnworker process for it, handing it the
 * connected descriptor; reap every worker that ends.
 *
 * Usage: spawnserver [CONNECTIONS]   (default 0: until SIGTERM)
 * Console lines in the style of iserver; see tests/SPEC.md "Server designs".
 */
#define _DEFAULT_SOURCE
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

static void reap(void *ctx)
{
    workers_reap(ctx);
}

/* Start a worker for SD (it inherits the descriptor: no CLOEXEC). */
static void hand_over(int sd, void *ctx)
{
    char arg[DESIGN_FD_ARG_SIZE];
    enum wait_status spawned;

    snprintf(arg, sizeof(arg), "%d", sd);
    spawned = workers_add(ctx, "spawnworker", arg);
    if (spawned == WAIT_ERROR)
        perror(WHO " - posix_spawn() error");      /* report, accept the next client */
    else if (spawned == WAIT_READY)
        printf("Spawned a worker for the connection\n");
}

int main(int argc, char *argv[])
{
    struct design_server server = { .who = WHO, .accept_flags = 0, .limit = connection_limit(argc, argv),
                                    .stop = &stop, .child = &child, .on_child = reap, .hand_over = hand_over,
                                    .ctx = &workers };

    design_signals(&stop, &child);
    design_serve(&server, design_listen(WHO));
    if (!stop)
        workers_wait(&workers, DESIGN_DRAIN_SECONDS);   /* the last clients are served first */
    workers_stop(&workers);
    return 0;
}
