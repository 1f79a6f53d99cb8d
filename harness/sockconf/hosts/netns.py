"""Network namespaces of test hosts: enter one for a call (this thread only), run a command
on a host, find and kill the processes inside.

Every namespace, per-host /etc folder and run file of sockconf lives under
/run (STATE_DIR, /run/netns) and is named sc + run id + '-...' (NAME_RE).
"""
import ctypes
import errno
import os
import re

from sockconf.hosts import procfs

STATE_DIR = "/run/sockconf"
# Each host's hosts, nsswitch.conf and resolv.conf (never the host's /etc):
# the launcher (hosts/sandbox.py) binds them over /etc for each program under test, host_command() for
# the one command it runs (make lab's shells).
ETC_NETNS = os.path.join(STATE_DIR, "etc")
BIND_ETC_FAILED = 96       # host_command's exit status when a bind fails
BIND_ETC = """etc=$1; shift
for f in "$etc"/*; do
  mount --bind "$f" "/etc/${f##*/}" || { echo "sockconf: cannot bind $f over /etc" >&2; exit %d; }
done
exec "$@"
""" % BIND_ETC_FAILED
NAME_RE = re.compile(r"^sc([a-z0-9]{6})-")
NETNS_DIR = "/run/netns"           # where `ip netns add` binds each namespace to a file of its name
CLONE_NEWNET = 0x40000000          # <linux/sched.h>
MNT_DETACH = 2                     # <sys/mount.h>
_libc = ctypes.CDLL(None, use_errno=True)


def in_netns(ns, func, *args):
    """Call FUNC(*ARGS) with this thread inside network namespace NS, then back in its own.  A network
    namespace belongs to a thread, not to its process: the other threads stay where they are, and what
    FUNC creates (a socket) stays in NS.  (A thread started for each call cost 0.3 ms of CPU.)"""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(os.path.join(NETNS_DIR, ns), os.O_RDONLY | os.O_CLOEXEC)
        try:
            _setns(target, ns)
        finally:
            os.close(target)
        try:
            return func(*args)
        finally:
            _setns(own, "back to this thread's own")
    finally:
        os.close(own)


def _setns(fd, what):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns(%s): %s" % (what, os.strerror(ctypes.get_errno())))


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


def host_command(ns, argv):
    """The command that runs ARGV on the test host of namespace NS: in its
    network namespace, with the host's own /etc files bound over /etc in the
    mount namespace `ip netns exec` makes for that command alone."""
    return ["ip", "netns", "exec", ns, "/bin/sh", "-c", BIND_ETC, "sockconf-host",
            os.path.join(ETC_NETNS, ns)] + list(argv)


def namespace_pids(names):
    """Pids of every process in the namespaces NAMES: what `ip netns pids`
    prints, in one pass over /proc for all of them."""
    inodes = set()
    for ns in names:
        try:
            st = os.stat(os.path.join(NETNS_DIR, ns))
            inodes.add((st.st_dev, st.st_ino))
        except FileNotFoundError:
            pass
    return procfs.net_namespace_pids(inodes) if inodes else set()


def delete_namespaces(names):
    """Delete the network namespaces NAMES as `ip -force netns del` does, without starting it: detach the
    mount that holds each one's file and remove the file (a namespace a process still uses ends with
    it).  What is already gone is skipped; other failures are left, as `ip -force` leaves them, to the
    sweep and its checks (ownership.py)."""
    for name in names:
        path = os.path.join(NETNS_DIR, name)
        if _libc.umount2(path.encode(), MNT_DETACH) != 0 and ctypes.get_errno() not in (errno.EINVAL,
                                                                                       errno.ENOENT):
            continue
        try:
            os.unlink(path)
        except OSError:
            pass


def kill_namespace_pids(names, timeout=5.0):
    """SIGKILL every process in NAMES and wait (bounded) until none is left."""
    return procfs.kill_until_gone(lambda: namespace_pids(names) - {os.getpid()}, timeout)
