"""Network namespace topologies for sockconf, built with iproute2 in batch mode.

A topology file in netns/ (see pair.topo) lists switches, hosts, links,
ports, routes, multicast routes and names.  Topology.up() turns it into one
`ip -batch` run in the root namespace (namespaces and veth pairs created
directly inside them) and one `ip -n NS -batch` per namespace (addresses,
links up, routes), writes each host's own /etc files (hosts, nsswitch.conf,
resolv.conf; host_command binds them for each program) so that name lookup
is deterministic and never leaves the namespace, and starts
smcrouted where the file asks for multicast routing.  Topology.down() undoes
all of it; sweep_stale() removes what a killed run left behind.
"""
import contextlib
import ctypes
import errno
import fcntl
import os
import random
import re
import shutil
import signal
import string
import subprocess
import threading
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
TOPO_DIR = os.path.join(os.path.dirname(HERE), "netns")
LOCK_DIR = "/run/sockconf"
# Each host's hosts, nsswitch.conf and resolv.conf (never the host's /etc):
# host_command() binds them over /etc for the one command it runs.
ETC_NETNS = os.path.join(LOCK_DIR, "etc")
BIND_ETC_FAILED = 96       # host_command's exit status when a bind fails
BIND_ETC = """etc=$1; shift
for f in "$etc"/*; do
  mount --bind "$f" "/etc/${f##*/}" || { echo "sockconf: cannot bind $f over /etc" >&2; exit %d; }
done
exec "$@"
""" % BIND_ETC_FAILED
NAME_RE = re.compile(r"^sc([a-z0-9]{6})-")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
# Every test address lives in the network test range 198.18.0.0/15 ...
LAB_NET = (0xC6120000, 0xFFFE0000)
# ... but for the tutorial's own interface address, which its multicast
# listings hard-code: a /32 on a host's interface (word `tutorial-address`),
# never a route, so nothing is ever sent to it.
TUTORIAL_ADDRESS = "203.106.93.94"


class TopologyError(Exception):
    pass


def run_ip(args, batch=None):
    """Run `ip ARGS` (with BATCH on stdin); raise TopologyError naming the failure."""
    proc = subprocess.run(["ip"] + args, input=batch, capture_output=True, text=True, timeout=20)
    if proc.returncode != 0:
        raise TopologyError("ip %s failed: %s\n%s" % (" ".join(args), proc.stderr.strip(), batch or ""))
    return proc.stdout


def run_ip_parallel(jobs):
    """Run several `ip ARGS` with their batches at once; raise on the first failure."""
    procs = [(args, batch, subprocess.Popen(["ip"] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.PIPE, text=True)) for args, batch in jobs]
    errors = []
    for args, batch, proc in procs:
        _, err = proc.communicate(batch, timeout=20)
        if proc.returncode != 0:
            errors.append("ip %s failed: %s\n%s" % (" ".join(args), err.strip(), batch))
    if errors:
        raise TopologyError("\n".join(errors))


def in_netns(ns, func, *args):
    """Call FUNC(*ARGS) in a thread that has entered network namespace NS."""
    result = {}

    def body():
        try:
            fd = os.open("/run/netns/" + ns, os.O_RDONLY)
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
    thread.join(10)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def host_command(ns, argv):
    """The command that runs ARGV on the test host of namespace NS: in its
    network namespace, with the host's own /etc files bound over /etc in the
    mount namespace `ip netns exec` makes for that command alone."""
    return ["ip", "netns", "exec", ns, "/bin/sh", "-c", BIND_ETC, "sockconf-host",
            os.path.join(ETC_NETNS, ns)] + list(argv)


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


def in_lab(cidr):
    """True when the address of CIDR lies in 198.18.0.0/15."""
    a, b, c, d = (int(x) for x in cidr.split("/")[0].split("."))
    value = (a << 24) | (b << 16) | (c << 8) | d
    return value & LAB_NET[1] == LAB_NET[0]


@dataclass
class Port:
    host: str
    ifname: str
    cidr: str
    switch: str = None

    @property
    def addr(self):
        return self.cidr.split("/")[0]


@dataclass
class Spec:
    """A parsed topology file."""
    name: str
    switches: list = field(default_factory=list)
    hosts: list = field(default_factory=list)
    forwarders: set = field(default_factory=set)
    links: list = field(default_factory=list)     # (Port, Port)
    ports: list = field(default_factory=list)     # Port on a switch
    routes: list = field(default_factory=list)    # (host, prefix, via)
    mroutes: list = field(default_factory=list)   # (host, group, iif, [oifs])
    names: dict = field(default_factory=dict)     # name -> host
    mtu: int = 0                                  # 0: the kernel's default
    tutorial: list = field(default_factory=list)  # (host, ifname) carrying TUTORIAL_ADDRESS

    def all_ports(self):
        return [p for link in self.links for p in link] + self.ports

    def address(self, host):
        """The first address of HOST (the one the cases call %{host})."""
        for port in self.all_ports():
            if port.host == host:
                return port.addr
        raise TopologyError("host %s has no address" % host)


def parse_spec(name):
    """Read netns/NAME.topo into a Spec; unknown words are errors."""
    path = os.path.join(TOPO_DIR, name + ".topo")
    if not os.path.exists(path):
        raise TopologyError("no topology %r (looked for %s)" % (name, path))
    spec = Spec(name)
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            words = raw.split("#", 1)[0].split()
            if not words:
                continue
            try:
                _parse_line(spec, words)
            except (ValueError, IndexError) as exc:
                raise TopologyError("%s:%d: %s: %s" % (path, lineno, exc, raw.strip()))
    for port in spec.all_ports():
        if not in_lab(port.cidr):
            raise TopologyError("%s: %s is outside 198.18.0.0/15" % (path, port.cidr))
    return spec


def _parse_line(spec, words):
    kind, args = words[0], words[1:]
    if kind == "switch":
        spec.switches.append(args[0])
    elif kind == "host":
        spec.hosts.append(args[0])
        if "forward" in args[1:]:
            spec.forwarders.add(args[0])
    elif kind == "link":
        spec.links.append((Port(args[0], args[1], args[2]), Port(args[3], args[4], args[5])))
    elif kind == "port":
        spec.ports.append(Port(args[0], args[1], args[2], args[3]))
    elif kind == "route":
        if args[2] != "via":
            raise ValueError("expected: route HOST PREFIX via ADDR")
        spec.routes.append((args[0], args[1], args[3]))
    elif kind == "mroute":
        if args[2] != "from" or args[4] != "to":
            raise ValueError("expected: mroute HOST GROUP from IF to IF...")
        spec.mroutes.append((args[0], args[1], args[3], args[5:]))
    elif kind == "tutorial-address":
        spec.tutorial.append((args[0], args[1]))
    elif kind == "mtu":
        spec.mtu = int(args[0])
    elif kind == "name":
        spec.names[args[0]] = args[1]
    else:
        raise ValueError("unknown word %r" % kind)


class Topology:
    """One instance of a Spec: namespaces named PREFIX-HOST, built and torn down."""

    def __init__(self, spec, prefix, tmpdir, names=None):
        self.spec = spec
        self.prefix = prefix
        self.tmpdir = tmpdir
        self.names = dict(spec.names, **(names or {}))
        self.created = []         # namespaces that exist now
        self.daemons = []         # Popen of smcrouted
        self.timings = {}

    def ns(self, node):
        return "%s-%s" % (self.prefix, node)

    def address(self, host):
        return self.spec.address(host)

    def up(self):
        """Build everything; on failure undo what was built and re-raise."""
        started = time.monotonic()
        try:
            self._write_etc()
            self._root_batch()
            run_ip_parallel([(["-n", self.ns(node), "-batch", "-"], self._node_batch(node))
                             for node in self.spec.switches + self.spec.hosts])
            for node in self.spec.forwarders:
                in_netns(self.ns(node), write_file, "/proc/sys/net/ipv4/ip_forward", "1")
            for node in {host for host, _ in self.spec.tutorial}:
                # Several hosts carry the tutorial's address: a datagram from
                # it is not a martian on the others.
                in_netns(self.ns(node), write_file, "/proc/sys/net/ipv4/conf/all/accept_local", "1")
            self.timings["netns"] = time.monotonic() - started
            self._start_mrouting()
        except BaseException:
            self.down()
            raise
        self.timings["up"] = time.monotonic() - started

    def _root_batch(self):
        """One `ip -batch` in the root namespace: every namespace and veth pair."""
        lines = ["netns add %s" % self.ns(n) for n in self.spec.switches + self.spec.hosts]
        self.created = [self.ns(n) for n in self.spec.switches + self.spec.hosts]
        veths = []
        for left, right in self.spec.links:
            veths.append("link add %s netns %s type veth peer name %s netns %s" % (
                left.ifname, self.ns(left.host), right.ifname, self.ns(right.host)))
        for port in self.spec.ports:
            veths.append("link add %s netns %s type veth peer name %s netns %s" % (
                port.ifname, self.ns(port.host), self._switch_side(port), self.ns(port.switch.split("/")[0])))
        run_ip(["-batch", "-"], "\n".join(lines + veths) + "\n")

    @staticmethod
    def _switch_side(port):
        return ("%s-%s" % (port.host, port.ifname))[:15]

    def _node_batch(self, node):
        lines = ["link set lo up"]
        if node in self.spec.switches:
            # A switch namespace holds one bridge per segment (port SWITCH or SWITCH/BRIDGE).
            # No IGMP snooping: a bridge floods the group to every port, the router's too.
            bridges = []
            for port in self.spec.ports:
                switch, _, bridge = port.switch.partition("/")
                if switch != node:
                    continue
                bridge = bridge or "br0"
                if bridge not in bridges:
                    bridges.append(bridge)
                    lines.append("link add %s type bridge mcast_snooping 0" % bridge)
                    lines.append("link set %s up" % bridge)
                lines.append("link set %s master %s" % (self._switch_side(port), bridge))
                lines.append("link set %s%s up" % (self._switch_side(port), self._mtu()))
            return "\n".join(lines) + "\n"
        mine = [p for p in self.spec.all_ports() if p.host == node]
        for port in mine:
            lines.append("addr add %s dev %s" % (port.cidr, port.ifname))
            lines.append("link set %s%s up" % (port.ifname, self._mtu()))
        for host, ifname in self.spec.tutorial:
            if host == node:
                lines.append("addr add %s/32 dev %s noprefixroute" % (TUTORIAL_ADDRESS, ifname))
        for host, prefix, via in self.spec.routes:
            if host == node:
                lines.append("route add %s via %s" % (prefix, via))
        if len(mine) == 1:
            # Multicast leaves through the host's only interface: no default route.
            lines.append("route add 224.0.0.0/4 dev %s" % mine[0].ifname)
        return "\n".join(lines) + "\n"

    def _mtu(self):
        return " mtu %d" % self.spec.mtu if self.spec.mtu else ""

    def _write_etc(self):
        """hosts/nsswitch.conf/resolv.conf per host: files only, no DNS."""
        for host in self.spec.hosts:
            etc = os.path.join(ETC_NETNS, self.ns(host))
            os.makedirs(etc, exist_ok=True)
            lines = ["127.0.0.1\tlocalhost"]
            for name, target in sorted(self.names.items()):
                lines.append("%s\t%s" % (self.spec.address(target), name))
            with open(os.path.join(etc, "hosts"), "w") as f:
                f.write("\n".join(lines) + "\n")
            with open(os.path.join(etc, "nsswitch.conf"), "w") as f:
                f.write("hosts: files\nnetworks: files\n")
            with open(os.path.join(etc, "resolv.conf"), "w") as f:
                f.write("# sockconf: no DNS inside the test network\n")

    def _start_mrouting(self):
        by_host = {}
        for host, group, iif, oifs in self.spec.mroutes:
            by_host.setdefault(host, []).append("mroute from %s group %s to %s" % (iif, group, " ".join(oifs)))
        for host, routes in by_host.items():
            started = time.monotonic()
            conf = os.path.join(self.tmpdir, "%s.smcroute.conf" % self.ns(host))
            with open(conf, "w") as f:
                f.write("\n".join(routes) + "\n")
            ident = self.ns(host)
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns(host), "smcrouted", "-n", "-f", conf, "-i", ident,
                 "-l", "err", "-P", os.path.join(self.tmpdir, ident + ".pid"),
                 "-u", os.path.join(self.tmpdir, ident + ".sock")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            self.daemons.append(proc)
            self._wait_vifs(proc, len({i for r in self.spec.mroutes if r[0] == host for i in [r[2]] + r[3]}))
            self.timings["smcrouted"] = time.monotonic() - started

    @staticmethod
    def _wait_vifs(proc, count, timeout=5.0):
        """Poll the daemon's /proc/PID/net/ip_mr_vif until COUNT VIFs exist."""
        deadline = time.monotonic() + timeout
        path = "/proc/%d/net/ip_mr_vif" % proc.pid
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise TopologyError("smcrouted exited with status %s" % proc.returncode)
            try:
                with open(path) as f:
                    if len(f.read().splitlines()) - 1 >= count:
                        return
            except OSError:
                pass
            time.sleep(0.002)
        raise TopologyError("smcrouted did not install %d VIFs within %.0f s" % (count, timeout))

    def down(self):
        """Kill every process left in our namespaces, delete them and their files."""
        started = time.monotonic()
        for proc in self.daemons:
            _kill_and_reap(proc)
        self.daemons = []
        kill_namespace_pids(self.created)
        if self.created:
            batch = "".join("netns del %s\n" % ns for ns in self.created)
            subprocess.run(["ip", "-force", "-batch", "-"], input=batch, text=True,
                           capture_output=True, timeout=20)
        for host in self.spec.hosts:
            shutil.rmtree(os.path.join(ETC_NETNS, self.ns(host)), ignore_errors=True)
        self.created = []
        self.timings["down"] = time.monotonic() - started


def _kill_and_reap(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def namespace_pids(names):
    """Pids of every process in the namespaces NAMES: what `ip netns pids`
    prints, in one pass over /proc for all of them."""
    inodes = set()
    for ns in names:
        try:
            st = os.stat("/run/netns/" + ns)
            inodes.add((st.st_dev, st.st_ino))
        except FileNotFoundError:
            pass
    pids = set()
    if not inodes:
        return pids
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                st = os.stat("/proc/%s/ns/net" % entry)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in inodes:
                pids.add(int(entry))
    return pids


def kill_namespace_pids(names, timeout=5.0):
    """SIGKILL every process in NAMES and wait (bounded) until none is left."""
    deadline = time.monotonic() + timeout
    while True:
        pids = namespace_pids(names) - {os.getpid()}
        if not pids or time.monotonic() > deadline:
            return sorted(pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


_run_locks = {}    # run id -> descriptor holding its lock


def begin_run():
    """A new run id (sc + 6 characters) whose lock this process holds: while
    it lives, sweep() leaves the run's namespaces alone.  The lock is not
    inherited, so a killed owner frees it even if its children linger."""
    rid = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(6))
    os.makedirs(LOCK_DIR, exist_ok=True)
    fd = os.open(os.path.join(LOCK_DIR, rid + ".lock"), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _run_locks[rid] = fd
    return rid


def end_run(rid):
    """Remove everything of run RID and release its lock."""
    sweep(run_ids=[rid], only_dead=False)
    fd = _run_locks.pop(rid, None)
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def owned_run():
    """begin_run() ... end_run(), also on an exception."""
    rid = begin_run()
    try:
        yield rid
    finally:
        end_run(rid)


def run_alive(run_id):
    """True when the run that owns RUN_ID still holds its lock."""
    path = os.path.join(LOCK_DIR, run_id + ".lock")
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)
    return False


def sweep(run_ids=None, only_dead=True):
    """Remove namespaces, per-host /etc dirs and temp dirs of sockconf runs.

    With RUN_IDS, only those runs; with ONLY_DEAD, only runs whose lock is
    free (their owner was killed).  Only names of this project's pattern
    (sc + 6 characters + '-') are ever touched.  Returns what was removed.
    """
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10).stdout
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    if os.path.isdir(ETC_NETNS):
        names += [n for n in os.listdir(ETC_NETNS) if n not in names]
    doomed = {}
    for name in names:
        match = NAME_RE.match(name)
        if not match:
            continue
        rid = match.group(1)
        if run_ids is not None and rid not in run_ids:
            continue
        if only_dead and run_alive(rid):
            continue
        doomed.setdefault(rid, []).append(name)
    for rid, nss in doomed.items():
        present = [n for n in nss if os.path.exists("/run/netns/" + n)]
        kill_namespace_pids(present)
        if present:
            subprocess.run(["ip", "-force", "-batch", "-"], input="".join("netns del %s\n" % n for n in present),
                           text=True, capture_output=True, timeout=20)
        for n in nss:
            shutil.rmtree(os.path.join(ETC_NETNS, n), ignore_errors=True)
    if run_ids is not None or not only_dead:
        for rid in list(run_ids or []):
            _remove_run_files(rid)
    elif os.path.isdir(LOCK_DIR):
        for lock in os.listdir(LOCK_DIR):
            rid = lock[:-5] if lock.endswith(".lock") else None
            if rid and not run_alive(rid):
                _remove_run_files(rid)
    return doomed


def _remove_run_files(rid):
    import sandbox
    sandbox.release_uids(lambda owner: owner != rid and run_alive(owner))
    sandbox.remove_run_state(rid)
    try:
        os.unlink(os.path.join(LOCK_DIR, rid + ".lock"))
    except FileNotFoundError:
        pass


def descendants(root):
    """Pids of every descendant of ROOT (not ROOT itself), from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def terminate_run(signum, frame=None):
    """SIGTERM handler of the process that owns a run (the driver, or pytest
    started by hand): kill every descendant (the xdist workers, an `ip` still
    building a topology, the programs under test), then remove everything of
    the run (namespaces, files) and exit 128 + SIGNUM.  Unwinding through
    pytest and xdist instead can wait for a 15 s case."""
    me = os.getpid()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        pids = descendants(me)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.01)
    rid = os.environ.get("SOCKCONF_RUN", "")
    sweep(run_ids=[rid], only_dead=False)
    os.write(2, ("sockconf: stopped by signal %d; everything of run %s removed\n" % (signum, rid)).encode())
    os._exit(128 + signum)
