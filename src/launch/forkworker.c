/*
 * sockconf-forkworker: the "python" a run's pytest-xdist workers are started with
 * (harness/sockconf/hosts/forkserver.py).
 *
 *   sockconf-forkworker SOCKET [PYTHON_OPTION ...] -c CODE
 *
 * execnet starts a worker as `PYTHON -u -c CODE` with pipes for its standard input and output.  This
 * program passes those (and its standard error) with CODE to the run's fork server listening on the
 * Unix socket SOCKET, which forks a worker from its warm copy of the harness (pytest and the cases
 * already loaded) and runs CODE there, instead of a new interpreter importing them all.  It stands for
 * the worker: it forwards SIGTERM and SIGHUP to it (SIGINT from a terminal reaches the worker itself,
 * which is in the same process group), and it ends as the worker ends: the same exit status, or killed
 * by the same signal.  When it is killed outright, the server sees its socket close and kills the worker.
 *
 * Every failure is one line on stderr naming the call, and exit status 96 (FORKWORKER_FAILED); a usage
 * error exits 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORKWORKER_FAILED 96
#define USAGE_FAILED 2

static volatile sig_atomic_t worker_pid;
static volatile sig_atomic_t pending_signal;     /* one that came before the worker's pid did */

static _Noreturn void fail(const char *call, const char *what)
{
    fprintf(stderr, "sockconf-forkworker: %s(%s): %s\n", call, what, errno ? strerror(errno) : "unexpected end");
    exit(FORKWORKER_FAILED);
}

static void forward(int signo)
{
    if (worker_pid > 0)
        kill((pid_t) worker_pid, signo);
    else
        pending_signal = signo;
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        fail("connect", path);
    }
    strcpy(addr.sun_path, path);
    int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0)
        fail("socket", "AF_UNIX");
    if (connect(sock, (struct sockaddr *) &addr, sizeof addr) != 0)
        fail("connect", path);
    return sock;
}

/* CODE, with this program's standard input, output and error, in one message. */
static void send_request(int sock, const char *code)
{
    int fds[3] = { 0, 1, 2 };
    union {
        char buf[CMSG_SPACE(sizeof fds)];
        struct cmsghdr align;
    } control;
    struct iovec iov = { .iov_base = (void *) code, .iov_len = strlen(code) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                          .msg_controllen = sizeof control.buf };
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        fail("sendmsg", "the fork server");
}

/* One int32 from the server: the worker's pid, then its wait status. */
static int32_t receive_int(int sock, const char *what)
{
    int32_t value;
    ssize_t got;
    do {
        got = recv(sock, &value, sizeof value, 0);
    } while (got < 0 && errno == EINTR);
    if (got != (ssize_t) sizeof value) {
        if (got >= 0)
            errno = 0;
        fail("recv", what);
    }
    return value;
}

static _Noreturn void end_as(int status)
{
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
    }
    exit(WIFEXITED(status) ? WEXITSTATUS(status) : FORKWORKER_FAILED);
}

int main(int argc, char **argv)
{
    const char *code = NULL;
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], "-c") == 0)
            code = argv[i + 1];
    if (argc < 2 || code == NULL) {
        fprintf(stderr, "sockconf-forkworker: no %s\nusage: sockconf-forkworker SOCKET [PYTHON_OPTION ...] -c CODE\n",
                argc < 2 ? "SOCKET" : "-c CODE");
        return USAGE_FAILED;
    }
    struct sigaction action = { .sa_handler = forward };
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGHUP, &action, NULL) != 0)
        fail("sigaction", "SIGTERM, SIGHUP");
    signal(SIGINT, SIG_IGN);
    int sock = connect_to(argv[1]);
    send_request(sock, code);
    worker_pid = receive_int(sock, "the worker's pid");
    if (pending_signal)
        kill((pid_t) worker_pid, pending_signal);
    end_as(receive_int(sock, "the worker's status"));
}
