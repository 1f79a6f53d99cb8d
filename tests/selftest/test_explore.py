"""make explore: the reference and tests/alt agree with the reference on a
fixed seed's scenarios; CHECKS=tutorial; bad input is one line and exit 2;
signals leave nothing.  (A wrong program's difference shrunk into a case
that fails the same way under CASES=: test_grade.py, which explores one.)"""
import glob
import os
import re
import shutil
import signal
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings

from sockconf.language.notation import decode_bytes
from sockconf.hosts.netns import STATE_DIR
from sockconf.paths import BUILD, REFERENCE, ROOT
from sockconf.paths import SELF as SOCKCONF
from sockconf.explore.scenario import Scenario, concrete_case
from sockconf.explore.spaces import OPEN_LINES, SPACES
from sockconf.verdicts import scopes_up_to

BUDGET = "3"          # scenarios per program: make check's fixed budget (make explore's default is 25)


def explore(*args, timeout=600):
    return subprocess.run(SOCKCONF + ["explore", "--seed", "7", "--examples", BUDGET] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def test_the_reference_agrees_with_itself_on_every_program(tmp_path):
    proc = explore("--checks", "spec", "--findings", str(tmp_path))       # every scope: its decisions too
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": no difference") == len(SPACES), proc.stdout
    assert not os.listdir(tmp_path)


def test_tests_alt_agrees_with_the_reference(tmp_path):
    alt = os.path.join(ROOT, "tests", "alt")
    proc = explore("--impl", alt, "--checks", "spec", "--findings", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    provided = [p for p in SPACES if os.path.exists(os.path.join(alt, p))]      # not the design servers
    assert provided and proc.stdout.count(": no difference") == len(provided), proc.stdout


SLOW_START = 0.5      # seconds the slow program sleeps before it execs the reference: more than an `ending for=0.2`


def test_a_program_slow_to_start_agrees_when_it_is_still_running_at_its_ending(tmp_path):
    """A correct program slow to start (a Python one on a loaded machine) still runs at an `ending` step that
    waits 0.2 s ('iserver 1 2' of the arguments situation, one of iserver's 3 scenarios): its case waits until
    it settles in accept() before SIGKILL, so it has printed what the reference had, not a part of it."""
    impl = tmp_path / "impl"
    impl.mkdir()
    shutil.copy(os.path.join(REFERENCE, "iserver"), impl / "iserver.real")
    (impl / "iserver").write_text('#!/bin/bash\nsleep %g\nexec -a "$0" "$(dirname "$0")/iserver.real" "$@"\n'
                                  % SLOW_START)
    (impl / "iserver").chmod(0o755)
    proc = explore("--impl", str(impl), "--programs", "iserver", "--findings", str(tmp_path / "findings"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "iserver         3 scenarios, 0 outside the space: no difference" in proc.stdout, proc.stdout


def test_tutorial_scenarios_only_skip_the_situations_that_have_none_and_use_the_whole_budget(tmp_path):
    # at 3 scenarios tcpserver's are an exchange, a cut and Ctrl-Z: the last two are never tutorial, so their
    # shares go to the exchange, where the tutorial scenarios are: the whole budget is used
    proc = explore("--checks", "tutorial", "--programs", "tcpserver", "--findings", str(tmp_path))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert "tcpserver       3 scenarios, 0 outside the space: no difference" in proc.stdout, proc.stdout


def sent_by(step):
    """The bytes of a `send` or `type` step: its quoted strings, each maybe repeated ("a"*12)."""
    return b"".join(decode_bytes(text) * int(times or 1)
                    for text, times in re.findall(r'"((?:[^"\\]|\\.)*)"(?:\*(\d+))?', step))


def sends_after_the_reader_is_served(steps, wanted):
    """The server's sends that come once the client has had WANTED bytes (it has stopped reading)."""
    served, late = 0, []
    for step in steps:
        if step.startswith("srv  send "):
            if served >= wanted:
                late.append(step)
            served += len(sent_by(step))
    return late


EXPLORED = settings(max_examples=150, database=None, deadline=None, suppress_health_check=list(HealthCheck))


@EXPLORED
@given(SPACES["tcpclient"]("exchange"))
def test_no_reply_piece_follows_the_one_that_completes_tcpclients_100_bytes(drawn):
    assert not sends_after_the_reader_is_served(drawn[2], 100), drawn[2]


@EXPLORED
@given(SPACES["comclient"]("exchange"))
def test_no_echo_piece_follows_the_one_that_brings_back_what_comclient_sent(drawn):
    typed = next(sent_by(step) for step in drawn[2] if step.startswith("cli  type "))     # the line and its newline
    assert not sends_after_the_reader_is_served(drawn[2], len(typed)), drawn[2]      # as many as the line and its NUL


def test_a_scope_explored_takes_in_the_narrower_ones():
    assert scopes_up_to("tutorial") == ("tutorial",)
    assert scopes_up_to("listing") == ("tutorial", "listing")
    assert scopes_up_to("spec") == ("tutorial", "listing", "spec")


@EXPLORED
@given(SPACES["comclient"]("exchange"))
def test_comclient_is_inside_its_listing_only_on_the_servers_host_with_its_echo_in_one_piece(drawn):
    """The listing connects to INADDR_ANY (its own host) and takes the echo with one recv()."""
    checks, _, steps = drawn[:3]
    if checks != "spec":
        assert steps[1].startswith("cli  start a comclient"), steps
        assert sum(step.startswith("srv  send ") for step in steps) <= 1, steps


@EXPLORED
@given(SPACES["iserver"]("exchange"))
def test_iserver_prints_only_messages_with_a_nul_inside_its_scope_and_a_closer_is_never_tutorial(drawn):
    """One recv() of up to 100 bytes into an uninitialised buffer, printed with %s; a client that closes
    without a word takes the listing's error branch, which no capture shows."""
    checks, _, steps = drawn[:3]
    sent = [sent_by(step) for step in steps if " send " in step]
    if checks != "spec":
        assert all(b"\0" in data[:100] for data in sent), steps
    if any(step.endswith(" close") for step in steps):
        assert checks != "tutorial", steps


def test_a_space_refuses_a_situation_without_a_builder_and_a_builder_without_a_share():
    from sockconf.explore.spaces.common import Space
    exchange = SPACES["tcpserver"]("exchange")
    with pytest.raises(ValueError, match="situation cutt has no builder; builder cut has no share"):
        Space("tcpserver", "pair", (("exchange", 2), ("cutt", 1)), {"exchange": exchange, "cut": exchange})
    with pytest.raises(ValueError, match="its first situation is cut, not the exchange"):
        Space("tcpserver", "pair", (("cut", 1), ("exchange", 1)), {"exchange": exchange, "cut": exchange})


def test_a_situation_misspelt_alike_in_its_share_and_its_builder_refuses():
    from sockconf.explore.spaces import TABLES, check_known
    from sockconf.explore.spaces.common import Space
    check_known(TABLES)
    exchange = SPACES["tcpserver"]("exchange")
    misspelt = Space("tcpserver", "pair", (("exchange", 2), ("cutt", 1)), {"exchange": exchange, "cutt": exchange})
    with pytest.raises(ValueError, match="situations no one knows: cutt"):
        check_known(dict(TABLES, tcpserver=misspelt))


def test_a_listing_scenario_leaves_open_the_rest_of_a_line_its_listing_leaves_undefined():
    """In a listing scenario a line OPEN_LINES names is compared up to there; in a spec one, whole."""
    output = {"srv": "Iteration: #1\nIserver - recv() error: Success\n"}
    for checks, expected in (("listing", "Iserver - recv() error: %{any}\n"),
                             ("spec", "Iserver - recv() error: Success\n")):
        scenario = Scenario("iserver", checks, "t", ("srv  start a iserver",), "pair",
                            OPEN_LINES["iserver"] if checks == "listing" else ())
        case = concrete_case(scenario, [], output)
        assert case.endswith("[transcript srv]\nIteration: #1\n" + expected), case


def test_shrinking_stops_at_its_bound_and_the_finding_is_written(tmp_path):
    """A wrong iserver (its echo cut at the first NUL: the first scenario shows it) with SHRINK=0.001: the
    search says when it found the difference and started shrinking, stops at once, and the smallest confirmed
    difference is still written as a case that fails it."""
    from conftest import mutant_program
    impl = tmp_path / "impl"
    impl.mkdir()
    mutant_program("iserver-echo-strlen", str(impl))
    proc = explore("--impl", str(impl), "--programs", "iserver", "--shrink", "0.001", "--checks", "spec",
                   "--findings", str(tmp_path / "findings"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(r"iserver .* a (tutorial|spec) difference in situation \w+ after \d+ scenarios; "
                     r"shrinking it \(at most 0.001 s\)", proc.stdout), proc.stdout
    assert "shrinking stopped at its bound of 0.001 s (SHRINK= to change)" in proc.stdout, proc.stdout
    found = os.listdir(tmp_path / "findings")
    assert found == ["explore-iserver-seed7.case"], found


def test_on_a_terminal_each_program_says_what_its_search_is_doing(tmp_path):
    """On a terminal (util-linux `script` gives it one) a search prints its progress at once and then every
    few seconds; piped (the other self-checks, CI logs) it prints none of those lines."""
    command = " ".join(SOCKCONF + ["explore", "--seed", "7", "--examples", "1", "--programs", "udpserver",
                                   "--findings", str(tmp_path)])
    proc = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "harness")))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"sockconf explore: udpserver +\d+ s  0 scenarios, situation exchange", proc.stdout), proc.stdout
    piped = explore("--examples", "1", "--programs", "udpserver", "--findings", str(tmp_path))
    assert piped.returncode == 0 and "scenarios, situation" not in piped.stdout, piped.stdout


def test_bad_input_is_one_line_and_exit_2():
    for args, message in ((["--programs", "nosuch"], "no scenario space for nosuch"),
                          (["--impl", "/nonexistent"], "IMPL=/nonexistent: no such directory"),
                          (["--examples", "0"], "at least 1 scenario per program"),
                          (["--checks", "tutorial,spec"], "CHECKS=tutorial,spec: one of tutorial|listing|spec"),
                          (["--shrink", "-1"], "SHRINK=-1: seconds, 0 or more")):
        proc = subprocess.run(SOCKCONF + ["explore"] + args, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr


def namespaces_of(rid):
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=30).stdout.split()
    return [n for n in names if n.startswith("sc%s-" % rid)]


@pytest.mark.alone
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signalled_exploration_ends_within_5_s_leaving_nothing(signum, tmp_path):
    """Ctrl-C (SIGINT to the whole group) or a supervisor's SIGTERM (the driver
    alone): every worker and program ends, and the run's namespaces and files are gone."""
    scratch_before = set(glob.glob(os.path.join(BUILD, "explore-*")))
    proc = subprocess.Popen(SOCKCONF + ["explore", "--examples", "200", "--seed", "3", "--findings", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    header = ""
    for _ in range(5):         # the header comes after what preflight says (the kernel's absent features)
        header = proc.stdout.readline()
        if re.search(r", run ([a-z0-9]+):", header):
            break
    found = re.search(r", run ([a-z0-9]+):", header)
    if not found:              # nothing to signal at the right time: end it here, not left running
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=10)
    assert found, "no header line with the run id: %r" % header
    rid = found.group(1)
    time.sleep(4)
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    sent = time.monotonic()
    proc.communicate(timeout=10)
    ended = time.monotonic() - sent
    deadline = sent + 5
    while namespaces_of(rid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not namespaces_of(rid), namespaces_of(rid)
    assert ended < 5, "ended %.1f s after the signal" % ended
    assert proc.returncode == 128 + signum, proc.returncode
    left = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert not left, "processes of the exploration left: %s" % left
    assert not os.path.exists(os.path.join(STATE_DIR, rid)), os.listdir(os.path.join(STATE_DIR, rid))
    assert not set(glob.glob(os.path.join(BUILD, "explore-*"))) - scratch_before, "the workers' scratch folders are left"
