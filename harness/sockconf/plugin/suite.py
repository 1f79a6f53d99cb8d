"""The conformance suite: one test per case file and way of running it."""
import json
import os
import shlex
import tempfile
import threading

import pytest

from sockconf import settings
from sockconf.reports import results
from sockconf.run.engine import CaseRun, program_env
from sockconf.hosts.sandbox import Sandbox, SandboxError, run_state_dir, stage
from sockconf.settings import ROOT
from sockconf.verbs.programs import unrunnable
from sockconf.language.variants import variant_id
from sockconf.run.failure import CaseFailed

_counter = iter(range(1, 1 << 30))
_counter_lock = threading.Lock()


def rerun_command(case, vid, cfg):
    """The one command that reruns exactly this variant of CASE."""
    parts = ["make conformance CASE=%s" % variant_id(case, vid)]
    if cfg.impl:
        parts.append("IMPL=%s" % shlex.quote(os.path.relpath(cfg.impl, ROOT)))
    if cfg.strict:
        parts.append("STRICT=1")
    if cfg.case_dirs:
        parts.append("CASES=%s" % shlex.quote(" ".join(os.path.relpath(d, ROOT) for d in cfg.case_dirs)))
    if cfg.limits_text:
        parts.append("LIMITS=%s" % shlex.quote(cfg.limits_text))
    if cfg.path:
        parts.append("PROGRAM_PATH=%s" % shlex.quote(cfg.path))
    if cfg.pcap:
        parts.append("PCAP=1")
    return " ".join(parts)


def save_record(path, case, vid, run):
    """result.json of one run, beside its artifacts (every run, passed or not)."""
    os.makedirs(path, exist_ok=True)
    record = dict(run.record(), schema=results.RUN_SCHEMA_ID, case=case.name, variant=vid, checks=case.checks,
                  source=case.relpath, rerun=run.rerun)
    with open(os.path.join(path, "result.json"), "w") as f:
        json.dump(record, f)


def test_case(conformance_case, request):
    __tracebackhide__ = True
    case, vid, dirs = conformance_case
    cfg = settings.current()
    under_test = sorted(p for p, (_, origin) in dirs.items() if origin != "ref") or sorted(dirs)
    for key, value in (("case", case.name), ("variant", vid), ("checks", case.checks),
                       ("title", case.title), ("programs", " ".join(under_test))):
        request.node.user_properties.append((key, value))
    missing = [p for p, (d, origin) in dirs.items() if origin == "impl" and unrunnable(os.path.join(d, p)) == "not provided"]
    if missing:
        pytest.skip("not provided: %s" % " ".join(sorted(missing)))
    rid = cfg.run
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").replace("gw", "w")
    with _counter_lock:
        seq = next(_counter)
    prefix = "sc%s-%s%02d" % (rid, worker, seq)
    run_tmp = run_state_dir(rid, "tmp")
    os.makedirs(run_tmp, exist_ok=True)
    label = cfg.label
    artifacts = os.path.join(ROOT, "build", "artifacts", label, case.name + ("" if vid == "ref" else "." + vid))
    request.node.user_properties.append(("artifacts", os.path.relpath(artifacts, ROOT)))
    try:
        staged = {p: (stage(d, rid, worker), origin) for p, (d, origin) in dirs.items()}
    except (SandboxError, OSError) as exc:
        pytest.fail("cannot stage the programs under test: %s" % exc, pytrace=False)
    with tempfile.TemporaryDirectory(dir=run_tmp) as tmpdir:
        with Sandbox(rid, tmpdir, cfg.limits) as sandbox:
            run = CaseRun(case, staged, prefix, tmpdir, artifacts, rerun_command(case, vid, cfg), sandbox=sandbox,
                          env=program_env(cfg.path), pcap=cfg.pcap)
            try:
                run.run()
                failure = None
            except CaseFailed as exc:
                failure = str(exc)
            finally:
                save_record(artifacts, case, vid, run)
    if failure is None:
        return
    if case.checks == "spec" and cfg.impl and not cfg.strict and vid != "ref":
        pytest.xfail("spec case, not counted without STRICT=1\n%s" % failure)
    pytest.fail(failure, pytrace=False)
