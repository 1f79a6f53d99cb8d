"""The pytest plugin of the conformance suite, registered by name
(`-p sockconf.plugin`); suite.py beside it is its one test function.

`make conformance` (sockconf/cli.py) runs it; with harness/ on PYTHONPATH
pytest runs it too:
  python3 -m pytest -p sockconf.plugin harness/sockconf/plugin/suite.py -k tcp-echo
Its settings (settings.py) come from the environment that cli.py sets.
"""
import os
import signal
import time

import pytest


from sockconf.plugin.scheduler import PoolScheduling
from sockconf.reports import blame, results
from sockconf.reports import summary
from sockconf.hosts import forkserver, ownership
from sockconf.hosts.netns import STATE_DIR
from sockconf import settings
from sockconf.catalogue import PROGRAMS
import sockconf.verbs  # noqa: F401  (registers the verbs that cases are checked against)
from sockconf.language.cases import CaseErrors, load_all
from sockconf.language.topofile import TOPO_DIR
from sockconf.language.variants import planned, variant_id
from sockconf import verdicts
from sockconf.verdicts import Verdict

# The suite's topologies, netns/*.topo (a teacher's own, of CASES=, are markers too, unregistered).
TOPOLOGIES = sorted(name[:-len(".topo")] for name in os.listdir(TOPO_DIR) if name.endswith(".topo"))


# What the plugin keeps on pytest's config (its public stash).
OWNED_RUN = pytest.StashKey[str]()       # the run id, when pytest itself owns the run
ROWS = pytest.StashKey[list]()           # a row per case run (plugin.row), in the controller
STARTED = pytest.StashKey[float]()       # when the run began (time.monotonic)
FORK_SERVER = pytest.StashKey[forkserver.Server]()    # the server the workers are forked from (hosts/forkserver.py)


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


def pytest_configure(config):
    for name, what in verdicts.SCOPE_MEANINGS.items():
        config.addinivalue_line("markers", "%s: %s" % (name, what))
    for name in PROGRAMS:
        config.addinivalue_line("markers", "%s: cases that start %s" % (name, name))
    for name in TOPOLOGIES:
        config.addinivalue_line("markers", "%s: cases on topology %s" % (name, name))
    if hasattr(config, "workerinput"):
        # A worker unwinds its case (teardown runs) on SIGTERM as on Ctrl-C.
        signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
        return
    if not os.environ.get("SOCKCONF_RUN"):
        signal.signal(signal.SIGTERM, ownership.terminate_run)
        # Started as plain pytest: this process owns the run.
        ownership.sweep()
        rid = ownership.begin_run()
        os.environ["SOCKCONF_RUN"] = rid
        settings.current.cache_clear()
        settings.members.cache_clear()
        config.stash[OWNED_RUN] = rid
    fork_workers(config)              # first: the workers' copy holds none of the controller's rows
    config.stash[ROWS] = []
    config.stash[STARTED] = time.monotonic()
    _CONFIG.append(config)


def fork_workers(config):
    """Where xdist would start its workers as new interpreters (-n N), fork them instead from a server
    forked now, while this process has pytest, the harness and the cases loaded and no thread yet
    (xdist starts its workers at the session's start): hosts/forkserver.py.  The server ends with pytest."""
    specs = config.getoption("tx", None) or []
    if not specs or any(spec != "popen" for spec in specs):
        return
    server = forkserver.start(os.path.join(STATE_DIR, os.environ["SOCKCONF_RUN"]))
    if server:
        config.option.tx = [server.spec()] * len(specs)
        config.stash[FORK_SERVER] = server
        config.add_cleanup(server.stop)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """The workers are done (xdist's session has ended them): the fork server ends before the summary
    measures the run's CPU, which counts the workers only once the server that reaped them is reaped."""
    server = session.config.stash.get(FORK_SERVER, None)
    if server:
        server.stop()


def pytest_xdist_make_scheduler(config, log):
    """Runs dealt one at a time, in the order of `dealt` (plugin/scheduler.py)."""
    return PoolScheduling(config, log)


def pytest_unconfigure(config):
    rid = config.stash.get(OWNED_RUN, None)
    if rid:
        ownership.end_run(rid)


def pytest_generate_tests(metafunc):
    if "conformance_case" not in metafunc.fixturenames:
        return
    members = settings.members()
    try:
        cases = settings.CHECKED_CASES.get(tuple(members[0].case_dirs)) or load_all(members[0].case_dirs)
    except CaseErrors as exc:
        raise pytest.UsageError("the cases have errors:\n" + str(exc))
    for topology in sorted({c.topology for c in cases} - set(TOPOLOGIES)):      # a teacher's own topologies
        metafunc.config.addinivalue_line("markers", "%s: cases on topology %s" % (topology, topology))
    runs = dealt([[(case, vid, dirs, cfg) for case, vid, dirs in planned(cases, cfg)] for cfg in members])
    params = [pytest.param(run, id=test_id(run, len(members) > 1),
                           marks=[getattr(pytest.mark, name) for name in case_markers(run[0])])
              for run in runs]
    metafunc.parametrize("conformance_case", params)


def dealt(runs_of_members):
    """The order the workers are dealt the runs (each member's [(case, vid, dirs, cfg)]): a member's slow
    cases (`slow` over 0, the slowest first) one member ahead of its other cases, so a run waiting out a
    timeout overlaps other members' busy runs and no member's slow cases are left for the end:
    slow 1, slow 2, others 1, slow 3, others 2, ... others N.  One member: its slow cases, then the others."""
    slow = [sorted((r for r in runs if r[0].slow > 0), key=lambda r: -r[0].slow) for runs in runs_of_members]
    others = [[r for r in runs if r[0].slow <= 0] for runs in runs_of_members]
    order = list(slow[0])
    for k in range(len(runs_of_members)):
        order += (slow[k + 1] if k + 1 < len(slow) else []) + others[k]
    return order


def test_id(run, in_class):
    """CASE[/VARIANT], after LABEL: in a class."""
    case, vid, _, cfg = run
    return "%s:%s" % (cfg.label, variant_id(case, vid)) if in_class else variant_id(case, vid)


def case_markers(case):
    """pytest markers of a case: its verdict kind, its programs, its topology (-m tutorial, -m udpclient)."""
    return [case.checks] + case.programs() + [case.topology]


_CONFIG = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    """Collect one row per case run in the controller (xdist forwards reports)."""
    if not _CONFIG:
        return
    props = dict(report.user_properties)
    if "case" not in props:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _CONFIG[0].stash[ROWS].append(row(report, props))


def row(report, props):
    """A case run's row: the fields of a results.json record that the run knows."""
    verdict = verdicts.of_pytest(report)
    reason = props.get("reason", "")    # a failed case's step and what went wrong, in one line
    if verdict == Verdict.SPEC_FAIL:
        reason = report.wasxfail.replace("reason: ", "", 1).partition("\n")[0]
    elif verdict == Verdict.SKIPPED and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2].replace("Skipped: ", "", 1)
    ran_for = props.get("ran_for", 0.0)     # the case run itself, in setup (suite.case_outcome)
    more = {k: props[k] for k in ("label", "artifacts") if k in props}
    return results.new_row(props["case"], props["variant"], props["checks"], props["title"], props["programs"].split(),
                           verdict, reason, ran_for + (report.duration if report.when == "call" else 0.0), **more)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput") or not config.stash.get(ROWS, None):
        return
    members = settings.members()
    rows = config.stash[ROWS]
    if len(members) == 1:
        blame.annotate(rows)       # for the summary and LABEL.results.json alike
        times = os.times()
        doc = summary.write_results(rows, members[0], (time.monotonic() - config.stash[STARTED],
                                    times.user + times.system + times.children_user + times.children_system))
        _, path = summary.write_summary(rows, members[0], PROGRAMS, doc)
        terminalreporter.write_sep("=", "sockconf summary")
        terminalreporter.write(summary.console(rows, PROGRAMS, path))
        return
    terminalreporter.write_sep("=", "sockconf summary: %d implementations" % len(members))
    for cfg in members:
        mine = blame.annotate([r for r in rows if r["label"] == cfg.label])
        doc = summary.write_results(mine, cfg)
        summary.write_summary(mine, cfg, PROGRAMS, doc)
        terminalreporter.write(summary.class_line(mine, cfg))
    for line in summary.harness_lines(rows, each_error=False):      # the kernel's skips, once for the class
        terminalreporter.write(line + "\n")
