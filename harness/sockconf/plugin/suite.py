"""The conformance suite: one test per case file and way of running it."""
import os
import shlex
import time

import pytest

from sockconf import settings
from sockconf.hosts import kernel
from sockconf.hosts.sandbox import SandboxError
from sockconf.language.topofile import TopologyError
from sockconf.language.variants import variant_id
from sockconf.paths import ROOT, shown
from sockconf.run import budget
from sockconf.run.failure import one_line
from sockconf.run.once import run_case
from sockconf.verbs.programs import unrunnable
from sockconf.verdicts import COUNTED_SCOPES


def rerun_command(case, vid, cfg):
    """The one command that reruns exactly this variant of CASE."""
    parts = ["make conformance CASE=%s" % variant_id(case, vid)]
    if cfg.impl:
        parts.append("IMPL=%s" % shlex.quote(shown(cfg.impl)))
    if cfg.ref != settings.Settings.ref:
        parts.append("REF=%s" % shlex.quote(shown(cfg.ref)))
    if cfg.strict:
        parts.append("STRICT=1")
    if cfg.case_dirs:
        parts.append("CASES=%s" % shlex.quote(" ".join(shown(d) for d in cfg.case_dirs)))
    if cfg.limits_text:
        parts.append("LIMITS=%s" % shlex.quote(cfg.limits_text))
    if cfg.path:
        parts.append("PROGRAM_PATH=%s" % shlex.quote(cfg.path))
    if cfg.pcap:
        parts.append("PCAP=1")
    return " ".join(parts)


class CaseOutcome:
    """What setup found for the call to judge: a budget used up (BUDGET: why), or the run's failure."""

    def __init__(self):
        self.budget = None
        self.run = None
        self.failure = None


@pytest.fixture
def case_outcome(conformance_case, request):
    """The case run, in setup: its properties on its report, the reasons it is not run (a program not
    provided, a kernel feature absent: skipped), its implementation's budget (run/budget.py: a case past
    it is not run, and fails in the call), then the run itself.  What the harness could not do (stage the
    programs, build the topology, start a daemon) fails setup: an error, blamed on no program."""
    __tracebackhide__ = True
    case, vid, dirs, cfg = conformance_case
    under_test = sorted(p for p, (_, origin) in dirs.items() if origin != "ref") or sorted(dirs)
    for key, value in (("label", cfg.label), ("case", case.name), ("variant", vid), ("checks", case.checks),
                       ("title", case.title), ("programs", " ".join(under_test))):
        request.node.user_properties.append((key, value))
    missing = [p for p, (d, origin) in dirs.items() if origin == "impl" and unrunnable(os.path.join(d, p)) == "not provided"]
    if missing:
        pytest.skip("not provided: %s" % " ".join(sorted(missing)))
    lacking = kernel.missing(case.needs(), kernel.current())
    if lacking:
        pytest.skip(kernel.skip_reason(lacking))
    outcome = CaseOutcome()
    outcome.budget = budget.used_up(cfg)
    if outcome.budget:
        request.node.user_properties.append(("reason", outcome.budget))
        return outcome
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").replace("gw", "w")
    artifacts = os.path.join(ROOT, "build", "artifacts", cfg.label, case.name + ("" if vid == "ref" else "." + vid))
    request.node.user_properties.append(("artifacts", os.path.relpath(artifacts, ROOT)))
    started, why = time.monotonic(), None
    try:
        outcome.run, outcome.failure = run_case(case, vid, dirs, cfg, worker, artifacts, rerun_command(case, vid, cfg))
    except (SandboxError, OSError, TopologyError) as exc:
        why = harness_error(exc)
    finally:
        request.node.user_properties.append(("ran_for", round(time.monotonic() - started, 3)))
        if cfg.budget:
            budget.charge(cfg, time.monotonic() - started)
    if why:
        request.node.user_properties.append(("reason", why))
        pytest.fail(why, pytrace=False)
    return outcome


def harness_error(exc):
    """The one line of what the harness could not do (EXC), blamed on no program."""
    what = "cannot stage the programs under test" if isinstance(exc, SandboxError) else (
        "cannot build the topology" if isinstance(exc, TopologyError) else "the harness failed")
    return "harness error: %s: %s" % (what, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)


def test_case(conformance_case, case_outcome, request):
    __tracebackhide__ = True
    case, vid, dirs, cfg = conformance_case
    if case_outcome.budget:
        pytest.fail(case_outcome.budget, pytrace=False)
    if case_outcome.failure is None:
        return
    run = case_outcome.run
    reason = one_line(run.failure)
    request.node.user_properties.append(("reason", reason))
    if case.checks not in COUNTED_SCOPES and cfg.impl and not cfg.strict and vid != "ref":
        pytest.xfail(reason)
    pytest.fail(case_outcome.failure, pytrace=False)
