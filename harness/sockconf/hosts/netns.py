"""Network namespaces of test hosts: enter one from a thread, run a command
on a host, find and kill the processes inside.

Every namespace, per-host /etc folder and run file of sockconf lives under
/run (STATE_DIR, /run/netns) and is named sc + run id + '-...' (NAME_RE).
"""
import ctypes
import errno
import os
import re
import threading

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
SETNS_JOIN_TIMEOUT = 10.0          # seconds a thread inside a namespace may take
_libc = ctypes.CDLL(None, use_errno=True)


def in_netns(ns, func, *args):
    """Call FUNC(*ARGS) in a thread that has entered network namespace NS."""
    result = {}

    def body():
        try:
            fd = os.open(os.path.join(NETNS_DIR, ns), os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns(%s)" % ns)
            finally:
                os.close(fd)
            result["value"] = func(*args)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(SETNS_JOIN_TIMEOUT)
    if "error" in result:
        raise result["error"]
    return result.get("value")


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
