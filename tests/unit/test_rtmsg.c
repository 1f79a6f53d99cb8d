/* test_rtmsg.c - CUnit tests of the topology builder's rtnetlink requests (src/topo/rtmsg.c) and of how it
 * reads the kernel's answer (src/topo/talk.c), without a socket: each message is built, then parsed back. */
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>

#include "rtmsg.h"
#include "talk.h"
#include "unit.h"

#define MAX_ATTR 64

static char buf[RTMSG_BUFFER];

struct attrs {
    const struct nlattr *at[MAX_ATTR];
};

static int keep(const struct nlattr *attr, void *data)
{
    struct attrs *found = data;

    if (mnl_attr_get_type(attr) < MAX_ATTR)
        found->at[mnl_attr_get_type(attr)] = attr;
    return MNL_CB_OK;
}

/* The attributes of NLH after its family header of HEADER_LEN bytes. */
static struct attrs attrs_of(const struct nlmsghdr *nlh, size_t header_len)
{
    struct attrs found;

    memset(&found, 0, sizeof(found));
    CU_ASSERT_EQUAL(mnl_attr_parse(nlh, (unsigned int)header_len, keep, &found), MNL_CB_OK);
    return found;
}

/* The attributes nested in NEST, from OFFSET bytes into it. */
static struct attrs nested(const struct nlattr *nest, size_t offset)
{
    struct attrs found;
    const char *start = (const char *)mnl_attr_get_payload(nest) + offset;

    memset(&found, 0, sizeof(found));
    CU_ASSERT_EQUAL(mnl_attr_parse_payload(start, mnl_attr_get_payload_len(nest) - offset, keep, &found), MNL_CB_OK);
    return found;
}

static struct in_addr address(const char *text)
{
    struct in_addr addr;

    inet_pton(AF_INET, text, &addr);
    return addr;
}

static void test_veth_creates_both_ends_each_in_its_namespace(void)
{
    struct nlmsghdr *nlh = rtmsg_veth(buf, 7, "eth0", 11, "a-eth0", 12);
    struct attrs top = attrs_of(nlh, sizeof(struct ifinfomsg)), info, data, peer;

    CU_ASSERT_EQUAL(nlh->nlmsg_type, RTM_NEWLINK);
    CU_ASSERT_EQUAL(nlh->nlmsg_seq, 7);
    CU_ASSERT_EQUAL(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    CU_ASSERT_STRING_EQUAL(mnl_attr_get_str(top.at[IFLA_IFNAME]), "eth0");
    CU_ASSERT_EQUAL(mnl_attr_get_u32(top.at[IFLA_NET_NS_FD]), 11);
    CU_ASSERT_PTR_NOT_NULL_FATAL(top.at[IFLA_LINKINFO]);
    info = nested(top.at[IFLA_LINKINFO], 0);
    CU_ASSERT_STRING_EQUAL(mnl_attr_get_str(info.at[IFLA_INFO_KIND]), "veth");
    CU_ASSERT_PTR_NOT_NULL_FATAL(info.at[IFLA_INFO_DATA]);
    data = nested(info.at[IFLA_INFO_DATA], 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data.at[VETH_INFO_PEER]);
    peer = nested(data.at[VETH_INFO_PEER], sizeof(struct ifinfomsg));
    CU_ASSERT_STRING_EQUAL(mnl_attr_get_str(peer.at[IFLA_IFNAME]), "a-eth0");
    CU_ASSERT_EQUAL(mnl_attr_get_u32(peer.at[IFLA_NET_NS_FD]), 12);
}

static void test_bridge_floods_multicast(void)
{
    struct nlmsghdr *nlh = rtmsg_bridge(buf, 1, "br0");
    struct attrs top = attrs_of(nlh, sizeof(struct ifinfomsg)), info, data;

    CU_ASSERT_STRING_EQUAL(mnl_attr_get_str(top.at[IFLA_IFNAME]), "br0");
    info = nested(top.at[IFLA_LINKINFO], 0);
    CU_ASSERT_STRING_EQUAL(mnl_attr_get_str(info.at[IFLA_INFO_KIND]), "bridge");
    data = nested(info.at[IFLA_INFO_DATA], 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data.at[IFLA_BR_MCAST_SNOOPING]);
    CU_ASSERT_EQUAL(mnl_attr_get_u8(data.at[IFLA_BR_MCAST_SNOOPING]), 0);
}

static void test_link_set_changes_only_what_it_is_given(void)
{
    struct nlmsghdr *nlh = rtmsg_link_set(buf, 2, "eth0", 1400, 5, 1);
    struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
    struct attrs top = attrs_of(nlh, sizeof(*ifm));

    CU_ASSERT_EQUAL(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);       /* a change, never a creation */
    CU_ASSERT_EQUAL(ifm->ifi_flags, IFF_UP);
    CU_ASSERT_EQUAL(ifm->ifi_change, IFF_UP);
    CU_ASSERT_EQUAL(mnl_attr_get_u32(top.at[IFLA_MTU]), 1400);
    CU_ASSERT_EQUAL(mnl_attr_get_u32(top.at[IFLA_MASTER]), 5);
    nlh = rtmsg_link_set(buf, 3, "eth0", 0, 0, 0);
    ifm = mnl_nlmsg_get_payload(nlh);
    top = attrs_of(nlh, sizeof(*ifm));
    CU_ASSERT_EQUAL(ifm->ifi_change, 0);
    CU_ASSERT_PTR_NULL(top.at[IFLA_MTU]);
    CU_ASSERT_PTR_NULL(top.at[IFLA_MASTER]);
}

static void test_addr_is_local_and_its_prefix_route_optional(void)
{
    struct nlmsghdr *nlh = rtmsg_addr(buf, 4, 3, address("203.106.93.94"), 32, 1);
    struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    struct attrs top = attrs_of(nlh, sizeof(*ifa));
    struct in_addr local;

    CU_ASSERT_EQUAL(nlh->nlmsg_type, RTM_NEWADDR);
    CU_ASSERT_EQUAL(ifa->ifa_family, AF_INET);
    CU_ASSERT_EQUAL(ifa->ifa_prefixlen, 32);
    CU_ASSERT_EQUAL(ifa->ifa_index, 3);
    memcpy(&local, mnl_attr_get_payload(top.at[IFA_LOCAL]), sizeof(local));
    CU_ASSERT_EQUAL(local.s_addr, address("203.106.93.94").s_addr);
    CU_ASSERT_EQUAL(mnl_attr_get_u32(top.at[IFA_FLAGS]), IFA_F_NOPREFIXROUTE);
    nlh = rtmsg_addr(buf, 5, 3, address("198.18.0.1"), 24, 0);
    top = attrs_of(nlh, sizeof(*ifa));
    CU_ASSERT_PTR_NULL(top.at[IFA_FLAGS]);
}

static void test_route_via_a_gateway_or_out_of_a_device(void)
{
    struct in_addr none = {0};
    struct nlmsghdr *nlh = rtmsg_route(buf, 6, address("198.18.2.0"), 24, address("198.18.1.254"), 0);
    struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
    struct attrs top = attrs_of(nlh, sizeof(*rtm));

    CU_ASSERT_EQUAL(rtm->rtm_dst_len, 24);
    CU_ASSERT_EQUAL(rtm->rtm_table, RT_TABLE_MAIN);
    CU_ASSERT_EQUAL(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
    CU_ASSERT_PTR_NOT_NULL(top.at[RTA_GATEWAY]);
    CU_ASSERT_PTR_NULL(top.at[RTA_OIF]);
    nlh = rtmsg_route(buf, 7, address("224.0.0.0"), 4, none, 9);
    rtm = mnl_nlmsg_get_payload(nlh);
    top = attrs_of(nlh, sizeof(*rtm));
    CU_ASSERT_EQUAL(rtm->rtm_scope, RT_SCOPE_LINK);
    CU_ASSERT_PTR_NULL(top.at[RTA_GATEWAY]);
    CU_ASSERT_EQUAL(mnl_attr_get_u32(top.at[RTA_OIF]), 9);
}

/* An NLMSG_ERROR of ERROR for a request of REQUEST_LEN bytes, capped, with the kernel's MESSAGE if any. */
static struct nlmsghdr *error_message(int error, const char *message)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

    nlh->nlmsg_type = NLMSG_ERROR;
    nlh->nlmsg_flags = NLM_F_CAPPED | (message ? NLM_F_ACK_TLVS : 0);
    err->error = error;
    err->msg.nlmsg_len = 200;            /* the request's length: capped, so not carried */
    if (message)
        mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, message);
    return nlh;
}

static void test_the_answer_names_the_error_and_the_kernels_words(void)
{
    char answer[TALK_ANSWER];

    CU_ASSERT_EQUAL(talk_answer(error_message(0, NULL), answer, sizeof(answer)), 0);
    CU_ASSERT_EQUAL(talk_answer(error_message(-EEXIST, "ipv4: Address already assigned"), answer, sizeof(answer)), -1);
    CU_ASSERT_STRING_EQUAL(answer, "File exists (kernel: ipv4: Address already assigned)");
    CU_ASSERT_EQUAL(talk_answer(error_message(-ENODEV, NULL), answer, sizeof(answer)), -1);
    CU_ASSERT_STRING_EQUAL(answer, "No such device");
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"veth: both ends, each in its namespace", test_veth_creates_both_ends_each_in_its_namespace},
        {"bridge without IGMP snooping", test_bridge_floods_multicast},
        {"link set: only what it is given", test_link_set_changes_only_what_it_is_given},
        {"addr: local, prefix route optional", test_addr_is_local_and_its_prefix_route_optional},
        {"route via a gateway or a device", test_route_via_a_gateway_or_out_of_a_device},
        {"the kernel's answer", test_the_answer_names_the_error_and_the_kernels_words},
        CU_TEST_INFO_NULL};

    return unit_run("rtmsg", tests);
}
