"""index.html (implementations x cases, grouped by program, sortable) and
one page per implementation (verdicts, diffs, sequence charts) from
results.json.  Everything is in the files: no network fetches."""
import html
import json
import os

from sockconf.reports import msc
from sockconf.reports import results
from sockconf.verdicts import FAILURES, Verdict

STYLE = """body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 4px;font-size:12px}th{background:#eee;cursor:pointer}
.pass{background:#abebc6}.fail{background:#f5b7b1}.spec-fail{background:#fad7a0}.skipped{background:#eaeded}
.error{background:#d7bde2}a{color:inherit;text-decoration:none}pre{background:#f8f8f8;padding:4px}
th.case{writing-mode:vertical-rl;font-weight:normal}.failing-step text{font-weight:bold}"""
SORT_JS = """function sortBy(n){var t=document.getElementById('matrix'),b=t.tBodies[0],r=[].slice.call(b.rows);
var d=t.getAttribute('data-dir')==='1'?-1:1;t.setAttribute('data-dir',d===1?'1':'0');
r.sort(function(x,y){var a=x.cells[n].getAttribute('data-key')||x.cells[n].textContent,
c=y.cells[n].getAttribute('data-key')||y.cells[n].textContent;var p=parseFloat(a),q=parseFloat(c);
if(!isNaN(p)&&!isNaN(q))return d*(p-q);return d*a.localeCompare(c);});r.forEach(function(e){b.appendChild(e);});}"""
# Verdicts from the worst; a verdict's value is also its CSS class.
ORDER = (Verdict.FAIL, Verdict.ERROR, Verdict.SPEC_FAIL, Verdict.SKIPPED, Verdict.PASS)
LETTERS = {Verdict.PASS: "&#10003;", Verdict.FAIL: "F", Verdict.ERROR: "E", Verdict.SPEC_FAIL: "S",
           Verdict.SKIPPED: "&ndash;"}


def worst(verdicts):
    return next((v for v in ORDER if v in verdicts), Verdict.SKIPPED)


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


def index(doc, records):
    """RECORDS: results.by_implementation(doc)."""
    groups = case_groups(doc)
    head = ['<th onclick="sortBy(0)">implementation</th>', '<th onclick="sortBy(1)">tutorial</th>',
            '<th onclick="sortBy(2)">spec</th>']
    group_row = ['<th colspan="3"></th>'] + ['<th colspan="%d">%s</th>' % (len(c), html.escape(g)) for g, c in groups]
    n = 3
    for _, cases in groups:
        for case, checks in cases:
            head.append('<th class="case" onclick="sortBy(%d)" title="%s">%s</th>' % (n, checks, html.escape(case)))
            n += 1
    rows = []
    for impl in doc["implementations"]:
        mine = records[impl["name"]]
        page = page_name(impl["name"])
        tutorial, spec = results.score(mine, "tutorial"), results.score(mine, "spec")
        cells = ['<td><a href="%s">%s</a></td>' % (page, html.escape(impl["name"])),
                 '<td data-key="%s">%s</td>' % (fraction_key(tutorial), tutorial),
                 '<td data-key="%s">%s</td>' % (fraction_key(spec), spec)]
        for _, cases in groups:
            for case, _ in cases:
                verdict = worst({r["verdict"] for r in mine if r["case"] == case})
                cells.append('<td class="%s" data-key="%d" title="%s: %s"><a href="%s#%s">%s</a></td>' % (
                    verdict, ORDER.index(verdict), html.escape(case), verdict, page, html.escape(case),
                    LETTERS[verdict]))
        rows.append('<tr class="impl">%s</tr>' % "".join(cells))
    return page_html("sockconf: %d implementations" % len(doc["implementations"]), [
        "<h1>sockconf conformance matrix</h1>",
        "<p>suite %s, %s; %d implementations x %d cases. Click a column to sort; a cell links to its detail.</p>" % (
            html.escape(doc["suite"]["version"]), html.escape(doc["generated"]), len(doc["implementations"]),
            sum(len(c) for _, c in groups)),
        '<table id="matrix"><thead><tr>%s</tr><tr>%s</tr></thead><tbody>%s</tbody></table>' % (
            "".join(group_row), "".join(head), "\n".join(rows)),
        "<p>&#10003; pass, F fail, S spec-fail (a spec case, not counted without STRICT=1), &ndash; skipped "
        "(not provided), E error (the run could not be made).</p>"], script=SORT_JS)


def page_html(title, body, script=""):
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style>%s</head>"
            "<body>%s</body></html>\n" % (html.escape(title), STYLE, "<script>%s</script>" % script if script else "",
                                        "\n".join(body)))


def variant_section(r, out_dir):
    parts = ['<h3 class="%s">%s / %s: %s</h3>' % (r["verdict"], html.escape(r["case"]), html.escape(r["variant"]),
                                                   r["verdict"])]
    if r["blamed"] or r["pair_only"]:
        parts.append("<p>blamed on: %s</p>" % ("the pair only" if r["pair_only"] else html.escape(" ".join(r["blamed"]))))
    if r["step"]:
        parts.append('<p class="failed-step">failed step %s: <code>%s</code></p>' % (
            html.escape(r["step"]), html.escape(r.get("message") or "")))
    if r["expected"] is not None or r["actual"] is not None:
        parts.append("<pre>expected: %s\nactual:   %s</pre>" % (html.escape(r["expected"] or "-"),
                                                               html.escape(r["actual"] or "-")))
    for t in r["transcripts"]:
        parts.append("<p>transcript of %s differs:</p><pre>%s</pre>" % (html.escape(t["actor"]),
                                                                       html.escape("\n".join(t["diff"]))))
    if r["reason"] and r["verdict"] in (Verdict.SKIPPED, Verdict.ERROR):
        parts.append("<p>%s</p>" % html.escape(r["reason"]))
    if r["rerun"]:
        parts.append("<p>rerun: <code>%s</code></p>" % html.escape(r["rerun"]))
    detail = r.get("detail")
    if detail and os.path.exists(os.path.join(out_dir, detail)):
        with open(os.path.join(out_dir, detail)) as f:
            chart = msc.svg(json.load(f))
        parts.append("<details%s><summary>sequence chart</summary>%s</details>" % (
            " open" if r["verdict"] in FAILURES else "", chart))
    return "\n".join(parts)


def implementation_page(impl, mine, out_dir):
    """The page of implementation IMPL, whose records are MINE."""
    body = ['<p><a href="../index.html">all implementations</a></p>',
            "<h1>%s</h1>" % html.escape(impl["name"]),
            "<p>tutorial %s, spec %s; %.1f s wall, %.1f CPU s%s</p>" % (
                results.score(mine, "tutorial"), results.score(mine, "spec"), impl["wall_seconds"],
                impl["cpu_seconds"], "; error: " + html.escape(impl["error"]) if impl["error"] else "")]
    for case in sorted({r["case"] for r in mine}):
        body.append('<h2 id="%s">%s</h2>' % (html.escape(case), html.escape(case)))
        body.extend(variant_section(r, out_dir) for r in mine if r["case"] == case)
    return page_html("sockconf: %s" % impl["name"], body)


def write_all(doc, out_dir):
    os.makedirs(os.path.join(out_dir, "impl"), exist_ok=True)
    records = results.by_implementation(doc)
    with open(os.path.join(out_dir, "index.html"), "w") as f:
        f.write(index(doc, records))
    for impl in doc["implementations"]:
        with open(os.path.join(out_dir, page_name(impl["name"])), "w") as f:
            f.write(implementation_page(impl, records[impl["name"]], out_dir))
