/* iserver.c - iterative server on port 12345: serve N clients one after
 * the other, echoing what one recv() returned.
 *
 * Console lines follow the tutorial's iserver.c listing; see tests/SPEC.md.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockutil.h"

#define SERVER_PORT 12345
#define BACKLOG 5
#define BUFFER_LENGTH 100
#define MAX_CONNECTIONS 1000000

/* The number of connections to serve: argv[1], or 1 with a usage line. */
static long connection_count(int argc, char *argv[])
{
    const char *progname = argc > 0 ? argv[0] : "iserver";
    long num;

    if (argc < 2) {
        printf("Usage: %s <The_number_of_client_connection else 1 will be used>\n", progname);
        return 1;
    }
    if (parse_long(argv[1], 1, MAX_CONNECTIONS, &num) < 0) {
        printf("Iserver - invalid number of connections: %s\n", argv[1]);
        printf("Usage: %s <The_number_of_client_connection else 1 will be used>\n", progname);
        exit(EXIT_MINUS_ONE);
    }
    return num;
}

/* socket, bind to INADDR_ANY:12345, listen (no SO_REUSEADDR, as listed). */
static int open_listener(void)
{
    int listen_sd = socket(AF_INET, SOCK_STREAM, 0);

    if (listen_sd < 0)
        die_errno("Iserver - socket() error", EXIT_MINUS_ONE);
    printf("Iserver - socket() is OK\n");
    printf("Binding the socket...\n");
    bind_any(listen_sd, SERVER_PORT, "Iserver - bind() error", EXIT_MINUS_ONE);
    printf("Iserver - bind() is OK\n");
    if (listen(listen_sd, BACKLOG) < 0)
        die_errno("Iserver - listen() error", EXIT_MINUS_ONE);
    printf("Iserver - listen() is OK\n");
    return listen_sd;
}

/* One iteration: accept, one recv(), echo what it returned, close. */
static void serve_one(int listen_sd, long iteration)
{
    char buffer[BUFFER_LENGTH];
    ssize_t rc;
    int accept_sd;

    printf("Iteration: #%ld\n", iteration);
    printf(" waiting on accept()\n");
    do
        accept_sd = accept(listen_sd, NULL, NULL);
    while (accept_sd < 0 && errno == EINTR);
    if (accept_sd < 0)
        die_errno("Iserver - accept() error", EXIT_MINUS_ONE);
    printf("accept() is OK and completed successfully!\n");
    printf("I am waiting client(s) to send message(s) to me...\n");
    do
        rc = recv(accept_sd, buffer, sizeof(buffer), 0);
    while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        printf("Iserver - recv() error: the client closed the connection without sending\n");
        close(accept_sd);
        close(listen_sd);
        exit(EXIT_MINUS_ONE);
    }
    if (rc < 0)
        die_errno("Iserver - recv() error", EXIT_MINUS_ONE);
    printf("The message from client: \"%.*s\"\n", text_length(buffer, (size_t)rc), buffer);
    printf("Echoing it back to client...\n");
    if (send(accept_sd, buffer, (size_t)rc, MSG_NOSIGNAL) <= 0)
        die_errno("Iserver - send() error", EXIT_MINUS_ONE);
    printf("Iserver - send() is OK.\n");
    close(accept_sd);
}

int main(int argc, char *argv[])
{
    long num = connection_count(argc, argv);
    int listen_sd = open_listener();

    printf("The Iserver is ready!\n");
    for (long i = 0; i < num; i++)
        serve_one(listen_sd, i + 1);
    close(listen_sd);
    return 0;
}
