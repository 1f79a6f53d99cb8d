"""The topology builder (src/topo, sockconf-topo): what it builds is what
`ip` built (addresses, routes, sysctls, every interface RUNNING); a request
the kernel refuses half way leaves no namespace behind and names the
request and the kernel's answer; bad plans are refused with exit 2; and a
case run starts no `ip` process (the run's own once-only starts apart)."""
import os
import re
import shutil
import subprocess

import pytest

from sockconf.hosts import ownership
from sockconf.hosts.netns import NETNS_DIR, in_netns
from sockconf.hosts.topology import Topology
from sockconf.language.topofile import parse_spec
from sockconf.paths import SELF as SOCKCONF
from sockconf.paths import TOPOLOGY_BUILDER


@pytest.fixture
def prefix():
    """The name prefix of this test's namespaces: a run of its own (sc + run id), so the host-state checks
    running beside it see a live run's namespaces, not leftovers, and a sweep removes them if it is killed."""
    with ownership.owned_run() as rid:
        yield "sc%s-" % rid


def build(plan):
    return subprocess.run([TOPOLOGY_BUILDER, "-t", "2"], input=plan, capture_output=True, text=True, timeout=30)


def ours(prefix):
    return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix)) if os.path.isdir(NETNS_DIR) else []


def test_a_request_refused_half_way_leaves_no_namespace_and_names_the_request(prefix):
    plan = ("netns {p}a\nnetns {p}b\nveth {p}a eth0 {p}b eth0\nin {p}a\naddr eth0 198.18.0.1/24\n"
            "addr eth0 198.18.0.1/24\n").format(p=prefix)
    proc = build(plan)
    assert proc.returncode == 1, proc.stderr
    assert "line 6: RTM_NEWADDR 198.18.0.1/24 on eth0: File exists" in proc.stderr, proc.stderr
    assert ours(prefix) == []


def test_a_bad_plan_is_refused_with_exit_2_and_leaves_nothing(prefix):
    for plan, said in (("frob x\n", "line 1: unknown request frob"),
                       ("netns {p}a\nin {p}a\nroute 198.18.2.0/24 to x\n", "line 3: route: expected"),
                       ("netns {p}a\nin {p}a\naddr lo 198.18.300.1/24\n", "expected A.B.C.D/N"),
                       ("netns {p}a\nin {p}a\nlink lo mtu=10\n", "line 3: link lo: mtu=10: expected a whole number"),
                       ("netns {p}a\nin {p}a\nlink lo mtu=15OO up\n", "mtu=15OO: expected"),
                       ("netns {p}a\nin {p}a\nlink lo mtu=65536\n", "mtu=65536: expected")):
        proc = build(plan.format(p=prefix))
        assert proc.returncode == 2 and said in proc.stderr, (plan, proc.stderr)
        assert ours(prefix) == []


def addresses_and_routes():
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=10).stdout
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, timeout=10).stdout
    with open("/proc/sys/net/ipv4/conf/all/accept_local") as f:
        local = f.read().strip()
    return re.findall(r"inet (\S+)", out), routes, local


def test_the_lan_topology_has_what_its_file_says(prefix, tmp_path):
    """Addresses (the tutorial's on every host, without a prefix route), routes (multicast out of the only
    interface), accept_local where the tutorial's address is shared, every interface up."""
    spec = parse_spec("lan")
    topo = Topology(spec, prefix + "lan", str(tmp_path))
    with topo:
        for host in spec.hosts:
            addresses, routes, local = in_netns(topo.ns(host), addresses_and_routes)
            assert any(a.startswith(spec.address(host) + "/") for a in addresses), addresses
            assert "203.106.93.94/32" in addresses, addresses
            assert "224.0.0.0/4 dev" in routes and "203.106.93.94" not in routes, routes
            assert local == "1"
    assert ours(prefix) == []


STRACE = shutil.which("strace")
CASES_RUN = ("udp-server-exact-bytes", "tcp-echo", "udp-server-sendto-fails")   # backlog and nft-drop steps too


def ip_starts(cases, label, tmp_path):
    """How many `ip` processes a run of CASES started (strace -f: every exec that succeeded)."""
    trace = tmp_path / (label + ".strace")
    run = subprocess.run([STRACE, "-f", "-qq", "-e", "trace=execve", "-o", str(trace)] + SOCKCONF
                         + ["run", "--case", " ".join(cases), "--label", label, "--workers", "0"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 1) and "passed" in run.stdout, run.stdout + run.stderr   # it ran its cases
    return len(re.findall(r'execve\("[^"]*/ip", .*\) = 0$', trace.read_text(), re.M))


@pytest.mark.skipif(STRACE is None, reason="strace is not installed (Debian's strace): it counts the process starts")
def test_a_case_run_starts_no_ip(tmp_path):
    """A run starts `ip` a few times once (the kernel's probe, `ip -V` for the provenance), never per case:
    three cases (a listen backlog and an nftables drop among their steps) start as many as one."""
    one = ip_starts(CASES_RUN[:1], "ip-starts-1", tmp_path)
    three = ip_starts(CASES_RUN, "ip-starts-3", tmp_path)
    assert three == one, "one case: %d ip starts, three: %d" % (one, three)
