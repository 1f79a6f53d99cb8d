/* udpserver.c - receive one datagram on UDP port 3333 and reply with the
 * whole 100-byte buffer to its sender.
 *
 * Console lines follow the tutorial's udpserver.c listing; see tests/SPEC.md.
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

#define SERVPORT 3333
#define BUFFER_LENGTH 100

/* socket and bind to INADDR_ANY:3333. */
static int open_server(void)
{
    struct sockaddr_in serveraddr;
    int sd = socket(AF_INET, SOCK_DGRAM, 0);

    if (sd < 0)
        die_errno("UDP server - socket() error", EXIT_MINUS_ONE);
    printf("UDP server - socket() is OK\n");
    printf("UDP server - try to bind...\n");
    any_address(&serveraddr, SERVPORT);
    if (bind(sd, (struct sockaddr *)&serveraddr, sizeof(serveraddr)) < 0)
        die_errno("UDP server - bind() error", EXIT_MINUS_ONE);
    printf("UDP server - bind() is OK\n");
    printf("Using IP %s and port %d\n", inet_ntoa(serveraddr.sin_addr), SERVPORT);
    printf("UDP server - Listening...\n");
    return sd;
}

int main(void)
{
    char buffer[BUFFER_LENGTH];
    struct sockaddr_in clientaddr;
    socklen_t clientaddrlen = sizeof(clientaddr);
    int sd = open_server();
    ssize_t rc;

    memset(buffer, 0, sizeof(buffer));
    do
        rc = recvfrom(sd, buffer, sizeof(buffer), 0, (struct sockaddr *)&clientaddr, &clientaddrlen);
    while (rc < 0 && errno == EINTR);
    if (rc < 0)
        die_errno("UDP Server - recvfrom() error", EXIT_MINUS_ONE);
    printf("UDP Server - recvfrom() is OK...\n");
    printf("UDP Server received the following:\n \"%.*s\" message\n",
           text_length(buffer, (size_t)rc), buffer);
    printf("from port %d and address %s.\n", ntohs(clientaddr.sin_port),
           inet_ntoa(clientaddr.sin_addr));
    printf("UDP Server replying to the stupid UDP client...\n");
    if (sendto(sd, buffer, sizeof(buffer), 0, (struct sockaddr *)&clientaddr, clientaddrlen) < 0)
        die_errno("UDP server - sendto() error", EXIT_MINUS_ONE);
    printf("UDP Server - sendto() is OK...\n");
    close(sd);
    return 0;
}
