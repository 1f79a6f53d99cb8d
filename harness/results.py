"""results.json of make grade: one record per implementation x case x
variant, in the documented, stable schema results.schema.json (version 1),
and grades.csv made from it."""
import csv
import json
import os
import platform
import subprocess
import time

from cases import PROGRAMS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCHEMA = os.path.join(HERE, "results.schema.json")
SCHEMA_ID = "sockconf-results/1"
VERDICTS = {"passed": "pass", "failed": "fail", "spec-failed": "spec-fail", "skipped": "skipped", "error": "error"}


def suite_info():
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    iproute = subprocess.run(["ip", "-V"], capture_output=True, text=True).stdout.strip()
    return {"version": commit, "kernel": platform.release(), "iproute2": iproute}


def record(name, row, detail, detail_path):
    """One results.json record from a run's row (report.write_results) and its result.json."""
    failure = (detail or {}).get("failure") or {}
    return {"implementation": name, "case": row["case"], "variant": row["variant"], "checks": row["checks"],
            "title": row["title"], "programs": row["under_test"].split(), "verdict": VERDICTS[row["outcome"]],
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


def validate(doc):
    """Raise jsonschema.ValidationError when DOC does not follow results.schema.json."""
    import jsonschema
    with open(SCHEMA) as f:
        jsonschema.validate(doc, json.load(f))


def by_implementation(doc):
    """{implementation name: its records}, every implementation of DOC present."""
    out = {impl["name"]: [] for impl in doc["implementations"]}
    for r in doc["results"]:
        out[r["implementation"]].append(r)
    return out


def score(records, checks):
    """passed/total over the cases of kind CHECKS: a case passes when every
    variant of it passed (a skipped one, a program not provided, does not)."""
    cases = {}
    for r in records:
        if r["checks"] == checks:
            cases.setdefault(r["case"], []).append(r["verdict"])
    passed = sum(1 for verdicts in cases.values() if all(v == "pass" for v in verdicts))
    return "%d/%d" % (passed, len(cases))


def program_score(records, program):
    """passed/total of the runs where PROGRAM alone was under test; '-' when not provided."""
    mine = [r for r in records if r["programs"] == [program] and r["verdict"] != "skipped"]
    if not mine:
        return "-"
    return "%d/%d" % (sum(1 for r in mine if r["verdict"] == "pass"), len(mine))


def together_score(records):
    mine = [r for r in records if len(r["programs"]) > 1 and r["verdict"] != "skipped"]
    return "%d/%d" % (sum(1 for r in mine if r["verdict"] == "pass"), len(mine)) if mine else "-"


CSV_HEADER = ["implementation", "tutorial", "spec"] + list(PROGRAMS) + ["together", "pair_only_failures",
                                                                       "wall_seconds"]


def grade_rows(doc):
    rows = []
    records = by_implementation(doc)
    for impl in doc["implementations"]:
        mine = records[impl["name"]]
        rows.append([impl["name"], score(mine, "tutorial"), score(mine, "spec")]
                    + [program_score(mine, p) for p in PROGRAMS]
                    + [together_score(mine), sum(1 for r in mine if r["pair_only"]), "%.1f" % impl["wall_seconds"]])
    return rows


def write_csv(doc, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        writer.writerows(grade_rows(doc))
