/*
 * sockconf-mforward: forward one IPv4 multicast group from one interface to
 * others, where the kernel has no multicast routing (MRT_INIT answers
 * ENOPROTOOPT) to do it for smcrouted.
 *
 *   sockconf-mforward [-n NETNS_FILE] GROUP FROM TO [TO ...]
 *
 * It enters the network namespace NETNS_FILE (a router's, /run/netns/NAME),
 * opens a packet socket on FROM whose socket filter passes only IPv4 frames
 * to GROUP that FROM received (not those the router sends), and forwards
 * each out of every TO as the kernel's forwarding does for a static (*,G)
 * route (frame.h): TTL 1 or less dropped, TTL decremented, checksum made
 * anew, source address and payload kept, the TO interface's MAC as the
 * frame's source.  A checksum its sender left to the device (veth passes
 * such packets on as they are) is completed first, as the kernel does
 * before a packet leaves through a device that cannot: the socket asks
 * for each packet's virtio_net_hdr (PACKET_VNET_HDR), which says where.  Nothing else crosses: no unicast, no other group,
 * nothing from a TO back to FROM.
 *
 * Once its sockets are bound and the filter attached it prints "ready" on
 * stdout; SIGTERM or SIGINT end it, with its counts on stderr.  A failure
 * to set up is one line on stderr naming the call, exit status 1; a usage
 * error exits 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"

#define SETUP_FAILED 1
#define USAGE_FAILED 2
#define MAX_OUTPUTS 16
#define FRAME_ROOM 65536
#define SKF_PKTTYPE_OFFSET (SKF_AD_OFF + SKF_AD_PKTTYPE)

struct output {
    const char *name;
    int ifindex;
    uint8_t mac[ETH_ADDR_LEN];
};

static volatile sig_atomic_t stopping;
static unsigned long counts[FRAME_TTL_EXPIRED + 1];
static unsigned long send_failures;

static _Noreturn void fail(const char *call, const char *what)
{
    fprintf(stderr, "sockconf-mforward: %s(%s): %s\n", call, what, strerror(errno));
    exit(SETUP_FAILED);
}

static _Noreturn void usage(const char *why)
{
    fprintf(stderr, "sockconf-mforward: %s\nusage: sockconf-mforward [-n NETNS_FILE] GROUP FROM TO [TO ...]\n", why);
    exit(USAGE_FAILED);
}

static void on_stop(int signum)
{
    (void)signum;
    stopping = 1;
}

/* Enter the network namespace bound at PATH. */
static void enter_netns(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        fail("open", path);
    if (setns(fd, CLONE_NEWNET) < 0)
        fail("setns", path);
    close(fd);
}

/* The index of interface NAME. */
static int interface_index(const char *name)
{
    unsigned int index = if_nametoindex(name);

    if (index == 0)
        fail("if_nametoindex", name);
    return (int)index;
}

/* The Ethernet address of interface NAME, asked on socket SOCK. */
static void interface_mac(int sock, const char *name, uint8_t mac[ETH_ADDR_LEN])
{
    struct ifreq request;

    memset(&request, 0, sizeof(request));
    if (strlen(name) >= sizeof(request.ifr_name))
        usage("an interface name is at most 15 characters");
    strcpy(request.ifr_name, name);
    if (ioctl(sock, SIOCGIFHWADDR, &request) < 0)
        fail("ioctl SIOCGIFHWADDR", name);
    memcpy(mac, request.ifr_hwaddr.sa_data, ETH_ADDR_LEN);
}

/* Attach to SOCK the filter that passes IPv4 frames to GROUP (network order)
 * that the interface received, not those it sent. */
static void attach_filter(int sock, uint32_t group)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),                     /* ethertype */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ETH_HEADER_LEN + 16),    /* IPv4 destination */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(group), 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_PKTTYPE_OFFSET),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, FRAME_ROOM),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog program = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

    if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) < 0)
        fail("setsockopt SO_ATTACH_FILTER", "the group's filter");
}

/* A packet socket that receives, filtered, on interface NAME: the filter is
 * attached before the socket is bound, so nothing unfiltered is queued. */
static int open_receiver(const char *name, uint32_t group)
{
    struct sockaddr_ll where;
    int sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

    int with_header = 1;

    if (sock < 0)
        fail("socket", "AF_PACKET");
    if (setsockopt(sock, SOL_PACKET, PACKET_VNET_HDR, &with_header, sizeof(with_header)) < 0)
        fail("setsockopt PACKET_VNET_HDR", name);
    attach_filter(sock, group);
    memset(&where, 0, sizeof(where));
    where.sll_family = AF_PACKET;
    where.sll_protocol = htons(ETH_P_IP);
    where.sll_ifindex = interface_index(name);
    if (bind(sock, (struct sockaddr *)&where, sizeof(where)) < 0)
        fail("bind", name);
    return sock;
}

/* Send the LEN bytes of FRAME out of OUTPUT through SOCK. */
static void send_frame(int sock, const struct output *output, const uint8_t *frame, size_t len)
{
    struct sockaddr_ll where;

    memset(&where, 0, sizeof(where));
    where.sll_family = AF_PACKET;
    where.sll_protocol = htons(ETH_P_IP);
    where.sll_ifindex = output->ifindex;
    where.sll_halen = ETH_ADDR_LEN;
    memcpy(where.sll_addr, frame, ETH_ADDR_LEN);
    if (sendto(sock, frame, len, 0, (struct sockaddr *)&where, sizeof(where)) < 0) {
        send_failures++;
        fprintf(stderr, "sockconf-mforward: sendto(%s): %s\n", output->name, strerror(errno));
    }
}

/* Receive frames on RECEIVER and forward those that pass until a signal. */
static void forward_until_stopped(int receiver, int sender, uint32_t group, const struct output *outputs,
                                  int n_outputs)
{
    static uint8_t frame[FRAME_ROOM], out[FRAME_ROOM];
    struct virtio_net_hdr header;
    struct iovec parts[] = { { &header, sizeof(header) }, { frame, sizeof(frame) } };
    struct msghdr message = { .msg_iov = parts, .msg_iovlen = 2 };

    while (!stopping) {
        ssize_t got = recvmsg(receiver, &message, 0);
        enum frame_verdict verdict;

        if (got < 0) {
            if (errno == EINTR)
                continue;
            fail("recvmsg", "the receiving packet socket");
        }
        got -= (ssize_t)sizeof(header);
        verdict = got < 0 ? FRAME_NOT_IPV4 : frame_check(frame, (size_t)got, group);
        if (verdict == FRAME_FORWARD && header.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM
            && frame_complete_checksum(frame, header.csum_start, header.csum_offset) < 0)
            verdict = FRAME_TRUNCATED;
        counts[verdict]++;
        if (verdict != FRAME_FORWARD)
            continue;
        for (int i = 0; i < n_outputs; i++)
            send_frame(sender, &outputs[i], out, frame_forward(frame, (size_t)got, outputs[i].mac, out));
    }
}

static void print_counts(void)
{
    fprintf(stderr, "sockconf-mforward:");
    for (int v = FRAME_FORWARD; v <= FRAME_TTL_EXPIRED; v++)
        fprintf(stderr, " %s %lu,", frame_verdict_name((enum frame_verdict)v), counts[v]);
    fprintf(stderr, " send failures %lu\n", send_failures);
}

static void catch_stop_signals(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof(action));
    action.sa_handler = on_stop;      /* no SA_RESTART: recv() returns EINTR */
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
}

int main(int argc, char **argv)
{
    struct output outputs[MAX_OUTPUTS];
    struct in_addr group;
    int first = 1, n_outputs, receiver, sender;

    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        enter_netns(argv[2]);
        first = 3;
    }
    n_outputs = argc - first - 2;
    if (n_outputs < 1)
        usage("a group, the interface it comes from and one interface or more it goes to");
    if (n_outputs > MAX_OUTPUTS)
        usage("at most 16 interfaces to forward to");
    if (inet_pton(AF_INET, argv[first], &group) != 1 || !IN_MULTICAST(ntohl(group.s_addr)))
        usage("GROUP is an IPv4 multicast address (224.0.0.0/4)");
    catch_stop_signals();
    sender = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (sender < 0)
        fail("socket", "AF_PACKET");
    for (int i = 0; i < n_outputs; i++) {
        outputs[i].name = argv[first + 2 + i];
        if (strcmp(outputs[i].name, argv[first + 1]) == 0)
            usage("an interface a group comes from is not one it goes to");
        outputs[i].ifindex = interface_index(outputs[i].name);
        interface_mac(sender, outputs[i].name, outputs[i].mac);
    }
    receiver = open_receiver(argv[first + 1], group.s_addr);
    printf("ready\n");
    if (fflush(stdout) != 0)
        fail("fflush", "stdout");
    forward_until_stopped(receiver, sender, group.s_addr, outputs, n_outputs);
    print_counts();
    return 0;
}
