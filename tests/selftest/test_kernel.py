"""Self-checks of what the suite does with the kernel it finds (hosts/kernel.py): `sockconf doctor`'s
table, each feature made absent in turn (SOCKCONF_ABSENT) giving a named skip or a refusal with a
defined exit status and nothing left behind, the routed cases through sockconf's forwarder on any
kernel (and through smcrouted where the kernel has multicast routing), the forwarder forwarding
nothing but its group, and a harness fault recorded as an error blamed on no program."""
import os
import socket
import subprocess
import tempfile
import threading

import pytest

from test_harness import ROOT, host_state, results, run, unchanged
from sockconf.hosts import kernel, netns, ownership, rtlink
from sockconf.hosts.topology import Topology
from sockconf.language.topofile import parse_spec
from sockconf.reports import results as results_json

GROUP = "226.1.1.1"
PORT = 4321
IP_RECVTTL = 12          # <linux/in.h> (Python's socket module does not name it)


def absent(features):
    """The environment of a run whose probe finds FEATURES absent (no answer of an earlier probe handed down)."""
    env = {k: v for k, v in os.environ.items() if k != kernel.ENV}
    return dict(env, **{kernel.ABSENT_ENV: features})


def test_doctor_prints_every_feature_and_what_forwards_multicast():
    proc = run(["doctor"], timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for feature in kernel.FEATURES:
        assert feature.title in proc.stdout and feature.option in proc.stdout, feature
    assert "multicast forwarding: " in proc.stdout
    made = run(["doctor"], timeout=60, env=absent("nftables"))
    assert "absent: nftables (nftables): made absent by SOCKCONF_ABSENT" in made.stdout, made.stdout


@pytest.mark.parametrize("features", ["bogus", "nftables,nosuch"])
def test_an_unknown_feature_is_refused_in_one_line(features):
    proc = run(["run", "--case", "tcp-echo"], env=absent(features))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "no feature" in proc.stderr, proc.stderr


@pytest.mark.parametrize("feature", kernel.ESSENTIAL)
def test_without_a_feature_every_case_needs_the_run_stops_before_any_case(feature):
    proc = run(["run", "--case", "tcp-echo", "--label", "self-kernel-" + feature], env=absent(feature))
    assert proc.returncode == kernel.NOT_POSSIBLE, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and kernel.BY_NAME[feature].option in proc.stderr, proc.stderr
    assert "no case can run here" in proc.stderr


# feature made absent -> (a case that needs it, words its skip reason must hold)
SKIPS = {
    "bridge": ("select-chat", "bridges (CONFIG_BRIDGE)"),
    "nftables": ("udp-reply-dropped", "nftables (CONFIG_NF_TABLES"),
    "proc_syscall": ("tcp-echo", "/proc/PID/syscall (CONFIG_HAVE_ARCH_TRACEHOOK)"),
    "mroute,packet": ("mcast-ttl1-stops-at-router", "IP multicast routing (CONFIG_IP_MROUTE); no packet sockets"),
}


@pytest.mark.xdist_group("host-state")     # one after another: each compares the host's state before and after
@pytest.mark.parametrize("features", sorted(SKIPS))
def test_a_case_that_needs_an_absent_feature_is_skipped_naming_it(features):
    case, says = SKIPS[features]
    label = "self-kernel-" + features.replace(",", "-")
    before = host_state()
    proc = run(["run", "--case", "%s tcp-server-exact-bytes" % case, "--label", label], env=absent(features))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    verdicts = results(label)
    assert verdicts[case] == "skipped" and verdicts["tcp-server-exact-bytes"] == "pass", verdicts
    doc = results_json.read(results_json.path(label))
    reason = next(r["reason"] for r in doc["results"] if r["case"] == case)
    assert reason.startswith("the kernel has no ") and says in reason, reason
    assert "1 case run skipped for the kernel: no " in proc.stdout, proc.stdout
    assert sorted(doc["suite"]["kernel_absent"]) == sorted(set(features.split(",")) | kernel.probe_kernel().keys())
    assert unchanged(before, host_state())


UDPSERVER_LISTENING = ("UDP server - socket() is OK\nUDP server - try to bind...\nUDP server - bind() is OK\n"
                       "Using IP 0.0.0.0 and port 3333\nUDP server - Listening...\n")


def test_a_feature_pidfd_getfd_alone_uses_is_a_skip_of_the_cases_using_it(tmp_path):
    """No case of the suite checks a socket option (the explorer writes such cases): one of its own, which
    passes where the kernel has pidfd_getfd() and is skipped, naming it, where it has not."""
    (tmp_path / "own-sockopt.case").write_text(
        "title    udpserver's socket holds no SO_REUSEADDR\nchecks   spec\npassage  none\ntopology pair\n\n"
        "[steps]\nsrv  start a udpserver\nsrv  expect \"UDP server - Listening...\"\n"
        "srv  sockopt udp 3333 reuseaddr 0\n\n[transcript srv]\n" + UDPSERVER_LISTENING)
    for features, verdict in (("", "pass"), ("pidfd_getfd", "skipped")):
        label = "self-kernel-pidfd-" + (features or "present")
        proc = run(["run", "--cases", str(tmp_path), "--case", "own-sockopt", "--label", label], env=absent(features))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        if verdict == "pass" and not kernel.Answer(kernel.probe_kernel()).has("pidfd_getfd"):
            verdict = "skipped"
        assert results(label) == {"own-sockopt": verdict}
    assert "pidfd_getfd() (Linux 5.6 or later)" in proc.stdout, proc.stdout


def routed_cases_and_mutants():
    """The routed and multicast cases, and the mutants of the multicast programs with the cases that
    reject each today (make mutants' list)."""
    from sockconf.tools import mutants
    return [m[0] for m in mutants.parse_list() if m[1] in ("mcastserver", "mcastclient")]


@pytest.mark.parametrize("forced", ["mroute", ""], ids=["forwarder", "kernel-if-any"])
def test_the_multicast_cases_pass_on_the_reference_whichever_forwards(forced):
    """SOCKCONF_ABSENT=mroute: sockconf's forwarder, on any kernel; without it, what the kernel offers
    (smcrouted where it has multicast routing): the reference passes the routed and multicast cases."""
    if not forced and not kernel.Answer(kernel.probe_kernel()).has("mroute"):
        pytest.skip("this kernel has no IP multicast routing (CONFIG_IP_MROUTE): the forwarder case covers it")
    label = "self-kernel-mcast-" + (forced or "kernel")
    proc = run(["run", "--case", "mcast-*", "--label", label], env=absent(forced), timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdicts = results(label)
    assert verdicts["mcast-ttl1-stops-at-router"] == "pass" and set(verdicts.values()) == {"pass"}, verdicts
    forwarding = results_json.read(results_json.path(label))["suite"]["forwarding"]
    assert forwarding == (kernel.OWN_FORWARDING if forced else kernel.KERNEL_FORWARDING)
    assert forwarding in open(os.path.join(ROOT, "build", "reports", label + ".md")).read()


@pytest.mark.slow
def test_through_the_forwarder_every_multicast_mutant_is_still_rejected():
    """The mutants of mcastserver and mcastclient, the TTL one (mcastserver-ttl-2) among them, each
    rejected with the routed cases served by sockconf's forwarder."""
    names = routed_cases_and_mutants()
    assert "mcastserver-ttl-2" in names
    proc = run(["mutants", "--only", "mcast*"], timeout=900, env=absent("mroute"), cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "%d/%d mutants rejected (100 %%)" % (len(names), len(names)) in proc.stdout, proc.stdout[-2000:]


def _receive(ns, joined_on, ready, got):
    """In NS: join GROUP on JOINED_ON, then receive what comes within 1 s into GOT (payload, TTL)."""
    def body():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("", PORT))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                            socket.inet_aton(GROUP) + socket.inet_aton(joined_on))
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
            sock.settimeout(1.0)
            ready.set()
            try:
                while True:
                    data, ancillary, _, _ = sock.recvmsg(2048, 64)
                    got.append((data, int.from_bytes(ancillary[0][2], "little") if ancillary else None))
            except socket.timeout:
                pass
    netns.in_netns(ns, body)


def _send(ns, group, ttl, payload):
    def body():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
            sock.sendto(payload, (group, PORT))
    netns.in_netns(ns, body)


def exchange(topo, sender, receiver, joined_on, sends):
    """What RECEIVER (joined on JOINED_ON) gets of SENDS [(group, ttl, payload)] from SENDER."""
    got, ready = [], threading.Event()
    thread = threading.Thread(target=_receive, args=(topo.ns(receiver), joined_on, ready, got))
    thread.start()
    assert ready.wait(5)
    for group, ttl, payload in sends:
        _send(topo.ns(sender), group, ttl, payload)
    thread.join(10)
    return got


def test_the_forwarder_forwards_its_group_onward_and_nothing_else(monkeypatch):
    """On the routed topology with the forwarder: 226.1.1.1 with TTL 2 reaches c with TTL 1 and its
    payload whole; TTL 1, another group, and the group sent from lan2 towards lan1 do not cross; once
    the topology is down the forwarder has been reaped."""
    monkeypatch.setattr(kernel, "current", lambda: kernel.Answer({"mroute": "made absent by this check"}))
    with ownership.owned_run() as rid, tempfile.TemporaryDirectory() as tmp:
        topo = Topology(parse_spec("routed"), "sc%s-self" % rid, tmp)
        with topo:
            forwarder = topo.daemons[0]
            onward = exchange(topo, "a", "c", "198.18.2.1", [
                (GROUP, 1, b"ttl 1"), ("226.1.1.2", 8, b"other group"), (GROUP, 2, b"ttl 2" * 300)])
            back = exchange(topo, "c", "a", "198.18.1.1", [(GROUP, 8, b"from lan2")])
        assert forwarder.poll() is not None
    assert onward == [(b"ttl 2" * 300, 1)], onward
    assert back == [], back


def test_a_topology_the_kernel_refuses_is_an_error_blamed_on_no_program(tmp_path):
    """A teacher's topology whose route has a gateway on no link: the kernel refuses the route (sockconf-topo
    names its line, the request and the kernel's words), so the case is not run
    (error) with the harness's one-line reason, no program is blamed and the grade does not count it."""
    topo = open(os.path.join(ROOT, "tests", "examples", "class", "classroom.topo")).read()
    (tmp_path / "broken.topo").write_text(topo + "route student 198.18.0.0/15 via 198.18.99.1\n")
    case = open(os.path.join(ROOT, "tests", "examples", "class", "class-tcpclient-greeting.case")).read()
    (tmp_path / "broken-route.case").write_text(case.replace("topology classroom", "topology broken"))
    proc = run(["run", "--cases", str(tmp_path), "--case", "broken-route", "--label", "self-kernel-error"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert results("self-kernel-error") == {"broken-route": "error"}
    record = results_json.read(results_json.path("self-kernel-error"))["results"][0]
    assert record["reason"].startswith("harness error: cannot build the topology: sockconf-topo: line ") and (
        "RTM_NEWROUTE 198.18.0.0/15 via 198.18.99.1" in record["reason"]) and record["blamed"] == []
    assert "Nexthop has invalid gateway" in record["reason"]
    assert "tcpclient      ok     1 not run (harness error)" in proc.stdout, proc.stdout
    assert "FAILED" not in proc.stdout.split("sockconf summary")[1] and "Traceback" not in proc.stdout
    assert results_json.score([record], "spec") == "0/0"


def test_the_probes_see_what_the_kernel_answers():
    """The probe makes its veth pair and bridge over rtnetlink (hosts/rtlink.py), so it is checked against
    the kernel's own answers: a veth pair makes both ends; a bridge made twice, or a kind the kernel does
    not know, is refused with the kernel's error; a probe that breaks counts as the feature absent."""
    def links():
        made = (rtlink.new_link("sc-a", "veth", peer="sc-b"), rtlink.new_link("sc-br", "bridge"),
                rtlink.new_link("sc-br", "bridge"), rtlink.new_link("sc-x", "no-such-kind"))
        return made, sorted(name for _, name in socket.if_nameindex() if name.startswith("sc-"))
    (made, names), no_netns = kernel.in_throwaway_netns(links)
    assert not no_netns and names == ["sc-a", "sc-b", "sc-br"], (made, names)
    assert made[:2] == (None, None) and made[2] == "RTM_NEWLINK (bridge): File exists", made
    assert made[3] == "RTM_NEWLINK (no-such-kind): Operation not supported", made
    assert kernel.in_throwaway_netns(lambda: 1 / 0) == ("ZeroDivisionError: division by zero", None)


def test_the_nftables_probe_leaves_no_table():
    """Its table is made and deleted in one transaction: none is left where it ran (a probe called outside
    a throwaway namespace once left `table inet sockconf_probe` in the host's)."""
    def probe_then_tables():
        return kernel._probe_nftables(), subprocess.run(["nft", "list", "tables"], capture_output=True, text=True,
                                                         timeout=20).stdout
    (seen, tables), no_netns = kernel.in_throwaway_netns(probe_then_tables)
    assert not no_netns and seen is None and "sockconf_probe" not in tables, (seen, tables)
