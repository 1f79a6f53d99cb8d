"""A scripted peer of the harness: its own TCP or UDP socket inside a host's
namespace (created by this thread while it is inside), counting every
byte it sends and receives."""
import select
import socket
import struct
import time

from sockconf.run.actors import Actor
from sockconf.hosts.netns import in_netns
from sockconf.language.notation import quote

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)   # <linux/in.h>
IP_TTL = getattr(socket, "IP_TTL", 2)
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)     # <linux/in.h>: struct in_pktinfo with the destination
PKTINFO = struct.Struct("i4s4s")                  # ipi_ifindex, ipi_spec_dst, ipi_addr (the header's destination)
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
        self.remote = None         # "ADDRESS:PORT" of the TCP connection's other end
        self.group = None          # the multicast group joined

    def describe(self):
        return "%s: scripted peer of the harness on host %s (%s)" % (self.name, self.host, self.ns)

    def summary(self):
        return "sent %d bytes, received %d bytes" % (self.sent, self.received)

    quiet = False    # a peer of a burst records only its first connection

    def note(self, kind, text, at=None, **fields):
        if not self.quiet:
            return super().note(kind, text, at, **fields)

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
            self.note("connect", "%s:%d refused" % (addr, port), remote="%s:%d" % (addr, port))
            raise
        except socket.timeout:
            raise PeerError("connect to %s:%d did not complete in time" % (addr, port))
        self.remote = "%s:%d" % (addr, port)
        self.note("connect", "%s from port %d" % (self.remote, self.port), remote=self.remote)

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
        self.remote = "%s:%d" % who
        self.note("accept", "from %s" % self.remote, remote=self.remote)

    def send(self, data):
        self.sock.sendall(data)
        self.sent += len(data)
        self.note("send", "%d bytes: %s" % (len(data), quote(data)), size=len(data), remote=self.remote)

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
        self.note("recv", "%d bytes: %s" % (len(buf), quote(buf)), size=len(buf), remote=self.remote)
        return buf

    def _recv_chunk(self, deadline):
        """One recv() bounded by DEADLINE: ('data', bytes), or 'eof', 'reset', 'open' (nothing by then)."""
        self.sock.settimeout(max(0.0, deadline - time.monotonic()))
        try:
            chunk = self.sock.recv(DATAGRAM_MAX)
        except socket.timeout:
            return "open", b""
        except ConnectionResetError:
            return "reset", b""
        return ("data", chunk) if chunk else ("eof", b"")

    def recv_state(self, deadline):
        """Wait for EOF: 'eof', 'reset', 'data' (with bytes kept) or 'open' at the deadline."""
        state, chunk = self._recv_chunk(deadline)
        if state == "reset":
            self.note("recv", "connection reset", size=0, remote=self.remote)
        elif state == "eof":
            self.note("recv", "end of stream", size=0, remote=self.remote)
        elif state == "data":
            self.received += len(chunk)
            self.note("recv", "%d unexpected bytes: %s" % (len(chunk), quote(chunk)), size=len(chunk),
                      remote=self.remote)
        return state, chunk

    def take(self, quiet, deadline):
        """Everything until EOF, a reset, QUIET seconds without a byte or
        DEADLINE: (bytes, 'eof' | 'reset' | 'open')."""
        data = b""
        ending, chunk = "data", b""
        while ending == "data":
            data += chunk
            ending, chunk = self._recv_chunk(min(deadline, time.monotonic() + quiet))
        self.received += len(data)
        self.note("recv", "%d bytes: %s, then %s" % (len(data), quote(data), ending), size=len(data),
                  remote=self.remote)
        return data, ending

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
        self.sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        if group:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", port))
        if group:
            mreq = socket.inet_aton(group) + socket.inet_aton(iface)
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            self.group = group
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
                  "" if ttl is None else " ttl %d" % ttl, quote(data, SHOWN_BYTES)),
                  size=len(data), remote="%s:%d" % (addr, port))

    def udp_recv(self, deadline):
        """One datagram: (data, (addr, port) of its source, ttl, its destination address), or None at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([self.sock], [], [], left)
        if not ready:
            return None
        data, anc, _, src = self.sock.recvmsg(DATAGRAM_MAX, socket.CMSG_SPACE(4) + socket.CMSG_SPACE(PKTINFO.size))
        ttl, dst = None, None
        for level, kind, payload in anc:
            if level == socket.IPPROTO_IP and kind == IP_TTL:
                ttl = struct.unpack("i", payload[:4])[0]
            elif level == socket.IPPROTO_IP and kind == IP_PKTINFO:
                dst = socket.inet_ntoa(PKTINFO.unpack(payload[:PKTINFO.size])[2])
        self.received += len(data)
        self.last_src = src
        self.note("recvfrom", "%s:%d %d bytes ttl %s to %s: %s" % (src[0], src[1], len(data), ttl, dst,
                  quote(data, SHOWN_BYTES)), size=len(data), remote="%s:%d" % src, local="%s:%d" % (dst, self.port))
        return data, src, ttl, dst

    def stop(self):
        for s in (self.sock, self.listener):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
