"""Self-checks of the case language (run by `make check`): every mistake a
case can make is found before anything runs and named as FILE:LINE; the
notation of reports pastes back into a case; the README's verb tables are
the registry's; a teacher's folder of cases (CASES=) joins the suite."""
import os
import random
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sockconf.verbs  # noqa: F401  (registers the verbs the cases use)
from sockconf.language.argtypes import REF_RE
from sockconf.language import cases
from sockconf.language.notation import decode_bytes, decode_transcript, mark_line, quote
from sockconf.paths import SELF as SOCKCONF
from sockconf.reports import junit
EXAMPLE = os.path.join(ROOT, "tests", "examples", "class")

HEADER = "title    t\nchecks   tutorial\npassage  p\ntopology pair\n\n[steps]\n"
GOOD_STEPS = "srv  start a tcpserver\ncli  tcp-connect b a 3111\n"
TRANSCRIPT = "\n[transcript srv]\nx\n"
BAD_LINE = 9      # the line a broken step takes below the good ones

# (the one broken step, the message it must give)
BROKEN_STEPS = [
    ("cli  tcp-connect b a", "PORT is missing (usage: P tcp-connect HOST TARGET PORT)"),
    ("cli  tcp-connect b a 3111 4", "too many arguments: 4"),
    ("cli  recv-nothing", "recv-nothing needs for= (usage: P recv-nothing for=S)"),
    ("net  tcp-state a 3111 TIMEWAIT", "unknown TCP state 'TIMEWAIT'"),
    ("cli  sendd \"x\"", "unknown verb 'sendd'; did you mean 'send'?"),
    ("srv  exit 0 for=3", "exit takes no option for= (it takes within= mark= at= from=)"),
    ("cli  send \"\\q\"", "unknown escape \\q"),
    ("cli  send \"\\x4\"", "\\x needs two hex digits"),
    ("cli  send x", "BYTES is a quoted string, got x"),
    ("cli  tcp-connect z a 3111", "no host 'z' in topology pair (hosts: a b)"),
    ("cli  send \"%{c}\"", "%{c}: no host 'c' in topology pair"),
    ("cli  send \"%{p9.port}\"", "%{p9.port}: p9 is not a peer placed by an earlier step"),
    ("srv  expect \"x\" at=1+-0.1 from=nowhere", "from=nowhere names no mark set by an earlier step"),
    ("srv  expect \"x\" at=1+-0.1", "at= and from= go together"),
    ("srv  expect \"x\" at=soon from=x", "at= is SECONDS+-TOLERANCE"),
    ("p2   send \"abc\"", "p2 send: p2 is not placed on a host yet"),
    ("ghost expect \"x\"", "ghost expect: ghost is not a program started by an earlier step"),
    ("srv  send \"x\"", "srv send: srv is a program, not a scripted peer"),
    ("srv  signal TREM", "unknown signal 'TREM'"),
    ("srv  exit many", "STATUS is a whole number from -64 to 255, got many"),
    ("srv  running for=0", "SECONDS is a number above 0 and at most 300, got 0"),
    ("cli  tcp-connect b a 70000", "PORT is a whole number from 0 to 65535, got 70000"),
    ("srv  start a tcpserver", "srv is already started at line 7"),
    ("new  start a telnetd", "unknown program 'telnetd'"),
    ("srv  holds cli by=someone", "someone is not one of worker server"),
    ("rcv  mcast-join b 10.0.0.1 4321", "GROUP is a multicast address (224.0.0.0/4), got 10.0.0.1"),
    ("srv  expect hello", "LINE is a quoted string, got hello"),
    ("srv  holds", "PEER is missing"),
    # a step with nothing to check refuses (it would pass whatever happened)
    ("srv  gone", "srv gone has nothing to check: no earlier step on srv uses tree or"),
    ("srv  blocked-in accept size=10", "srv blocked-in: size= is for recv only"),
    ("srv  blocked-in write", "write is not one of recv accept select"),
    # the explorer's observation verbs check nothing: not in case files
    ("cli  take for=1", "take only observes (the explorer's own verb)"),
    ("srv  waiting", "waiting only observes (the explorer's own verb)"),
]


def check(tmp_path, text, name="broken"):
    (tmp_path / (name + ".case")).write_text(text)
    return subprocess.run(SOCKCONF + ["list", "--cases", str(tmp_path)], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("step, message", BROKEN_STEPS, ids=[s for s, _ in BROKEN_STEPS])
def test_a_broken_step_is_named_by_file_and_line(tmp_path, step, message):
    proc = check(tmp_path, HEADER + GOOD_STEPS + step + "\n" + TRANSCRIPT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    where = "%s:%d: " % (tmp_path / "broken.case", BAD_LINE)
    lines = proc.stderr.splitlines()
    assert lines[0].startswith(where) and message in lines[0], proc.stderr
    assert re.match(r"^sockconf: \d+ problems? in the cases; no case was run$", lines[-1]), proc.stderr
    assert "Traceback" not in proc.stderr


# (a whole broken case, the line and message it must give)
BROKEN_CASES = [
    (HEADER + GOOD_STEPS + TRANSCRIPT + "\n[transcript cli]\ny\n", 13,
     "[transcript cli]: cli is a scripted peer; transcripts are of programs"),
    (HEADER + GOOD_STEPS + TRANSCRIPT + "[transcript nobody]\ny\n", 12,
     "[transcript nobody]: nobody is not started by a step above"),
    (HEADER + GOOD_STEPS, 7, "srv is started but has no [transcript srv]"),
    (HEADER.replace("topology pair", "topology moon") + GOOD_STEPS + TRANSCRIPT, 4, "no topology 'moon'"),
    (HEADER.replace("checks   tutorial", "checks   maybe") + GOOD_STEPS + TRANSCRIPT, 2,
     "checks is tutorial or listing or spec, got 'maybe'"),
    ("colour blue\n" + HEADER + GOOD_STEPS + TRANSCRIPT, 1, "unknown header 'colour'"),
    (HEADER.replace("title    t\n", "") + GOOD_STEPS + TRANSCRIPT, 5, "missing header 'title' before [steps]"),
    (HEADER.replace("[steps]\n", "") + TRANSCRIPT, 9, "no [steps] section"),
    (HEADER.replace("topology pair", "topology pair\nnames    lab=q") + GOOD_STEPS + TRANSCRIPT, 7,
     "names lab=q: no host 'q' in topology pair"),
    (HEADER + GOOD_STEPS + "\n[transcript srv]\nport %{PORT} of %{z}\n", 10, "%{z}: no host 'z'"),
    (HEADER + GOOD_STEPS + "\n[transcript srv]\nok\n%{any}\n", 10, "line 2 of the transcript: a line that is all %{any}"),
    (HEADER + GOOD_STEPS + "\n[transcript srv]\nerror: %{any}.\n", 10, "line 1 of the transcript: %{any} ends a line, once"),
    (HEADER + GOOD_STEPS + "\n[transcript srv]\na %{any} b %{any}\n", 10, "%{any} ends a line, once"),
    (HEADER + "srv  start a tcpserver\nsrv  expect \"x %{any}\"\n" + TRANSCRIPT, 8, "%{any} is for transcripts only"),
]


@pytest.mark.parametrize("text, line, message", BROKEN_CASES, ids=[m for _, _, m in BROKEN_CASES])
def test_a_broken_case_is_named_by_file_and_line(tmp_path, text, line, message):
    proc = check(tmp_path, text)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    where = "%s:%d: " % (tmp_path / "broken.case", line)
    assert any(l.startswith(where) and message in l for l in proc.stderr.splitlines()), proc.stderr


def test_every_problem_of_a_case_is_listed_at_once(tmp_path):
    steps = "".join(step + "\n" for step, _ in BROKEN_STEPS[:5])
    proc = check(tmp_path, HEADER + GOOD_STEPS + steps + TRANSCRIPT)
    assert proc.returncode == 2
    found = [l for l in proc.stderr.splitlines() if l.startswith(str(tmp_path))]
    assert [int(l.split(":")[1]) for l in found] == list(range(BAD_LINE, BAD_LINE + 5)), proc.stderr


def test_a_run_with_a_broken_case_does_not_start(tmp_path):
    (tmp_path / "broken.case").write_text(HEADER + GOOD_STEPS + "cli  tcp-connect b a\n" + TRANSCRIPT)
    junit_file = junit.path("self-broken")
    if os.path.exists(junit_file):
        os.unlink(junit_file)
    proc = subprocess.run(SOCKCONF + ["run", "--cases", str(tmp_path), "--label", "self-broken"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "PORT is missing" in proc.stderr, proc.stdout + proc.stderr
    # The run never began: no preflight, no pytest (only this run's own traces are looked at:
    # other runs on the machine may make namespaces meanwhile).
    assert "programs under test" not in proc.stdout and not os.path.exists(junit_file)


def test_a_case_named_like_one_of_the_suite_is_refused(tmp_path):
    with open(os.path.join(cases.CASE_DIR, "tcp-echo.case")) as f:
        proc = check(tmp_path, f.read(), name="tcp-echo")
    assert proc.returncode == 2
    assert "a case named tcp-echo is already in tests/cases/tcp-echo.case" in proc.stderr


def test_cases_names_no_folder_is_refused():
    proc = subprocess.run(SOCKCONF + ["list", "--cases", "/nonexistent/cases"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "/nonexistent/cases: CASES= names no folder" in proc.stderr


def test_the_suite_has_no_problem():
    assert len(cases.load_all()) > 50


def test_readme_verb_tables_are_the_registry():
    proc = subprocess.run(SOCKCONF + ["verbs", "--check", os.path.join(ROOT, "tests", "cases", "README.md")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(?:\*(\d+))?')


def pasted(notation):
    """The bytes a step means when NOTATION is pasted into it."""
    return b"".join(decode_bytes(m.group(1)) * int(m.group(2) or 1) for m in TOKEN_RE.finditer(notation))


def test_report_notation_pastes_back_into_steps_and_transcripts():
    rng = random.Random(41)
    alphabet = [0, 9, 10, 13, 32, 34, 37, 65, 92, 123, 125, 127, 200]
    for _ in range(2000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert pasted(quote(data)) == data, (data, quote(data))
        assert not REF_RE.search(quote(data)), (data, quote(data))       # "%{}" sent, not a host named
        line = data.decode("latin-1").replace("\n", "")
        assert decode_transcript(mark_line(line) + "\n") == line + "\n", (line, mark_line(line))


def test_a_reported_datagram_and_transcript_pasted_back_make_the_case_pass(tmp_path):
    """A case expecting the wrong datagram and the wrong output fails; its
    report's actual: bytes and + lines, pasted in, make it pass."""
    case = HEADER.replace("checks   tutorial", "checks   spec") + (
        'srv  udp-bind a 3333\ncli  start b udpclient %{a}\nsrv  udp-recv "wrong"\n'
        'srv  udp-reply "Scripted\\treply\\r" "\\0"*80\ncli  exit 0\n\n[transcript cli]\nwrong\n')
    (tmp_path / "paste-back.case").write_text(case)
    first = subprocess.run(SOCKCONF + ["run", "--cases", str(tmp_path), "--case", "paste-back", "--label",
                                       "self-paste"], capture_output=True, text=True, timeout=120)
    assert first.returncode != 0
    actual = re.search(r"actual:\s+\d+ bytes: (.*)", first.stdout).group(1)
    assert '"\\0"*64' in actual, actual
    step_fixed = case.replace('udp-recv "wrong"', "udp-recv " + actual)
    (tmp_path / "paste-back.case").write_text(step_fixed)
    second = subprocess.run(SOCKCONF + ["run", "--cases", str(tmp_path), "--case", "paste-back", "--label",
                                        "self-paste"], capture_output=True, text=True, timeout=120)
    diff = re.findall(r"^    \+(?!\+\+)(.*)$", second.stdout, re.M)
    assert second.returncode != 0 and diff, second.stdout
    assert any("%TAB" in line or "%CR" in line for line in diff), diff
    (tmp_path / "paste-back.case").write_text(step_fixed.replace("wrong\n", "".join(l + "\n" for l in diff)))
    third = subprocess.run(SOCKCONF + ["run", "--cases", str(tmp_path), "--case", "paste-back", "--label",
                                       "self-paste"], capture_output=True, text=True, timeout=120)
    assert third.returncode == 0, third.stdout


def test_a_teachers_folder_joins_the_suite():
    listing = subprocess.run(SOCKCONF + ["list", "--cases", EXAMPLE], capture_output=True, text=True, timeout=60)
    assert "class-tcpclient-greeting" in listing.stdout and "(from tests/examples/class)" in listing.stdout
    proc = subprocess.run(["make", "-s", "conformance", "CASES=tests/examples/class", "CASE=class-*"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^1 passed in ", proc.stdout, re.M), proc.stdout        # and no warning
    assert re.search(r"^tcpclient +ok +spec 1/1 passed$", proc.stdout, re.M), proc.stdout


def test_a_topology_naming_an_undeclared_host_is_refused(tmp_path):
    """A teacher's topology is checked before anything runs: a link to a host
    no `host` line declares (a typo) is an error, not a new host."""
    (tmp_path / "duo.topo").write_text("host a\nhost b\nlink a eth0 198.18.0.1/24  bb eth0 198.18.0.2/24\n")
    proc = check(tmp_path, HEADER.replace("topology pair", "topology duo") + GOOD_STEPS + TRANSCRIPT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "host 'bb' is not declared" in proc.stderr, proc.stderr


@pytest.mark.parametrize("mtu", ["10", "1500x", "70000"])
def test_a_topology_with_an_mtu_no_ipv4_interface_can_have_is_refused(tmp_path, mtu):
    (tmp_path / "duo.topo").write_text("host a\nhost b\nlink a eth0 198.18.0.1/24  b eth0 198.18.0.2/24\nmtu %s\n"
                                       % mtu)
    proc = check(tmp_path, HEADER.replace("topology pair", "topology duo") + GOOD_STEPS + TRANSCRIPT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "duo.topo:4: mtu: expected a whole number from 68 to 65535" in proc.stderr, proc.stderr


@pytest.mark.parametrize("expected, actual, matches", [
    ("client - recv() error: %{any}\n", "client - recv() error: Success\n", True),
    ("client - recv() error: %{any}\n", "client - recv() error: \n", True),
    ("client - recv() error: %{any}\n", "client - recv() fault: Success\n", False),   # the defined part differs
    ("client - recv() error: %{any}\nbye\n", "client - recv() error: x\ny\nbye\n", False),  # not across lines
    ("a %{any}\nb\n", "a 1\nc\n", False),                   # the other lines are exact
    ("port %{PORT}: %{any}\n", "port 40000: refused\n", True),
    ("port %{PORT}: %{any}\n", "port 0: refused\n", False),
])
def test_an_open_rest_matches_that_line_only(expected, actual, matches):
    from sockconf.run.failure import match_open_parts
    assert (match_open_parts(expected, actual) == actual) == matches
