"""The end-of-run summary: a program x case matrix, failures and skips with
their reasons, and what exactly was tested (suite commit, a hash of each
program, kernel and iproute2 versions), printed and written as Markdown."""
import os
import time

from sockconf.reports import blame
from sockconf.hosts import kernel, sandbox
from sockconf.hosts.sandbox import program_env

from sockconf.paths import REPORTS, ROOT
from sockconf.reports import results
from sockconf.verdicts import SCOPES, Verdict


def write_results(rows, cfg, spent=None):
    """LABEL.results.json: the run's rows (blame annotated) as results.json
    records of one implementation named LABEL, each with its result.json;
    returns the document.  SPENT is the run's (wall seconds, CPU seconds); without it (a member of a
    class, whose workers are shared) they are the sums over its case runs: their durations, and the
    CPU each result.json measured (the harness's parts and the programs; not the workers' start)."""
    directory = cfg.impl or cfg.ref
    records, cpu_ms = [], 0.0
    for row in sorted(rows, key=lambda r: (r["case"], r["variant"])):
        detail_path = os.path.join(ROOT, row["artifacts"], "result.json") if row.get("artifacts") else None
        detail = None
        if detail_path and os.path.exists(detail_path):
            detail = results.read_run(detail_path)
            cpu_ms += sum(p["harness_ms"] + p["children_ms"] for p in detail.get("cpu", {}).values())
        records.append(results.record(cfg.label, row, detail, os.path.relpath(detail_path, REPORTS) if detail else None))
    wall_seconds, cpu_seconds = spent or (sum(r["duration"] for r in rows), cpu_ms / 1000.0)
    implementation = results.new_entry(cfg.label, directory, wall_seconds, cpu_seconds)
    path = results.path(cfg.label)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    doc = results.document([implementation], records)
    results.write(doc, path)
    return doc


def under_test(cfg):
    """The folder of the programs under test CFG names: IMPL's, or the reference's, said so."""
    return cfg.impl or cfg.ref + " (reference)"


def class_line(rows, cfg):
    """One console line of a class member: its label, folder and counts."""
    counts = {v: sum(1 for r in rows if r["verdict"] == v) for v in Verdict}
    errors = " %4d not run (harness error)" % counts[Verdict.ERROR] if counts[Verdict.ERROR] else ""
    return "%-24s %4d passed %4d failed %4d spec failed %4d skipped%s  %s\n" % (
        cfg.label, counts[Verdict.PASS], counts[Verdict.FAIL], counts[Verdict.SPEC_FAIL],
        counts[Verdict.SKIPPED], errors, under_test(cfg))


def provenance(cfg, programs, doc):
    """What exactly was tested, from the run's results.json DOC (its suite, its program hashes) and CFG."""
    suite = doc["suite"]
    lines = ["- suite commit: `%s`" % suite["version"],
             "- kernel: `%s`%s" % (suite["kernel"], "; absent: %s" % ", ".join(suite["kernel_absent"])
                                   if suite.get("kernel_absent") else ""),
             "- multicast forwarding (routed cases): %s" % suite.get("forwarding", "?"),
             "- iproute2: `%s`" % suite["iproute2"],
             "- programs under test: `%s`" % under_test(cfg),
             "- strict (spec cases count): %s" % ("yes" if cfg.strict or not cfg.impl else "no"),
             "- programs run as: an unprivileged user of their own per case, no capabilities, "
             "no_new_privs, a private /tmp",
             "- limits: %s" % sandbox.describe_limits(cfg.limits),
             "- environment: %s" % " ".join("`%s=%s`" % kv for kv in sorted(program_env(cfg.path).items())),
             "- date: %s" % time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())]
    hashes = doc["implementations"][0]["programs"]
    lines += ["  - `%s`: %s" % (p, "sha256 " + hashes[p] if hashes[p] else "not provided") for p in programs]
    return lines


def program_lines(rows, programs):
    """One console line per program run: its tutorial and spec runs passed out of run; then one line
    naming the programs not provided."""
    lines, absent = [], []
    for p in programs:
        mine = [r for r in rows if p in r["programs"]]
        ran = [r for r in mine if Verdict(r["verdict"]).ran]
        errors = sum(1 for r in mine if r["verdict"] == Verdict.ERROR)
        if not ran and not errors:
            absent += [p] if mine else []
            continue
        parts = []
        for kind in SCOPES:
            runs = [r for r in ran if r["checks"] == kind]
            if runs:
                passed = sum(1 for r in runs if r["verdict"] == Verdict.PASS)
                parts.append("%s %d/%d passed" % (kind, passed, len(runs)))
        failing = any(r["verdict"] == Verdict.FAIL for r in ran)
        parts += ["%d not run (harness error)" % errors] if errors else []
        lines.append("%-14s %-6s %s" % (p, "FAILED" if failing else "ok", ", ".join(parts)))
    return lines + (["not provided (their cases are skipped): %s" % " ".join(absent)] if absent else [])


def harness_lines(rows, each_error=True):
    """What the harness could not do, for the console: one line for the cases skipped for the kernel
    (how many, why), one per harness error (EACH_ERROR; else none: a class's member lines count them)."""
    skipped = [r for r in rows if r["verdict"] == Verdict.SKIPPED and r["reason"].startswith(kernel.SKIP_PREFIX)]
    lines = []
    if skipped:
        why = sorted({r["reason"][len(kernel.SKIP_PREFIX):] for r in skipped})
        lines.append("%d case run%s skipped for the kernel: no %s (make doctor says more)" % (
            len(skipped), "s" * (len(skipped) != 1), "; no ".join(why)))
    if each_error:
        lines += ["%s/%s: %s" % (r["case"], r["variant"], r["reason"]) for r in rows if r["verdict"] == Verdict.ERROR]
    return lines


def console(rows, programs, path):
    """The end of a run on the console: spec failures one line each, a line per program, where the rest is."""
    out = []
    spec = sorted((r for r in rows if r["verdict"] == Verdict.SPEC_FAIL), key=lambda r: (r["case"], r["variant"]))
    if spec:
        out.append("spec cases failed (not counted without STRICT=1; STRICT=1 prints them in full):")
        out += ["  %s/%s: %s" % (r["case"], r["variant"], r["reason"]) for r in spec]
    out += program_lines(rows, programs)
    out += harness_lines(rows)
    out.append("the matrix, every reason and what was tested: %s" % os.path.relpath(path, ROOT))
    return "\n".join(out) + "\n"


def write_summary(rows, cfg, programs, doc):
    """The Markdown summary: per case, each program's result where it alone
    was under test, and the result of programs together with whom it blames
    (ROWS annotated by blame.annotate; DOC the run's results.json, from write_results)."""
    cases = sorted({r["case"] for r in rows})
    used = [p for p in programs if blame.per_program(rows, p)]
    header = "| case | checks | " + " | ".join(used) + " | programs together |"
    lines = ["# sockconf conformance: %s" % cfg.label, ""] + provenance(cfg, programs, doc) + [
             "", "A program's column counts the runs where it alone was under test; a failure of programs "
             "together names the programs that also failed alone, or says that only the pair fails.", "",
             header, "|" + "---|" * (len(used) + 3)]
    for case in cases:
        mine = [r for r in rows if r["case"] == case]
        cells = [" ".join(sorted({str(r["verdict"]) for r in blame.per_program(mine, p)})) for p in used]
        pairs = " ".join("%s: %s" % (" + ".join(blame.programs_of(r)), blame.pair_mark(r))
                         for r in blame.together(mine))
        lines.append("| %s | %s | %s | %s |" % (case, mine[0]["checks"], " | ".join(cells), pairs))
    counts = {v: sum(1 for r in rows if r["verdict"] == v) for v in Verdict}
    lines += ["", "%d passed, %d failed, %d not run (harness error), %d skipped, %d spec cases failed "
              "(not counted without STRICT=1)" % (counts[Verdict.PASS], counts[Verdict.FAIL], counts[Verdict.ERROR],
                                                 counts[Verdict.SKIPPED], counts[Verdict.SPEC_FAIL])]
    notes = [r for r in rows if r["verdict"] != Verdict.PASS]
    if notes:
        lines += ["", "| case | variant | result | reason |", "|---|---|---|---|"]
        for r in sorted(notes, key=lambda r: (r["case"], r["variant"])):
            reason = (r["reason"] or "see the failure report above").replace("|", "/").splitlines()
            lines.append("| %s | %s | %s | %s |" % (r["case"], r["variant"], r["verdict"], reason[0] if reason else ""))
    text = "\n".join(lines) + "\n"
    os.makedirs(REPORTS, exist_ok=True)
    path = os.path.join(REPORTS, cfg.label + ".md")
    with open(path, "w") as f:
        f.write(text)
    return text, path
