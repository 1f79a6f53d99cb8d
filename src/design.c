/* design.c - shared pieces of the four server designs; see design.h. */
#define _GNU_SOURCE
#include "design.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockutil.h"

extern char **environ;

#define WHAT_SIZE 64                      /* "WHO - CALL() error" */
#define FD_MAX 65535                      /* the largest descriptor a worker takes */
#define REAP_POLL_NS (10 * 1000 * 1000)   /* workers_wait() looks every 10 ms */
#define POLLS_PER_SECOND 100
#define STOP_GRACE_SECONDS 2              /* from SIGTERM to SIGKILL for a worker */

/* die_errno("WHO - CALL() error"): the servers' one way to fail a call. */
static void die_call(const char *who, const char *call)
{
    char what[WHAT_SIZE];

    snprintf(what, sizeof(what), "%s - %s() error", who, call);
    die_errno(what, EXIT_MINUS_ONE);
}

int design_listen(const char *who)
{
    int on = 1;
    int sd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char what[WHAT_SIZE];

    if (sd < 0)
        die_call(who, "socket");
    printf("%s - socket() is OK\n", who);
    if (setsockopt(sd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
        die_call(who, "setsockopt");
    printf("Binding the socket...\n");
    snprintf(what, sizeof(what), "%s - bind() error", who);
    bind_any(sd, DESIGN_PORT, what, EXIT_MINUS_ONE);
    printf("%s - bind() is OK\n", who);
    if (listen(sd, DESIGN_BACKLOG) < 0)
        die_call(who, "listen");
    printf("%s - listen() is OK\n", who);
    return sd;
}

enum echo_status design_echo(int fd)
{
    char buffer[DESIGN_BUFFER];
    ssize_t got;

    do
        got = recv(fd, buffer, sizeof(buffer), 0);
    while (got < 0 && errno == EINTR);
    if (got == 0)
        return ECHO_CLOSED;
    if (got < 0)
        return ECHO_ERROR;
    return write_full(fd, buffer, (size_t)got) == got ? ECHO_SERVED : ECHO_ERROR;
}

int design_worker_fd(int argc, char *argv[], const char *name, const char *what)
{
    long fd;

    if (argc != 2 || parse_long(argv[1], 0, FD_MAX, &fd) < 0) {
        printf("Usage: %s %s\n", argc > 0 ? argv[0] : name, what);
        exit(EXIT_MINUS_ONE);
    }
    return (int)fd;
}

/* A control buffer for one descriptor, aligned for struct cmsghdr. */
union fd_control {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
};

/* MSG with one byte of data in BYTE and room for one descriptor in CONTROL. */
static void one_fd_message(struct msghdr *msg, struct iovec *iov, char *byte, union fd_control *control)
{
    iov->iov_base = byte;
    iov->iov_len = 1;
    memset(msg, 0, sizeof(*msg));
    memset(control, 0, sizeof(*control));
    msg->msg_iov = iov;
    msg->msg_iovlen = 1;
    msg->msg_control = control->buf;
    msg->msg_controllen = sizeof(control->buf);
}

int design_send_descriptor(int queue, int fd)
{
    char byte = 'D';
    struct iovec iov;
    union fd_control control;
    struct msghdr msg;
    struct cmsghdr *cmsg;

    one_fd_message(&msg, &iov, &byte, &control);
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    for (;;) {
        if (sendmsg(queue, &msg, MSG_NOSIGNAL) == 1)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

int design_recv_descriptor(int queue)
{
    char byte;
    struct iovec iov;
    union fd_control control;
    struct msghdr msg;
    struct cmsghdr *cmsg;
    ssize_t got;
    int fd;

    one_fd_message(&msg, &iov, &byte, &control);
    do
        got = recvmsg(queue, &msg, MSG_CMSG_CLOEXEC);
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return -1;
    cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS
        || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
        return -2;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    if (msg.msg_flags & MSG_CTRUNC) {
        /* Control data was cut: more descriptors were sent than one. */
        close(fd);
        return -2;
    }
    return fd;
}

/* The folder of the running executable, with a trailing slash. */
static int own_folder(char *dir, size_t cap)
{
    ssize_t len = readlink("/proc/self/exe", dir, cap - 1);
    char *slash;

    if (len < 0)
        return -1;
    dir[len] = '\0';
    slash = strrchr(dir, '/');
    if (slash == NULL)
        return -1;
    slash[1] = '\0';
    return 0;
}

pid_t design_spawn(const char *program, const char *arg)
{
    char path[PATH_MAX];
    char *argv[3];
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    pid_t pid;
    int rc;

    if (own_folder(path, sizeof(path) - strlen(program)) < 0)
        return -1;
    strcat(path, program);
    argv[0] = path;
    argv[1] = (char *)arg;
    argv[2] = NULL;
    /* The worker starts with no signal blocked and default dispositions. */
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(&pid, path, NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return pid;
}

static sigset_t blocked;            /* the servers' signals, blocked outside waits */
static volatile sig_atomic_t *stop_flag;
static volatile sig_atomic_t *child_flag;
static sigset_t unblocked;          /* the mask inside design_wait() */

static void on_signal(int signum)
{
    if (signum == SIGCHLD && child_flag)
        *child_flag = 1;
    else if (stop_flag)
        *stop_flag = 1;
}

void design_signals(volatile sig_atomic_t *stop, volatile sig_atomic_t *child)
{
    struct sigaction sa;

    stop_flag = stop;
    child_flag = child;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blocked, &unblocked);
}

enum wait_status design_wait(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };

    if (fd < 0) {
        sigsuspend(&unblocked);        /* returns only when a handler ran */
        return WAIT_SIGNAL;
    }
    if (ppoll(&pfd, 1, NULL, &unblocked) > 0)
        return WAIT_READY;
    return errno == EINTR ? WAIT_SIGNAL : WAIT_ERROR;
}

enum wait_status design_accept(int listen_sd, int flags, int *sd)
{
    for (;;) {
        enum wait_status waited;

        *sd = accept4(listen_sd, NULL, NULL, flags);
        if (*sd >= 0)
            return WAIT_READY;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
            return WAIT_ERROR;
        waited = design_wait(listen_sd);
        if (waited != WAIT_READY)
            return waited;
    }
}

/* Accept one connection, calling S->on_child after SIGCHLD meanwhile; -1 to stop. */
static int serve_accept(const struct design_server *s, int listen_sd)
{
    for (;;) {
        int sd = -1;
        enum wait_status accepted = design_accept(listen_sd, s->accept_flags, &sd);

        if (accepted == WAIT_ERROR)
            die_call(s->who, "accept");
        if (*s->child && !*s->stop) {
            *s->child = 0;
            s->on_child(s->ctx);
        }
        if (accepted == WAIT_READY || *s->stop)
            return sd;
    }
}

void design_serve(const struct design_server *s, int listen_sd)
{
    if (fcntl(listen_sd, F_SETFL, O_NONBLOCK) < 0)
        die_call(s->who, "fcntl");
    printf("The %s is ready!\n", s->who);
    for (long i = 1; !*s->stop && (s->limit == 0 || i <= s->limit); i++) {
        int sd;

        printf("Iteration: #%ld\n", i);
        printf(" waiting on accept()\n");
        sd = serve_accept(s, listen_sd);
        if (sd < 0)
            break;
        printf("accept() is OK and completed successfully!\n");
        s->hand_over(sd, s->ctx);
        close(sd);
    }
    close(listen_sd);
    printf("The %s is shutting down\n", s->who);
}

void workers_start(struct workers *w, const char *who, const char *program, int fd, int count)
{
    w->program = program;
    snprintf(w->arg, sizeof(w->arg), "%d", fd);
    w->count = 0;
    for (int i = 0; i < count; i++) {
        pid_t pid = design_spawn(program, w->arg);
        if (pid < 0) {
            int spawn_errno = errno;   /* workers_stop() may change errno */

            workers_stop(w);
            errno = spawn_errno;
            die_call(who, "posix_spawn");
        }
        w->pid[w->count++] = pid;
    }
    printf("%s - started %d workers\n", who, count);
}

/* Whether the worker in slot I has ended (and is reaped now); only the
 * server's own workers are waited for, never another child. */
static int worker_ended(struct workers *w, int i)
{
    return w->pid[i] > 0 && waitpid(w->pid[i], NULL, WNOHANG) == w->pid[i];
}

void workers_restart_dead(struct workers *w, const char *who)
{
    for (int i = 0; i < w->count; i++) {
        if (worker_ended(w, i))
            printf("%s - a worker ended; starting a new one\n", who);
        else if (w->pid[i] > 0)
            continue;
        /* An ended worker, or a slot whose last start failed: (re)start it. */
        w->pid[i] = design_spawn(w->program, w->arg);
        if (w->pid[i] < 0)
            fprintf(stderr, "%s - posix_spawn() error: %s (tried again when the server next wakes)\n",
                    who, strerror(errno));
    }
}

/* Reap the workers that ended; returns how many are still alive. */
static int workers_alive(struct workers *w)
{
    int alive = 0;

    for (int i = 0; i < w->count; i++) {
        if (w->pid[i] > 0 && waitpid(w->pid[i], NULL, WNOHANG) == 0)
            alive++;
        else
            w->pid[i] = -1;
    }
    return alive;
}

void workers_wait(struct workers *w, int seconds)
{
    struct timespec pause = { 0, REAP_POLL_NS };

    for (int round = 0; round < seconds * POLLS_PER_SECOND && workers_alive(w) > 0; round++)
        nanosleep(&pause, NULL);
}

void workers_stop(struct workers *w)
{
    for (int i = 0; i < w->count; i++)
        if (w->pid[i] > 0)
            kill(w->pid[i], SIGTERM);
    workers_wait(w, STOP_GRACE_SECONDS);
    for (int i = 0; i < w->count; i++)
        if (w->pid[i] > 0) {
            kill(w->pid[i], SIGKILL);
            waitpid(w->pid[i], NULL, 0);
        }
}

void workers_reap(struct workers *w)
{
    for (int i = 0; i < w->count; i++)
        if (worker_ended(w, i))
            w->pid[i] = -1;
}

/* A free slot of W, or -1 when all DESIGN_MAX_WORKERS are busy. */
static int free_slot(struct workers *w)
{
    for (int slot = 0; slot < DESIGN_MAX_WORKERS; slot++)
        if (slot >= w->count || w->pid[slot] <= 0)
            return slot;
    return -1;
}

enum wait_status workers_add(struct workers *w, const char *program, const char *arg)
{
    int slot;

    workers_reap(w);
    while ((slot = free_slot(w)) < 0) {
        /* All busy: wait for SIGCHLD (or a stop signal), signals unblocked. */
        if (stop_flag && *stop_flag)
            return WAIT_SIGNAL;
        design_wait(-1);
        workers_reap(w);
    }
    w->pid[slot] = design_spawn(program, arg);
    if (slot == w->count)
        w->count++;
    return w->pid[slot] > 0 ? WAIT_READY : WAIT_ERROR;
}
