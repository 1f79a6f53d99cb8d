"""What the harness reads from /proc: processes (one stat parser), the
process tree, and TCP sockets (one /proc/net/tcp parser)."""
import contextlib
import os
import platform
import signal
import threading
import time
from dataclasses import dataclass

from sockconf.language.argtypes import TCP_STATE_NAMES

# System call numbers in /proc/PID/syscall, by machine (<asm/unistd_64.h>, <asm-generic/unistd.h>), under
# the names of argtypes.CALL_NAMES: read() and recvfrom() (glibc's recv()) are both recv; select() may
# be pselect6.
SYSCALLS = {"x86_64": {0: "recv", 45: "recv", 43: "accept", 288: "accept", 23: "select", 270: "select"},
            "aarch64": {63: "recv", 207: "recv", 202: "accept", 242: "accept", 72: "select"}}.get(platform.machine(), {})
SIZED_CALLS = ("recv",)              # its third argument is the most bytes it takes
# The state column of /proc/net/tcp: the states in the kernel's order, from 01 (include/net/tcp_states.h)
TCP_STATES = {name: "%02X" % code for code, name in enumerate(TCP_STATE_NAMES, 1)}
STATE_NAMES = {code: name for name, code in TCP_STATES.items()}


def read_small(path, whole=False):
    """The bytes of a small /proc file, or None when it cannot be read (its process is gone): one read of
    4096 bytes (a stat, the head of a status), or with WHOLE every read to its end (a list of children,
    which a cut would leave with half a pid).  os.open and os.read: a third of the CPU of open() and a
    text decoder, over every process of the machine."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        text = os.read(fd, 4096)
        while whole and text:
            more = os.read(fd, 4096)
            if not more:
                break
            text += more
        return text
    except OSError:
        return None
    finally:
        os.close(fd)


def stat(pid):
    """(state letter, parent pid) of PID from /proc/PID/stat, or None when it is gone."""
    text = read_small("/proc/%s/stat" % pid)
    try:
        fields = text.rsplit(b")", 1)[1].split()
        return fields[0].decode(), int(fields[1])
    except (AttributeError, IndexError, ValueError):
        return None


def process_state(pid):
    """The state letter of PID (R, S, T, Z, ...), or None when it is gone."""
    found = stat(pid)
    return found[0] if found else None


def is_zombie(pid):
    return process_state(pid) == "Z"


def has_ended(pid):
    """True when PID has ended: gone, or a zombie its parent has not reaped yet."""
    return process_state(pid) in (None, "Z")


def pids():
    """Every process's pid in /proc now, the kernel's own threads apart: no program or tool of a run is
    one, and on a machine at rest they are nine in ten of its processes, each read in every scan."""
    kernel = kernel_threads()
    return [pid for pid in (int(entry) for entry in os.listdir("/proc") if entry.isdigit()) if pid not in kernel]


# /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN), else descendants() scans every process
HAS_CHILDREN_FILES = os.path.exists("/proc/self/task/%d/children" % os.getpid())
KTHREADD = 2                 # the kernel's creator of threads, in the machine's own pid namespace
PF_KTHREAD = 0x00200000      # <linux/sched.h>: in the flags of /proc/PID/stat, a kernel thread's mark


def kernel_threads():
    """kthreadd and its children (the kernel's threads, and the helpers it starts), when pid 2 is kthreadd:
    PF_KTHREAD, which no process can set, in its flags.  Empty where that cannot be told (a pid namespace
    of its own, a kernel without children files): then every process is read, as before."""
    text = read_small("/proc/%d/stat" % KTHREADD) if HAS_CHILDREN_FILES else None
    try:
        if not int(text.rsplit(b")", 1)[1].split()[6]) & PF_KTHREAD:
            return frozenset()
    except (AttributeError, IndexError, ValueError):
        return frozenset()
    found = read_small("/proc/%d/task/%d/children" % (KTHREADD, KTHREADD), whole=True) or b""
    return frozenset([KTHREADD] + [int(child) for child in found.split()])


def descendants(root):
    """Pids of every descendant of ROOT (not ROOT itself): from each process's children files when the
    kernel has them (CONFIG_PROC_CHILDREN: a read per process of the tree), else from every process's
    stat.  A process forking or ending meanwhile may be missed either way: the callers poll or repeat."""
    if not HAS_CHILDREN_FILES:
        return _descendants_scanned(root)
    out, todo = [], [root]
    while todo:
        found = _children(todo.pop())
        out.extend(found)
        todo.extend(found)
    return out


def _children(pid):
    """Pids of PID's children, from /proc/PID/task/*/children (a child belongs to the thread that forked it)."""
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return []
    out = []
    for tid in tasks:
        text = read_small("/proc/%d/task/%s/children" % (pid, tid), whole=True)
        if text:
            out.extend(int(child) for child in text.split())
    return out


def _descendants_scanned(root):
    """descendants(ROOT) from the stat of every process: the parent of each."""
    children = {}
    for pid in pids():
        found = stat(pid)
        if found:
            children.setdefault(found[1], []).append(pid)
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


@contextlib.contextmanager
def signals_deferred(signums=(signal.SIGINT, signal.SIGTERM)):
    """Hold Ctrl-C and SIGTERM off while the block starts a child and records it, then deliver them.
    Python raises an interrupt at any instruction: inside subprocess.Popen after the fork, the child
    would run on unrecorded, so nothing would end it.  Only the main thread runs signal handlers; in
    another the block just runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    held = {s: signal.getsignal(s) for s in signums if signal.getsignal(s) is not None}   # None: not set from Python
    for signum in held:
        signal.signal(signum, lambda received, frame: caught.append(received))
    try:
        yield
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)
        for signum in caught:
            signal.raise_signal(signum)


def kill_until_gone(find, timeout, before_each=None):
    """SIGKILL every pid FIND() returns until it returns none (bounded by
    TIMEOUT seconds); BEFORE_EACH() runs before each round.  Returns the
    pids left."""
    deadline = time.monotonic() + timeout
    while True:
        pids = find()
        if not pids or time.monotonic() > deadline:
            return sorted(pids)
        if before_each:
            before_each()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def describe_pids(pid_list):
    """pid(name) for each pid, from /proc/PID/comm."""
    out = []
    for pid in pid_list:
        try:
            with open("/proc/%d/comm" % pid) as f:
                out.append("%d(%s)" % (pid, f.read().strip()))
        except OSError:
            out.append("%d(gone)" % pid)
    return " ".join(out)


@dataclass
class TcpSocket:
    local_port: int
    remote_port: int
    state: str        # TCP_STATES name
    inode: str

    @property
    def fd_target(self):
        """What /proc/PID/fd/N links to for this socket."""
        return "socket:[%s]" % self.inode


def tcp_sockets(path="/proc/thread-self/net/tcp"):
    """The IPv4 TCP sockets of a network namespace: PATH is /proc/PID/net/tcp
    of a process in it (or this thread's, after setns)."""
    with open(path) as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return [TcpSocket(int(r[1].split(":")[1], 16), int(r[2].split(":")[1], 16), STATE_NAMES.get(r[3], r[3]), r[9]) for r in rows]


def open_sockets(pid):
    """{"socket:[INODE]": fd} of PID's descriptors."""
    out = {}
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for fd in fds:
        try:
            out[os.readlink("/proc/%d/fd/%s" % (pid, fd))] = int(fd)
        except OSError:
            pass
    return out


@dataclass(frozen=True)
class Waiting:
    """A call a process is blocked in, as /proc/PID/syscall shows it."""
    call: str             # one of argtypes.CALL_NAMES, or "syscall N" for another
    fd: int               # its first argument (the descriptor, for all of CALL_NAMES but select)
    size: int = None      # recv: the most bytes it takes

    def __str__(self):
        return self.call + ("" if self.size is None else " of %d bytes" % self.size)


def waiting_in(pid):
    """The call PID is blocked in (a Waiting), or None when it runs, is not in a call, or is gone."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            fields = f.read().split()
        number = int(fields[0])
        args = [int(a, 16) for a in fields[1:4]]
    except (OSError, ValueError, IndexError):
        return None               # gone, or "running"
    if number < 0:
        return None               # "-1 sp pc": blocked outside a system call
    call = SYSCALLS.get(number, "syscall %d" % number)
    return Waiting(call, args[0], args[2] if call in SIZED_CALLS else None)


def in_accept(pid):
    """True when PID is blocked in accept() or accept4() on a listening TCP socket."""
    waiting = waiting_in(pid)
    if waiting is None or waiting.call != "accept":
        return False
    try:
        target = os.readlink("/proc/%d/fd/%d" % (pid, waiting.fd))
        listening = {s.fd_target for s in tcp_sockets("/proc/%d/net/tcp" % pid) if s.state == "LISTEN"}
    except (OSError, ValueError):
        return False
    return target in listening


def process_uids():
    """{pid: its real, effective and saved uid} of every process now."""
    out = {}
    for pid in pids():
        text = read_small("/proc/%d/status" % pid)
        found = text.find(b"\nUid:") if text else -1
        if found >= 0:
            try:
                out[pid] = {int(u) for u in text[found + 5:text.index(b"\n", found + 5)].split()[:3]}
            except ValueError:
                continue
    return out


def uid_pids(uid):
    """Pids of every process whose real, effective or saved uid is UID."""
    return [pid for pid, uids in process_uids().items() if uid in uids]


def net_namespace_pids(inodes):
    """Pids of every process whose network namespace is one of INODES ((dev, ino) pairs)."""
    out = set()
    for pid in pids():
        try:
            st = os.stat("/proc/%d/ns/net" % pid)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in inodes:
            out.add(pid)
    return out
