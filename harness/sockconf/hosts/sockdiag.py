"""Listening TCP sockets and their listen() backlogs, asked of the kernel
over NETLINK_SOCK_DIAG (what `ss -lt` shows as Send-Q), in the calling
thread's network namespace: no process is started."""
import os
import socket
import struct

NETLINK_SOCK_DIAG = 4             # <linux/netlink.h>
SOCK_DIAG_BY_FAMILY = 20          # <linux/sock_diag.h>
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN = 10                   # <net/tcp_states.h>
NLMSG_HEADER = struct.Struct("=IHHII")
REQUEST = struct.Struct("=BBBBI48s")            # struct inet_diag_req_v2, its sockid left zero
MESSAGE = struct.Struct("=BBBBHH32sI8sIIIII")   # struct inet_diag_msg
RECV_SIZE = 65536


def listen_backlogs(port):
    """The listen() backlogs of the TCP sockets listening on local PORT here (IPv4 and IPv6)."""
    found = []
    for family in (socket.AF_INET, socket.AF_INET6):
        found += [backlog for sport, backlog in listening(family) if sport == port]
    return found


def listening(family):
    """[(local port, backlog)] of the listening TCP sockets of FAMILY."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_SOCK_DIAG) as sock:
        body = REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN, b"")
        sock.send(NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY,
                                    NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body)
        return list(answers(sock))


def answers(sock):
    """(local port, backlog) of each inet_diag_msg of the dump, until its end."""
    while True:
        data = sock.recv(RECV_SIZE)
        offset = 0
        while offset + NLMSG_HEADER.size <= len(data):
            length, kind, _, _, _ = NLMSG_HEADER.unpack_from(data, offset)
            if kind == NLMSG_DONE:
                return
            if kind == NLMSG_ERROR:
                error = -struct.unpack_from("=i", data, offset + NLMSG_HEADER.size)[0]
                raise OSError(error, "SOCK_DIAG_BY_FAMILY: %s" % os.strerror(error))
            fields = MESSAGE.unpack_from(data, offset + NLMSG_HEADER.size)
            yield socket.ntohs(fields[4]), fields[11]          # idiag_sport, idiag_wqueue (the backlog)
            offset += (length + 3) & ~3
