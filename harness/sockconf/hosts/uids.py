"""Case users: the uids programs under test run as, one per case, from a
range no account on the machine uses (case_uid_range), each recorded under
/run/sockconf/uids/UID with the run id that holds it; every process of a uid
killed at once (kill -1 sent as the uid itself), and what killed runs held
released (release_uids, from the sweep)."""
import fcntl
import os
import random
import signal
import threading
import time

from sockconf.hosts import procfs
from sockconf.hosts.netns import STATE_DIR

UID_FIRST = 2_000_000_000      # reserved: far above any login or system account
UID_COUNT = 1 << 20
UID_DIR = os.path.join(STATE_DIR, "uids")
KILLER_WAIT = 5.0              # seconds the forked killer may take
UNSEEDED = random.SystemRandom()   # not the random module's state, which Hypothesis seeds alike for every example
RELEASE_WAIT = 60.0            # seconds a run waits while another releases dead runs' uids


class SandboxError(Exception):
    pass


def case_uid_range():
    """(first, count) of the uids case users take.  On the host: the reserved
    range above.  In a rootless run's user namespace: the upper half of the
    block /etc/subuid mapped (uid 0 is the user who started the run; the last
    two ids are left to nobody and the overflow id)."""
    with open("/proc/self/uid_map") as f:
        blocks = [tuple(int(x) for x in line.split()) for line in f if line.strip()]
    inner, _, count = max(blocks, key=lambda b: b[2])
    if count >= UID_FIRST + UID_COUNT:
        return UID_FIRST, UID_COUNT
    first = inner + count // 2
    return first, inner + count - 2 - first


def kill_all_as(uid):
    """kill(-1, SIGKILL) sent as UID itself: every process of UID at once (a fork bomb cannot outrun it),
    from a forked child of this process that becomes UID; no program is started."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    deadline = time.monotonic() + KILLER_WAIT
    try:
        while not os.waitpid(pid, os.WNOHANG)[0]:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return
            time.sleep(0.005)
    except ChildProcessError:
        pass                   # reaped by another thread's reap_children: done all the same


def kill_uid(uid, timeout=5.0, zombies=True):
    """SIGKILL every process of UID until none is left (bounded); returns those
    left.  kill(-1) as UID reaches all of them at once; the pids seen are killed one by one too.
    ZOMBIES: wait until their parents (init, for the orphans) have reaped the killed too."""
    def left():
        found = procfs.uid_pids(uid)
        return found if zombies else [pid for pid in found if not procfs.is_zombie(pid)]
    return procfs.kill_until_gone(left, timeout, lambda: kill_all_as(uid))


def allocate_uid(rid):
    """A uid of the reserved range that no other run uses, recorded in /run/sockconf/uids/UID (its
    content: the run id).  The file appears whole (written aside, then linked into place), so a sweep
    never reads a half-made one.  No process has a uid without its file: the file goes only once they
    are all gone (free_uid), a killed run's when a sweep has killed them (release_uids), and what
    became a uid after its case had ended is killed by the sweep at every run's start and end
    (unheld_uids).  So no scan of every process here: it cost 1.3 to 2 ms of CPU per case run."""
    os.makedirs(UID_DIR, exist_ok=True)
    first, count = case_uid_range()
    for _ in range(100):
        uid = first + UNSEEDED.randrange(count)
        fd = create_whole(os.path.join(UID_DIR, str(uid)), lambda fd: os.write(fd, rid.encode()))
        if fd is not None:
            os.close(fd)
            return uid
    raise SandboxError("no free uid in %d..%d" % (first, first + count - 1))


def free_uid(uid, left=()):
    """Release UID once its processes are killed: its file under /run/sockconf/uids goes, unless some
    (LEFT) outlived the kill; then it stays held until the run's end, whose sweep kills them again."""
    if left:
        return
    try:
        os.unlink(os.path.join(UID_DIR, str(uid)))
    except FileNotFoundError:
        pass


def create_whole(path, prepare):
    """Create PATH only if it does not exist, already as PREPARE(fd) makes it (written, or locked): made
    aside under a name of its own per process and thread (dot-named, so no listing of the folder counts
    it), then linked into place.  Its open descriptor, or None when PATH exists."""
    folder, name = os.path.split(path)
    aside = os.path.join(folder, ".%s.%d-%d" % (name, os.getpid(), threading.get_ident()))
    fd = os.open(aside, os.O_CREAT | os.O_TRUNC | os.O_RDWR | os.O_CLOEXEC, 0o644)
    try:
        prepare(fd)
        os.link(aside, path)
    except FileExistsError:
        os.close(fd)
        return None
    finally:
        os.unlink(aside)
    return fd


def remove_dead_asides(folder):
    """Remove what create_whole() left aside in FOLDER when its process was killed between making the
    file and linking it (.NAME.PID-THREAD, PID no longer alive)."""
    for name in os.listdir(folder):
        pid = name.rpartition(".")[2].partition("-")[0] if name.startswith(".") else ""
        if pid.isdigit() and not os.path.exists("/proc/%s" % pid):
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:
                pass        # another sweep took it first


def uid_holder(uid):
    """The run id that holds case uid UID (its file under /run/sockconf/uids), or None when it is free."""
    try:
        with open(os.path.join(UID_DIR, str(uid))) as f:
            return f.read().strip()
    except OSError:
        return None


def release_uids(run_alive):
    """Kill the processes of, and release, every uid whose run is no longer
    alive (RUN_ALIVE(rid) says): what a killed run left.  One sweep at a
    time (a lock on the folder): two ending runs never release the same uid twice."""
    if not os.path.isdir(UID_DIR):
        return
    fd = os.open(UID_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _lock_within(fd, RELEASE_WAIT)
        remove_dead_asides(UID_DIR)
        for name in os.listdir(UID_DIR):
            rid = uid_holder(name) if name.isdigit() else None
            if rid is not None and not run_alive(rid):
                kill_uid(int(name))
                os.unlink(os.path.join(UID_DIR, name))
        for uid in unheld_uids():
            kill_uid(uid, zombies=False)
    finally:
        os.close(fd)


def unheld_uids():
    """Case uids that processes have though no run holds them: a process that became its uid after its
    case's end had killed the uid's processes (it was forked before, unrecorded).  A uid's file is made
    before any process takes it and removed after they are killed, so these are always leftovers.
    Zombies do not count: they can no longer act, and only their parents can make them go."""
    first, count = case_uid_range()
    taken = {u for pid, uids in procfs.process_uids().items() for u in uids
             if first <= u < first + count and not procfs.is_zombie(pid)}
    return sorted(u for u in taken if uid_holder(u) is None)


def _lock_within(fd, seconds):
    """flock FD exclusively, waiting at most SECONDS; SandboxError when another holds it longer."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SandboxError("flock(%s): held by another run for %.0f s" % (UID_DIR, seconds))
            time.sleep(0.02)
