"""The sockets a program holds, seen from outside: each of its descriptors
that is a socket is duplicated into the harness with pidfd_getfd(2) (Linux
5.6; the harness may trace the case's user), asked with getsockname(2) and
getsockopt(2), and closed at once; the program's own socket is not touched.
Only sockets that wait for peers are listed: TCP ones listening, UDP ones
bound to a port (a connected TCP socket belongs to its connection)."""
import ctypes
import errno
import os
import socket
import struct
from dataclasses import dataclass, field

from sockconf.language.argtypes import SOCKET_OPTIONS

SYS_PIDFD_GETFD = 438      # the same number on every architecture (asm-generic, Linux 5.6)

TIMEVAL = struct.Struct("@ll")                 # struct timeval: seconds, microseconds


def _integer(sock, level, option):
    return sock.getsockopt(level, option)


def _milliseconds(sock, level, option):
    seconds, micros = TIMEVAL.unpack(sock.getsockopt(level, option, TIMEVAL.size))
    return seconds * 1000 + micros // 1000


# option name (language/argtypes.SOCKET_OPTIONS) -> how to read it
READERS = {"reuseaddr": lambda sock: _integer(sock, socket.SOL_SOCKET, socket.SO_REUSEADDR),
           "rcvtimeo": lambda sock: _milliseconds(sock, socket.SOL_SOCKET, socket.SO_RCVTIMEO),
           "mcast-ttl": lambda sock: _integer(sock, socket.IPPROTO_IP, socket.IP_MULTICAST_TTL),
           "mcast-loop": lambda sock: _integer(sock, socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP)}
TCP_OPTIONS = ("reuseaddr", "rcvtimeo")       # the multicast ones mean nothing on a stream
assert set(READERS) == set(SOCKET_OPTIONS)

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class BoundSocket:
    protocol: str                  # tcp (listening) or udp
    port: int                      # its local port
    options: dict = field(default_factory=dict)    # option name -> value


def ephemeral_ports():
    """The kernel's range of ports it picks for unbound sockets."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def on_port(port, wanted):
    """PORT is WANTED, or WANTED is 0 and the kernel picked PORT."""
    return port == wanted or (wanted == 0 and port in ephemeral_ports())


def _take_copy(pidfd, fd):
    """A descriptor of this process for descriptor FD of the process PIDFD names, or None when it is gone."""
    copy = _libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
    if copy < 0:
        err = ctypes.get_errno()
        if err in (errno.ENOENT, errno.ESRCH, errno.EBADF):     # the process or the descriptor ended meanwhile
            return None
        raise OSError(err, "pidfd_getfd(%d): %s" % (fd, os.strerror(err)))
    return copy


def _describe(copy):
    """COPY (a descriptor of ours) as a BoundSocket, or None when it is no IPv4 socket waiting for peers."""
    sock = socket.socket(fileno=copy)
    try:
        if sock.family != socket.AF_INET or sock.type not in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            return None
        port = sock.getsockname()[1]
        if sock.type == socket.SOCK_STREAM:
            if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                return None
            names = TCP_OPTIONS
        elif port == 0:
            return None
        else:
            names = SOCKET_OPTIONS
        return BoundSocket("tcp" if sock.type == socket.SOCK_STREAM else "udp", port,
                           {name: READERS[name](sock) for name in names})
    finally:
        sock.close()               # our copy only


def bound_sockets(pid):
    """The listening TCP and bound UDP sockets process PID holds, in descriptor order; [] once it has ended."""
    try:
        pidfd = os.pidfd_open(pid)
        fds = sorted(int(fd) for fd in os.listdir("/proc/%d/fd" % pid))
    except (ProcessLookupError, FileNotFoundError):
        return []
    found = []
    try:
        for fd in fds:
            try:
                if not os.readlink("/proc/%d/fd/%d" % (pid, fd)).startswith("socket:"):
                    continue
            except OSError:
                continue
            copy = _take_copy(pidfd, fd)
            described = _describe(copy) if copy is not None else None
            if described is not None:
                found.append(described)
    finally:
        os.close(pidfd)
    return found
