"""Processes and scripted peers of one case, and the timeline they share.

Program: a program under test on a pseudo-terminal inside a namespace, as a
person at a terminal runs it.  Its stdout is a terminal, so default stdio
buffering is line buffering and every line is seen as it is printed.  A
reader thread stamps each line on the case's Timeline.

Peer: the harness's own sockets, created inside a namespace (setns in a
short-lived thread), counting every byte they send and receive.
"""
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import termios
import threading
import time

from netns import descendants, host_command, in_netns

OUTPUT_CAP = 1 << 20          # bytes kept per process; more is a failure
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)   # <linux/in.h>
IP_TTL = getattr(socket, "IP_TTL", 2)


class Timeline:
    """Events of one case, with times from the case's start."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.events = []
        self.lock = threading.Lock()

    def now(self):
        return time.monotonic() - self.t0

    def add(self, actor, kind, text, at=None):
        t = self.now() if at is None else at
        with self.lock:
            self.events.append((t, actor, kind, text))
        return t

    def render(self):
        with self.lock:
            events = sorted(self.events, key=lambda e: e[0])
        return "".join("%9.4f  %-6s %-8s %s\n" % (t, actor, kind, text) for t, actor, kind, text in events)


def visible(data):
    """Bytes as one readable line: control bytes as [CR], [LF], %00, %HH."""
    names = {13: "[CR]", 10: "[LF]", 9: "[TAB]", 0: "%00"}
    out = []
    for b in data:
        if b in names:
            out.append(names[b])
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def _raw_output_tty(fd):
    """A terminal that does not turn \\n into \\r\\n, echo kept as a terminal does."""
    attrs = termios.tcgetattr(fd)
    attrs[1] &= ~termios.ONLCR
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class Program:
    """A program under test running on a pty in namespace NS."""

    def __init__(self, timeline, actor, host, ns, argv, cwd, env=None, launcher=None):
        self.timeline = timeline
        self.actor = actor
        self.host = host
        self.ns = ns
        self.argv = argv
        self.cwd = cwd
        self.env = env
        # launcher(ns, argv) -> the command that runs ARGV in NS (the case's sandbox)
        self.launcher = launcher or host_command
        self.output = bytearray()
        self.partial = b""
        self.cursor = 0            # offset after the last line an expect matched
        self.status = None         # exit status: code, or -signal
        self.exit_time = None
        self.start_time = None
        self.truncated = False
        self.cond = threading.Condition()
        self.proc = None
        self.master = None
        self.reader = None

    def describe(self):
        return "%s on host %s (%s): %s" % (self.actor, self.host, self.ns, " ".join(self.argv))

    def start(self):
        master, slave = pty.openpty()
        _raw_output_tty(slave)
        try:
            self.proc = subprocess.Popen(
                self.launcher(self.ns, self.argv), cwd=self.cwd, env=self.env,
                stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True)
        finally:
            os.close(slave)
        self.master = master
        self.start_time = self.timeline.add(self.actor, "start", "%s (host %s)" % (" ".join(self.argv), self.host))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        threading.Thread(target=self._wait, daemon=True).start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    if self.partial:
                        self.timeline.add(self.actor, "out", visible(self.partial) + "  (no newline)")
                        self.partial = b""
                    self.reader_done = True
                    self.cond.notify_all()
                    return
                self._take(chunk)
                self.cond.notify_all()

    def _take(self, chunk):
        room = OUTPUT_CAP - len(self.output)
        if len(chunk) > room:
            chunk = chunk[:max(room, 0)]
            if not self.truncated:
                self.truncated = True
                self.timeline.add(self.actor, "note", "output cap of %d bytes reached" % OUTPUT_CAP)
                self.signal(signal.SIGKILL, group=True)
        self.output += chunk
        data = self.partial + chunk
        *lines, self.partial = data.split(b"\n")
        for line in lines:
            self.timeline.add(self.actor, "out", visible(line))

    def _wait(self):
        code = self.proc.wait()
        with self.cond:
            self.exit_time = self.timeline.now()
            self.status = code
            what = "exit %d" % code if code >= 0 else "killed by signal %d" % -code
            self.timeline.add(self.actor, "exit", what, at=self.exit_time)
            self.cond.notify_all()

    reader_done = False

    # --- waits, all bounded -------------------------------------------------
    def wait_line(self, line, deadline):
        """Wait until a whole line equal to LINE is printed after the cursor."""
        target = line.encode() if isinstance(line, str) else line
        with self.cond:
            while True:
                if self._advance_to(target):
                    return self.timeline.now()
                left = deadline - time.monotonic()
                if self.reader_done or left <= 0:
                    return None
                self.cond.wait(left)

    def _advance_to(self, target):
        """Move the cursor past the first complete line equal to TARGET."""
        lines_end = len(self.output) - len(self.partial)
        offset = self.cursor
        while offset < lines_end:
            newline = self.output.find(b"\n", offset, lines_end)
            if newline < 0:        # the last line, ended by the exit, not by a newline
                return False
            if self.output[offset:newline] == target:
                self.cursor = newline + 1
                return True
            offset = newline + 1
        return False

    def wait_exit(self, deadline):
        """Wait for the exit; returns (status, time) or None at the deadline."""
        with self.cond:
            while self.status is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.status, self.exit_time

    def drain(self, timeout=2.0):
        """After the exit, wait (bounded) until the reader saw end of output."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.reader_done and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())

    def type(self, data):
        os.write(self.master, data)
        self.timeline.add(self.actor, "stdin", visible(data))

    def signal(self, signum, group=False):
        """Send SIGNUM to the program (GROUP: to its whole process group)."""
        if self.proc and self.proc.poll() is None:
            try:
                (os.killpg if group else os.kill)(self.proc.pid, signum)
                self.timeline.add(self.actor, "signal", signal.Signals(signum).name)
            except ProcessLookupError:
                pass

    def stop(self):
        """Kill the process group and reap; close the terminal."""
        if self.proc is None:
            return
        self.signal(signal.SIGKILL, group=True)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.drain(timeout=1.0)
        if self.master is not None:
            try:
                os.close(self.master)
            except OSError:
                pass
            self.master = None

    def pids(self):
        """This process and its descendants, from /proc."""
        if self.proc is None:
            return []
        return [self.proc.pid] + descendants(self.proc.pid)


# --- scripted peers ------------------------------------------------------
def socket_in(ns, family, kind, proto=0):
    """A socket created inside network namespace NS (it stays bound to NS)."""
    return in_netns(ns, socket.socket, family, kind, proto)


class PeerError(Exception):
    pass


class Peer:
    """A scripted TCP or UDP endpoint of the harness, counting bytes."""

    def __init__(self, timeline, actor, host, ns):
        self.timeline = timeline
        self.actor = actor
        self.host = host
        self.ns = ns
        self.sock = None
        self.listener = None
        self.sent = 0
        self.received = 0
        self.last_src = None       # (addr, port) of the last datagram received

    def describe(self):
        return "%s: scripted peer of the harness on host %s (%s)" % (self.actor, self.host, self.ns)

    quiet = False    # a peer of a burst records only its first connection

    def note(self, kind, text):
        if not self.quiet:
            self.timeline.add(self.actor, kind, text)

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
        self.listener.listen(16)
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
        self.note("send", "%d bytes: %s" % (len(data), visible(data)))

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
        self.note("recv", "%d bytes: %s" % (len(buf), visible(buf)))
        return buf

    def recv_state(self, deadline):
        """Wait for EOF: 'eof', 'reset', 'data' (with bytes kept) or 'open' at the deadline."""
        left = deadline - time.monotonic()
        self.sock.settimeout(max(0.0, left))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return "open", b""
        except ConnectionResetError:
            self.note("recv", "connection reset")
            return "reset", b""
        if not chunk:
            self.note("recv", "end of stream")
            return "eof", b""
        self.received += len(chunk)
        self.note("recv", "%d unexpected bytes: %s" % (len(chunk), visible(chunk)))
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
                  "" if ttl is None else " ttl %d" % ttl, visible(data[:64]) + ("..." if len(data) > 64 else "")))

    def udp_recv(self, deadline):
        """One datagram: (data, (addr, port), ttl), or None at the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([self.sock], [], [], left)
        if not ready:
            return None
        data, anc, _, src = self.sock.recvmsg(65536, socket.CMSG_SPACE(4))
        ttl = None
        for level, kind, payload in anc:
            if level == socket.IPPROTO_IP and kind == IP_TTL:
                ttl = struct.unpack("i", payload[:4])[0]
        self.received += len(data)
        self.last_src = src
        self.note("recvfrom", "%s:%d %d bytes ttl %s: %s" % (src[0], src[1], len(data), ttl,
                  visible(data[:64]) + ("..." if len(data) > 64 else "")))
        return data, src, ttl

    def stop(self):
        for s in (self.sock, self.listener):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
