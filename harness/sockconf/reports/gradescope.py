"""Gradescope's autograder results.json, one per implementation (make grade:
build/grade/gradescope/NAME.json), checked against gradescope.schema.json.

One test per case, passed when every variant of it passed (results.score's
rule); its points come from a weights file, else one per tutorial or listing
case and none for a spec case (visible, worth nothing).  A weights file has one rule
per line, `PATTERN POINTS` (a shell pattern over case names, the first
match wins); `#` starts a comment:

    # the timeout cases count double
    tcp-server-timeout*   2
    explore-*             0
"""
import fnmatch
import json
import os

from sockconf.reports import pages, results
from sockconf.verdicts import SCOPES, Verdict

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gradescope.schema.json")
DEFAULT_POINTS = {"tutorial": 1.0, "listing": 1.0, "spec": 0.0}


class WeightsError(ValueError):
    pass


def read_weights(path):
    """[(pattern, points)] of the weights file PATH; WeightsError naming FILE:LINE when a line is not one."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise WeightsError("%s: %s" % (path, exc.strerror))
    rules = []
    for number, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        try:
            if len(words) != 2:
                raise ValueError
            points = float(words[1])
            if not 0 <= points < float("inf"):
                raise ValueError
        except ValueError:
            raise WeightsError("%s:%d: expected `PATTERN POINTS` (points 0 or more), got %r" % (path, number, line))
        rules.append((words[0], points))
    return rules


def points(case, checks, rules):
    """The points case CASE (of kind CHECKS) is worth under RULES."""
    for pattern, value in rules:
        if fnmatch.fnmatchcase(case, pattern):
            return value
    return DEFAULT_POINTS[checks]


def describe(record):
    """One line per variant: its verdict, and why when it did not pass."""
    line = "%s (%s): %s" % (record["variant"], " ".join(record["programs"]), record["verdict"])
    return line + (": " + record["reason"] if record["verdict"] != Verdict.PASS and record["reason"] else "")


def test_of(case, records, rules):
    """The Gradescope test of CASE from its RECORDS (one per variant)."""
    first = records[0]
    worth = points(case, first["checks"], rules)
    passed = all(r["verdict"] == Verdict.PASS for r in records)
    if results.harness_failed(records):      # the harness could not run it: worth nothing either way
        worth, passed = 0.0, False
    return {"name": "%s [%s]%s" % (case, first["checks"], " (not run: harness error)" if not worth and
                                   results.harness_failed(records) else ""),
            "score": worth if passed else 0.0, "max_score": worth,
            "status": "passed" if passed else "failed", "visibility": "visible",
            "tags": [first["checks"]] + sorted({p for r in records for p in r["programs"]}),
            "output": first["title"] + "\n" + "\n".join(describe(r) for r in records)}


def document(entry, records, rules):
    """The results.json of one implementation (ENTRY of results.json's implementations) from its RECORDS."""
    tests = [test_of(case, rs, rules) for case, rs in results.by_case(records).items()]
    # failures first, as the feedback page: a student reads what is wrong before what passed
    tests.sort(key=lambda t: (t["status"] == "passed", t["name"]))
    for number, test in enumerate(tests, 1):
        test["number"] = str(number)
    summary = "; ".join("%s cases passed: %s" % (checks, results.score(records, checks)) for checks in SCOPES)
    if entry["status"] != "ran":
        summary += "\nnot run: %s" % entry["error"]
    return {"score": sum(t["score"] for t in tests), "execution_time": entry["wall_seconds"],
            "output": summary, "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def write_all(doc, out_dir, rules=()):
    """build/grade/gradescope/NAME.json for every implementation of DOC, each checked against the schema."""
    folder = os.path.join(out_dir, "gradescope")
    os.makedirs(folder, exist_ok=True)
    records = results.by_implementation(doc)
    for entry in doc["implementations"]:
        one = document(entry, records[entry["name"]], rules)
        results.validate(one, SCHEMA)
        with open(os.path.join(folder, pages.file_name(entry["name"]) + ".json"), "w") as f:
            json.dump(one, f, indent=1)
            f.write("\n")
