"""What the kernel offers the suite, probed once per run in a throwaway network namespace.

Kernels differ from machine to machine (a lab image, a CI runner, a minimal cloud kernel); none is
assumed.  probe() tries each FEATURE the suite uses and says which are absent; the run then falls back
where a faithful fallback exists (multicast forwarding: sockconf's own forwarder where the kernel has
no multicast routing), skips the cases that need a feature with none (missing()), and refuses to start
when a feature every case needs is absent (ESSENTIAL).  `sockconf doctor` prints the table.

The controller of a run probes and hands the answer to its workers in SOCKCONF_KERNEL (as_environ);
SOCKCONF_ABSENT=FEATURE,... makes features look absent (the self-checks; SOCKCONF_ABSENT=mroute runs the
routed cases through the forwarder on a kernel that has multicast routing).
"""
import ctypes
import functools
import json
import os
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass

from sockconf.hosts import rootless, rtlink
from sockconf.hosts.netns import CLONE_NEWNET
from sockconf.hosts.sockopts import SYS_PIDFD_GETFD

PROBE_TIMEOUT = 10.0          # seconds any one probe may take
ENV = "SOCKCONF_KERNEL"       # the controller's answer, for its workers: the absent features, comma separated
ABSENT_ENV = "SOCKCONF_ABSENT"  # features to treat as absent, comma separated
IPPROTO_IGMP = 2
MRT_INIT = 200                # <linux/mroute.h>
MRT_DONE = 201
NOT_POSSIBLE = rootless.NOT_POSSIBLE   # exit status: this machine cannot run the suite at all
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Feature:
    name: str        # as SOCKCONF_ABSENT and the skip reasons spell it
    title: str       # what it is, for a person
    option: str      # the kernel's configuration option (or what else provides it)
    used_by: str
    without: str     # what the suite does without it


# The features the suite asks of a kernel, a row each (features.json, data: make doctor prints them).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "features.json")) as _table:
    FEATURES = tuple(Feature(**row) for row in json.load(_table))
BY_NAME = {f.name: f for f in FEATURES}
ESSENTIAL = ("netns", "mountns", "veth")
KERNEL_FORWARDING = "kernel multicast routing (smcrouted)"
OWN_FORWARDING = "sockconf's forwarder: this kernel has no multicast routing"
SKIP_PREFIX = "the kernel has no "      # how every skip reason of the kernel's begins (skip_reason)


class Answer:
    """What a probe found: the absent features, each with why."""

    def __init__(self, why_absent):
        self.why_absent = dict(why_absent)          # feature name -> what the probe saw

    @property
    def absent(self):
        return set(self.why_absent)

    def has(self, name):
        return name not in self.why_absent

    def forwarding(self):
        """What serves the routed topology's mroute lines: the kernel, sockconf's forwarder, or None."""
        if self.has("mroute"):
            return "kernel"
        return "forwarder" if self.has("packet") else None

    def forwarding_text(self):
        """The forwarding as reports say it, also when nothing can forward."""
        return {"kernel": KERNEL_FORWARDING, "forwarder": OWN_FORWARDING}.get(
            self.forwarding(), "none, the routed cases are skipped: " + skip_reason(["mroute", "packet"]))

    def essential_missing(self):
        return [n for n in ESSENTIAL if n in self.why_absent]


def missing(needs, answer):
    """The features of NEEDS (names; 'mforward' for multicast forwarding) that ANSWER lacks, as skip reasons
    name them."""
    lacking = []
    for name in needs:
        if name == "mforward":
            if answer.forwarding() is None:
                lacking += ["mroute", "packet"]
        elif not answer.has(name):
            lacking.append(name)
    return lacking


def skip_reason(lacking):
    """The one line a skipped case gives: each feature, its kernel option."""
    return SKIP_PREFIX + "; no ".join("%s (%s)" % (BY_NAME[n].title, BY_NAME[n].option) for n in lacking)


# --- the probes: each returns None (present) or what it saw -------------------------------------------
def in_throwaway_netns(func):
    """FUNC() in a thread that has entered a new network namespace of its own (gone when the thread
    ends); what it returns, or why the namespace could not be made."""
    result = {}

    def body():
        if _libc.unshare(CLONE_NEWNET) != 0:
            result["value"] = "unshare(CLONE_NEWNET): %s" % os.strerror(ctypes.get_errno())
            result["no_netns"] = True
            return
        try:
            result["value"] = func()
        except Exception as exc:       # a probe that breaks says so: the feature counts as absent
            result["value"] = "%s: %s" % (type(exc).__name__, exc)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(PROBE_TIMEOUT * 4)
    return result.get("value", "the probe did not end within %.0f s" % (PROBE_TIMEOUT * 4)), result.get("no_netns")


def _command(argv, stdin=None):
    """None when ARGV succeeds, else its last line of error."""
    try:
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    return "%s: %s" % (" ".join(argv[:4]), (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1])


def _probe_mroute():
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IGMP) as sock:
        try:
            sock.setsockopt(socket.IPPROTO_IP, MRT_INIT, 1)
        except OSError as exc:
            return "setsockopt(MRT_INIT): %s" % os.strerror(exc.errno)
        sock.setsockopt(socket.IPPROTO_IP, MRT_DONE, 1)
    return None


def _probe_packet():
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close()
    except OSError as exc:
        return "socket(AF_PACKET): %s" % os.strerror(exc.errno)
    return None


# One transaction that makes the table, its chain and rule, and deletes it again: the kernel checks all of it,
# and nothing is left in whichever namespace the probe runs.
NFT_PROBE = ("table inet sockconf_probe {\n chain c {\n  type filter hook input priority 0;\n"
             "  ip daddr 198.18.0.1 counter drop\n }\n}\ndelete table inet sockconf_probe\n")


def _probe_nftables():
    if shutil.which("nft") is None:
        return "`nft` is missing (Debian's nftables)"
    return _command(["nft", "-f", "-"], NFT_PROBE)


def _probes_in_netns():
    """Every probe that needs a network namespace: {name: None or what it saw}."""
    return {"veth": rtlink.new_link("sc-probe0", "veth", peer="sc-probe1"), "bridge": rtlink.new_link("sc-probe-br", "bridge"),
            "mroute": _probe_mroute(), "packet": _probe_packet(), "nftables": _probe_nftables()}


def _probe_pidfd_getfd():
    try:
        pidfd = os.pidfd_open(os.getpid())
    except OSError as exc:
        return "pidfd_open(): %s" % os.strerror(exc.errno)
    try:
        r, w = os.pipe()
        copy = _libc.syscall(SYS_PIDFD_GETFD, pidfd, r, 0)
        if copy < 0:
            return "pidfd_getfd(): %s" % os.strerror(ctypes.get_errno())
        for fd in (copy, r, w):
            os.close(fd)
        return None
    finally:
        os.close(pidfd)


def _probe_proc_syscall():
    try:
        with open("/proc/self/syscall") as f:
            f.read()
    except OSError as exc:
        return "/proc/self/syscall: %s" % (exc.strerror or exc)
    return None


def _unshare(*options):
    """None when `unshare OPTIONS true` works, else what went wrong."""
    if shutil.which("unshare") is None:
        return "`unshare` is missing (util-linux)"
    return _command(["unshare"] + list(options) + ["true"])


def _probe_userns():
    restricted = rootless.userns_restriction()
    if restricted:
        return restricted.partition(":")[0]
    return _unshare("--user", "--map-root-user")


def _probe_mountns():
    return _unshare("--mount")


def probe_kernel():
    """Try every feature: {name: why absent} of those that are not there."""
    seen, no_netns = in_throwaway_netns(_probes_in_netns)
    if no_netns:
        seen = {"netns": seen}
        seen.update({n: "no network namespace to try it in" for n in ("veth", "bridge", "mroute", "packet", "nftables")})
    else:
        seen["netns"] = None
    seen.update(mountns=_probe_mountns(), pidfd_getfd=_probe_pidfd_getfd(), proc_syscall=_probe_proc_syscall(),
                userns=_probe_userns())
    return {name: why for name, why in seen.items() if why is not None}


def made_absent(environ=None):
    """The features SOCKCONF_ABSENT makes look absent; an unknown name is a ValueError."""
    text = (environ if environ is not None else os.environ).get(ABSENT_ENV, "")
    names = [n for n in text.replace(",", " ").split() if n]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise ValueError("%s=%s: no feature %s (there are %s)" % (ABSENT_ENV, text, " ".join(unknown),
                                                                  " ".join(BY_NAME)))
    return names


def probe():
    """The run's answer: the kernel's, with SOCKCONF_ABSENT's features made absent."""
    why = probe_kernel()
    for name in made_absent():
        why.setdefault(name, "made absent by %s" % ABSENT_ENV)
    return Answer(why)


def as_environ(answer):
    """The environment variable that gives ANSWER to the run's workers."""
    return {ENV: ",".join("%s=%s" % (n, answer.why_absent[n].replace(",", ";")) for n in sorted(answer.absent))
            or "none"}


@functools.lru_cache(maxsize=None)
def current():
    """This process's answer: the controller's (SOCKCONF_KERNEL) or, without one, a probe of its own."""
    text = os.environ.get(ENV)
    if not text:
        answer = probe()
        os.environ.update(as_environ(answer))      # the processes it starts (xdist's workers) take it over
        return answer
    if text == "none":
        return Answer({})
    return Answer(item.partition("=")[::2] for item in text.split(","))


def table(answer):
    """`sockconf doctor`'s table: feature, present or not, its kernel option, what uses it, what happens
    without it; then what each probe of an absent feature saw, and what forwards multicast."""
    rows = [("feature", "here", "kernel option", "used by", "without it")]
    rows += [(f.title, "yes" if answer.has(f.name) else "NO", f.option, f.used_by, f.without) for f in FEATURES]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join([cell.ljust(width) for cell, width in zip(r, widths)] + [r[4]]) for r in rows]
    lines += ["absent: %s (%s): %s" % (BY_NAME[n].title, n, answer.why_absent[n])
              for n in BY_NAME if not answer.has(n)]
    lines.append("multicast forwarding: %s" % answer.forwarding_text())
    return "\n".join(lines) + "\n"
