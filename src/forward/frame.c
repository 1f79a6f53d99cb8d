/* frame.c - the forwarder's handling of one frame (frame.h). */
#include "frame.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define IP_TTL_OFFSET 8
#define IP_CHECKSUM_OFFSET 10
#define IP_DST_OFFSET 16

/* The 16-bit big-endian value at P. */
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint16_t ipv4_checksum(const uint8_t *header, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(header + i);
    if (len % 2)
        sum += (uint32_t)header[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

void group_mac(uint32_t group, uint8_t mac[ETH_ADDR_LEN])
{
    const uint8_t *g = (const uint8_t *)&group;

    mac[0] = 0x01;
    mac[1] = 0x00;
    mac[2] = 0x5e;
    mac[3] = g[1] & 0x7f;
    mac[4] = g[2];
    mac[5] = g[3];
}

enum frame_verdict frame_check(const uint8_t *frame, size_t len, uint32_t group)
{
    const uint8_t *ip = frame + ETH_HEADER_LEN;
    size_t header_len, total_len;

    if (len < ETH_HEADER_LEN + IPV4_MIN_HEADER_LEN)
        return len < ETH_HEADER_LEN || get16(frame + 12) != ETHERTYPE_IPV4 ? FRAME_NOT_IPV4 : FRAME_TRUNCATED;
    header_len = (size_t)(ip[0] & 0x0f) * 4;
    if (get16(frame + 12) != ETHERTYPE_IPV4 || ip[0] >> 4 != 4 || header_len < IPV4_MIN_HEADER_LEN)
        return FRAME_NOT_IPV4;
    total_len = get16(ip + 2);
    if (total_len < header_len || len - ETH_HEADER_LEN < total_len)
        return FRAME_TRUNCATED;
    if (ipv4_checksum(ip, header_len) != 0)
        return FRAME_BAD_CHECKSUM;
    if (memcmp(ip + IP_DST_OFFSET, &group, sizeof(group)) != 0)
        return FRAME_OTHER_GROUP;
    if (ip[IP_TTL_OFFSET] <= 1)
        return FRAME_TTL_EXPIRED;
    return FRAME_FORWARD;
}

size_t frame_forward(const uint8_t *frame, size_t len, const uint8_t src_mac[ETH_ADDR_LEN], uint8_t *out)
{
    const uint8_t *ip = frame + ETH_HEADER_LEN;
    size_t header_len = (size_t)(ip[0] & 0x0f) * 4;
    size_t total_len = get16(ip + 2);
    uint32_t group;
    uint16_t checksum;
    uint8_t *out_ip = out + ETH_HEADER_LEN;

    (void)len;
    memcpy(&group, ip + IP_DST_OFFSET, sizeof(group));
    group_mac(group, out);
    memcpy(out + ETH_ADDR_LEN, src_mac, ETH_ADDR_LEN);
    memcpy(out + 2 * ETH_ADDR_LEN, frame + 2 * ETH_ADDR_LEN, 2);
    memcpy(out_ip, ip, total_len);
    out_ip[IP_TTL_OFFSET] = (uint8_t)(ip[IP_TTL_OFFSET] - 1);
    out_ip[IP_CHECKSUM_OFFSET] = 0;
    out_ip[IP_CHECKSUM_OFFSET + 1] = 0;
    checksum = ipv4_checksum(out_ip, header_len);
    out_ip[IP_CHECKSUM_OFFSET] = (uint8_t)(checksum >> 8);
    out_ip[IP_CHECKSUM_OFFSET + 1] = (uint8_t)checksum;
    return ETH_HEADER_LEN + total_len;
}

int frame_complete_checksum(uint8_t *frame, size_t start, size_t offset)
{
    size_t end = ETH_HEADER_LEN + get16(frame + ETH_HEADER_LEN + 2);
    uint16_t checksum;

    if (start < ETH_HEADER_LEN + IPV4_MIN_HEADER_LEN || start + offset + 2 > end)
        return -1;
    checksum = ipv4_checksum(frame + start, end - start);
    if (checksum == 0)
        checksum = 0xffff;
    frame[start + offset] = (uint8_t)(checksum >> 8);
    frame[start + offset + 1] = (uint8_t)checksum;
    return 0;
}

const char *frame_verdict_name(enum frame_verdict verdict)
{
    static const char *const names[] = {
        [FRAME_FORWARD] = "forwarded", [FRAME_NOT_IPV4] = "not-ipv4", [FRAME_TRUNCATED] = "truncated",
        [FRAME_BAD_CHECKSUM] = "bad-checksum", [FRAME_OTHER_GROUP] = "other-group",
        [FRAME_TTL_EXPIRED] = "ttl-expired",
    };

    return (size_t)verdict < sizeof(names) / sizeof(names[0]) ? names[verdict] : "?";
}
