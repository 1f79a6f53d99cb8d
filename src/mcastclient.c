/* mcastclient.c - join group 226.1.1.1, bind port 4321 with SO_REUSEADDR
 * and read one datagram of up to 1024 bytes.
 *
 * Usage: mcastclient [LOCAL_INTERFACE_IPV4]
 * Without an argument the interface is the listing's hard-coded
 * 203.106.93.94 (TUTORIAL_INTERFACE); the argument overrides it.
 * Console lines follow the tutorial's listing; see tests/SPEC.md.
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

#define GROUP "226.1.1.1"
#define GROUP_PORT 4321
#define DATAGRAM_LENGTH 1024

/* socket, SO_REUSEADDR, bind INADDR_ANY:4321, join the group on IFACE. */
static int open_receiver(struct in_addr iface)
{
    struct ip_mreq group;
    int reuse = 1;
    int sd = socket(AF_INET, SOCK_DGRAM, 0);

    if (sd < 0)
        die_errno("Opening datagram socket error", 1);
    printf("Opening datagram socket...OK.\n");
    if (setsockopt(sd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) < 0)
        die_errno("Setting SO_REUSEADDR error", 1);
    printf("Setting SO_REUSEADDR...OK.\n");
    bind_any(sd, GROUP_PORT, "Binding datagram socket error", 1);
    printf("Binding datagram socket...OK.\n");
    group.imr_multiaddr.s_addr = inet_addr(GROUP);
    group.imr_interface = iface;
    if (setsockopt(sd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
        die_errno("Adding multicast group error", 1);
    printf("Adding multicast group...OK.\n");
    return sd;
}

int main(int argc, char *argv[])
{
    char databuf[DATAGRAM_LENGTH];
    int sd = open_receiver(mcast_interface(argc, argv));
    ssize_t got;

    do
        got = read(sd, databuf, sizeof(databuf));
    while (got < 0 && errno == EINTR);
    if (got < 0)
        die_errno("Reading datagram message error", 1);
    printf("Reading datagram message...OK.\n");
    printf("The message from multicast server is: \"%.*s\"\n",
           text_length(databuf, (size_t)got), databuf);
    close(sd);
    return 0;
}
