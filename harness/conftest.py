"""pytest glue for the sockconf conformance suite.

Run it through `make conformance` (harness/sockconf.py), or from harness/
with pytest's own options:  /usr/bin/python3 -m pytest -k tcp-echo -x
Its settings (settings.py) come from the environment that sockconf.py sets.
"""
import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import blame  # noqa: E402
import report  # noqa: E402
import runs  # noqa: E402
import settings  # noqa: E402
from cases import PROGRAMS, CaseErrors, load_all  # noqa: E402
from topofile import TOPO_DIR  # noqa: E402
from variants import planned, variant_id  # noqa: E402

# The suite's topologies, netns/*.topo (a teacher's own, of CASES=, are markers too, unregistered).
TOPOLOGIES = sorted(name[:-len(".topo")] for name in os.listdir(TOPO_DIR) if name.endswith(".topo"))


def _sigterm_to_interrupt(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


def pytest_configure(config):
    for name, what in (("tutorial", "cases that hold for the tutorial's listings"),
                       ("spec", "cases of tests/SPEC.md's decisions")):
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
        signal.signal(signal.SIGTERM, runs.terminate_run)
        # Started as plain pytest: this process owns the run.
        runs.sweep()
        rid = runs.begin_run()
        os.environ["SOCKCONF_RUN"] = rid
        settings.current.cache_clear()
        config._sockconf_owner = rid
    config._sockconf_results = []
    _CONFIG.append(config)


def pytest_unconfigure(config):
    rid = getattr(config, "_sockconf_owner", None)
    if rid:
        runs.end_run(rid)


def pytest_generate_tests(metafunc):
    if "conformance_case" not in metafunc.fixturenames:
        return
    cfg = settings.current()
    try:
        cases = sorted(load_all(cfg.case_dirs), key=lambda c: -c.slow)   # slow cases start first
    except CaseErrors as exc:
        raise pytest.UsageError("the cases have errors:\n" + str(exc))
    params = [pytest.param((case, vid, dirs), id=variant_id(case, vid),
                           marks=[getattr(pytest.mark, name) for name in case_markers(case)])
              for case, vid, dirs in planned(cases, cfg)]
    metafunc.parametrize("conformance_case", params)


def case_markers(case):
    """pytest markers of a case: its verdict kind, its programs, its topology (-m tutorial, -m udpclient)."""
    return [case.checks] + case.programs() + [case.topology]


_CONFIG = []


def pytest_xdist_make_scheduler(config, log):
    """xdist's load scheduling, but its first batches are dealt one test at a
    time to each worker in turn: the slow cases, collected first, then start
    on different workers instead of queueing behind each other on one."""
    from itertools import cycle

    from xdist.scheduler import LoadScheduling

    class SpreadScheduling(LoadScheduling):
        def schedule(self):
            if self.collection is not None or not self._check_nodes_have_same_collection():
                return super().schedule()
            self.collection = list(self.node2collection.values())[0]
            self.pending[:] = range(len(self.collection))
            # A worker runs a test only once it holds the next one (or is
            # told to stop): at least two each, as xdist itself deals them.
            per_node = max(len(self.collection) // len(self.nodes) // 4, 2)
            nodes = cycle(self.nodes)
            for _ in range(min(len(self.pending), per_node * len(self.nodes))):
                self._send_tests(next(nodes), 1)
            if not self.pending:
                for node in self.nodes:
                    node.shutdown()

    return SpreadScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    """Collect one row per case run in the controller (xdist forwards reports)."""
    if not _CONFIG:
        return
    props = dict(report.user_properties)
    if "case" not in props:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _CONFIG[0]._sockconf_results.append(report_row(report, props))


def report_row(rep, props):
    if rep.passed:
        outcome = "passed"
    elif rep.skipped and hasattr(rep, "wasxfail"):
        outcome = "spec-failed"
    elif rep.skipped:
        outcome = "skipped"
    else:
        outcome = "failed"
    reason = ""
    if rep.skipped and isinstance(rep.longrepr, tuple):
        reason = rep.longrepr[2].replace("Skipped: ", "", 1)
    if hasattr(rep, "wasxfail"):
        reason = rep.wasxfail.replace("reason: ", "", 1).splitlines()[0] if rep.wasxfail else ""
    return dict(props, outcome=outcome, reason=reason, duration=rep.duration)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput") or not getattr(config, "_sockconf_results", None):
        return
    cfg = settings.current()
    blame.annotate(config._sockconf_results)       # for the summary and LABEL.results.json alike
    report.write_results(config._sockconf_results, cfg)
    text, path = report.write_summary(config._sockconf_results, cfg, PROGRAMS)
    terminalreporter.write_sep("=", "sockconf summary (also in %s)" % os.path.relpath(path))
    terminalreporter.write(text)
