"""Helpers of the alternative (Python) implementations."""
import os
import socket
import sys

EXIT_MINUS_ONE = 255


def perror(what, exc):
    """What C's perror(WHAT) prints for the OSError EXC."""
    sys.stdout.flush()
    sys.stderr.write("%s: %s\n" % (what, os.strerror(exc.errno)))
    sys.stderr.flush()


def die(what, exc, status=EXIT_MINUS_ONE):
    perror(what, exc)
    sys.exit(status)


def resolve(name):
    """(address, looked_up) or (None, h_errno) as the tutorial's programs do:
    a dotted quad as is, else a lookup; HOST_NOT_FOUND is h_errno 1."""
    try:
        socket.inet_aton(name)
        if name.count(".") == 3:
            return name, False
    except OSError:
        pass
    try:
        return socket.gethostbyname(name), True
    except (socket.gaierror, socket.herror, UnicodeError):
        return None, 1


def text(data):
    """Received bytes as the C programs print them: up to the first NUL."""
    return data.split(b"\0", 1)[0].decode("latin-1")


def recv_full(sock, count):
    """Up to COUNT bytes, fewer only at end of stream."""
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            break
        data += chunk
    return data
