"""One case run, as the suite and the explorer both do it: the programs
staged, a sandbox of its own, a fresh topology named by the run id, a
result.json beside the artifacts whatever happens."""
import itertools
import json
import os
import tempfile
import threading

from sockconf.hosts.sandbox import Sandbox, program_env, run_state_dir, stage
from sockconf.paths import shown
from sockconf.run.cpu import CpuMeter
from sockconf.run.engine import CaseRun
from sockconf.run.failure import CaseFailed

RUN_SCHEMA_ID = "sockconf-run/1"      # result.json's (reports/run.schema.json)
_sequence = itertools.count(1)
_sequence_lock = threading.Lock()


def save_record(path, case, vid, run):
    """result.json of one run, beside its artifacts (every run, passed or not)."""
    os.makedirs(path, exist_ok=True)
    record = dict(run.record(), schema=RUN_SCHEMA_ID, case=case.name, variant=vid, checks=case.checks,
                  source=case.relpath, rerun=run.rerun)
    with open(os.path.join(path, "result.json"), "w") as f:
        f.write(json.dumps(record))


def run_case(case, vid, dirs, cfg, worker, artifacts, rerun):
    """Run CASE (variant VID) with DIRS = {program: (directory, origin)} under
    the settings CFG (its run id, limits, PATH, pcap); (the CaseRun, its
    failure report or None).  Staging problems raise SandboxError or OSError."""
    with _sequence_lock:
        seq = next(_sequence)
    prefix = "sc%s-%s%02d" % (cfg.run, worker, seq)
    run_tmp = run_state_dir(cfg.run, "tmp")
    os.makedirs(run_tmp, exist_ok=True)
    meter = CpuMeter()
    # each program's origin as reports show it: ref or impl and the folder it came from (in make interop
    # the REF folder is another implementation's)
    staged = {p: (stage(d, cfg.run, worker), "%s %s" % (origin, shown(d))) for p, (d, origin) in dirs.items()}
    meter.lap("stage")
    run, failure = None, None
    try:
        with tempfile.TemporaryDirectory(dir=run_tmp) as tmpdir:
            with Sandbox(cfg.run, tmpdir, cfg.limits) as sandbox:
                meter.lap("sandbox")
                run = CaseRun(case, staged, prefix, tmpdir, artifacts, rerun, sandbox=sandbox,
                              env=program_env(cfg.path), pcap=cfg.pcap, cpu=meter)
                try:
                    run.run()
                except CaseFailed as exc:
                    failure = str(exc)
            meter.lap("sandbox end")
    finally:
        if run is not None:
            save_record(artifacts, case, vid, run)
    return run, failure
