/* udpclient.c - send the 100-byte request buffer to udpserver on port
 * 3333 and print the reply.  recvfrom() waits indefinitely, as in the
 * tutorial.
 *
 * Console lines follow the tutorial's udpclient.c listing; see tests/SPEC.md.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockutil.h"

#define SERVER "bakawali"
#define SERVPORT 3333
#define BUFFER_LENGTH 100
#define REQUEST "Hello! A client request message lol!"  /* 36 characters + NUL */

/* Pick the server name: the argument, or the default with two lines. */
static const char *choose_server(int argc, char *argv[])
{
    if (argc > 1)
        return argv[1];
    printf("UDP Client - Usage %s <Server hostname or IP>\n", argc > 0 ? argv[0] : "udpclient");
    printf("UDP Client - Using default hostname/IP!\n");
    return SERVER;
}

/* Resolve SERVER into ADDR; a looked-up name prints two more lines. */
static void resolve_server(const char *server, struct sockaddr_in *addr, int sd)
{
    int herr = 0, looked_up;

    if (server_address(server, SERVPORT, addr, &herr, &looked_up) < 0) {
        printf("HOST NOT FOUND --> ");
        printf("h_errno = %d\n", herr);
        close(sd);
        exit(EXIT_MINUS_ONE);
    }
    if (looked_up) {
        printf("UDP Client - gethostbyname() of the server is OK... \n");
        printf("Connected to UDP server %s on port %d.\n", server, SERVPORT);
    }
}

int main(int argc, char *argv[])
{
    char buffer[BUFFER_LENGTH];
    struct sockaddr_in serveraddr;
    socklen_t serveraddrlen = sizeof(serveraddr);
    const char *server;
    ssize_t rc;
    int sd;

    memset(buffer, 0, sizeof(buffer));
    memcpy(buffer, REQUEST, sizeof(REQUEST));
    sd = socket(AF_INET, SOCK_DGRAM, 0);
    if (sd < 0)
        die_errno("UDP Client - socket() error", EXIT_MINUS_ONE);
    printf("UDP Client - socket() is OK!\n");
    server = choose_server(argc, argv);
    resolve_server(server, &serveraddr, sd);
    if (sendto(sd, buffer, sizeof(buffer), 0, (struct sockaddr *)&serveraddr, sizeof(serveraddr)) < 0)
        die_errno("UDP Client - sendto() error", EXIT_MINUS_ONE);
    printf("UDP Client - sendto() is OK!\n");
    printf("Waiting a reply from UDP server...\n");
    /* The reply is read over the request, as in the listing: a shorter one
     * is printed with what it leaves of the request, up to its NUL. */
    do
        rc = recvfrom(sd, buffer, sizeof(buffer), 0, (struct sockaddr *)&serveraddr, &serveraddrlen);
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        die_errno("UDP Client - recvfrom() error", EXIT_MINUS_ONE);
    printf("UDP client received the following: \"%.*s\" message\n",
           text_length(buffer, sizeof(buffer)), buffer);
    printf(" from port %d, address %s\n", ntohs(serveraddr.sin_port),
           inet_ntoa(serveraddr.sin_addr));
    close(sd);
    return 0;
}
