/* talk.c - one rtnetlink request and its answer (see talk.h). */
#include "talk.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct mnl_socket *talk_open(void)
{
    struct mnl_socket *sock = mnl_socket_open(NETLINK_ROUTE);
    int on = 1;

    if (!sock)
        return NULL;
    if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        mnl_socket_close(sock);
        return NULL;
    }
    /* the kernel's own words for a refusal, where it has them (a kernel without them ignores this) */
    mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &on, sizeof(on));
    return sock;
}

static int ack_message(const struct nlattr *attr, void *data)
{
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
        *(const char **)data = mnl_attr_get_str(attr);
    return MNL_CB_OK;
}

int talk_answer(const struct nlmsghdr *err, char *answer, size_t size)
{
    const struct nlmsgerr *e = mnl_nlmsg_get_payload(err);
    const char *said = NULL;
    size_t offset = sizeof(*e);

    if (e->error == 0)
        return 0;
    if (err->nlmsg_flags & NLM_F_ACK_TLVS) {
        if (!(err->nlmsg_flags & NLM_F_CAPPED))
            offset += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
        if (mnl_nlmsg_get_payload_len(err) > offset)
            mnl_attr_parse(err, (unsigned int)offset, ack_message, &said);
    }
    snprintf(answer, size, "%s%s%s%s", strerror(-e->error), said ? " (kernel: " : "", said ? said : "",
             said ? ")" : "");
    return -1;
}

int talk(struct mnl_socket *sock, struct nlmsghdr *nlh, char *answer, size_t size)
{
    char buf[TALK_BUFFER];
    ssize_t n;

    if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) {
        snprintf(answer, size, "sendto: %s", strerror(errno));
        return -1;
    }
    while ((n = mnl_socket_recvfrom(sock, buf, sizeof(buf))) > 0) {
        int left = (int)n;

        for (struct nlmsghdr *r = (struct nlmsghdr *)buf; mnl_nlmsg_ok(r, left); r = mnl_nlmsg_next(r, &left)) {
            if (r->nlmsg_seq == nlh->nlmsg_seq && r->nlmsg_type == NLMSG_ERROR)
                return talk_answer(r, answer, size);
        }
    }
    snprintf(answer, size, "recvfrom: %s", n < 0 ? strerror(errno) : "the socket closed");
    return -1;
}
