/* acceptserver.c - the multiple accept() design on port 12345: socket,
 * bind, listen, then start WORKERS acceptworker processes that each block
 * in accept() on the shared listening socket and serve as iserver does.  A
 * worker that dies is replaced; SIGTERM ends every worker.
 *
 * Usage: acceptserver WORKERS
 * Console lines in the style of iserver; see tests/SPEC.md "Server designs".
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "design.h"
#include "sockutil.h"

#define WHO "Acceptserver"

static volatile sig_atomic_t stop, child;

int main(int argc, char *argv[])
{
    struct workers workers;
    long nworkers;
    int listen_sd;

    if (argc != 2 || parse_long(argv[1], 1, DESIGN_MAX_WORKERS, &nworkers) < 0) {
        printf("Usage: %s WORKERS(1-%d)\n", argc > 0 ? argv[0] : "acceptserver", DESIGN_MAX_WORKERS);
        return EXIT_MINUS_ONE;
    }
    design_signals(&stop, &child);
    listen_sd = design_listen(WHO);
    /* The workers inherit the listening socket. */
    if (fcntl(listen_sd, F_SETFD, 0) < 0)
        die_errno(WHO " - fcntl() error", EXIT_MINUS_ONE);
    workers_start(&workers, WHO, "acceptworker", listen_sd, (int)nworkers);
    printf("The " WHO " is ready!\n");
    while (!stop) {
        design_wait(-1);
        if (child && !stop) {
            child = 0;
            workers_restart_dead(&workers, WHO);
        }
    }
    printf("The " WHO " is shutting down\n");
    workers_stop(&workers);
    close(listen_sd);
    return 0;
}
