/* loadgen.c - the benchmark's load generator: CLIENTS threads, each in a
 * loop of connect, [wait DELAY_US], send a 16-byte line plus its NUL, read
 * the 17-byte echo, close; for SECONDS seconds or MAX_CONNECTIONS in all.
 * Prints one line: "connections=N seconds=S cps=R errors=E".
 *
 * Usage: loadgen ADDRESS PORT CLIENTS SECONDS [DELAY_US [MAX_CONNECTIONS]]
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE "0123456789abcdef"      /* 16 characters, sent with the NUL */
#define MESSAGE_BYTES 17
#define MAX_CLIENTS 1024

static struct sockaddr_in server;
static double stop_at;
static long delay_us;
static long max_connections;
static atomic_long done, errors;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One connection: connect, wait, send, read the echo, close.  0 when whole. */
static int one_connection(void)
{
    char echo[MESSAGE_BYTES];
    size_t got = 0;
    int sd = socket(AF_INET, SOCK_STREAM, 0);

    if (sd < 0)
        return -1;
    if (connect(sd, (struct sockaddr *)&server, sizeof(server)) < 0)
        goto fail;
    if (delay_us > 0)
        usleep((useconds_t)delay_us);
    if (send(sd, MESSAGE, MESSAGE_BYTES, MSG_NOSIGNAL) != MESSAGE_BYTES)
        goto fail;
    while (got < MESSAGE_BYTES) {
        ssize_t n = recv(sd, echo + got, MESSAGE_BYTES - got, 0);
        if (n <= 0)
            goto fail;
        got += (size_t)n;
    }
    close(sd);
    return memcmp(echo, MESSAGE, MESSAGE_BYTES) == 0 ? 0 : -1;
fail:
    close(sd);
    return -1;
}

static void *client(void *unused)
{
    (void)unused;
    while (now() < stop_at) {
        long mine = atomic_fetch_add(&done, 1);
        if (max_connections > 0 && mine >= max_connections) {
            atomic_fetch_sub(&done, 1);
            break;
        }
        if (one_connection() < 0) {
            atomic_fetch_sub(&done, 1);
            atomic_fetch_add(&errors, 1);
            if (atomic_load(&errors) > 1000)
                break;                    /* the server is gone: stop, do not spin */
        }
    }
    return NULL;
}

/* Strict positive number of ARG within [MIN, MAX], or exit 2. */
static long number(const char *arg, long min, long max, const char *what)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(arg, &end, 10);
    if (errno || *end || end == arg || value < min || value > max) {
        fprintf(stderr, "loadgen: %s must be %ld..%ld, not \"%s\"\n", what, min, max, arg);
        exit(2);
    }
    return value;
}

int main(int argc, char *argv[])
{
    pthread_t threads[MAX_CLIENTS];
    long clients;
    double seconds, started, elapsed;

    if (argc < 5 || argc > 7) {
        fprintf(stderr, "Usage: %s ADDRESS PORT CLIENTS SECONDS [DELAY_US [MAX_CONNECTIONS]]\n", argv[0]);
        return 2;
    }
    memset(&server, 0, sizeof(server));
    server.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
        fprintf(stderr, "loadgen: not an IPv4 address: %s\n", argv[1]);
        return 2;
    }
    server.sin_port = htons((unsigned short)number(argv[2], 1, 65535, "PORT"));
    clients = number(argv[3], 1, MAX_CLIENTS, "CLIENTS");
    seconds = (double)number(argv[4], 1, 60, "SECONDS");
    delay_us = argc > 5 ? number(argv[5], 0, 1000000, "DELAY_US") : 0;
    max_connections = argc > 6 ? number(argv[6], 1, 100000000, "MAX_CONNECTIONS") : 0;
    started = now();
    stop_at = started + seconds;
    for (long i = 0; i < clients; i++)
        if (pthread_create(&threads[i], NULL, client, NULL) != 0) {
            perror("loadgen: pthread_create");
            return 2;
        }
    for (long i = 0; i < clients; i++)
        pthread_join(threads[i], NULL);
    elapsed = now() - started;
    printf("connections=%ld seconds=%.3f cps=%.1f errors=%ld\n", atomic_load(&done), elapsed,
           atomic_load(&done) / elapsed, atomic_load(&errors));
    return 0;
}
