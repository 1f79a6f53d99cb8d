"""Checks that must be able to fail: each test breaks what a check looks at
and watches the check fail (a harness mutation no self-check notices is a
check that cannot fail)."""
import subprocess
import xml.etree.ElementTree as ET

from sockconf.paths import SELF as SOCKCONF
from sockconf.reports import msc

SVG = "{http://www.w3.org/2000/svg}"
HEADER = "title    t\nchecks   spec\npassage  p\ntopology pair\n\n[steps]\n"


def run_case(tmp_path, name, steps):
    (tmp_path / (name + ".case")).write_text(HEADER + steps)
    return subprocess.run(SOCKCONF + ["run", "--cases", str(tmp_path), "--case", name, "--label", "selfcheck-" + name],
                          capture_output=True, text=True, timeout=120)


def test_mcast_recv_rejects_a_datagram_sent_to_the_unicast_address(tmp_path):
    """mcast-recv is one datagram sent to the group: the same bytes sent to
    the receiving host's own address fail it; sent to the group they pass."""
    join = "rcv  mcast-join a 226.1.1.1 4321\n"
    to_group = run_case(tmp_path, "to-group", join + 'snd  mcast-send b 226.1.1.1 4321 "hello"\nrcv  mcast-recv "hello"\n')
    assert to_group.returncode == 0, to_group.stdout[-3000:]
    unicast = run_case(tmp_path, "to-unicast", join + 'snd  udp-bind b\nsnd  udp-send %{a} 4321 "hello"\nrcv  mcast-recv "hello"\n')
    assert unicast.returncode == 1, unicast.stdout[-3000:]
    assert "datagram was not sent to the group" in unicast.stdout
    assert "to 198.18.0.1" in unicast.stdout


def chart_record(text_of):
    """A run of a tcpclient (srv on a) and a scripted peer (cli on b), its
    failing step failing 2 s after it began; TEXT_OF words each message."""
    def ev(t, actor, kind, text, **fields):
        return dict(t=t, actor=actor, kind=kind, text=text, **fields)
    return {"actors": [{"name": "srv", "kind": "program", "host": "a"}, {"name": "cli", "kind": "peer", "host": "b"}],
            "hosts": {"a": "198.18.0.1", "b": "198.18.0.2"},
            "failure": {"step": "x.case:9"},
            "events": [ev(0.0, "srv", "start", "tcpserver (host a)"),
                       ev(0.1, "harness", "step", "cli tcp-connect b a 3111", step="x.case:8"),
                       ev(0.2, "cli", "connect", text_of("connect"), remote="198.18.0.1:3111"),
                       ev(0.3, "cli", "send", text_of("send"), size=5, remote="198.18.0.1:3111"),
                       ev(0.4, "harness", "step", "cli recv \"hello\"", step="x.case:9"),
                       ev(0.5, "cli", "recv", text_of("recv"), size=0, remote="198.18.0.1:3111"),
                       ev(0.6, "srv", "out", "Server-read() is OK"),
                       ev(2.4, "harness", "failed", "cli recv \"hello\": no echo", step="x.case:9")]}


def messages(svg_text):
    root = ET.fromstring(svg_text)
    return [(g.get("data-from"), g.get("data-to")) for g in root.iter(SVG + "g") if g.get("class") == "message"]


def test_chart_arrows_come_from_the_events_not_their_wording():
    worded = msc.svg(chart_record(lambda kind: "198.18.0.1:3111 %s" % kind))
    reworded = msc.svg(chart_record(lambda kind: "something else entirely"))
    expected = [("cli", "srv"), ("cli", "srv"), ("srv", "cli")]
    assert messages(worded) == expected
    assert messages(reworded) == expected


def test_chart_marks_the_failing_step_where_it_failed():
    root = ET.fromstring(msc.svg(chart_record(lambda kind: kind)))
    failing = [g for g in root.iter(SVG + "g") if g.get("class") == "failing-step"]
    assert len(failing) == 1 and failing[0].get("data-step") == "x.case:9"
    failed_row = msc.TOP + msc.ROW * 7          # the 8th event: when the step failed, not when it began (5th)
    assert int(failing[0].find(SVG + "line").get("y1")) == failed_row


# Every verb that checks the programs, made to fail: the case's last step is
# the check, and the run must fail there (not earlier, not only at a transcript).
# A program that makes zombies (spawnserver) and one that leaves an orphan
# (acceptserver) stand in for the wrong programs those checks are for.
LISTEN_3111 = "srv  start a tcpserver\nnet  tcp-state a 3111 LISTEN\n"
CONNECTED = LISTEN_3111 + "cli  tcp-connect b a 3111\n"
MUST_FAIL = {
    "nft-dropped": 'fw   nft-drop a "udp dport 9"\nfw   nft-dropped a 1 within=1\n',
    "tree": "srv  start a tcpserver\nsrv  tree 2 within=1\n",
    "zombies": "srv  start a spawnserver\nsrv  tree 2\nsrv  tree 1\nsrv  zombies within=1\n",
    "gone": "srv  start a acceptserver\nsrv  tree 2\nsrv  signal KILL\nsrv  gone within=1\n",
    "holds": "srv  start a iserver\nnet  tcp-state a 12345 LISTEN\ncli  tcp-connect b a 12345\nsrv  holds cli within=1\n",
    "distinct-holders": "srv  start a select\nnet  tcp-state a 2020 LISTEN\nc1   tcp-connect b a 2020\n"
                        "c2   tcp-connect b a 2020\nsrv  distinct-holders c1 c2 within=1\n",
    "accepting": "srv  start a iserver\nnet  tcp-state a 12345 LISTEN\nsrv  accepting 1 within=1\n",
    "blocked-in": 'srv  start a udpserver\nsrv  expect "UDP server - Listening..."\nsrv  blocked-in recv size=1024 within=1\n',
    "echo-burst": LISTEN_3111 + 'net  echo-burst b a 3111 1 "x" within=1\n',
    "expect": 'srv  start a tcpserver\nsrv  expect "a line it never prints" within=1\n',
    "exit": "srv  start a tcpserver\nsrv  exit 0 within=1\n",
    "running": "srv  start a tcpclient\nsrv  running for=2\n",
    "stopped": "srv  start a tcpserver\nsrv  stopped within=1\n",
    "tcp-refused": LISTEN_3111 + "cli  tcp-refused b a 3111\n",
    "recv": CONNECTED + 'cli  recv "x" within=1\n',
    "recv-eof": CONNECTED + "cli  recv-eof within=1\n",
    "recv-reset": CONNECTED + "cli  recv-reset within=1\n",
    "recv-nothing": CONNECTED + 'cli  send "\\0"*100\ncli  recv-nothing for=2\n',
    "tcp-state": LISTEN_3111 + "net  tcp-state a 3111 TIME_WAIT within=1\n",
    "backlog": LISTEN_3111 + "net  backlog a 3111 7 within=1\n",
    "sockopt": LISTEN_3111 + "srv  sockopt tcp 3111 reuseaddr 0 within=1\n",      # tcpserver sets SO_REUSEADDR
    "udp-recv": 'p    udp-bind a 7000\np    udp-recv "x" within=1\n',
    "mcast-recv": 'p    mcast-join a 226.1.1.1 4321\np    mcast-recv "x" within=1\n',
    "udp-nothing": 'p    udp-bind a 7000\nq    udp-bind b\nq    udp-send a 7000 "x"\np    udp-nothing for=2\n',
    # actions that check too: nothing to connect to, nothing to accept
    "tcp-connect": "cli  tcp-connect b a 4444\n",
    "accept": "p    tcp-listen a 4444\np    accept within=1\n",
}
STAND_INS = {"spawnserver": "#!/bin/sh\nsleep 0.5 &\nexec sleep 60\n",      # a child it never reaps
             "acceptserver": "#!/bin/sh\nsleep 60 &\nexec sleep 61\n"}      # a child that outlives it


def test_every_check_verb_is_made_to_fail_here():
    import sockconf.verbs  # noqa: F401  (registers the verbs)
    from sockconf.language import registry
    checks = {v.name for v in registry.VERBS.values() if v.checks}
    assert checks <= set(MUST_FAIL), "check verbs without a case that makes them fail: %s" % sorted(checks - set(MUST_FAIL))


def test_each_check_fails_at_its_own_step(tmp_path):
    import json
    import os
    import shutil
    from sockconf.paths import REFERENCE, ROOT
    cases = tmp_path / "cases"
    cases.mkdir()
    for verb, steps in MUST_FAIL.items():
        actors = sorted({line.split()[0] for line in steps.splitlines() if line.split()[1] == "start"})
        transcripts = "".join("\n[transcript %s]\nnothing%%SPlike%%SPthis\n" % a for a in actors)
        (cases / ("can-fail-%s.case" % verb)).write_text(HEADER + steps + transcripts)
    impl = tmp_path / "impl"
    shutil.copytree(REFERENCE, impl)
    for program, script in STAND_INS.items():
        (impl / program).write_text(script)
        os.chmod(impl / program, 0o755)
    proc = subprocess.run(SOCKCONF + ["run", "--impl", str(impl), "--strict", "--cases", str(cases), "--case",
                                      "can-fail-*", "--label", "selfcheck-can-fail"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr
    wrong = []
    for verb, steps in MUST_FAIL.items():
        last = len(HEADER.splitlines()) + len(steps.splitlines())
        result = os.path.join(ROOT, "build", "artifacts", "selfcheck-can-fail", "can-fail-%s.impl" % verb, "result.json")
        failure = json.load(open(result)).get("failure") or {}
        if failure.get("line") != last:
            wrong.append("%s: failed at line %s (%s), not at its check, line %d" % (
                verb, failure.get("line"), failure.get("message"), last))
    assert not wrong, "\n".join(wrong)


def test_a_mutant_only_spec_rejects_must_say_why_and_a_stale_note_is_refused():
    """make mutants' scope rule (tools/mutants.py scope_problems): a mutant rejected only at spec needs a
    [spec: WHY] note on its line; one a tutorial or listing case rejects must not carry one; the others pass."""
    from sockconf.tools import mutants
    assert mutants.narrowest_scope(mutants.Outcome.REJECTED, {"udp-echo-address", "udp-server-short-request"},
                                   {"udp-echo-address": "tutorial", "udp-server-short-request": "spec"}) == "tutorial"
    assert mutants.narrowest_scope(mutants.Outcome.EXPLORATION_ONLY, set(), {}) == "exploration"
    assert mutants.narrowest_scope(mutants.Outcome.SURVIVED, set(), {}) is None
    narrowest = {"a": "spec", "b": "spec", "c": "listing", "d": "listing", "e": "unit"}
    whats = {"a": "reads too much", "b": "reads too much  [spec: printf %s past buf[100]]",
             "c": "exits 0  [spec: stale]", "d": "exits 0", "e": "a helper"}
    problems = mutants.scope_problems(narrowest, whats)
    assert len(problems) == 2 and problems[0].startswith("a is rejected only by spec cases"), problems
    assert problems[1].startswith("c says [spec: ...] but a listing case rejects it"), problems
