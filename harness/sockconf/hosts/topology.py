"""Topologies of test hosts: netns/NAME.topo files, built over rtnetlink.

A topology file (see netns/pair.topo) lists switches, hosts, links, ports,
routes, multicast routes and names.  Topology.up() turns it into a plan
(plan()) that one exec of sockconf-topo (src/topo) carries out: the
namespaces, the veth pairs created directly inside them, each namespace's
bridges, addresses, links up, routes and sysctls, then every interface
RUNNING; it writes each host's own /etc files (hosts, nsswitch.conf,
resolv.conf; the launcher binds them over /etc for each program under test,
netns.host_command for make lab's shells) so that name
lookup is deterministic and never leaves the namespace, and starts what
forwards multicast where the file asks for it (mroute lines): smcrouted where
the kernel has multicast routing, sockconf's forwarder (src/forward) where it
has not (hosts/kernel.py decides once per run).  Topology.down() undoes all
of it; `with Topology(...) as topo` does both.
"""
import os
import select
import shutil
import signal
import subprocess
import time

from sockconf.hosts import kernel, procfs
from sockconf.hosts.netns import ETC_NETNS, NETNS_DIR, delete_namespaces, kill_namespace_pids, write_file
from sockconf.paths import FORWARDER, TOPOLOGY_BUILDER
from sockconf.language.topofile import TUTORIAL_ADDRESS, TopologyError

BUILD_TIMEOUT = 20.0       # seconds sockconf-topo may take
VIF_TIMEOUT = 5.0          # seconds smcrouted may take to install its VIFs
FORWARDER_TIMEOUT = 5.0    # seconds sockconf's forwarder may take to say it is ready
RUNNING_TIMEOUT = 5.0      # seconds every interface may take to be RUNNING


class Topology:
    """One instance of a Spec: namespaces named PREFIX-HOST, built and torn down."""

    def __init__(self, spec, prefix, tmpdir, names=None):
        self.spec = spec
        self.prefix = prefix
        self.tmpdir = tmpdir
        self.names = dict(spec.names, **(names or {}))
        self.created = []         # namespaces that exist now
        self.daemons = []         # Popen of smcrouted or of sockconf's forwarders
        self.timings = {}

    def ns(self, node):
        return "%s-%s" % (self.prefix, node)

    def address(self, host):
        return self.spec.address(host)

    def __enter__(self):
        self.up()
        return self

    def __exit__(self, *exc):
        self.down()

    def up(self):
        """Build everything; on failure undo what was built and re-raise."""
        started = time.monotonic()
        try:
            self._write_etc()
            self._build()
            self.timings["netns"] = time.monotonic() - started
            self._start_mrouting()
        except BaseException:
            self.down()
            raise
        self.timings["up"] = time.monotonic() - started

    def interfaces(self, node):
        """The interfaces of NODE the topology made: a host's ports, a switch's bridges and their ports."""
        if node in self.spec.switches:
            ports = [p for p in self.spec.ports if p.switch.partition("/")[0] == node]
            return sorted({p.switch.partition("/")[2] or "br0" for p in ports}) + [self._switch_side(p) for p in ports]
        return [p.ifname for p in self.spec.all_ports() if p.host == node]

    def _build(self):
        """Namespaces, links, addresses, routes and sysctls, every interface RUNNING: one exec of sockconf-topo
        (src/topo), which removes what it made when a request fails."""
        self.created = [self.ns(n) for n in self.spec.switches + self.spec.hosts]
        plan = "".join(line + "\n" for line in self.plan())
        with procfs.signals_deferred():      # it ends before an interrupt unwinds the topology
            proc = subprocess.run([TOPOLOGY_BUILDER, "-t", "%g" % RUNNING_TIMEOUT], input=plan, capture_output=True,
                                  text=True, timeout=BUILD_TIMEOUT)
        if proc.returncode != 0:
            raise TopologyError("%s (exit %d)" % (proc.stderr.strip() or "sockconf-topo failed", proc.returncode))

    def plan(self):
        """The lines sockconf-topo builds the topology from (src/topo/topo.c says what each means): every
        namespace, every veth pair, then each node's own."""
        lines = ["netns %s" % ns for ns in self.created]
        for left, right in self.spec.links:
            lines.append("veth %s %s %s %s" % (self.ns(left.host), left.ifname, self.ns(right.host), right.ifname))
        for port in self.spec.ports:
            lines.append("veth %s %s %s %s" % (self.ns(port.host), port.ifname, self.ns(port.switch.split("/")[0]),
                                               self._switch_side(port)))
        nodes = self.spec.switches + self.spec.hosts
        for node in nodes:
            lines += ["in %s" % self.ns(node), "link lo up"]
            lines += self._switch_lines(node) if node in self.spec.switches else self._host_lines(node)
        for node in nodes:          # once every end is up: a veth is RUNNING only when its peer is up too
            lines += ["in %s" % self.ns(node), "ready %s" % " ".join(self.interfaces(node))]
        return lines

    @staticmethod
    def _switch_side(port):
        return ("%s-%s" % (port.host, port.ifname))[:15]

    def _switch_lines(self, node):
        """A switch namespace holds one bridge per segment (port SWITCH or SWITCH/BRIDGE).  No IGMP snooping:
        a bridge floods the group to every port, the router's too."""
        lines, bridges = [], []
        for port in self.spec.ports:
            switch, _, bridge = port.switch.partition("/")
            if switch != node:
                continue
            bridge = bridge or "br0"
            if bridge not in bridges:
                bridges.append(bridge)
                lines += ["bridge %s" % bridge, "link %s up" % bridge]
            lines.append("link %s master=%s%s up" % (self._switch_side(port), bridge, self._mtu()))
        return lines

    def _host_lines(self, node):
        lines = []
        mine = [p for p in self.spec.all_ports() if p.host == node]
        for port in mine:
            lines += ["addr %s %s" % (port.ifname, port.cidr), "link %s%s up" % (port.ifname, self._mtu())]
        for host, ifname in self.spec.tutorial:
            if host == node:
                lines.append("addr %s %s/32 noprefixroute" % (ifname, TUTORIAL_ADDRESS))
        for host, prefix, via in self.spec.routes:
            if host == node:
                lines.append("route %s via %s" % (prefix, via))
        if len(mine) == 1:
            # Multicast leaves through the host's only interface: no default route.
            lines.append("route 224.0.0.0/4 dev %s" % mine[0].ifname)
        if node in self.spec.forwarders:
            lines.append("sysctl net/ipv4/ip_forward 1")
        if node in {host for host, _ in self.spec.tutorial}:
            # Several hosts carry the tutorial's address: a datagram from it is not a martian on the others.
            lines.append("sysctl net/ipv4/conf/all/accept_local 1")
        return lines

    def _mtu(self):
        return " mtu=%d" % self.spec.mtu if self.spec.mtu else ""

    def _write_etc(self):
        """hosts/nsswitch.conf/resolv.conf per host: files only, no DNS."""
        for host in self.spec.hosts:
            etc = os.path.join(ETC_NETNS, self.ns(host))
            os.makedirs(etc, exist_ok=True)
            lines = ["127.0.0.1\tlocalhost"]
            for name, target in sorted(self.names.items()):
                lines.append("%s\t%s" % (self.spec.address(target), name))
            write_file(os.path.join(etc, "hosts"), "\n".join(lines) + "\n")
            write_file(os.path.join(etc, "nsswitch.conf"), "hosts: files\nnetworks: files\n")
            write_file(os.path.join(etc, "resolv.conf"), "# sockconf: no DNS inside the test network\n")

    def _start_mrouting(self):
        """What the mroute lines ask for, by what this run forwards multicast with (kernel.current())."""
        if not self.spec.mroutes:
            return
        started = time.monotonic()
        answer = kernel.current()
        if answer.forwarding() == "kernel":
            self._start_smcrouted()
        elif answer.forwarding() == "forwarder":
            for host, group, iif, oifs in self.spec.mroutes:
                self._start_forwarder(host, group, iif, oifs)
        else:
            raise TopologyError("multicast forwarding: %s" % answer.forwarding_text())
        self.timings["mforward"] = time.monotonic() - started

    def _start_smcrouted(self):
        by_host = {}
        for host, group, iif, oifs in self.spec.mroutes:
            by_host.setdefault(host, []).append("mroute from %s group %s to %s" % (iif, group, " ".join(oifs)))
        for host, routes in by_host.items():
            conf = os.path.join(self.tmpdir, "%s.smcroute.conf" % self.ns(host))
            write_file(conf, "\n".join(routes) + "\n")
            ident = self.ns(host)
            with procfs.signals_deferred():      # recorded before an interrupt unwinds the topology
                proc = subprocess.Popen(       # in the host's namespace (util-linux's nsenter execs it there)
                    ["nsenter", "--net=" + os.path.join(NETNS_DIR, self.ns(host)), "smcrouted", "-n", "-f", conf, "-i", ident,
                     "-l", "err", "-P", os.path.join(self.tmpdir, ident + ".pid"),
                     "-u", os.path.join(self.tmpdir, ident + ".sock")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                self.daemons.append(proc)
            self._wait_vifs(proc, len({i for r in self.spec.mroutes if r[0] == host for i in [r[2]] + r[3]}))

    def _start_forwarder(self, host, group, iif, oifs):
        """sockconf's forwarder of GROUP from IIF to OIFS in HOST's namespace, ready (its sockets bound,
        its filter attached) when this returns."""
        log = os.path.join(self.tmpdir, "%s.mforward.log" % self.ns(host))
        with open(log, "w") as err, procfs.signals_deferred():   # recorded before an interrupt unwinds
            proc = subprocess.Popen([FORWARDER, "-n", os.path.join(NETNS_DIR, self.ns(host)), group, iif] + list(oifs),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                    start_new_session=True)
            self.daemons.append(proc)
        if not _ready_line(proc.stdout, time.monotonic() + FORWARDER_TIMEOUT):
            status = "exited with status %s" % proc.poll() if proc.poll() is not None else (
                "was not ready within %.0f s" % FORWARDER_TIMEOUT)
            with open(log) as f:
                said = f.read().strip()
            raise TopologyError("sockconf-mforward on %s %s%s" % (host, status, ": " + said if said else ""))

    @staticmethod
    def _wait_vifs(proc, count, timeout=VIF_TIMEOUT):
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
        delete_namespaces(self.created)
        for host in self.spec.hosts:
            shutil.rmtree(os.path.join(ETC_NETNS, self.ns(host)), ignore_errors=True)
        self.created = []
        self.timings["down"] = time.monotonic() - started


def _ready_line(stream, deadline):
    """Whether STREAM says "ready" before DEADLINE (False at its end or past the deadline)."""
    seen = b""
    while b"\n" not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            return False
        chunk = os.read(stream.fileno(), 64)
        if not chunk:
            return False
        seen += chunk
    return seen.split(b"\n")[0] == b"ready"


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
    if proc.stdout:
        proc.stdout.close()


