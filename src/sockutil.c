/* sockutil.c - helpers shared by the sockconf reference programs. */
#define _DEFAULT_SOURCE
#include "sockutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int resolve_ipv4(const char *name, struct in_addr *addr, int *herr, int *looked_up)
{
    struct hostent *host;

    *looked_up = 0;
    if (inet_pton(AF_INET, name, addr) == 1)
        return 0;
    *looked_up = 1;
    host = gethostbyname(name);
    if (host == NULL || host->h_addrtype != AF_INET) {
        *herr = host == NULL ? h_errno : NO_ADDRESS;
        return -1;
    }
    memcpy(addr, host->h_addr_list[0], sizeof(*addr));
    return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t total = 0;

    while (total < len) {
        ssize_t got = read(fd, (char *)buf + total, len - total);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        total += (size_t)got;
    }
    return (ssize_t)total;
}

/* True when FD is a socket (send() applies). */
static int is_socket(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

ssize_t write_full(int fd, const void *buf, size_t len)
{
    size_t total = 0;
    int sock = is_socket(fd);

    while (total < len) {
        const char *from = (const char *)buf + total;
        ssize_t put = sock ? send(fd, from, len - total, MSG_NOSIGNAL)
                           : write(fd, from, len - total);
        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -1;
        total += (size_t)put;
    }
    return (ssize_t)total;
}

int parse_long(const char *text, long min, long max, long *value)
{
    char *end;
    long parsed;

    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    parsed = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || parsed < min || parsed > max)
        return -1;
    *value = parsed;
    return 0;
}

/* Consume input up to and including the next newline (or end of input). */
static void skip_rest_of_line(FILE *in)
{
    int c;

    do
        c = getc(in);
    while (c != EOF && c != '\n');
}

enum line_status read_line(FILE *in, char *buf, size_t cap)
{
    size_t used = 0;
    int c;

    while ((c = getc(in)) != EOF && c != '\n') {
        if (used == cap - 1) {
            buf[used] = '\0';
            skip_rest_of_line(in);
            return LINE_TOO_LONG;
        }
        buf[used++] = (char)c;
    }
    buf[used] = '\0';
    if (c == EOF && ferror(in))
        return LINE_ERROR;
    if (c == EOF && used == 0)
        return LINE_EOF;
    return LINE_OK;
}

int text_length(const char *buf, size_t len)
{
    const char *nul = memchr(buf, '\0', len);
    size_t n = nul ? (size_t)(nul - buf) : len;

    return n > INT_MAX ? INT_MAX : (int)n;
}

void any_address(struct sockaddr_in *addr, int port)
{
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_ANY);
    addr->sin_port = htons((uint16_t)port);
}

int server_address(const char *name, int port, struct sockaddr_in *addr, int *herr, int *looked_up)
{
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    return resolve_ipv4(name, &addr->sin_addr, herr, looked_up);
}

void bind_any(int sd, int port, const char *what, int status)
{
    struct sockaddr_in addr;

    any_address(&addr, port);
    if (bind(sd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        die_errno(what, status);
}

void report_so_error(int sd, const char *label)
{
    int so_error = 0;
    socklen_t length = sizeof(so_error);

    if (getsockopt(sd, SOL_SOCKET, SO_ERROR, &so_error, &length) == 0) {
        errno = so_error;
        perror(label);
    }
}

void die_errno(const char *what, int status)
{
    perror(what);
    exit(status);
}

struct in_addr mcast_interface(int argc, char *argv[])
{
    const char *text = argc == 2 ? argv[1] : TUTORIAL_INTERFACE;
    struct in_addr iface;

    if (argc > 2 || inet_pton(AF_INET, text, &iface) != 1) {
        printf("Usage: %s [local interface IPv4 address]\n", argv[0]);
        exit(1);
    }
    return iface;
}
