"""The pool of workers for a class of implementations: every member's cases
run in one `sockconf run --class` (one pytest-xdist session; the plugin deals
each member's slow cases one member ahead of its others), each member with its own run id, label, reports and
budget of case-run seconds (run/budget.py).  make grade, make interop and
make mutants schedule their implementations through it."""
import json
import os
import random
import signal
import string
import subprocess
import time

from sockconf.catalogue import PROGRAMS
from sockconf.paths import SELF
from sockconf.reports import results

CASE_SECONDS = 1800.0          # seconds of case runs one implementation may use (run/budget.py)
STOP_GRACE = 30.0              # seconds a run has to end after SIGTERM (and after SIGKILL)
STOP_SECONDS = 120.0           # beyond the budgets shared by the workers: starting and ending the class


def cores():
    """The cores this process may use (a Slurm task's, a container's cpuset)."""
    return len(os.sched_getaffinity(0))


def default_jobs(members):
    """Cases at once in the pool of a class of MEMBERS: cases mostly wait, so more workers than cores,
    12 per core (measured on 2 cores, 10 copies of the reference: 12 workers 128 s, 24 76 to 91 s,
    36 72 s, but each case run then took 29 % longer and the CPU grew by 16 %), and no more than
    6 per member (a single run's 6: each worker's start costs about 0.45 CPU s)."""
    return max(1, min(12 * cores(), 6 * members))


def explore_jobs():
    """Explorations at once: each has its own workers, so two per core and one more."""
    return 2 * cores() + 1


def new_tag():
    """Four letters or digits that keep the labels of this command's runs apart from another's."""
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(4))


def provides_any(path):
    """True when folder PATH holds one of the programs (as results.program_hashes sees them)."""
    return any(os.path.isfile(os.path.join(path, p)) for p in PROGRAMS)


def run_class(members, tag, out_dir, jobs, case_patterns=None, extra=()):
    """Every member's cases in one pool of JOBS workers (sockconf run --class), each member with its own
    run id, label and budget.  MEMBERS: [{"name", "impl"}, optionally "label" (else TAG-K), "ref" (its pairs' other program)
    and "case" (its own CASE= patterns)]; EXTRA: more options of sockconf run (--strict).  The class's
    console goes to OUT_DIR/logs/class.log.  A member that holds none of the programs is not run: its
    entry says so.  {name: (implementation entry, rows)}."""
    graded = {m["name"]: (results.new_entry(m["name"], os.path.abspath(m["impl"])), []) for m in members}
    for m in members:
        if not provides_any(m["impl"]):
            results.not_run(graded[m["name"]][0], "holds none of the programs (%s)" % " ".join(PROGRAMS))
    members = [m for m in members if graded[m["name"]][0]["status"] == "ran"]
    if not members:
        return graded
    labels = {m["name"]: m.get("label") or "%s-%03d" % (tag, k) for k, m in enumerate(members)}
    os.makedirs(os.path.join(out_dir, "logs"), exist_ok=True)
    class_file = os.path.join(out_dir, "logs", "class.json")
    with open(class_file, "w") as f:
        json.dump([dict({k: m[k] for k in ("impl", "ref", "case") if k in m}, label=labels[m["name"]])
                   for m in members], f)
    log_path = os.path.join(out_dir, "logs", "class.log")
    bound = STOP_SECONDS + CASE_SECONDS * len(members) / max(1, jobs)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([*SELF, "run", "--class", class_file, "--label", tag,
                                 "--workers", str(jobs), "--budget", str(CASE_SECONDS)]
                                + (["--case", case_patterns] if case_patterns else []) + list(extra),
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        status, _ = wait_bounded(proc, time.monotonic() + bound)
    for name in labels:
        entry = graded[name][0]
        run_results = results.path(labels[name])
        if status is None or not os.path.exists(run_results):
            results.not_run(entry, "the class timed out after %.0f s" % bound if status is None
                            else "the run did not start (exit %d): %s" % (status, last_line(log_path)))
            continue
        doc = results.read(run_results)
        spent = doc["implementations"][0]
        entry.update(wall_seconds=spent["wall_seconds"], cpu_seconds=spent["cpu_seconds"])
        graded[name] = (entry, doc["results"])
    return graded


def last_line(log_path):
    """The last line of a log that is not empty."""
    with open(log_path) as log:
        return ([line.strip() for line in log if line.strip()][-1:] or ["no output"])[0]


def wait_bounded(proc, deadline):
    """(exit status, rusage) of PROC, or (None, rusage) after ending its group at DEADLINE: SIGTERM
    (a run removes what it made), SIGKILL after STOP_GRACE seconds more."""
    found = _wait_until(proc, deadline)
    if found:
        return found
    os.killpg(proc.pid, signal.SIGTERM)
    found = _wait_until(proc, time.monotonic() + STOP_GRACE)
    if not found:
        os.killpg(proc.pid, signal.SIGKILL)
        found = _wait_until(proc, time.monotonic() + STOP_GRACE)
    return None, found[1] if found else None


def _wait_until(proc, deadline):
    """(exit status, rusage) of PROC once it ends, or None at DEADLINE."""
    while True:
        try:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if pid:
            return os.waitstatus_to_exitcode(status), usage
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)
