/* tcpserver.c - accept one TCP client on port 3111, wait up to 15 s for
 * data, read exactly 100 bytes and echo all of them back.
 *
 * Console lines follow the tutorial's tcpserver.c listing; see tests/SPEC.md.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockutil.h"

#define BUFFER_LENGTH 100  /* BufferLength in the tutorial */
#define SERVPORT 3111
#define BACKLOG 10
#define SELECT_TIMEOUT_SEC 15

/* Print a plain message, close both sockets and exit(-1). */
static void give_up(const char *message, int sd, int sd2)
{
    printf("%s\n", message);
    close(sd2);
    close(sd);
    exit(EXIT_MINUS_ONE);
}

/* socket, SO_REUSEADDR, bind to INADDR_ANY:3111, listen. */
static int open_listener(void)
{
    struct sockaddr_in serveraddr;
    int on = 1;
    int sd = socket(AF_INET, SOCK_STREAM, 0);

    if (sd < 0)
        die_errno("Server-socket() error", EXIT_MINUS_ONE);
    printf("Server-socket() is OK\n");
    if (setsockopt(sd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
        die_errno("Server-setsockopt() error", EXIT_MINUS_ONE);
    printf("Server-setsockopt() is OK\n");
    any_address(&serveraddr, SERVPORT);
    printf("Using %s, listening at %d\n", inet_ntoa(serveraddr.sin_addr), SERVPORT);
    if (bind(sd, (struct sockaddr *)&serveraddr, sizeof(serveraddr)) < 0)
        die_errno("Server-bind() error", EXIT_MINUS_ONE);
    printf("Server-bind() is OK\n");
    if (listen(sd, BACKLOG) < 0)
        die_errno("Server-listen() error", EXIT_MINUS_ONE);
    printf("Server-Ready for client connection...\n");
    return sd;
}

/* Accept one client and print where it comes from. */
static int accept_client(int sd)
{
    struct sockaddr_in their_addr;
    socklen_t sin_size = sizeof(their_addr);
    int sd2 = accept(sd, (struct sockaddr *)&their_addr, &sin_size);

    if (sd2 < 0)
        die_errno("Server-accept() error", EXIT_MINUS_ONE);
    printf("Server-accept() is OK\n");
    printf("Server-new socket, sd2 is OK...\n");
    printf("Got connection from the f***ing client: %s\n", inet_ntoa(their_addr.sin_addr));
    return sd2;
}

/* Wait up to 15 s for the first data; exit(-1) on timeout or error. */
static void wait_for_data(int sd, int sd2)
{
    struct timeval timeout = { .tv_sec = SELECT_TIMEOUT_SEC, .tv_usec = 0 };
    fd_set read_fd;
    int rc;

    FD_ZERO(&read_fd);
    FD_SET(sd2, &read_fd);
    rc = select(sd2 + 1, &read_fd, NULL, NULL, &timeout);
    if (rc < 0)
        die_errno("Server-select() error", EXIT_MINUS_ONE);
    if (rc == 0)
        give_up("Server-select() timed out.", sd, sd2);
}

/* Read exactly BUFFER_LENGTH bytes, one console line per read(). */
static void read_request(int sd, int sd2, char *buffer)
{
    int totalcnt = 0;

    while (totalcnt < BUFFER_LENGTH) {
        ssize_t rc = read(sd2, &buffer[totalcnt], (size_t)(BUFFER_LENGTH - totalcnt));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            die_errno("Server-read() error", EXIT_MINUS_ONE);
        if (rc == 0)
            give_up("Client program has issued a close()", sd, sd2);
        totalcnt += (int)rc;
        printf("Server-read() is OK\n");
    }
}

/* Echo all BUFFER_LENGTH bytes; on failure report SO_ERROR too. */
static void echo_back(int sd, int sd2, const char *buffer)
{
    printf("Server-Echoing back to client...\n");
    if (write_full(sd2, buffer, BUFFER_LENGTH) == BUFFER_LENGTH)
        return;
    perror("Server-write() error");       /* the listing's two lines */
    report_so_error(sd2, "SO_ERROR was: ");
    close(sd2);
    close(sd);
    exit(EXIT_MINUS_ONE);
}

int main(void)
{
    char buffer[BUFFER_LENGTH];
    int sd = open_listener();
    int sd2 = accept_client(sd);

    wait_for_data(sd, sd2);
    read_request(sd, sd2, buffer);
    printf("Received data from the f***ing client: %.*s\n",
           text_length(buffer, sizeof(buffer)), buffer);
    echo_back(sd, sd2, buffer);
    close(sd2);
    close(sd);
    return 0;
}
