"""Programs under test run without privilege, each case as a user of its own.

A case's Sandbox takes a uid from a reserved range that no account on the
machine uses (case_uid_range; its gid is the same number), so `kill -9 -1`
from one case reaches nothing outside it.  A program starts as

    sockconf-launch NS ETC SCRATCH UID nproc=.. as=.. cpu=.. fsize=.. nofile=.. core=0 -- ./PROGRAM ARGS

one exec of the launcher (src/launch/launch.c): it enters the host's network
namespace, makes a private mount namespace with the host's own /etc files
and the case's scratch folder bound over every world-writable folder
(/var/tmp, /dev/shm, /run/lock, /tmp), so the program writes only there,
sets the limits, drops every capability, becomes UID with no_new_privs and
execs the program, which keeps the launcher's pid.  Without capabilities it
cannot enter another namespace, change its own (routes, sysctls, nftables)
or open a raw socket.  When the case ends every process of the uid is
killed (a forked child of the harness that becomes UID and sends kill -1),
the scratch folder removed and the uid released.

The program folders are staged: copied into /run/sockconf/RID/stage, where
the case's user can read them whatever the rights on the original path.
"""
import fcntl
import hashlib
import os
import random
import shutil
import signal
import threading
import time

from sockconf.hosts import procfs
from sockconf.hosts.netns import ETC_NETNS, STATE_DIR
from sockconf.paths import LAUNCHER

UID_FIRST = 2_000_000_000      # reserved: far above any login or system account
UID_COUNT = 1 << 20


PROGRAM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def program_env(extra_path=""):
    """The whole environment of a program under test: small and fixed, its
    PATH extended in front by PROGRAM_PATH= (a language under /usr/local)."""
    return {
        "PATH": (extra_path + ":" if extra_path else "") + PROGRAM_PATH,
        "LC_ALL": "C",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=99",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=98",
    }


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
UID_DIR = os.path.join(STATE_DIR, "uids")
LAUNCH_FAILED = 97             # the launcher's exit status when a step before the exec fails
KILLER_WAIT = 5.0              # seconds the forked killer may take
UNSEEDED = random.SystemRandom()   # not the random module's state, which Hypothesis seeds alike for every example
RELEASE_WAIT = 60.0            # seconds a run waits while another releases dead runs' uids

# name: (what it limits, default); overridable with LIMITS="name=value,...".
LIMITS = {
    "nproc": ("processes of the case's user", 64),
    "as": ("bytes of address space per process", 1 << 30),
    "cpu": ("CPU seconds per process", 20),
    "fsize": ("bytes in one file written", 16 << 20),
    "nofile": ("open files per process", 256),
    "core": ("bytes of a core file", 0),
}
STAGE_MAX_BYTES = 64 << 20
STAGE_MAX_FILES = 2000


class SandboxError(Exception):
    pass


def parse_limits(text):
    """LIMITS text ("as=unlimited,cpu=60") over the defaults; ValueError says what is wrong."""
    limits = {name: default for name, (_, default) in LIMITS.items()}
    for item in (text or "").replace(" ", ",").split(","):
        if not item:
            continue
        name, sep, value = item.partition("=")
        if name not in LIMITS or not sep:
            raise ValueError("unknown limit %r: LIMITS takes %s (NAME=NUMBER or NAME=unlimited)" % (
                item, ", ".join(LIMITS)))
        if value != "unlimited" and not value.isdigit():
            raise ValueError("limit %s=%r is neither a whole number nor unlimited" % (name, value))
        limits[name] = value if value == "unlimited" else int(value)
    return limits


def describe_limits(limits):
    return ", ".join("%s=%s (%s)" % (name, limits[name], LIMITS[name][0]) for name in LIMITS)


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
    """A uid of the reserved range that no process and no other run uses,
    recorded in /run/sockconf/uids/UID (its content: the run id).  The file
    appears whole (written aside, then linked into place), so a sweep never
    reads a half-made one."""
    os.makedirs(UID_DIR, exist_ok=True)
    first, count = case_uid_range()
    for _ in range(100):
        uid = first + UNSEEDED.randrange(count)
        fd = create_whole(os.path.join(UID_DIR, str(uid)), lambda fd: os.write(fd, rid.encode()))
        if fd is None:
            continue
        os.close(fd)
        if not procfs.uid_pids(uid):
            return uid
        os.unlink(os.path.join(UID_DIR, str(uid)))
    raise SandboxError("no free uid in %d..%d" % (first, first + count - 1))


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


def stage(directory, rid, worker):
    """A copy of DIRECTORY under /run/sockconf/RID/stage/WORKER/, readable by
    every case user (made once per process); SandboxError when too large."""
    target = os.path.join(run_state_dir(rid, "stage", worker), hashlib.sha1(directory.encode()).hexdigest()[:12])
    if os.path.isdir(target):
        return target
    count, size = 0, 0
    for top, dirs, files in os.walk(directory):
        count += len(files) + len(dirs)
        size += sum(os.lstat(os.path.join(top, f)).st_size for f in files)
        if count > STAGE_MAX_FILES or size > STAGE_MAX_BYTES:
            raise SandboxError("%s holds more than %d files or %d MiB: not staged" % (
                directory, STAGE_MAX_FILES, STAGE_MAX_BYTES >> 20))
    tmp = target + ".part"
    shutil.copytree(directory, tmp, symlinks=True)
    for top, dirs, files in os.walk(tmp):
        for name in dirs:
            os.chmod(os.path.join(top, name), 0o755)
        for name in files:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.stat(path).st_mode & 0o111 else 0o644)
    os.chmod(tmp, 0o755)
    os.rename(tmp, target)
    return target


def run_state_dir(rid, *parts):
    """A folder of run RID's own under /run/sockconf/RID (made if missing)."""
    path = os.path.join(STATE_DIR, rid, *parts)
    os.makedirs(path, mode=0o755, exist_ok=True)
    return path


def remove_run_state(rid):
    shutil.rmtree(os.path.join(STATE_DIR, rid), ignore_errors=True)


class Sandbox:
    """One case's user, scratch folder and limits; close() removes them."""

    def __init__(self, rid, parent, limits):
        self.uid = allocate_uid(rid)
        self.limits = limits
        self.scratch = os.path.join(parent, "private-tmp")
        os.mkdir(self.scratch, 0o700)
        os.chown(self.scratch, self.uid, self.uid)

    def command(self, ns, argv):
        """The argv that runs ARGV in namespace NS inside this sandbox: one exec of the launcher."""
        limits = ["%s=%s" % (name, value) for name, value in self.limits.items()]
        return [LAUNCHER, ns, os.path.join(ETC_NETNS, ns), self.scratch, str(self.uid)] + limits + ["--"] + list(argv)

    def close(self):
        """Kill every process of the case's user, remove its files, free the uid."""
        left = kill_uid(self.uid)
        shutil.rmtree(self.scratch, ignore_errors=True)
        try:
            os.unlink(os.path.join(UID_DIR, str(self.uid)))
        except FileNotFoundError:
            pass
        return left

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
