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
import hashlib
import os
import shutil

from sockconf.hosts.netns import ETC_NETNS, STATE_DIR
from sockconf.hosts.uids import SandboxError, allocate_uid, free_uid, kill_uid
from sockconf.paths import LAUNCHER

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


LAUNCH_FAILED = 97             # the launcher's exit status when a step before the exec fails

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
        free_uid(self.uid, left)
        return left

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
