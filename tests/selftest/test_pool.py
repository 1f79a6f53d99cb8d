"""Self-checks of the class pool (run by `make check`): `sockconf run --class`
keeps each member's verdicts, reports and bound to itself, refuses a bad
class file in one line, and its xdist scheduler (plugin/scheduler.py) deals
runs one at a time, one to each worker first.  make grade, make interop and
make mutants, which schedule through it, are checked in test_grade.py,
test_interop.py and by make mutants itself."""
import json
import os
import shutil
import subprocess

import pytest

from sockconf.paths import REFERENCE as REF
from sockconf.paths import SELF as SOCKCONF
from sockconf.plugin.scheduler import PoolScheduling
from sockconf.reports import results

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HANGS = os.path.join(ROOT, "tests", "hostile", "hangs")
CASES = "tcp-server-exact-bytes tcp-server-telnet tcp-server-reset"


def run_class(tmp_path, members, *options):
    class_file = tmp_path / "class.json"
    class_file.write_text(json.dumps(members))
    return subprocess.run(SOCKCONF + ["run", "--class", str(class_file), "--label", "self-class"] + list(options),
                          capture_output=True, text=True, timeout=300)


def verdicts(label):
    """{case/variant: verdict} of a member's results.json."""
    return {"%s/%s" % (r["case"], r["variant"]): r["verdict"] for r in results.read(results.path(label))["results"]}


BUDGET = 4      # seconds: below hangs's first case (its 5 s wait), above the reference's first two (1.25 s
#                each under make check's load: a budget of 1 s once stopped the reference after one case)


def test_a_member_past_its_budget_delays_no_other(tmp_path):
    """hangs's tcpserver never prints: its first case fails after its 5 s wait and uses up its 4 s
    budget, so its later cases are not run (they fail, saying so: the hang is the program's); the reference
    beside it passes every case."""
    impl = tmp_path / "impl"
    shutil.copytree(HANGS, impl)
    proc = run_class(tmp_path, [{"label": "self-class-ref", "impl": REF},
                                {"label": "self-class-hangs", "impl": str(impl)}],
                     "--case", CASES, "--budget", str(BUDGET), "--workers", "1")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    ref, hangs = verdicts("self-class-ref"), verdicts("self-class-hangs")
    assert set(ref.values()) == {"pass"} and len(ref) == 3, ref
    assert sorted(hangs.values()) == ["fail", "fail", "fail"], hangs       # a budget used up is the program's
    doc = results.read(results.path("self-class-hangs"))
    assert sum("used up its %d s of case runs" % BUDGET in r["reason"] for r in doc["results"]) == 2, doc["results"]
    assert "self-class-ref" in proc.stdout and "self-class-hangs" in proc.stdout


def test_members_keep_their_own_folders_and_cases(tmp_path):
    """A member's REF and CASE= are its own: a client under test from one folder, the server from another."""
    proc = run_class(tmp_path, [{"label": "self-class-a", "impl": REF, "case": "tcp-echo/tcpclient-impl"},
                                {"label": "self-class-b", "impl": REF, "ref": REF, "case": "udp-echo-address/impl"}])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert verdicts("self-class-a") == {"tcp-echo/tcpclient-impl": "pass"}
    assert verdicts("self-class-b") == {"udp-echo-address/impl": "pass"}


def test_strictness_limits_and_the_reference_are_a_members_own(tmp_path):
    """make check's suites are one class: a member is strict or not and has limits of its own, and a member
    without a folder runs the reference.  A comclient that exits 0 at end of input fails the spec case as a
    spec-fail, or as a fail once strict; the reference under 1 MB of address space cannot start (spec-fail: that
    member is not strict)."""
    impl = tmp_path / "impl"
    impl.mkdir()
    (impl / "comclient").write_text("#!/bin/sh\nexit 0\n")
    (impl / "comclient").chmod(0o755)
    proc = run_class(tmp_path, [{"label": "self-class-lax", "impl": str(impl)},
                                {"label": "self-class-strict", "impl": str(impl), "strict": True},
                                {"label": "self-class-tight", "impl": REF, "limits": "as=1000000"},
                                {"label": "self-class-plain"}],
                     "--case", "comclient-end-of-input")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert verdicts("self-class-lax") == {"comclient-end-of-input/impl": "spec-fail"}
    assert verdicts("self-class-strict") == {"comclient-end-of-input/impl": "fail"}
    assert verdicts("self-class-tight") == {"comclient-end-of-input/impl": "spec-fail"}
    assert verdicts("self-class-plain") == {"comclient-end-of-input/ref": "pass"}
    assert "sockconf: self-class-tight's own limits: " in proc.stdout and "as=1000000 " in proc.stdout, proc.stdout


@pytest.mark.parametrize("content, message", [
    ("not json", "expected a JSON list of"),
    ('[{"impl": "/nonexistent", "label": "x"}]', "IMPL=/nonexistent: no such directory"),
    ('[{"impl": "%s"}]' % REF, "expected a JSON list of"),
    ('[{"impl": "%s", "label": "a"}, {"impl": "%s", "label": "a"}]' % (REF, REF), "its own label"),
    ('[{"impl": "%s", "label": "../up"}]' % REF, "its own label"),
    ("[]", "one member or more"),
    ('[{"label": "a", "strict": "yes"}]', "a: strict is true or false, not 'yes'"),
    ('[{"label": "a", "limits": "as=lots"}]', "a: limits as=lots:"),
])
def test_a_bad_class_file_is_refused_in_one_line(tmp_path, content, message):
    class_file = tmp_path / "class.json"
    class_file.write_text(content)
    proc = subprocess.run(SOCKCONF + ["run", "--class", str(class_file)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


class FakeNode:
    """What the scheduler uses of an xdist node: the runs it was sent, and whether it was told to end."""

    def __init__(self, name):
        self.name, self.sent, self.shutting_down = name, [], False

    def send_runtest_some(self, indices):
        self.sent += indices

    def shutdown(self):
        self.shutting_down = True


class FakeConfig:
    def __init__(self, workers):
        self.workers = workers

    def getoption(self, name):
        assert name == "numprocesses"
        return self.workers


def scheduled(runs, workers):
    sched = PoolScheduling(FakeConfig(workers))
    nodes = [FakeNode("gw%d" % k) for k in range(workers)]
    for node in nodes:
        sched.add_node(node)
    for node in nodes:
        assert not sched.collection_is_completed
        sched.add_node_collection(node, ["run%d" % k for k in range(runs)])
    sched.schedule()
    return sched, nodes


def test_the_scheduler_deals_one_to_each_worker_first_then_one_at_a_time():
    sched, (a, b, c) = scheduled(10, 3)
    assert (a.sent, b.sent, c.sent) == ([0, 3], [1, 4], [2, 5])     # the first three (the slowest) apart
    sched.mark_test_complete(b, 1)
    assert b.sent == [1, 4, 6] and a.sent == [0, 3]                  # one more, to the one that finished
    while sched.has_pending:
        node = next(n for n in (a, b, c) if sched.queued[n])
        sched.mark_test_complete(node, sched.queued[node][0])
        assert all(len(sched.queued[n]) <= 2 for n in (a, b, c))      # never more than one behind the running one
    assert sorted(a.sent + b.sent + c.sent) == list(range(10))
    assert sched.tests_finished and all(n.shutting_down for n in (a, b, c))


def test_a_dead_worker_gives_back_what_it_held_and_names_the_run_it_was_running():
    sched, (a, b) = scheduled(6, 2)
    assert sched.remove_node(a) == "run0"                            # reported as crashed
    assert b.sent == [1, 3] and 2 in sched.pending                   # run2 goes to another worker
    sched.mark_test_complete(b, 1)
    assert b.sent == [1, 3, 2]


def test_workers_that_collected_other_runs_stop_the_session():
    sched = PoolScheduling(FakeConfig(2))
    a, b = FakeNode("gw0"), FakeNode("gw1")
    sched.add_node(a)
    sched.add_node(b)
    sched.add_node_collection(a, ["x", "y"])
    sched.add_node_collection(b, ["x", "z"])
    with pytest.raises(RuntimeError, match="collected other tests"):
        sched.schedule()
