"""A link made over rtnetlink (RTM_NEWLINK), as `ip link add NAME type KIND [peer name PEER]` makes it, in
the calling thread's network namespace: the kernel probe's veth pair and bridge (hosts/kernel.py), with no
`ip` started.  Topologies are built by sockconf-topo (src/topo), in C."""
import os
import socket
import struct

NETLINK_ROUTE = 0
RTM_NEWLINK = 16                                         # <linux/rtnetlink.h>
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
NLMSG_ERROR = 2
IFLA_IFNAME, IFLA_LINKINFO = 3, 18                        # <linux/if_link.h>
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
VETH_INFO_PEER = 1                                       # <linux/veth.h>
NLMSG_HEADER = struct.Struct("=IHHII")
IFINFOMSG = struct.Struct("=BxHiII")                     # struct ifinfomsg, all zero: any index, no flags
ATTR = struct.Struct("=HH")
RECV_SIZE = 8192


def attr(kind, payload):
    """One netlink attribute, padded to 4 bytes."""
    return ATTR.pack(ATTR.size + len(payload), kind) + payload + b"\0" * (-len(payload) % 4)


def name_attr(name):
    return attr(IFLA_IFNAME, name.encode() + b"\0")


def new_link(name, kind, peer=None):
    """Make link NAME of KIND (a veth pair with PEER); None when the kernel made it, else its answer:
    "RTM_NEWLINK (KIND): the error"."""
    data = attr(IFLA_INFO_DATA, attr(VETH_INFO_PEER, IFINFOMSG.pack(0, 0, 0, 0, 0) + name_attr(peer))) if peer else b""
    body = IFINFOMSG.pack(0, 0, 0, 0, 0) + name_attr(name) + attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, kind.encode() + b"\0")
                                                                    + data)
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE) as sock:
            sock.send(NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), RTM_NEWLINK, flags, 1, 0) + body)
            answer = sock.recv(RECV_SIZE)
    except OSError as exc:
        return "RTM_NEWLINK (%s): %s" % (kind, exc.strerror or exc)
    _, message_kind, _, _, _ = NLMSG_HEADER.unpack_from(answer)
    error = -struct.unpack_from("=i", answer, NLMSG_HEADER.size)[0] if message_kind == NLMSG_ERROR else 0
    return "RTM_NEWLINK (%s): %s" % (kind, os.strerror(error)) if error else None
