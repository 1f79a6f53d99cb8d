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
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "design.h"
#include "sockutil.h"

/* The next descriptor from QUEUE: >= 0, or -1 at end of queue or error. */
static int next_descriptor(int queue)
{
    char byte;
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg;
    struct cmsghdr *cmsg;
    ssize_t got;
    int fd;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    do
        got = recvmsg(queue, &msg, MSG_CMSG_CLOEXEC);
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return -1;
    cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
        return -2;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    return fd;
}

int main(int argc, char *argv[])
{
    int queue = argc == 2 ? design_fd_arg(argv[1]) : -1;
    int fd;

    if (queue < 0) {
        printf("Usage: %s QUEUE_DESCRIPTOR\n", argc > 0 ? argv[0] : "recvmsgworker");
        return EXIT_MINUS_ONE;
    }
    while ((fd = next_descriptor(queue)) != -1) {
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
