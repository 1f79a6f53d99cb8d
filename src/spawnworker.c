/* spawnworker.c - the worker of the spawn() design: serve the one connected
 * descriptor it was handed (its number is the argument) as iserver does,
 * then exit.  Silent when all goes well.
 *
 * Usage: spawnworker FD
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "design.h"
#include "sockutil.h"

int main(int argc, char *argv[])
{
    int fd = design_worker_fd(argc, argv, "spawnworker", "CONNECTED_DESCRIPTOR");

    if (design_echo(fd) == ECHO_ERROR)
        die_errno("Spawnworker - echo error", EXIT_MINUS_ONE);
    close(fd);
    return 0;
}
