/* ceiling.c - the benchmark's ceiling server: one SO_REUSEPORT listener
 * per core on port PORT, each an epoll loop in a thread of its own, serving
 * the echo of the designs (one read of up to 100 bytes, echo, close).  Runs
 * until SIGTERM.  Not a tutorial program: it only anchors the numbers.
 *
 * Usage: ceiling [PORT [THREADS]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int port = 12345;

static int listener(void)
{
    struct sockaddr_in addr;
    int on = 1;
    int sd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

    if (sd < 0 || setsockopt(sd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0
        || setsockopt(sd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0) {
        perror("ceiling: socket/setsockopt");
        exit(1);
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((unsigned short)port);
    if (bind(sd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(sd, 1024) < 0) {
        perror("ceiling: bind/listen");
        exit(1);
    }
    return sd;
}

/* Read what the client sent and echo it; close either way. */
static void serve(int fd)
{
    char buf[100];
    ssize_t got = recv(fd, buf, sizeof(buf), 0);

    if (got > 0)
        send(fd, buf, (size_t)got, MSG_NOSIGNAL);
    close(fd);
}

static void *loop(void *unused)
{
    struct epoll_event ev = { .events = EPOLLIN }, events[64];
    int lsd = listener();
    int ep = epoll_create1(0);

    (void)unused;
    ev.data.fd = lsd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lsd, &ev);
    for (;;) {
        int n = epoll_wait(ep, events, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd != lsd) {
                serve(fd);
                continue;
            }
            for (;;) {
                int c = accept4(lsd, NULL, NULL, SOCK_NONBLOCK);
                if (c < 0)
                    break;
                struct epoll_event cev = { .events = EPOLLIN | EPOLLONESHOT, .data.fd = c };
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
            }
        }
    }
    return NULL;
}

int main(int argc, char *argv[])
{
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_t tid;

    if (argc > 1)
        port = atoi(argv[1]);
    if (argc > 2)
        threads = atol(argv[2]);
    if (port < 1 || port > 65535 || threads < 1 || threads > 64) {
        fprintf(stderr, "Usage: %s [PORT [THREADS]]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    for (long i = 1; i < threads; i++)
        pthread_create(&tid, NULL, loop, NULL);
    loop(NULL);
    return 0;
}
