"""Links ready: an interface is ready when it is RUNNING (its carrier on),
asked of the kernel with ioctl()s in the calling thread's network namespace."""
import ctypes
import fcntl
import socket
import struct
import time

SIOCGIFFLAGS = 0x8913      # <linux/sockios.h>
SIOCETHTOOL = 0x8946       # <linux/sockios.h>
ETHTOOL_GLINK = 0x0000000a  # <linux/ethtool.h>
IFREQ_SIZE = 40            # struct ifreq
IFF_RUNNING = 0x40         # <net/if.h>


def wait_running(names, deadline):
    """In the calling thread's namespace: poll NAMES until each is RUNNING or
    DEADLINE; returns those that are not."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for name in names:
            sync_link(sock, name)
        while True:
            left = [n for n in names if not interface_flags(sock, n) & IFF_RUNNING]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.001)


def sync_link(sock, name):
    """Ask NAME's driver for its link state (ETHTOOL_GLINK): the kernel then applies the device's pending
    carrier event at once, where linkwatch would batch it up to a second later (a veth end whose carrier
    came on while it was being opened: measured 1 s without this, 0.3 ms with it).  A device whose driver
    cannot answer is left to linkwatch."""
    value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_GLINK, 0), 8)
    request = struct.pack("16sP", name.encode()[:15], ctypes.addressof(value)).ljust(IFREQ_SIZE, b"\0")
    try:
        fcntl.ioctl(sock.fileno(), SIOCETHTOOL, request)
    except OSError:
        pass


def interface_flags(sock, name):
    request = struct.pack("16sH14x", name.encode()[:15], 0)
    try:
        return struct.unpack("16sH14x", fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, request))[1]
    except OSError:
        return 0
