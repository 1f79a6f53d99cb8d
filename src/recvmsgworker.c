/* recvmsgworker.c - a pre-started worker of the sendmsg() design: take the
 * next connected descriptor from the shared AF_UNIX socket (its number is
 * the argument) with recvmsg(), serve it as iserver does, close it, and
 * take the next; exit when the server closes the queue.  Silent when all
 * goes well.
 *
 * Usage: recvmsgworker QUEUE_DESCRIPTOR
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "design.h"
#include "sockutil.h"

int main(int argc, char *argv[])
{
    int queue = design_worker_fd(argc, argv, "recvmsgworker", "QUEUE_DESCRIPTOR");
    int fd;

    while ((fd = design_recv_descriptor(queue)) != -1) {
        if (fd == -2) {
            fprintf(stderr, "Recvmsgworker - recvmsg() error: a message without a descriptor\n");
            continue;
        }
        if (design_echo(fd) == ECHO_ERROR)
            perror("Recvmsgworker - echo error");    /* report, serve the next client */
        close(fd);
    }
    return 0;
}
