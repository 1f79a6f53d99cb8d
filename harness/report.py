"""The end-of-run summary: a program x case matrix, failures and skips with
their reasons, and what exactly was tested (suite commit, a hash of each
program, kernel and iproute2 versions), printed and written as Markdown."""
import hashlib
import json
import os
import platform
import re
import subprocess
import time
import xml.etree.ElementTree as ET

import blame
import sandbox
from engine import program_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKS = {"passed": "pass", "failed": "FAIL", "skipped": "skip", "spec-failed": "spec-fail"}


def junit_path(label):
    """Where a run labelled LABEL writes its JUnit file."""
    return os.path.join(ROOT, "build", "reports", label + ".junit.xml")


def results_path(label):
    """Where a run labelled LABEL writes its rows (one per case run) as JSON."""
    return os.path.join(ROOT, "build", "reports", label + ".results.json")


def write_results(rows, cfg):
    """LABEL.results.json: every row, with the run's settings; make grade reads it."""
    path = results_path(cfg.label)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"label": cfg.label, "impl": cfg.impl, "strict": cfg.strict, "rows": rows}, f, indent=1)
    return path


def junit_verdicts(path):
    """{case/variant: passed|failed|skipped} from a run's JUnit file."""
    out = {}
    for test in ET.parse(path).getroot().iter("testcase"):
        name = re.sub(r"^test_case\[(.*)\]$", r"\1", test.get("name"))
        if test.find("failure") is not None or test.find("error") is not None:
            out[name] = "failed"
        elif test.find("skipped") is not None:
            out[name] = "skipped"
        else:
            out[name] = "passed"
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()[:16]


def provenance(cfg, programs):
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    iproute = subprocess.run(["ip", "-V"], capture_output=True, text=True).stdout.strip()
    lines = ["- suite commit: `%s`" % commit,
             "- kernel: `%s`" % platform.release(),
             "- iproute2: `%s`" % iproute,
             "- programs under test: `%s`" % (cfg.impl or cfg.ref + " (reference)"),
             "- strict (spec cases count): %s" % ("yes" if cfg.strict or not cfg.impl else "no"),
             "- programs run as: an unprivileged user of their own per case, no capabilities, "
             "no_new_privs, a private /tmp",
             "- limits: %s" % sandbox.describe_limits(cfg.limits),
             "- environment: %s" % " ".join("`%s=%s`" % kv for kv in sorted(program_env(cfg.path).items())),
             "- date: %s" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())]
    directory = cfg.impl or cfg.ref
    for prog in programs:
        path = os.path.join(directory, prog)
        lines.append("  - `%s`: %s" % (prog, "sha256 " + sha256(path) if os.path.isfile(path) else "not provided"))
    return lines


def write_summary(rows, cfg, programs):
    """The Markdown summary: per case, each program's result where it alone
    was under test, and the result of programs together with whom it blames
    (ROWS annotated by blame.annotate)."""
    cases = sorted({r["case"] for r in rows})
    used = [p for p in programs if blame.per_program(rows, p)]
    header = "| case | checks | " + " | ".join(used) + " | programs together |"
    lines = ["# sockconf conformance: %s" % cfg.label, ""] + provenance(cfg, programs) + [
             "", "A program's column counts the runs where it alone was under test; a failure of programs "
             "together names the programs that also failed alone, or says that only the pair fails.", "",
             header, "|" + "---|" * (len(used) + 3)]
    for case in cases:
        mine = [r for r in rows if r["case"] == case]
        cells = [" ".join(sorted({MARKS[r["outcome"]] for r in blame.per_program(mine, p)})) for p in used]
        pairs = " ".join("%s: %s" % (" + ".join(blame.programs_of(r)), blame.pair_mark(r, MARKS))
                         for r in blame.together(mine))
        lines.append("| %s | %s | %s | %s |" % (case, mine[0]["checks"], " | ".join(cells), pairs))
    counts = {k: sum(1 for r in rows if r["outcome"] == k) for k in MARKS}
    lines += ["", "%d passed, %d failed, %d skipped, %d spec cases failed (not counted without STRICT=1)" % (
        counts["passed"], counts["failed"], counts["skipped"], counts["spec-failed"])]
    notes = [r for r in rows if r["outcome"] != "passed"]
    if notes:
        lines += ["", "| case | variant | result | reason |", "|---|---|---|---|"]
        for r in sorted(notes, key=lambda r: (r["case"], r["variant"])):
            reason = (r["reason"] or "see the failure report above").replace("|", "/").splitlines()
            lines.append("| %s | %s | %s | %s |" % (r["case"], r["variant"], r["outcome"], reason[0] if reason else ""))
    text = "\n".join(lines) + "\n"
    out_dir = os.path.join(ROOT, "build", "reports")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, cfg.label + ".md")
    with open(path, "w") as f:
        f.write(text)
    return text, path
