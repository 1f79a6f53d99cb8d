/* tcpclient.c - connect to tcpserver on port 3111, write the whole
 * 100-byte buffer and read the 100-byte echo.
 *
 * Console lines follow the tutorial's tcpclient.c listing; see tests/SPEC.md.
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

#define BUFFER_LENGTH 100  /* BufferLength in the tutorial */
#define SERVER "The_server_name_or_IP"
#define SERVPORT 3111
#define SERVER_NAME_MAX 254  /* char server[255] in the tutorial */

/* The usage lines printed when the server name does not resolve. */
static void print_usage(const char *progname)
{
    printf("---This is a client program---\n");
    printf("Command usage: %s <server name or IP>\n", progname);
}

/* Pick the server name: the argument, or the compiled-in default. */
static const char *choose_server(int argc, char *argv[], int sd)
{
    if (argc < 2)
        return SERVER;
    if (strlen(argv[1]) > SERVER_NAME_MAX) {
        printf("Client - server name longer than %d characters\n", SERVER_NAME_MAX);
        print_usage(argv[0]);
        close(sd);
        exit(EXIT_MINUS_ONE);
    }
    printf("Connecting to the f***ing %s, port %d ...\n", argv[1], SERVPORT);
    return argv[1];
}

/* Resolve SERVER into ADDR, or print HOST NOT FOUND and the usage. */
static void resolve_server(const char *server, struct sockaddr_in *addr,
                           const char *progname, int sd)
{
    int herr = 0, looked_up;

    if (server_address(server, SERVPORT, addr, &herr, &looked_up) == 0)
        return;
    printf("HOST NOT FOUND --> ");
    printf("h_errno = %d\n", herr);
    print_usage(progname);
    close(sd);
    exit(EXIT_MINUS_ONE);
}

/* Write the whole data buffer; on failure report SO_ERROR too. */
static void send_request(int sd, const char *server, const char *data)
{
    printf("Sending some string to the f***ing %s...\n", server);
    if (write_full(sd, data, BUFFER_LENGTH) != BUFFER_LENGTH) {
        perror("Client-write() error");   /* the listing's two lines */
        report_so_error(sd, "SO_ERROR was");
        close(sd);
        exit(EXIT_MINUS_ONE);
    }
    printf("Client-write() is OK\n");
    printf("String successfully sent lol!\n");
    printf("Waiting the %s to echo back...\n", server);
}

/* Read the 100-byte echo into BUFFER. */
static void read_echo(int sd, char *buffer)
{
    ssize_t got = read_full(sd, buffer, BUFFER_LENGTH);

    if (got < 0)
        die_errno("Client-read() error", EXIT_MINUS_ONE);
    if (got < BUFFER_LENGTH) {
        printf("Server program has issued a close()\n");
        close(sd);
        exit(EXIT_MINUS_ONE);
    }
    printf("Client-read() is OK\n");
}

int main(int argc, char *argv[])
{
    char data[BUFFER_LENGTH] = "This is a test string from client lol!!! ";
    char buffer[BUFFER_LENGTH];
    struct sockaddr_in serveraddr;
    const char *progname = argc > 0 ? argv[0] : "tcpclient";
    const char *server;
    int sd = socket(AF_INET, SOCK_STREAM, 0);

    if (sd < 0)
        die_errno("Client-socket() error", EXIT_MINUS_ONE);
    printf("Client-socket() OK\n");
    server = choose_server(argc, argv, sd);
    resolve_server(server, &serveraddr, progname, sd);
    if (connect(sd, (struct sockaddr *)&serveraddr, sizeof(serveraddr)) < 0)
        die_errno("Client-connect() error", EXIT_MINUS_ONE);
    printf("Connection established...\n");
    send_request(sd, server, data);
    read_echo(sd, buffer);
    printf("Echoed data from the f***ing server: %.*s\n",
           text_length(buffer, sizeof(buffer)), buffer);
    close(sd);
    return 0;
}
