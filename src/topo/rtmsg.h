/* rtmsg.h - the rtnetlink requests sockconf-topo sends, built into a
 * caller's buffer (libmnl): pure functions, no socket, tested by
 * tests/unit/test_rtmsg.c. */
#ifndef SOCKCONF_RTMSG_H
#define SOCKCONF_RTMSG_H

#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdint.h>

#define RTMSG_BUFFER 8192     /* bytes a request or an answer may take: a page or two */

/* A veth pair NAME (in the namespace of NS_FD) and PEER (in PEER_NS_FD). */
struct nlmsghdr *rtmsg_veth(char *buf, uint32_t seq, const char *name, int ns_fd, const char *peer, int peer_ns_fd);
/* A bridge NAME that floods multicast to every port (no IGMP snooping). */
struct nlmsghdr *rtmsg_bridge(char *buf, uint32_t seq, const char *name);
/* Link NAME changed: MTU (0: as it is), its bridge MASTER (0: none set), UP. */
struct nlmsghdr *rtmsg_link_set(char *buf, uint32_t seq, const char *name, uint32_t mtu, uint32_t master, int up);
/* Address ADDR/PREFIX on interface IFINDEX; NOPREFIXROUTE: no route for its prefix. */
struct nlmsghdr *rtmsg_addr(char *buf, uint32_t seq, uint32_t ifindex, struct in_addr addr, uint8_t prefix,
                            int noprefixroute);
/* A route to DST/PREFIX, via GATEWAY (s_addr 0: none) or out of OIF (0: none). */
struct nlmsghdr *rtmsg_route(char *buf, uint32_t seq, struct in_addr dst, uint8_t prefix, struct in_addr gateway,
                             uint32_t oif);

#endif
