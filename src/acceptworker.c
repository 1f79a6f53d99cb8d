/* acceptworker.c - a worker of the multiple accept() design: an iterative
 * server on the inherited listening socket (its number is the argument):
 * accept, serve as iserver does, close, again, until SIGTERM.  Silent when
 * all goes well.
 *
 * Usage: acceptworker LISTENING_DESCRIPTOR
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "design.h"
#include "sockutil.h"

int main(int argc, char *argv[])
{
    int listen_sd = design_worker_fd(argc, argv, "acceptworker", "LISTENING_DESCRIPTOR");

    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int sd = accept(listen_sd, NULL, NULL);
        if (sd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die_errno("Acceptworker - accept() error", EXIT_MINUS_ONE);
        }
        if (design_echo(sd) == ECHO_ERROR)
            perror("Acceptworker - echo error");     /* report, serve the next client */
        close(sd);
    }
}
