/* recvmsgworker.c - a pre-started worker of the sendmsg() design: take the
 * next connected descriptor from the shared AF_UNIX socket (its number is
 * the argument) with recvmsg(), serve it as iserver does, close it, and
 * take the next; exit when the server closes the queue.  Silent when all
 * goes well.
 *
 * Usage: recvmsgworker QUEUE_DESCRIPTOR
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
    int queue = argc == 2 ? design_fd_arg(argv[1]) : -1;
    int fd;

    if (queue < 0) {
        printf("Usage: %s QUEUE_DESCRIPTOR\n", argc > 0 ? argv[0] : "recvmsgworker");
        return EXIT_MINUS_ONE;
    }
    while ((fd = design_recv_descriptor(queue)) != -1) {
        if (fd == -2) {
            fprintf(stderr, "Recvmsgworker - recvmsg() error: a message without a descriptor\n");
            continue;
        }
        if (design_echo(fd) < 0 && errno != 0)
            perror("Recvmsgworker - echo error");
        close(fd);
    }
    return 0;
}
