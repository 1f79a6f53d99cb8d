"""The conformance suite: one test per case file and way of running it."""
import os
import shlex
import time

import pytest

from sockconf import settings
from sockconf.hosts.sandbox import SandboxError
from sockconf.language.variants import variant_id
from sockconf.paths import ROOT, shown
from sockconf.run import budget
from sockconf.run.once import run_case
from sockconf.verbs.programs import unrunnable


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


def one_line(details):
    """A failure in one line, from its data (failure.failure_details): the failing step and what went
    wrong, or the first program whose transcript differs."""
    if details["line"] is not None:
        return "line %d: %s: %s" % (details["line"], details["source"], details["message"])
    return "transcript of %s differs" % details["transcripts"][0]["actor"]


@pytest.fixture
def budgeted(conformance_case, request):
    """The case run's properties on its report; its implementation's budget (run/budget.py) checked
    before it (a case past it is not run: an error in setup) and charged after it."""
    __tracebackhide__ = True
    case, vid, dirs, cfg = conformance_case
    under_test = sorted(p for p, (_, origin) in dirs.items() if origin != "ref") or sorted(dirs)
    for key, value in (("label", cfg.label), ("case", case.name), ("variant", vid), ("checks", case.checks),
                       ("title", case.title), ("programs", " ".join(under_test))):
        request.node.user_properties.append((key, value))
    why = budget.used_up(cfg)
    if why:
        request.node.user_properties.append(("reason", why))
        pytest.fail(why, pytrace=False)
    started = time.monotonic()
    yield
    if cfg.budget:
        budget.charge(cfg, time.monotonic() - started)


def test_case(conformance_case, budgeted, request):
    __tracebackhide__ = True
    case, vid, dirs, cfg = conformance_case
    missing = [p for p, (d, origin) in dirs.items() if origin == "impl" and unrunnable(os.path.join(d, p)) == "not provided"]
    if missing:
        pytest.skip("not provided: %s" % " ".join(sorted(missing)))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").replace("gw", "w")
    artifacts = os.path.join(ROOT, "build", "artifacts", cfg.label, case.name + ("" if vid == "ref" else "." + vid))
    request.node.user_properties.append(("artifacts", os.path.relpath(artifacts, ROOT)))
    try:
        run, failure = run_case(case, vid, dirs, cfg, worker, artifacts, rerun_command(case, vid, cfg))
    except (SandboxError, OSError) as exc:
        pytest.fail("cannot stage the programs under test: %s" % exc, pytrace=False)
    if failure is None:
        return
    request.node.user_properties.append(("reason", one_line(run.failure)))
    if case.checks == "spec" and cfg.impl and not cfg.strict and vid != "ref":
        pytest.xfail(one_line(run.failure))
    pytest.fail(failure, pytrace=False)
