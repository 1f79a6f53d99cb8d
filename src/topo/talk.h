/* talk.h - one rtnetlink request and its answer, over a socket of the
 * namespace it was opened in. */
#ifndef SOCKCONF_TALK_H
#define SOCKCONF_TALK_H

#include <libmnl/libmnl.h>
#include <stddef.h>

#define TALK_ANSWER 256
#define TALK_BUFFER 8192      /* bytes of the kernel's answers read at once */

/* A NETLINK_ROUTE socket of the calling thread's namespace, with extended acks; NULL and errno on failure. */
struct mnl_socket *talk_open(void);
/* Send NLH and wait for its ack: 0, or -1 with the kernel's answer in ANSWER (errno text, and its own
 * message where it gives one). */
int talk(struct mnl_socket *sock, struct nlmsghdr *nlh, char *answer, size_t size);
/* The kernel's answer in an NLMSG_ERROR message ERR of LEN bytes, as talk() writes it; 0 for an ack. */
int talk_answer(const struct nlmsghdr *err, char *answer, size_t size);

#endif
