/* rtmsg.c - the rtnetlink requests of sockconf-topo (see rtmsg.h). */
#include "rtmsg.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>

static struct nlmsghdr *request(char *buf, uint16_t type, uint16_t flags, uint32_t seq)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = seq;
    return nlh;
}

static struct ifinfomsg *link_header(struct nlmsghdr *nlh)
{
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

    ifm->ifi_family = AF_UNSPEC;
    return ifm;
}

struct nlmsghdr *rtmsg_veth(char *buf, uint32_t seq, const char *name, int ns_fd, const char *peer, int peer_ns_fd)
{
    struct nlmsghdr *nlh = request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq);
    struct nlattr *info, *data, *peer_attr;

    link_header(nlh);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)ns_fd);
    info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    /* the peer's own ifinfomsg comes first inside VETH_INFO_PEER */
    memset(mnl_nlmsg_get_payload_tail(nlh), 0, sizeof(struct ifinfomsg));
    nlh->nlmsg_len += MNL_ALIGN(sizeof(struct ifinfomsg));
    mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_ns_fd);
    mnl_attr_nest_end(nlh, peer_attr);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return nlh;
}

struct nlmsghdr *rtmsg_bridge(char *buf, uint32_t seq, const char *name)
{
    struct nlmsghdr *nlh = request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq);
    struct nlattr *info, *data;

    link_header(nlh);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
    data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    mnl_attr_put_u8(nlh, IFLA_BR_MCAST_SNOOPING, 0);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return nlh;
}

struct nlmsghdr *rtmsg_link_set(char *buf, uint32_t seq, const char *name, uint32_t mtu, uint32_t master, int up)
{
    struct nlmsghdr *nlh = request(buf, RTM_NEWLINK, 0, seq);
    struct ifinfomsg *ifm = link_header(nlh);

    if (up) {
        ifm->ifi_flags = IFF_UP;
        ifm->ifi_change = IFF_UP;
    }
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    if (mtu)
        mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
    if (master)
        mnl_attr_put_u32(nlh, IFLA_MASTER, master);
    return nlh;
}

struct nlmsghdr *rtmsg_addr(char *buf, uint32_t seq, uint32_t ifindex, struct in_addr addr, uint8_t prefix,
                            int noprefixroute)
{
    struct nlmsghdr *nlh = request(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, seq);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

    *ifa = (struct ifaddrmsg){ .ifa_family = AF_INET, .ifa_prefixlen = prefix, .ifa_scope = RT_SCOPE_UNIVERSE,
                               .ifa_index = ifindex };
    mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
    mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
    if (noprefixroute)
        mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NOPREFIXROUTE);
    return nlh;
}

struct nlmsghdr *rtmsg_route(char *buf, uint32_t seq, struct in_addr dst, uint8_t prefix, struct in_addr gateway,
                             uint32_t oif)
{
    struct nlmsghdr *nlh = request(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, seq);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

    *rtm = (struct rtmsg){ .rtm_family = AF_INET, .rtm_dst_len = prefix, .rtm_table = RT_TABLE_MAIN,
                           .rtm_protocol = RTPROT_BOOT, .rtm_type = RTN_UNICAST,
                           .rtm_scope = gateway.s_addr ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK };
    mnl_attr_put(nlh, RTA_DST, sizeof(dst), &dst);
    if (gateway.s_addr)
        mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gateway), &gateway);
    if (oif)
        mnl_attr_put_u32(nlh, RTA_OIF, oif);
    return nlh;
}
