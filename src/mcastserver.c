/* mcastserver.c - send one 1024-byte datagram to group 226.1.1.1 port
 * 4321 with the default multicast TTL of 1.
 *
 * Usage: mcastserver [LOCAL_INTERFACE_IPV4]
 * Without an argument the interface is the listing's hard-coded
 * 203.106.93.94 (TUTORIAL_INTERFACE); the argument overrides it.
 * Console lines follow the tutorial's listing; see tests/SPEC.md.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
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

int main(int argc, char *argv[])
{
    char databuf[DATAGRAM_LENGTH] = "Multicast test message lol!";
    struct in_addr iface = mcast_interface(argc, argv);
    struct sockaddr_in group;
    int sd = socket(AF_INET, SOCK_DGRAM, 0);

    if (sd < 0)
        die_errno("Opening datagram socket error", 1);
    printf("Opening the datagram socket...OK.\n");
    memset(&group, 0, sizeof(group));
    group.sin_family = AF_INET;
    group.sin_addr.s_addr = inet_addr(GROUP);
    group.sin_port = htons(GROUP_PORT);
    if (setsockopt(sd, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof(iface)) < 0)
        die_errno("Setting local interface error", 1);
    printf("Setting the local interface...OK\n");
    if (sendto(sd, databuf, sizeof(databuf), 0, (struct sockaddr *)&group, sizeof(group)) < 0)
        die_errno("Sending datagram message error", 1);
    printf("Sending datagram message...OK\n");
    close(sd);
    return 0;
}
