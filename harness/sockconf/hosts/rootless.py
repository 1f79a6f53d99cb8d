"""Runs without root: the harness enters namespaces of its own, as rootless
containers do, and builds its topologies there.

A user who is not root gets the whole run inside

    unshare --user --map-root-user --map-auto --net --mount --pid --fork
            --mount-proc --kill-child /bin/sh -c 'python3 -m sockconf ARGS'

There the harness is root of its own user namespace: it may create network
namespaces, start smcrouted and load nftables in them, and switch to case
users, taken from the block of uids that /etc/subuid gives the user (mapped
by newuidmap, from Debian's uidmap).  A tmpfs over /run holds /run/netns and
the run's state; the pid namespace confines every `kill -1` to the run.
Whatever ends the run, the kernel removes all of it with the namespaces.
"""
import os
import pwd
import shutil
import subprocess
import sys

ENV = "SOCKCONF_ROOTLESS"       # "enter": just entered; "1": prepared
NOT_POSSIBLE = 4                # exit status when this machine allows no rootless run
PRIVATE_TMP = "/run/sockconf-tmp"   # on the run's own tmpfs
MIN_SUBORDINATE_IDS = 1024      # case users need a block of uids of their own
UNSHARE = ["unshare", "--user", "--map-root-user", "--map-auto", "--net", "--mount", "--pid",
           "--fork", "--mount-proc", "--kill-child", "--propagation", "private"]


def _subordinate_count(path, user, uid):
    """How many ids /etc/subuid (or subgid) gives USER, in its first block."""
    try:
        with open(path) as f:
            for line in f:
                fields = line.strip().split(":")
                if len(fields) == 3 and fields[0] in (user, str(uid)) and fields[2].isdigit():
                    return int(fields[2])
    except OSError:
        pass
    return 0


# sysctl (under /proc/sys) -> (the value that forbids an unprivileged user namespace, what to do)
RESTRICTIONS = {
    # Ubuntu 23.10 and later: creating one is allowed, but it holds no capability unless an AppArmor
    # profile allows it, so the run would fail later and less clearly
    "kernel/apparmor_restrict_unprivileged_userns": (
        "1", "AppArmor restricts unprivileged user namespaces (Ubuntu): as root, `sysctl -w "
             "kernel.apparmor_restrict_unprivileged_userns=0`, or give /usr/bin/unshare an AppArmor profile "
             "with `userns,`; or run as root"),
    "kernel/unprivileged_userns_clone": (
        "0", "unprivileged user namespaces are switched off: as root, `sysctl -w kernel.unprivileged_userns_clone=1`"
             "; or run as root"),
    "user/max_user_namespaces": (
        "0", "no user namespace is allowed: as root, `sysctl -w user.max_user_namespaces=15000`; or run as root"),
}


def userns_restriction(sysctl_root="/proc/sys"):
    """What a sysctl under SYSCTL_ROOT says against a rootless run, and what to do; None when nothing does."""
    for name, (forbidding, advice) in RESTRICTIONS.items():
        try:
            with open(os.path.join(sysctl_root, name)) as f:
                value = f.read().strip()
        except OSError:
            continue                       # not this kernel's: it does not restrict
        if value == forbidding:
            return "%s = %s: %s" % (name.replace("/", "."), value, advice)
    return None


def why_not():
    """Why this user cannot run the suite rootless here, or None."""
    uid = os.geteuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    for tool, package in (("unshare", "util-linux"), ("newuidmap", "uidmap"), ("newgidmap", "uidmap")):
        if shutil.which(tool) is None:
            return "`%s` is missing: install %s (as root: apt-get install %s)" % (tool, package, package)
    for path in ("/etc/subuid", "/etc/subgid"):
        if _subordinate_count(path, user, uid) < MIN_SUBORDINATE_IDS:
            return ("%s gives %s no block of %d ids: as root, usermod --add-subuids 100000-165535 "
                    "--add-subgids 100000-165535 %s" % (path, user, MIN_SUBORDINATE_IDS, user))
    restricted = userns_restriction()
    if restricted:
        return restricted
    probe = subprocess.run(UNSHARE[:4] + ["true"], capture_output=True, text=True, timeout=20)
    if probe.returncode != 0:
        return "the kernel refuses a user namespace (%s)" % (probe.stderr.strip().splitlines() or ["?"])[-1]
    return None


def enter(argv):
    """Run the command line ARGV (-m sockconf ARGS) inside a rootless run's namespaces; does not return."""
    reason = why_not()
    if reason:
        print("sockconf: cannot run without root: %s" % reason, file=sys.stderr)
        sys.exit(NOT_POSSIBLE)
    env = dict(os.environ, **{ENV: "enter"})
    # sh, not python, is pid 1 of the run: it reaps what programs orphan.
    script = '"$@"; exit $?'
    command = UNSHARE + ["/bin/sh", "-c", script, "sockconf", sys.executable] + argv
    proc = subprocess.Popen(command, env=env)
    while True:
        try:
            sys.exit(proc.wait())
        except KeyboardInterrupt:
            continue    # the run inside has its Ctrl-C too, and reports


def prepare():
    """Once, just inside: a private /run with /run/netns, temporary files
    there (TMPDIR) rather than in the host's /tmp, the loopback up."""
    if os.environ.get(ENV) != "enter":
        return
    for command in (["mount", "-t", "tmpfs", "-o", "mode=755", "sockconf", "/run"],
                    ["mkdir", "-p", "/run/netns", PRIVATE_TMP], ["ip", "link", "set", "lo", "up"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
        if done.returncode != 0:
            print("sockconf: rootless set-up failed: %s: %s" % (" ".join(command), done.stderr.strip()),
                  file=sys.stderr)
            sys.exit(NOT_POSSIBLE)
    os.environ.update({ENV: "1", "TMPDIR": PRIVATE_TMP})
