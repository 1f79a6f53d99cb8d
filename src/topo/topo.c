/* topo.c - sockconf-topo: build a topology of test hosts in one exec.
 *
 *   sockconf-topo [-t SECONDS] < PLAN
 *
 * PLAN is the topology the harness resolved (hosts/topology.py writes it from
 * a netns/NAME.topo file), one request a line, in this order:
 *
 *   netns NAME                   a network namespace, as `ip netns add` makes
 *                                one: a file under /run/netns bind-mounted
 *                                over a new namespace
 *   veth NS1 IF1 NS2 IF2         a veth pair, IF1 in NS1 and IF2 in NS2
 *   in NS                        the lines below act inside NS:
 *   bridge NAME                  a bridge without IGMP snooping
 *   link IF [mtu=N] [master=BR] [up]
 *   addr IF A.B.C.D/N [noprefixroute]
 *   route A.B.C.D/N via GW | route A.B.C.D/N dev IF
 *   sysctl PATH VALUE            /proc/sys/PATH in NS
 *   ready IF ...                 wait (at most SECONDS, default 5) until
 *                                each is RUNNING
 *
 * Every change goes over rtnetlink (libmnl).  An error names the line, the
 * request and the kernel's answer (its extended ack where it gives one); the
 * namespaces made so far are removed before it exits 1.  Bad input: exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "links.h"
#include "rtmsg.h"
#include "talk.h"

#define NETNS_DIR "/run/netns"
#define MAX_NETNS 64
#define MAX_WORDS 16
#define NAME_LEN 64                             /* a namespace's name, its NUL included */
#define MTU_MIN 68                              /* the least IPv4 allows (RFC 791): below, IPv4 is off */
#define MTU_MAX 65535

static char created[MAX_NETNS][NAME_LEN];   /* the namespaces this run made, removed on failure */
static int created_count;
static int root_fd = -1;                        /* the namespace sockconf-topo started in */
static struct mnl_socket *sock;                 /* a socket of the namespace the lines act in now */
static double ready_seconds = 5.0;
static int lineno;

static void remove_created(void)
{
    char path[PATH_MAX];

    for (int i = 0; i < created_count; i++) {
        snprintf(path, sizeof(path), "%s/%.*s", NETNS_DIR, NAME_LEN, created[i]);
        umount2(path, MNT_DETACH);
        unlink(path);
    }
}

/* End with MESSAGE about the current line; the namespaces made so far are removed. */
static void fail(int status, const char *format, ...)
{
    va_list args;

    fprintf(stderr, "sockconf-topo: line %d: ", lineno);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    remove_created();
    exit(status);
}

static void netns_dir_shared(void)
{
    static int done;

    if (done)
        return;
    if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
        fail(1, "mkdir(%s): %s", NETNS_DIR, strerror(errno));
    /* as iproute2: the folder a shared mount, so that a namespace file bound in it shows everywhere */
    while (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
        if (errno != EINVAL || done)
            fail(1, "mount(%s, MS_SHARED): %s", NETNS_DIR, strerror(errno));
        if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
            fail(1, "mount(%s, MS_BIND): %s", NETNS_DIR, strerror(errno));
        done = 1;
    }
    done = 1;
}

static void add_netns(char **word, int count)
{
    const char *name = word[1];
    char path[PATH_MAX];
    int fd;

    (void)count;
    if (created_count == MAX_NETNS || strlen(name) >= NAME_LEN || strchr(name, '/'))
        fail(2, "netns %s: a name of at most %d characters, no /, at most %d namespaces", name, NAME_LEN - 1,
             MAX_NETNS);
    netns_dir_shared();
    snprintf(path, sizeof(path), "%s/%s", NETNS_DIR, name);
    fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0)
        fail(1, "open(%s): %s", path, strerror(errno));
    close(fd);
    strcpy(created[created_count++], name);
    if (unshare(CLONE_NEWNET) < 0)
        fail(1, "unshare(CLONE_NEWNET): %s", strerror(errno));
    if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
        fail(1, "mount(/proc/self/ns/net, %s, MS_BIND): %s", path, strerror(errno));
    if (setns(root_fd, CLONE_NEWNET) < 0)
        fail(1, "setns(the first namespace): %s", strerror(errno));
}

static int netns_fd(const char *name)
{
    char path[PATH_MAX];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", NETNS_DIR, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail(1, "open(%s): %s", path, strerror(errno));
    return fd;
}

/* The lines below act in NAME (NULL: the first namespace): a socket of its own. */
static void enter(const char *name)
{
    int fd = name ? netns_fd(name) : root_fd;

    if (setns(fd, CLONE_NEWNET) < 0)
        fail(1, "setns(%s): %s", name ? name : "the first namespace", strerror(errno));
    if (name)
        close(fd);
    if (sock)
        mnl_socket_close(sock);
    sock = talk_open();
    if (!sock)
        fail(1, "mnl_socket_open(NETLINK_ROUTE): %s", strerror(errno));
}

static void request(struct nlmsghdr *nlh, const char *what)
{
    char answer[TALK_ANSWER];

    if (talk(sock, nlh, answer, sizeof(answer)) < 0)
        fail(1, "%s: %s", what, answer);
}

static uint32_t index_of(const char *ifname)
{
    unsigned int index = if_nametoindex(ifname);

    if (!index)
        fail(1, "no interface %s here: %s", ifname, strerror(errno));
    return index;
}

static void add_veth(char **word, int count)
{
    char buf[RTMSG_BUFFER], what[128];
    int fd1 = netns_fd(word[1]), fd2 = netns_fd(word[3]);

    (void)count;
    snprintf(what, sizeof(what), "RTM_NEWLINK veth %s (in %s) peer %s (in %s)", word[2], word[1], word[4], word[3]);
    request(rtmsg_veth(buf, (uint32_t)lineno, word[2], fd1, word[4], fd2), what);
    close(fd1);
    close(fd2);
}

/* The MTU of mtu=N: a whole number an IPv4 interface can have (68 to 65535), or exit 2. */
static uint32_t mtu_of(const char *link, const char *text)
{
    char *end;
    unsigned long mtu;

    errno = 0;
    mtu = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end || errno || mtu < MTU_MIN || mtu > MTU_MAX)
        fail(2, "link %s: mtu=%s: expected a whole number from %d to %d", link, text, MTU_MIN, MTU_MAX);
    return (uint32_t)mtu;
}

static void set_link(char **word, int count)
{
    char buf[RTMSG_BUFFER], what[128];
    uint32_t mtu = 0, master = 0;
    int up = 0;

    for (int i = 2; i < count; i++) {
        if (!strncmp(word[i], "mtu=", 4))
            mtu = mtu_of(word[1], word[i] + 4);
        else if (!strncmp(word[i], "master=", 7))
            master = index_of(word[i] + 7);
        else if (!strcmp(word[i], "up"))
            up = 1;
        else
            fail(2, "link %s: unknown word %s (mtu=N, master=BRIDGE, up)", word[1], word[i]);
    }
    snprintf(what, sizeof(what), "RTM_NEWLINK set %s", word[1]);
    request(rtmsg_link_set(buf, (uint32_t)lineno, word[1], mtu, master, up), what);
}

/* A.B.C.D/N into ADDR and PREFIX, or exit 2. */
static void prefix_of(const char *text, struct in_addr *addr, uint8_t *prefix)
{
    char copy[32];
    char *slash;
    long bits;

    snprintf(copy, sizeof(copy), "%s", text);
    slash = strchr(copy, '/');
    if (!slash)
        fail(2, "%s: expected A.B.C.D/N", text);
    *slash = '\0';
    bits = strtol(slash + 1, NULL, 10);
    if (inet_pton(AF_INET, copy, addr) != 1 || bits < 0 || bits > 32)
        fail(2, "%s: expected A.B.C.D/N", text);
    *prefix = (uint8_t)bits;
}

static void add_addr(char **word, int count)
{
    char buf[RTMSG_BUFFER], what[128];
    struct in_addr addr;
    uint8_t prefix;

    prefix_of(word[2], &addr, &prefix);
    snprintf(what, sizeof(what), "RTM_NEWADDR %s on %s", word[2], word[1]);
    request(rtmsg_addr(buf, (uint32_t)lineno, index_of(word[1]), addr, prefix,
                       count > 3 && !strcmp(word[3], "noprefixroute")), what);
}

static void add_route(char **word, int count)
{
    char buf[RTMSG_BUFFER], what[128];
    struct in_addr dst, gateway = {0};
    uint32_t oif = 0;
    uint8_t prefix;

    if (count != 4 || (strcmp(word[2], "via") && strcmp(word[2], "dev")))
        fail(2, "route: expected route A.B.C.D/N via GW or route A.B.C.D/N dev IF");
    prefix_of(word[1], &dst, &prefix);
    if (!strcmp(word[2], "via") && inet_pton(AF_INET, word[3], &gateway) != 1)
        fail(2, "route: %s is not an address", word[3]);
    if (!strcmp(word[2], "dev"))
        oif = index_of(word[3]);
    snprintf(what, sizeof(what), "RTM_NEWROUTE %s %s %s", word[1], word[2], word[3]);
    request(rtmsg_route(buf, (uint32_t)lineno, dst, prefix, gateway, oif), what);
}

static void set_sysctl(char **word, int count)
{
    const char *path = word[1], *value = word[2];
    char full[PATH_MAX];
    int fd;

    (void)count;
    if (strstr(path, ".."))
        fail(2, "sysctl %s: a path under /proc/sys", path);
    snprintf(full, sizeof(full), "/proc/sys/%s", path);
    fd = open(full, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
        fail(1, "write(%s, %s): %s", full, value, strerror(errno));
    close(fd);
}

static void wait_ready(char **word, int count)
{
    const char *left = links_wait_running((const char **)word + 1, count - 1, ready_seconds);

    if (left)
        fail(1, "%s not RUNNING after %g s", left, ready_seconds);
}

static void enter_line(char **word, int count)
{
    (void)count;
    enter(word[1]);
}

static void add_bridge(char **word, int count)
{
    char buf[RTMSG_BUFFER], what[64];

    (void)count;
    snprintf(what, sizeof(what), "RTM_NEWLINK bridge %s", word[1]);
    request(rtmsg_bridge(buf, (uint32_t)lineno, word[1]), what);
}

/* One line of the plan, split into COUNT words: its request, with as many words as it takes. */
static void obey(char **word, int count)
{
    static const struct {
        const char *verb;
        int least, most;
        void (*handle)(char **word, int count);
    } requests[] = {
        {"netns", 2, 2, add_netns}, {"veth", 5, 5, add_veth}, {"in", 2, 2, enter_line},
        {"bridge", 2, 2, add_bridge}, {"link", 2, 5, set_link}, {"addr", 3, 4, add_addr},
        {"route", 4, 4, add_route}, {"sysctl", 3, 3, set_sysctl}, {"ready", 2, MAX_WORDS, wait_ready}};

    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        if (strcmp(word[0], requests[i].verb))
            continue;
        if (count < requests[i].least || count > requests[i].most)
            fail(2, "%s: %d words, expected %d to %d", word[0], count, requests[i].least, requests[i].most);
        requests[i].handle(word, count);
        return;
    }
    fail(2, "unknown request %s", word[0]);
}

int main(int argc, char *argv[])
{
    char line[1024];
    char *word[MAX_WORDS];
    int opt;

    while ((opt = getopt(argc, argv, "t:")) != -1) {
        if (opt != 't' || (ready_seconds = strtod(optarg, NULL)) <= 0) {
            fprintf(stderr, "usage: sockconf-topo [-t SECONDS] < PLAN\n");
            return 2;
        }
    }
    root_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (root_fd < 0)
        fail(1, "open(/proc/self/ns/net): %s", strerror(errno));
    enter(NULL);
    while (fgets(line, sizeof(line), stdin)) {
        int count = 0;

        lineno++;
        for (char *save, *w = strtok_r(line, " \t\n", &save); w && count < MAX_WORDS; w = strtok_r(NULL, " \t\n", &save))
            word[count++] = w;
        if (count && word[0][0] != '#')
            obey(word, count);
    }
    mnl_socket_close(sock);
    return 0;
}
