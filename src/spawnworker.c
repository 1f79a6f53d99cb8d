/* spawnworker.c - the worker of the spawn() design: serve the one connected
 * descriptor it was handed (its number is the argument) as iserver does,
 * then exit.  Silent when all goes well.
 *
 * Usage: spawnworker FD
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "design.h"
#include "sockutil.h"

int main(int argc, char *argv[])
{
    int fd = argc == 2 ? design_fd_arg(argv[1]) : -1;

    if (fd < 0) {
        printf("Usage: %s CONNECTED_DESCRIPTOR\n", argc > 0 ? argv[0] : "spawnworker");
        return EXIT_MINUS_ONE;
    }
    if (design_echo(fd) < 0 && errno != 0)
        die_errno("Spawnworker - echo error", EXIT_MINUS_ONE);
    close(fd);
    return 0;
}
