"""What exploring found, as files and lines: the case file of a difference
(the reference's case, with what found it and how to rerun it on top), the
outcomes as JSON (make grade reads them), a program's console line."""
import json
import os
from dataclasses import asdict

from sockconf.explore.scenario import write
from sockconf.paths import BUILD, ROOT

OUT = os.path.join(BUILD, "explore")
FINDINGS = os.path.join(OUT, "findings")
CHECKS = "listing"       # the widest scope explored (verdicts.SCOPES, cumulative): CHECKS=tutorial|listing|spec
SHOWN_LINES = 14       # lines of a difference's report on the console (the case file has all of it)


def as_record(found):
    """A Difference as plain data (it crosses from the worker process)."""
    return {"title": found.scenario.title, "checks": found.scenario.checks, "concrete": found.concrete,
            "failure": found.failure, "reason": found.reason,
            "named_as": found.named_as}   # the case's path in the failure report


def describe(outcome):
    """A console line (and, for a difference, its first lines) of one program's exploration."""
    head = "%-13s %3d scenarios, %d outside the space%s" % (
        outcome.program, outcome.scenarios, outcome.outside,
        ", %d differences that did not repeat" % outcome.noise if outcome.noise else "")
    if outcome.flaky:
        return head + ": FLAKY (%s)" % "; ".join(outcome.notes)
    if not outcome.difference:
        return head + ": no difference" + "".join("; " + n for n in outcome.notes)
    found = outcome.difference
    lines = found["failure"].split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(("step ", "transcript "))), 0)
    shown = [line for line in lines[start:start + SHOWN_LINES] if line.strip()]
    return "\n".join([head + ": DIFFERENCE (%s) in %s%s" % (found["checks"], found["title"],
                                                            "".join(" (%s)" % n for n in outcome.notes))]
                     + ["  " + line for line in shown]
                     + ["  case: %s" % os.path.relpath(outcome.case_path, ROOT)])


def finding_name(program, seed_value):
    return "explore-%s-seed%d" % (program, seed_value)


def finding_text(program, seed_value, impl, findings, title, concrete, checks=CHECKS):
    """The case file of a difference: the reference's case with what found it and how to rerun it on top."""
    name = finding_name(program, seed_value)
    impl_arg = " IMPL=%s" % os.path.relpath(impl, ROOT) if impl else ""
    search_arg = impl_arg + ("" if checks == CHECKS else " CHECKS=%s" % checks)
    comments = ["Found by make explore (seed %d): the reference does this, %s does not." % (
                    seed_value, os.path.relpath(impl, ROOT) if impl else "the reference"),
                "Scenario: %s" % title,
                "Rerun the case:  make conformance CASES=%s CASE=%s%s" % (
                    os.path.relpath(findings, ROOT), name, impl_arg),
                "Rerun the search: make explore SEED=%d PROGRAM=%s%s" % (seed_value, program, search_arg)]
    lines = concrete.split("\n")
    return "\n".join("# " + c for c in comments) + "\n\n" + "\n".join(
        "title    explore: " + title if line.startswith("title ") else line for line in lines)


def write_finding(outcome, seed_value, findings=FINDINGS):
    """The shrunk scenario's case file (the very text that failed) in FINDINGS; its failure report names it
    there from now on."""
    path = os.path.join(findings, finding_name(outcome.program, seed_value) + ".case")
    found = outcome.difference
    write(path, found["concrete"])
    outcome.case_path = path
    found["failure"] = found["failure"].replace(found["named_as"], os.path.relpath(path, ROOT))
    found["named_as"] = os.path.relpath(path, ROOT)


def write_outcomes(outcomes, path):
    """OUTCOMES as a JSON list (the shown difference with the path of its case file)."""
    rows = [dict(asdict(o), case_path=o.case_path and os.path.abspath(o.case_path)) for o in outcomes]
    write(path, json.dumps(rows, indent=1) + "\n")


