/* comclient.c - connection-oriented common client for port 12345: read
 * one line from stdin, send it with its terminating NUL, print the echo.
 *
 * Console lines follow the tutorial's comclient.c listing; the line is read
 * with a bounded read instead of gets().  See tests/SPEC.md.
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
#define BUFFER_LENGTH 100  /* send_buf[100]: at most 99 characters + NUL */

/* Print MESSAGE, close SOCKFD and exit(-1). */
static void give_up(const char *message, int sockfd)
{
    printf("%s\n", message);
    close(sockfd);
    exit(EXIT_MINUS_ONE);
}

/* Connect SOCKFD to NAME:12345 and print the tutorial's lines. */
static void connect_server(int sockfd, const char *name)
{
    struct sockaddr_in addr;
    int herr = 0, looked_up;

    if (server_address(name, SERVER_PORT, &addr, &herr, &looked_up) < 0) {
        printf("HOST NOT FOUND --> h_errno = %d\n", herr);
        close(sockfd);
        exit(EXIT_MINUS_ONE);
    }
    if (connect(sockfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        die_errno("client - connect() error", EXIT_MINUS_ONE);
    printf("client - connect() is OK.\n");
    printf("connect() completed successfully.\n");
    printf("Connection with %s using port %d established!\n", name, SERVER_PORT);
}

/* Read the message line into SEND_BUF; exit(-1) when there is none. */
static void read_message(char *send_buf, int sockfd)
{
    printf("Enter message to be sent to server:\n");
    switch (read_line(stdin, send_buf, BUFFER_LENGTH)) {
    case LINE_OK:
        return;
    case LINE_TOO_LONG:
        give_up("client - message too long: at most 99 characters", sockfd);
        break;
    case LINE_EOF:
        give_up("client - no message: end of input", sockfd);
        break;
    case LINE_ERROR:
        die_errno("client - read of the message error", EXIT_MINUS_ONE);
    }
}

/* Read the echo into the whole buffer (the listing's recv() of sizeof(recv_buf)), until at least EXPECTED
 * bytes came; its length, or exit 255 when the server closed first or echoed more than was sent. */
static ssize_t read_echo(int sockfd, char *recv_buf, ssize_t expected)
{
    ssize_t len = 0;

    while (len < expected) {
        ssize_t got = read(sockfd, recv_buf + len, (size_t)(BUFFER_LENGTH - len));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            die_errno("client - recv() error", EXIT_MINUS_ONE);
        if (got == 0)
            break;
        len += got;
    }
    if (len < expected)
        printf("client - recv() error: %zd of %zd bytes echoed before the server closed\n", len, expected);
    else if (len > expected)
        printf("client - recv() error: %zd bytes echoed, %zd sent\n", len, expected);
    if (len != expected) {
        close(sockfd);
        exit(EXIT_MINUS_ONE);
    }
    return len;
}

int main(int argc, char *argv[])
{
    char send_buf[BUFFER_LENGTH];
    char recv_buf[BUFFER_LENGTH];
    ssize_t len, expected;
    int sockfd;

    if (argc != 2) {
        printf("Usage: %s <Server_name or Server_IP_address>\n", argc > 0 ? argv[0] : "comclient");
        exit(EXIT_MINUS_ONE);
    }
    sockfd = socket(AF_INET, SOCK_STREAM, 0);
    if (sockfd < 0)
        die_errno("client - socket() error", EXIT_MINUS_ONE);
    printf("client - socket() is OK.\n");
    connect_server(sockfd, argv[1]);
    read_message(send_buf, sockfd);
    expected = (ssize_t)strlen(send_buf) + 1;
    len = write_full(sockfd, send_buf, (size_t)expected);
    if (len != expected)
        die_errno("client - send() error", EXIT_MINUS_ONE);
    printf("client - send() is OK.\n");
    printf("%zd bytes sent.\n", len);
    len = read_echo(sockfd, recv_buf, expected);
    printf("client - recv() is OK.\n");
    printf("The sent message: \"%.*s\" successfully received by server and echoed back to client!\n",
           text_length(recv_buf, (size_t)len), recv_buf);
    printf("%zd bytes received.\n", len);
    close(sockfd);
    return 0;
}
