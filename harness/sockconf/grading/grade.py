"""make grade: every subfolder of SUBMISSIONS is one implementation; all of
them are one class, whose cases run in one pool of JOBS workers
(grading/pool.py), each implementation still with its own run id, prefix,
topologies, sandbox users and budget; the outputs go to build/grade/ (results.json,
grades.csv, index.html, impl/NAME.html, gradescope/NAME.json: Gradescope's
autograder results, points per case from --weights FILE).

  python3 -m sockconf grade run SUBMISSIONS [--jobs N] [--shard i/N] [--case 'PATTERN ...'] [--out DIR]
                                           [--explore N [--seed S]]

With --explore N each implementation is also explored (sockconf.explore), N
scenarios per program it provides, after its cases: one record per program,
case explore-PROGRAM, variant explore; a difference is a fail (tutorial
scenario) or a spec-fail, its shrunk case file under impl/NAME/findings/.
  python3 -m sockconf grade merge --out DIR SHARD_DIR...
"""
import concurrent.futures
import functools
import json
import os
import shutil
import subprocess
import time

from sockconf.paths import REPORTS, SELF
from sockconf import usage
from sockconf.verdicts import COUNTED_SCOPES, Verdict

from sockconf.grading import pool
from sockconf.reports import gradescope
from sockconf.reports import pages
from sockconf.reports import results
import sockconf.verbs  # noqa: F401  (registers the verbs that cases are checked against)
from sockconf.language.cases import CaseErrors, load_all
from sockconf.language.variants import selected, variant_id

die = functools.partial(usage.die, command="grade")
EXPLORE_BOUND = 900.0          # seconds one submission's exploration may take


def submissions(directory, command="grade"):
    """The sorted names of the implementations in DIRECTORY (its subfolders); a bad folder ends
    `make COMMAND` with one line and exit 2."""
    if not directory:
        die("make %s needs SUBMISSIONS=DIR, a folder with one subfolder per implementation" % command, command=command)
    if not os.path.isdir(directory):
        die("SUBMISSIONS=%s: no such folder" % directory, command=command)
    names = sorted(e for e in os.listdir(directory) if not e.startswith(".")
                   and os.path.isdir(os.path.join(directory, e)))
    if not names:
        die("SUBMISSIONS=%s has no subfolder (one per implementation)" % directory, command=command)
    return names


def parse_shard(text):
    """'i/N' -> (i, N), 1 <= i <= N."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        die("SHARD=%s: expected i/N, e.g. 2/4" % text)
    if not 1 <= i <= n:
        die("SHARD=%s: i must be from 1 to N" % text)
    return i, n


def share(names, shard):
    """The deterministic share of shard i/N: every N-th name of the sorted list, from the i-th."""
    if shard is None:
        return names
    i, n = shard
    return [name for k, name in enumerate(names) if k % n == i - 1]


def explore_and_record(name, entry, out_dir, args):
    """With --explore, one implementation's exploration as records (an `error` record when it could not
    be explored)."""
    if not args.explore or entry["status"] != "ran":
        return []
    explored, why = explore_one(name, entry["path"], out_dir, args.explore, args.seed)
    if why:
        provided = sorted(p for p, digest in entry["programs"].items() if digest)
        explored = [results.record(name, {"case": "explore", "variant": "explore", "checks": "tutorial",
                                          "title": "explore", "programs": provided, "verdict": Verdict.ERROR,
                                          "reason": why, "duration": 0.0}, None, None)]
    return explored


def explore_one(name, path, out_dir, examples, seed_value):
    """Explore one implementation; (its records, None) or ([], why it could not be explored)."""
    log_path = os.path.join(out_dir, "logs", name + ".explore.log")
    json_path = os.path.join(out_dir, "logs", name + ".explore.json")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([*SELF, "explore", "--impl", path, "--examples", str(examples), "--seed", str(seed_value),
                                 "--findings", os.path.join(out_dir, "impl", pages.file_name(name), "findings"),
                                 "--database", os.path.join(out_dir, "hypothesis", pages.file_name(name)),
                                 "--json", json_path],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        status, _ = pool.wait_bounded(proc, time.monotonic() + EXPLORE_BOUND)
    if status is None or not os.path.exists(json_path):
        return [], ("exploration timed out after %.0f s" % EXPLORE_BOUND if status is None
                    else "exploration did not run (exit %d): see logs/%s.explore.log" % (status, name))
    with open(json_path) as f:
        return [explored_record(name, o, out_dir, seed_value) for o in json.load(f)], None


def explored_record(name, outcome, out_dir, seed_value):
    """The results.json record of one program's exploration (OUTCOME from explore --json)."""
    found = outcome["difference"]
    if found:
        verdict = Verdict.FAIL if found["checks"] in COUNTED_SCOPES else Verdict.SPEC_FAIL
        reason = "%s: %s (case %s)" % (found["title"], found["reason"],
                                       os.path.relpath(outcome["case_path"], out_dir))
    elif outcome["flaky"] or outcome["stopped"]:
        verdict, reason = Verdict.ERROR, "; ".join(outcome["notes"])
    else:
        verdict, reason = Verdict.PASS, ""
    row = results.new_row("explore-" + outcome["program"], "explore", found["checks"] if found else "tutorial",
                          "explore %s: %d scenarios, seed %d" % (outcome["program"], outcome["scenarios"], seed_value),
                          [outcome["program"]], verdict, reason)
    return results.record(name, row, None, None)


def collect(name, run_records, out_dir):
    """The records of one implementation's run, renamed NAME, each run's timeline copied beside them."""
    detail_dir = os.path.join(out_dir, "impl", pages.file_name(name))
    os.makedirs(detail_dir, exist_ok=True)
    return [kept(r, name, os.path.join(detail_dir, "%s.%s.json" % (r["case"], r["variant"])), out_dir)
            for r in run_records]


def kept(record, name, detail_path, out_dir):
    """RECORD of a run renamed NAME, its detail (the run's result.json) copied to DETAIL_PATH and named
    relative to OUT_DIR."""
    if not record["detail"]:
        return dict(record, implementation=name, detail=None)
    os.makedirs(os.path.dirname(detail_path), exist_ok=True)
    shutil.copyfile(os.path.join(REPORTS, record["detail"]), detail_path)
    return dict(record, implementation=name, detail=os.path.relpath(detail_path, out_dir))


def error_record(name, case, variant, reason):
    """The `error` record of CASE's VARIANT for implementation NAME, which could not be run (REASON)."""
    return results.record(name, results.new_row(case.name, variant, case.checks, case.title, case.programs(),
                                                Verdict.ERROR, reason), None, None)


def error_records(name, entry, cases, case_patterns):
    """One `error` record per selected case of an implementation that could not be run."""
    patterns = (case_patterns or "").split()
    return [error_record(name, c, "impl", entry["error"]) for c in cases
            if selected(c.name, variant_id(c, "impl"), patterns)]


def write_outputs(doc, out_dir, rules):
    results.write(doc, os.path.join(out_dir, "results.json"))
    results.write_csv(doc, os.path.join(out_dir, "grades.csv"))
    gradescope.write_all(doc, out_dir, rules)
    pages.write_all(doc, out_dir)


def weight_rules(path):
    """The rules of the weights file PATH (none: the defaults); a bad file ends the command with exit 2."""
    try:
        return gradescope.read_weights(path) if path else []
    except gradescope.WeightsError as exc:
        die("WEIGHTS=%s" % exc)


def cmd_run(args):
    if args.jobs is not None and args.jobs < 1:
        die("JOBS=%d: at least 1 (cases at once)" % args.jobs)
    if args.explore is not None and args.explore < 1:
        die("EXPLORE=%d: at least 1 scenario per program" % args.explore)
    rules = weight_rules(args.weights)
    names = share(submissions(args.submissions), parse_shard(args.shard) if args.shard else None)
    try:
        cases = load_all()
    except CaseErrors as exc:
        die("the cases have errors:\n" + str(exc))
    out_dir = os.path.abspath(args.out)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(os.path.join(out_dir, "logs"))
    paths = {name: os.path.join(args.submissions, name) for name in names}
    args.jobs = args.jobs or pool.default_jobs(sum(1 for name in names if pool.provides_any(paths[name])))
    print("grade: %d implementations, %d cases at once -> %s" % (len(names), args.jobs, os.path.relpath(out_dir)),
          flush=True)
    started = time.monotonic()
    graded = pool.run_class([{"name": name, "impl": paths[name]} for name in names],
                            "grade-" + pool.new_tag(), out_dir, args.jobs, args.case)
    records = []
    for name in names:
        entry, rows = graded[name]
        records += collect(name, rows, out_dir) if entry["status"] == "ran" else error_records(name, entry, cases, args.case)
        print("grade: %-24s %-5s %s" % (name, entry["status"], entry["error"] or "%.1f s of case runs" % entry["wall_seconds"]))
    with concurrent.futures.ThreadPoolExecutor(pool.explore_jobs()) as explorers:
        for explored in explorers.map(lambda name: explore_and_record(name, graded[name][0], out_dir, args), names):
            records += explored
    implementations = [graded[name][0] for name in names]
    doc = results.document(implementations, sorted(records, key=lambda r: (r["implementation"], r["case"], r["variant"])),
                           args.shard)
    write_outputs(doc, out_dir, rules)
    print("grade: %d implementations in %.1f s: %s" % (len(names), time.monotonic() - started,
                                                        os.path.relpath(os.path.join(out_dir, "index.html"))))


def cmd_merge(args):
    """Combine the build/grade folders of several shares into one."""
    rules = weight_rules(args.weights)
    out_dir = os.path.abspath(args.out)
    docs = []
    for shard_dir in args.shards:
        path = os.path.join(shard_dir, "results.json")
        if not os.path.exists(path):
            die("%s: no results.json (is it the build/grade folder of a share?)" % shard_dir)
        with open(path) as f:
            docs.append(json.load(f))
    os.makedirs(os.path.join(out_dir, "impl"), exist_ok=True)
    for shard_dir in args.shards:
        if os.path.abspath(shard_dir) != out_dir:
            shutil.copytree(os.path.join(shard_dir, "impl"), os.path.join(out_dir, "impl"), dirs_exist_ok=True)
    names = [i["name"] for d in docs for i in d["implementations"]]
    if len(names) != len(set(names)):
        die("the shares overlap: an implementation is in more than one")
    doc = results.document(sorted((i for d in docs for i in d["implementations"]), key=lambda e: e["name"]),
                           sorted((r for d in docs for r in d["results"]),
                                  key=lambda r: (r["implementation"], r["case"], r["variant"])), None)
    write_outputs(doc, out_dir, rules)
    print("grade: merged %d shares, %d implementations -> %s" % (len(docs), len(names), os.path.relpath(out_dir)))
