"""Checks that must be able to fail: each test breaks what a check looks at
and watches the check fail (a harness mutation no self-check notices is a
check that cannot fail)."""
import subprocess
import xml.etree.ElementTree as ET

from sockconf.paths import SELF as SOCKCONF
from sockconf.reports import msc

SVG = "{http://www.w3.org/2000/svg}"
MCAST_HEADER = "title    t\nchecks   spec\npassage  p\ntopology pair\n\n[steps]\n"


def run_case(tmp_path, name, steps):
    (tmp_path / (name + ".case")).write_text(MCAST_HEADER + steps)
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
