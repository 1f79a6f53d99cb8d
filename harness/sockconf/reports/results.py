"""results.json: one record per implementation x case x variant, in the
documented, stable schema results.schema.json (version 1).  Every run
writes one (build/reports/LABEL.results.json, its implementation named
LABEL); make grade joins theirs, renamed, and makes grades.csv from it."""
import csv
import functools
import hashlib
import json
import os
import platform
import subprocess
import time
from typing import TypedDict

from sockconf.catalogue import PROGRAMS
from sockconf.hosts import kernel
from sockconf.paths import REPORTS, ROOT
from sockconf.reports import blame
from sockconf.verdicts import SCOPES, Verdict

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.schema.json")
SCHEMA_ID = "sockconf-results/2"
# result.json, one case run's detail (a record's `detail` names it)
RUN_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.schema.json")


def path(label):
    """Where a run labelled LABEL writes its results.json."""
    return os.path.join(REPORTS, label + ".results.json")


@functools.lru_cache(maxsize=None)
def _suite_info():
    """What exactly ran the cases: the suite's commit, the kernel and what it lacks, what forwarded
    multicast, iproute2.  Asked once per process (git and ip started once, not per class member)."""
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    iproute = subprocess.run(["ip", "-V"], capture_output=True, text=True).stdout.strip()
    answer = kernel.current()
    return {"version": commit, "kernel": platform.release(), "iproute2": iproute,
            "forwarding": answer.forwarding_text(),
            "kernel_absent": sorted(answer.absent)}


def suite_info():
    """_suite_info(), a copy of its own for each document."""
    return dict(_suite_info(), kernel_absent=list(_suite_info()["kernel_absent"]))


def sha256(file_path):
    h = hashlib.sha256()
    with open(file_path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()[:16]


def program_hashes(directory):
    """{program: sha256 (16 hex digits), or None when DIRECTORY does not provide it}."""
    return {p: (sha256(os.path.join(directory, p)) if os.path.isfile(os.path.join(directory, p)) else None)
            for p in PROGRAMS}


class Row(TypedDict, total=False):
    """A case run's row: what is known of one run before results.json names its implementation.  The
    plugin makes one per run from pytest's report, make grade one per program explored and per case
    an implementation could not run; blame.annotate adds blamed and pair_only."""
    case: str
    variant: str                # ref, impl, PROGRAM-impl, explore
    checks: str                 # its scope (verdicts.SCOPES)
    title: str
    programs: list              # the programs under test in it
    verdict: Verdict
    reason: str                 # why it did not pass, in one line ('' when it did)
    duration: float             # seconds
    label: str                  # the run's label (a class member's)
    artifacts: str              # its folder under ROOT, with its result.json; absent when it did not run
    blamed: list
    pair_only: bool


def new_row(case, variant, checks, title, programs, verdict, reason="", duration=0.0, **more):
    """A Row; MORE: label, artifacts."""
    unknown = set(more) - {"label", "artifacts"}
    if unknown:
        raise TypeError("new_row: no field %s" % ", ".join(sorted(unknown)))
    return Row(case=case, variant=variant, checks=checks, title=title, programs=list(programs),
               verdict=Verdict(verdict), reason=reason, duration=round(duration, 3), **more)


class Entry(TypedDict):
    """An implementation of results.json: its name and folder, whether it ran (else why not), its
    programs' hashes, what it spent."""
    name: str
    path: str
    status: str                 # ran, or error
    error: str                  # why it did not run (None when it ran)
    programs: dict              # program -> sha256 (16 hex digits), None when not provided
    wall_seconds: float
    cpu_seconds: float


def new_entry(name, path, wall_seconds=0.0, cpu_seconds=0.0):
    """The Entry of implementation NAME in folder PATH, which ran (not_run() says otherwise)."""
    return Entry(name=name, path=path, status="ran", error=None, programs=program_hashes(path),
                 wall_seconds=round(wall_seconds, 2), cpu_seconds=round(cpu_seconds, 2))


def not_run(entry, why):
    """ENTRY did not run, for the reason WHY."""
    entry.update(status="error", error=why)
    return entry


def record(name, row, detail, detail_path):
    """One record of implementation NAME from a run's row (plugin.row, blame
    annotated) and the run's result.json (DETAIL, at DETAIL_PATH)."""
    failure = (detail or {}).get("failure") or {}
    return {"implementation": name, "case": row["case"], "variant": row["variant"], "checks": row["checks"],
            "title": row["title"], "programs": row["programs"], "verdict": row["verdict"],
            "reason": (row.get("reason") or "").partition("\n")[0],
            "blamed": row.get("blamed", []), "pair_only": row.get("pair_only", False),
            "step": failure.get("step"), "message": failure.get("message"),
            "expected": failure.get("expected"), "actual": failure.get("actual"),
            "transcripts": failure.get("transcripts", []),
            "duration": round(row.get("duration", 0.0), 3), "timing": (detail or {}).get("timing", []),
            "rerun": (detail or {}).get("rerun", ""), "detail": detail_path}


def document(implementations, records, shard=None):
    return {"schema": SCHEMA_ID, "suite": suite_info(), "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "shard": shard, "implementations": implementations, "results": records}


def read(file_path):
    """A results.json document, validated."""
    with open(file_path) as f:
        doc = json.load(f)
    validate(doc)
    return doc


def write(doc, file_path):
    """Write DOC unchecked: importing jsonschema and validating took 40 ms of a one-case run's 600; make check
    validates what runs, classes and grades write (tests/selftest: test_harness, test_pool, test_grade)."""
    with open(file_path, "w") as f:
        json.dump(doc, f, indent=1)


@functools.lru_cache(maxsize=None)
def validator(schema):
    """The checked validator of the schema file SCHEMA, read once per process (a run checks every result.json)."""
    from jsonschema.validators import validator_for
    with open(schema) as f:
        loaded = json.load(f)
    cls = validator_for(loaded)
    cls.check_schema(loaded)
    return cls(loaded)


def validate(doc, schema=SCHEMA):
    """Raise jsonschema.ValidationError when DOC does not follow SCHEMA (results.schema.json)."""
    validator(schema).validate(doc)


def read_run(file_path):
    """A case run's result.json (run.schema.json).  Not validated on every run: 0.8 ms of CPU each,
    more than its whole report; make check validates what runs of every outcome write
    (tests/selftest/test_harness.py)."""
    with open(file_path) as f:
        return json.load(f)


def by_implementation(doc):
    """{implementation name: its records}, every implementation of DOC present."""
    out = {impl["name"]: [] for impl in doc["implementations"]}
    for r in doc["results"]:
        out[r["implementation"]].append(r)
    return out


def by_case(records):
    """{case: its records, by variant}, the cases in order."""
    cases = {}
    for r in sorted(records, key=lambda r: (r["case"], r["variant"])):
        cases.setdefault(r["case"], []).append(r)
    return cases


def harness_failed(runs):
    """Whether the harness could not run one of RUNS (an error): such a case counts for no grade."""
    return any(r["verdict"] == Verdict.ERROR for r in runs)


def score(records, checks):
    """passed/total over the cases of kind CHECKS: a case passes when every
    variant of it passed (a skipped one, a program not provided, does not);
    a case the harness could not run (an error) is in neither figure."""
    cases = [runs for runs in by_case([r for r in records if r["checks"] == checks]).values()
             if not harness_failed(runs)]
    passed = sum(1 for runs in cases if all(r["verdict"] == Verdict.PASS for r in runs))
    return "%d/%d" % (passed, len(cases))


def fraction(runs):
    """passed/total of RUNS that ran (a skipped one, a program not provided, does not count; nor one the
    harness could not run); '-' when none ran."""
    ran = [r for r in runs if Verdict(r["verdict"]).ran]
    return "%d/%d" % (sum(1 for r in ran if r["verdict"] == Verdict.PASS), len(ran)) if ran else "-"


NOT_PROVIDED = "not provided"


def program_score(impl, records, program, checks):
    """PROGRAM's figure over the cases of kind CHECKS: the runs where it alone was under test (blame's
    rule), or NOT_PROVIDED when IMPL has no such program (told apart from a program that failed)."""
    if not impl["programs"].get(program):
        return NOT_PROVIDED
    return fraction([r for r in blame.per_program(records, program) if r["checks"] == checks])


def together_score(records):
    return fraction(blame.together(records))


CSV_HEADER = (["implementation"] + list(SCOPES)
              + ["%s %s" % (p, checks) for p in PROGRAMS for checks in SCOPES]
              + ["together", "pair_only_failures", "harness_errors", "wall_seconds"])


def grade_rows(doc):
    rows = []
    records = by_implementation(doc)
    for impl in doc["implementations"]:
        mine = records[impl["name"]]
        rows.append([impl["name"]] + [score(mine, checks) for checks in SCOPES]
                    + [program_score(impl, mine, p, checks) for p in PROGRAMS for checks in SCOPES]
                    + [together_score(mine), sum(1 for r in mine if r["pair_only"]),
                       sum(1 for r in mine if r["verdict"] == Verdict.ERROR), "%.1f" % impl["wall_seconds"]])
    return rows


def write_csv(doc, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        writer.writerows(grade_rows(doc))
