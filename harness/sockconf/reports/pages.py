"""index.html (implementations x cases, grouped by program, sortable) and
one page per implementation (a summary per program, the failures first
with their diffs and sequence charts, the passes folded) from
results.json, through the Jinja2 templates beside this file.  Everything
is in the files: no network fetches."""
import json
import os

import jinja2

from sockconf.catalogue import PROGRAMS
from sockconf.reports import msc
from sockconf.reports import results
from sockconf.verdicts import FAILURES, SCOPES, WORST_FIRST, Verdict

# A verdict's letter in the matrix (its value is also its CSS class; verdicts.WORST_FIRST orders them).
LETTERS = {Verdict.PASS: "\u2713", Verdict.FAIL: "F", Verdict.ERROR: "E", Verdict.SPEC_FAIL: "S",
           Verdict.SKIPPED: "\u2013"}
ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                              "templates")),
                                 autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True)


def worst(verdicts):
    return next((v for v in WORST_FIRST if v in verdicts), Verdict.SKIPPED)


def file_name(name):
    """An implementation's name as a file name (its page, its folder of timelines)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def page_name(name):
    return "impl/%s.html" % file_name(name)


def case_groups(doc):
    """[(programs, [(case, checks)])]: each case under the programs it starts."""
    programs = {}
    for r in doc["results"]:
        if len(r["programs"]) >= len(programs.get(r["case"], ())):
            programs[r["case"]] = r["programs"]
    groups = {}
    for r in doc["results"]:
        groups.setdefault(" + ".join(programs[r["case"]]), {})[r["case"]] = r["checks"]
    return [(g, sorted(cases.items())) for g, cases in sorted(groups.items())]


def fraction_key(text):
    """A sort key for 57/60 (the passed count)."""
    return text.split("/")[0] if "/" in text else "-1"


def render(template, **values):
    return ENVIRONMENT.get_template(template).render(**values)


def index(doc, records):
    """The matrix; RECORDS: results.by_implementation(doc)."""
    groups = case_groups(doc)
    columns = [{"name": case, "checks": checks} for _, cases in groups for case, checks in cases]
    rows = []
    for impl in doc["implementations"]:
        mine = records[impl["name"]]
        scores = [{"text": results.score(mine, checks), "key": fraction_key(results.score(mine, checks))}
                  for checks in SCOPES]
        cells = []
        for column in columns:
            verdict = worst({r["verdict"] for r in mine if r["case"] == column["name"]})
            cells.append({"case": column["name"], "verdict": verdict, "key": WORST_FIRST.index(verdict),
                          "letter": LETTERS[verdict]})
        rows.append({"name": impl["name"], "page": page_name(impl["name"]), "scores": scores, "cells": cells})
    return render("index.html", title="sockconf: %d implementations" % len(doc["implementations"]),
                  version=doc["suite"]["version"], generated=doc["generated"], groups=groups, columns=columns,
                  rows=rows, case_count=len(columns), scopes=SCOPES)


def variant_view(r, out_dir):
    """What the page shows of one record: its fields, the reason in one line, and its chart."""
    detail = r.get("detail")
    chart = None
    if detail and os.path.exists(os.path.join(out_dir, detail)):
        with open(os.path.join(out_dir, detail)) as f:
            chart = msc.svg(json.load(f))
    return dict(r, chart=chart, open=r["verdict"] in FAILURES,
                reason_line=r["reason"] if r["verdict"] != Verdict.PASS and r["reason"] else "",
                blamed_text="the pair only" if r["pair_only"] else " ".join(r["blamed"]))


def program_rows(impl, mine):
    """Per program the implementation provides: its runs passed in each scope (results.program_score)."""
    return [{"name": p, "scores": [results.program_score(impl, mine, p, checks) for checks in SCOPES]}
            for p in PROGRAMS if impl["programs"].get(p)]


def implementation_page(impl, mine, out_dir):
    """The page of implementation IMPL, whose records are MINE: a summary per program, then the failures
    (the worst first), then the passes folded; the programs not provided in one line."""
    failures, passed = [], []
    for case, runs in results.by_case(mine).items():
        verdicts = {r["verdict"] for r in runs}
        shown = [variant_view(r, out_dir) for r in runs if r["verdict"] != Verdict.SKIPPED]
        if any(Verdict(v).wrong for v in verdicts):
            failures.append((WORST_FIRST.index(worst(verdicts)), case, shown))
        elif shown:
            passed.append((case, shown))
    failures = [(case, shown) for _, case, shown in sorted(failures)]
    return render("implementation.html", title="sockconf: %s" % impl["name"], name=impl["name"],
                  scores=[(checks, results.score(mine, checks)) for checks in SCOPES], scopes=SCOPES,
                  wall=impl["wall_seconds"], cpu=impl["cpu_seconds"], error=impl["error"],
                  programs=program_rows(impl, mine), failures=failures, passed=passed,
                  not_provided=[p for p in PROGRAMS if not impl["programs"].get(p)])


def write_all(doc, out_dir):
    os.makedirs(os.path.join(out_dir, "impl"), exist_ok=True)
    records = results.by_implementation(doc)
    with open(os.path.join(out_dir, "index.html"), "w") as f:
        f.write(index(doc, records))
    for impl in doc["implementations"]:
        with open(os.path.join(out_dir, page_name(impl["name"])), "w") as f:
            f.write(implementation_page(impl, records[impl["name"]], out_dir))
