/*
 * frame.h - what sockconf's multicast forwarder does to one Ethernet frame,
 * as the kernel's multicast forwarding does it for a static (*,G) route:
 * only IPv4 to the group, only with a TTL above 1, the TTL decremented, the
 * header checksum made anew, the source address and the payload kept, the
 * frame addressed to the group's MAC (RFC 1112) from the outgoing
 * interface's own MAC.  Pure functions, no sockets: tests/unit/test_frame.c.
 */
#ifndef SOCKCONF_FRAME_H
#define SOCKCONF_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define ETH_HEADER_LEN 14
#define ETH_ADDR_LEN 6
#define IPV4_MIN_HEADER_LEN 20

/* Why a frame is not forwarded (FRAME_FORWARD: it is). */
enum frame_verdict {
    FRAME_FORWARD = 0,
    FRAME_NOT_IPV4,        /* another ethertype, another IP version, a header shorter than 20 bytes */
    FRAME_TRUNCATED,       /* shorter than its IP header or its total length says */
    FRAME_BAD_CHECKSUM,    /* the kernel drops these before routing */
    FRAME_OTHER_GROUP,     /* addressed to another group or host */
    FRAME_TTL_EXPIRED,     /* TTL 1 or 0: a router never forwards it */
};

/* The IP header checksum (RFC 1071) of the LEN bytes at HEADER, its
 * checksum field counted as it stands: 0 over a header whose field is right. */
uint16_t ipv4_checksum(const uint8_t *header, size_t len);

/* The Ethernet address of IPv4 group GROUP (network order): 01:00:5e and its low 23 bits. */
void group_mac(uint32_t group, uint8_t mac[ETH_ADDR_LEN]);

/* Whether the LEN bytes of FRAME (Ethernet header first) may be forwarded to
 * GROUP (network order). */
enum frame_verdict frame_check(const uint8_t *frame, size_t len, uint32_t group);

/* Write into OUT (room for LEN bytes) the frame to send for FRAME, which
 * frame_check passed: the group's MAC to, SRC_MAC from, TTL one less, the
 * checksum anew; returns the length of the frame to send (without any
 * Ethernet padding after the IP packet). */
size_t frame_forward(const uint8_t *frame, size_t len, const uint8_t src_mac[ETH_ADDR_LEN], uint8_t *out);

/* Complete in FRAME (which frame_check passed) the checksum its sender left
 * to the device (the kernel's CHECKSUM_PARTIAL, as a packet socket's
 * virtio_net_hdr gives it: the sum from byte START of the frame to the end
 * of its IP packet, stored at START + OFFSET, where the pseudo-header's sum
 * already is), as the kernel's skb_checksum_help() does: a sum of 0 is
 * stored as 0xffff.  Returns 0, or -1 when START and OFFSET lie outside the
 * IP packet (the frame is then left as it is). */
int frame_complete_checksum(uint8_t *frame, size_t start, size_t offset);

/* The name of VERDICT, for the forwarder's counts. */
const char *frame_verdict_name(enum frame_verdict verdict);

#endif
