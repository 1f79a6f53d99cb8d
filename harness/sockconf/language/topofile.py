"""Topology files: netns/NAME.topo (or NAME.topo in a teacher's CASES=
folder) read into a Spec.  The words are drawn at the top of netns/pair.topo;
every address must lie in 198.18.0.0/15.
"""
import ipaddress
import os
from dataclasses import dataclass, field

from sockconf.paths import TOPO_DIR
# Every test address lives in the network test range 198.18.0.0/15 ...
LAB_NET = (0xC6120000, 0xFFFE0000)
# ... but for the tutorial's own interface address, which its multicast
# listings hard-code: a /32 on a host's interface (word `tutorial-address`),
# never a route, so nothing is ever sent to it.
TUTORIAL_ADDRESS = "203.106.93.94"
MTU_MIN, MTU_MAX = 68, 65535     # word `mtu`: what an IPv4 interface can have (as sockconf-topo checks)


class TopologyError(Exception):
    pass


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

    def needs(self):
        """The kernel features it is built with beyond every topology's (hosts/kernel.py): bridges for
        switches, multicast forwarding (mforward: the kernel's or sockconf's forwarder) for mroute lines."""
        return (["bridge"] if self.switches else []) + (["mforward"] if self.mroutes else [])

    def address(self, host):
        """The first address of HOST (the one the cases call %{host})."""
        for port in self.all_ports():
            if port.host == host:
                return port.addr
        raise TopologyError("host %s has no address" % host)


def find_topology(name, dirs=()):
    """The file of topology NAME: netns/NAME.topo, or NAME.topo in one of DIRS
    (a teacher's CASES= folders), or None."""
    for directory in [TOPO_DIR] + list(dirs):
        path = os.path.join(directory, name + ".topo")
        if os.path.isfile(path):
            return path
    return None


def parse_spec(name, dirs=()):
    """Read topology NAME (see find_topology) into a Spec; unknown words are errors."""
    path = find_topology(name, dirs)
    if path is None:
        raise TopologyError("no topology %r (looked in %s)" % (name, " ".join([TOPO_DIR] + list(dirs))))
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
    for host, group, iif, oifs in spec.mroutes:
        problem = mroute_problem(spec, host, group, [iif] + oifs)
        if problem:
            raise TopologyError("%s: mroute %s %s: %s" % (path, host, group, problem))
    return spec


def mroute_problem(spec, host, group, interfaces):
    """What is wrong with an mroute line of HOST for GROUP over INTERFACES (from, then to), or None."""
    try:
        is_group = ipaddress.ip_address(group) in ipaddress.ip_network("224.0.0.0/4")
    except ValueError:
        is_group = False
    if not is_group:
        return "%s is not an IPv4 multicast group" % group
    own = {p.ifname for p in spec.all_ports() if p.host == host}
    unknown = [i for i in interfaces if i not in own]
    if unknown:
        return "%s has no interface %s (its ports: %s)" % (host, " ".join(unknown), " ".join(sorted(own)) or "none")
    if interfaces[0] in interfaces[1:]:
        return "it goes back out of %s, where it comes from" % interfaces[0]
    return None


def declared(spec, host, switch=None):
    """HOST (and SWITCH) must be declared by an earlier line: a typo is an error, not a new host."""
    if host not in spec.hosts:
        raise ValueError("host %r is not declared (a `host %s` line must come first)" % (host, host))
    if switch is not None and switch.split("/")[0] not in spec.switches:   # SWITCH/BRIDGE: a bridge of it
        raise ValueError("switch %r is not declared (a `switch %s` line must come first)" % (switch, switch))


def _parse_line(spec, words):
    kind, args = words[0], words[1:]
    if kind in ("link", "route", "mroute", "tutorial-address", "name"):
        declared(spec, args[1] if kind == "name" else args[0])
    if kind == "link":
        declared(spec, args[3])
    if kind == "port":
        declared(spec, args[0], args[3])
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
        if not args[0].isdigit() or not MTU_MIN <= int(args[0]) <= MTU_MAX:
            raise ValueError("mtu: expected a whole number from %d to %d" % (MTU_MIN, MTU_MAX))
        spec.mtu = int(args[0])
    elif kind == "name":
        spec.names[args[0]] = args[1]
    else:
        raise ValueError("unknown word %r" % kind)


