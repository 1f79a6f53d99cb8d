"""A scripted peer of the harness: its own TCP or UDP socket inside a host's
namespace (created by a short-lived thread that entered it), counting every
byte it sends and receives."""
import select
import socket
import struct
import time

from actors import Actor
from netns import in_netns
from notation import quote

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)   # <linux/in.h>
IP_TTL = getattr(socket, "IP_TTL", 2)
LISTEN_BACKLOG = 16
DATAGRAM_MAX = 65536
SHOWN_BYTES = 64           # bytes of a datagram the timeline shows


def socket_in(ns, family, kind, proto=0):
    """A socket created inside network namespace NS (it stays bound to NS)."""
    return in_netns(ns, socket.socket, family, kind, proto)


class PeerError(Exception):
    pass


class Peer(Actor):
    """A scripted TCP or UDP endpoint of the harness, counting bytes."""
    kind = "peer"

    def __init__(self, timeline, name, host, ns):
        super().__init__(timeline, name, host, ns)
        self.sock = None
        self.listener = None
        self.sent = 0
        self.received = 0
        self.last_src = None       # (addr, port) of the last datagram received

    def describe(self):
        return "%s: scripted peer of the harness on host %s (%s)" % (self.name, self.host, self.ns)

    def summary(self):
        return "sent %d bytes, received %d bytes" % (self.sent, self.received)

    quiet = False    # a peer of a burst records only its first connection

    def note(self, kind, text, at=None):
        if not self.quiet:
            return super().note(kind, text, at)

    @property
    def port(self):
        return (self.sock or self.listener).getsockname()[1]

    @property
    def addr(self):
        return (self.sock or self.listener).getsockname()[0]

    # TCP -----------------------------------------------------------------
    def tcp_connect(self, addr, port, deadline):
        self.sock = socket_in(self.ns, socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            self.sock.connect((addr, port))
        except ConnectionRefusedError:
            self.note("connect", "%s:%d refused" % (addr, port))
            raise
        except socket.timeout:
            raise PeerError("connect to %s:%d did not complete in time" % (addr, port))
        self.note("connect", "%s:%d from port %d" % (addr, port, self.port))

    def tcp_listen(self, port):
        self.listener = socket_in(self.ns, socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("0.0.0.0", port))
        self.listener.listen(LISTEN_BACKLOG)
        self.note("listen", "port %d" % port)

    def tcp_accept(self, deadline):
        self.listener.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            self.sock, who = self.listener.accept()
        except socket.timeout:
            raise PeerError("no connection arrived in time")
        self.note("accept", "from %s:%d" % who)

    def send(self, data):
        self.sock.sendall(data)
        self.sent += len(data)
        self.note("send", "%d bytes: %s" % (len(data), quote(data)))

    def recv_exact(self, count, deadline):
        """Receive COUNT bytes, or fewer if EOF or the deadline comes first."""
        buf = b""
        while len(buf) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(count - len(buf))
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
        self.received += len(buf)
        self.note("recv", "%d bytes: %s" % (len(buf), quote(buf)))
        return buf

    def recv_state(self, deadline):
        """Wait for EOF: 'eof', 'reset', 'data' (with bytes kept) or 'open' at the deadline."""
        left = deadline - time.monotonic()
        self.sock.settimeout(max(0.0, left))
        try:
            chunk = self.sock.recv(DATAGRAM_MAX)
        except socket.timeout:
            return "open", b""
        except ConnectionResetError:
            self.note("recv", "connection reset")
            return "reset", b""
        if not chunk:
            self.note("recv", "end of stream")
            return "eof", b""
        self.received += len(chunk)
        self.note("recv", "%d unexpected bytes: %s" % (len(chunk), quote(chunk)))
        return "data", chunk

    def close(self):
        self.sock.close()
        self.note("close", "")

    def reset(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.note("reset", "close with SO_LINGER 0 (RST)")

    # UDP and multicast ---------------------------------------------------
    def udp_open(self, port=0, group=None, iface=None):
        self.sock = socket_in(self.ns, socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        if group:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", port))
        if group:
            mreq = socket.inet_aton(group) + socket.inet_aton(iface)
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            self.note("join", "%s port %d on %s" % (group, port, iface))
        else:
            self.note("bind", "udp port %d" % self.port)

    def udp_send(self, data, addr, port, ttl=None, iface=None):
        if self.sock is None:
            self.udp_open()
        if ttl is not None:
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        if iface:
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface))
        self.sock.sendto(data, (addr, port))
        self.sent += len(data)
        self.note("sendto", "%s:%d %d bytes%s: %s" % (addr, port, len(data),
                  "" if ttl is None else " ttl %d" % ttl, quote(data, SHOWN_BYTES)))

    def udp_recv(self, deadline):
        """One datagram: (data, (addr, port), ttl), or None at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([self.sock], [], [], left)
        if not ready:
            return None
        data, anc, _, src = self.sock.recvmsg(DATAGRAM_MAX, socket.CMSG_SPACE(4))
        ttl = None
        for level, kind, payload in anc:
            if level == socket.IPPROTO_IP and kind == IP_TTL:
                ttl = struct.unpack("i", payload[:4])[0]
        self.received += len(data)
        self.last_src = src
        self.note("recvfrom", "%s:%d %d bytes ttl %s: %s" % (src[0], src[1], len(data), ttl,
                  quote(data, SHOWN_BYTES)))
        return data, src, ttl

    def stop(self):
        for s in (self.sock, self.listener):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
