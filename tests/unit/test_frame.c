/* test_frame.c - CUnit tests of the multicast forwarder's frame handling (src/forward/frame.c). */
#include <arpa/inet.h>
#include <string.h>

#include "frame.h"
#include "unit.h"

#define PAYLOAD "Control datagram with TTL 2"
#define UDP_LEN (8 + sizeof(PAYLOAD))

static const uint8_t router_mac[ETH_ADDR_LEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* The group, in network order. */
static uint32_t group_of(const char *text)
{
    struct in_addr addr;

    inet_pton(AF_INET, text, &addr);
    return addr.s_addr;
}

/* An Ethernet frame from 198.18.1.1 to DST with TTL, a UDP datagram of PAYLOAD, its checksum right;
 * OPTIONS_WORDS 32-bit words of IP options (NOPs).  Returns its length. */
static size_t make_frame(uint8_t *frame, const char *dst, uint8_t ttl, int options_words)
{
    size_t header_len = 20 + 4 * (size_t)options_words, total = header_len + UDP_LEN;
    uint8_t *ip = frame + ETH_HEADER_LEN;
    uint32_t src = group_of("198.18.1.1"), to = group_of(dst);
    uint16_t checksum;

    memset(frame, 0, ETH_HEADER_LEN + total);
    memcpy(frame, "\x01\x00\x5e\x01\x01\x01\x02\x00\x00\x00\x00\x01\x08\x00", ETH_HEADER_LEN);
    ip[0] = (uint8_t)(0x40 | header_len / 4);
    ip[2] = (uint8_t)(total >> 8);
    ip[3] = (uint8_t)total;
    ip[8] = ttl;
    ip[9] = 17;
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &to, 4);
    memset(ip + 20, 1, 4 * (size_t)options_words);
    memcpy(ip + header_len + 8, PAYLOAD, sizeof(PAYLOAD));
    checksum = ipv4_checksum(ip, header_len);
    ip[10] = (uint8_t)(checksum >> 8);
    ip[11] = (uint8_t)checksum;
    return ETH_HEADER_LEN + total;
}

static void test_group_mac(void)
{
    uint8_t mac[ETH_ADDR_LEN];

    group_mac(group_of("226.1.1.1"), mac);
    CU_ASSERT_EQUAL(memcmp(mac, "\x01\x00\x5e\x01\x01\x01", ETH_ADDR_LEN), 0);
    group_mac(group_of("239.255.2.3"), mac);   /* the 24th bit from the end is left out */
    CU_ASSERT_EQUAL(memcmp(mac, "\x01\x00\x5e\x7f\x02\x03", ETH_ADDR_LEN), 0);
}

/* RFC 1071's example: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2, its complement 220d. */
static void test_checksum_of_rfc_1071(void)
{
    static const uint8_t words[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

    CU_ASSERT_EQUAL(ipv4_checksum(words, sizeof(words)), 0x220d);
}

/* TTL 2: forwarded with TTL 1, a right checksum, the source, the payload and the ethertype kept. */
static void test_ttl_2_is_forwarded_with_ttl_1(void)
{
    uint8_t frame[256], out[256];
    size_t len = make_frame(frame, "226.1.1.1", 2, 0), sent;

    CU_ASSERT_EQUAL(frame_check(frame, len, group_of("226.1.1.1")), FRAME_FORWARD);
    sent = frame_forward(frame, len, router_mac, out);
    CU_ASSERT_EQUAL(sent, len);
    CU_ASSERT_EQUAL(memcmp(out, "\x01\x00\x5e\x01\x01\x01", ETH_ADDR_LEN), 0);
    CU_ASSERT_EQUAL(memcmp(out + ETH_ADDR_LEN, router_mac, ETH_ADDR_LEN), 0);
    CU_ASSERT_EQUAL(memcmp(out + 12, "\x08\x00", 2), 0);
    CU_ASSERT_EQUAL(out[ETH_HEADER_LEN + 8], 1);
    CU_ASSERT_EQUAL(ipv4_checksum(out + ETH_HEADER_LEN, 20), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(out + ETH_HEADER_LEN + 10, frame + ETH_HEADER_LEN + 10, 2), 0);
    CU_ASSERT_EQUAL(memcmp(out + ETH_HEADER_LEN + 12, frame + ETH_HEADER_LEN + 12, 8), 0);
    CU_ASSERT_EQUAL(memcmp(out + ETH_HEADER_LEN + 20, frame + ETH_HEADER_LEN + 20, UDP_LEN), 0);
    /* the forwarded frame, forwarded again, leaves with TTL 0: it is not */
    CU_ASSERT_EQUAL(frame_check(out, sent, group_of("226.1.1.1")), FRAME_TTL_EXPIRED);
}

/* A router never forwards TTL 1 (mcastserver's datagrams) nor 0. */
static void test_ttl_1_and_0_are_dropped(void)
{
    uint8_t frame[256];
    size_t len = make_frame(frame, "226.1.1.1", 1, 0);

    CU_ASSERT_EQUAL(frame_check(frame, len, group_of("226.1.1.1")), FRAME_TTL_EXPIRED);
    len = make_frame(frame, "226.1.1.1", 0, 0);
    CU_ASSERT_EQUAL(frame_check(frame, len, group_of("226.1.1.1")), FRAME_TTL_EXPIRED);
}

/* Another group, a unicast address: not forwarded. */
static void test_only_the_group_is_forwarded(void)
{
    uint8_t frame[256];
    size_t len = make_frame(frame, "226.1.1.2", 8, 0);

    CU_ASSERT_EQUAL(frame_check(frame, len, group_of("226.1.1.1")), FRAME_OTHER_GROUP);
    len = make_frame(frame, "198.18.2.1", 8, 0);
    CU_ASSERT_EQUAL(frame_check(frame, len, group_of("226.1.1.1")), FRAME_OTHER_GROUP);
}

/* Header options are kept and counted in the checksum. */
static void test_options_are_kept(void)
{
    uint8_t frame[256], out[256];
    size_t len = make_frame(frame, "226.1.1.1", 5, 2);

    CU_ASSERT_EQUAL(frame_check(frame, len, group_of("226.1.1.1")), FRAME_FORWARD);
    CU_ASSERT_EQUAL(frame_forward(frame, len, router_mac, out), len);
    CU_ASSERT_EQUAL(out[ETH_HEADER_LEN + 8], 4);
    CU_ASSERT_EQUAL(ipv4_checksum(out + ETH_HEADER_LEN, 28), 0);
    CU_ASSERT_EQUAL(memcmp(out + ETH_HEADER_LEN + 20, frame + ETH_HEADER_LEN + 20, 8 + UDP_LEN), 0);
}

/* What the kernel would not route is not forwarded either. */
static void test_malformed_frames_are_dropped(void)
{
    uint8_t frame[256];
    size_t len = make_frame(frame, "226.1.1.1", 8, 0);
    uint32_t group = group_of("226.1.1.1");

    CU_ASSERT_EQUAL(frame_check(frame, 10, group), FRAME_NOT_IPV4);
    CU_ASSERT_EQUAL(frame_check(frame, ETH_HEADER_LEN + 19, group), FRAME_TRUNCATED);
    CU_ASSERT_EQUAL(frame_check(frame, len - 1, group), FRAME_TRUNCATED);
    frame[ETH_HEADER_LEN + 16 + 3] ^= 1;     /* a header changed under its checksum */
    CU_ASSERT_EQUAL(frame_check(frame, len, group), FRAME_BAD_CHECKSUM);
    len = make_frame(frame, "226.1.1.1", 8, 0);
    frame[12] = 0x86;                        /* IPv6's ethertype */
    frame[13] = 0xdd;
    CU_ASSERT_EQUAL(frame_check(frame, len, group), FRAME_NOT_IPV4);
    len = make_frame(frame, "226.1.1.1", 8, 0);
    frame[ETH_HEADER_LEN] = 0x44;            /* a header of 16 bytes */
    CU_ASSERT_EQUAL(frame_check(frame, len, group), FRAME_NOT_IPV4);
}

/* Ethernet padding after a short packet is not sent on. */
static void test_padding_is_not_forwarded(void)
{
    uint8_t frame[256], out[256];
    size_t len = make_frame(frame, "226.1.1.1", 3, 0);

    CU_ASSERT_EQUAL(frame_check(frame, len + 6, group_of("226.1.1.1")), FRAME_FORWARD);
    CU_ASSERT_EQUAL(frame_forward(frame, len + 6, router_mac, out), len);
}

/* The UDP checksum over the pseudo-header and the datagram of FRAME: 0 when the datagram's checksum is right. */
static uint16_t udp_checksum_check(const uint8_t *frame)
{
    uint8_t sum_over[8 + 12 + UDP_LEN];
    const uint8_t *ip = frame + ETH_HEADER_LEN;

    memset(sum_over, 0, sizeof(sum_over));
    memcpy(sum_over, ip + 12, 8);                     /* source and destination */
    sum_over[9] = 17;
    sum_over[10] = (uint8_t)(UDP_LEN >> 8);
    sum_over[11] = (uint8_t)UDP_LEN;
    memcpy(sum_over + 12, ip + 20, UDP_LEN);
    return ipv4_checksum(sum_over, 12 + UDP_LEN);
}

/* A checksum left to the device (the pseudo-header's sum in the field) is completed over the datagram. */
static void test_partial_checksum_is_completed(void)
{
    uint8_t frame[256], pseudo[12];
    size_t len = make_frame(frame, "226.1.1.1", 2, 0);
    uint8_t *udp = frame + ETH_HEADER_LEN + 20;
    uint16_t partial;

    udp[4] = (uint8_t)(UDP_LEN >> 8);
    udp[5] = (uint8_t)UDP_LEN;
    memset(pseudo, 0, sizeof(pseudo));
    memcpy(pseudo, frame + ETH_HEADER_LEN + 12, 8);
    pseudo[9] = 17;
    pseudo[10] = udp[4];
    pseudo[11] = udp[5];
    partial = (uint16_t)~ipv4_checksum(pseudo, sizeof(pseudo));   /* what the sender leaves: the sum, not complemented */
    udp[6] = (uint8_t)(partial >> 8);
    udp[7] = (uint8_t)partial;
    CU_ASSERT_NOT_EQUAL(udp_checksum_check(frame), 0);
    CU_ASSERT_EQUAL(frame_complete_checksum(frame, ETH_HEADER_LEN + 20, 6), 0);
    CU_ASSERT_EQUAL(udp_checksum_check(frame), 0);
    CU_ASSERT_EQUAL(frame_check(frame, len, group_of("226.1.1.1")), FRAME_FORWARD);
    /* a place outside the packet is refused, the frame left as it is */
    CU_ASSERT_EQUAL(frame_complete_checksum(frame, ETH_HEADER_LEN + 20, UDP_LEN), -1);
    CU_ASSERT_EQUAL(frame_complete_checksum(frame, 4, 6), -1);
    CU_ASSERT_EQUAL(udp_checksum_check(frame), 0);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"group_mac", test_group_mac},
        {"ipv4_checksum of RFC 1071", test_checksum_of_rfc_1071},
        {"TTL 2 forwarded with TTL 1", test_ttl_2_is_forwarded_with_ttl_1},
        {"TTL 1 and 0 dropped", test_ttl_1_and_0_are_dropped},
        {"only the group forwarded", test_only_the_group_is_forwarded},
        {"options kept", test_options_are_kept},
        {"malformed frames dropped", test_malformed_frames_are_dropped},
        {"padding not forwarded", test_padding_is_not_forwarded},
        {"partial checksum completed", test_partial_checksum_is_completed},
        CU_TEST_INFO_NULL};

    return unit_run("frame", tests);
}
