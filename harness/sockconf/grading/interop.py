"""make interop: whose client works with whose server.  The reference and
every subfolder of SUBMISSIONS are implementations; each one's clients run
against each one's servers on the cases that pair a client with a server
(catalogue.CLIENT_SERVER: TCP echo, UDP echo, comclient with iserver and
the design servers, mcastclient with mcastserver).  One run per (client
implementation, server implementation), its client folder as IMPL and its
server folder as REF, variant CLIENT-impl of each paired case, so the client
comes from one folder and the server from the other; all runs are members of
one class (pool.run_class: one pool of JOBS workers).

  python3 -m sockconf interop run SUBMISSIONS [--jobs N] [--case 'PATTERN ...'] [--out DIR]

build/interop/ then holds index.html (a clients x servers matrix per pair,
each cell linking to its page: every case of the cell with its diff and
sequence chart, failures first), interop.json (the cells with their
results.json records; schema reports/interop.schema.json) and logs/.
Exit status: 0 the matrix is drawn (whatever its cells say), 2 bad input.
"""
import functools
import json
import os
import shutil
import time

from sockconf.catalogue import CLIENT_SERVER
from sockconf.grading import grade
from sockconf.grading import pool
from sockconf.language.cases import CaseErrors, load_all
from sockconf.language.variants import selected
from sockconf.paths import REFERENCE, shown
from sockconf.reports import pages
from sockconf.reports import results
from sockconf import usage
from sockconf.verdicts import SCOPES, WORST_FIRST, Verdict

die = functools.partial(usage.die, command="interop")
REFERENCE_NAME = "reference"
SCHEMA = os.path.join(os.path.dirname(results.SCHEMA), "interop.schema.json")
SCHEMA_ID = "sockconf-interop/1"
BROKEN_SHOWN = 20              # broken cells the console names, one line each


def implementations(directory):
    """[(name, folder)]: the reference first, then every subfolder of DIRECTORY."""
    names = grade.submissions(directory, command="interop")
    if REFERENCE_NAME in names:
        die("SUBMISSIONS=%s has a subfolder named %s, the name the reference goes by: rename it"
            % (directory, REFERENCE_NAME))
    return [(REFERENCE_NAME, REFERENCE)] + [(n, os.path.abspath(os.path.join(directory, n))) for n in names]


def paired_cases(cases, patterns):
    """{(client, server): [case]}: the cases that start exactly that client and that server, CASE= selected."""
    pairs = {}
    for case in cases:
        for pair in CLIENT_SERVER:
            if sorted(case.programs()) == sorted(pair) and selected(case.name, case.name, patterns):
                pairs.setdefault(pair, []).append(case)
    return pairs


def provides(folder, program):
    return os.path.isfile(os.path.join(folder, program))


def planned_runs(impls, pairs):
    """[(client impl, server impl, [pair])]: a run for each ordered two implementations with a pair to run."""
    runs = []
    for client in impls:
        for server in impls:
            mine = [p for p in pairs if provides(client[1], p[0]) and provides(server[1], p[1])]
            if mine:
                runs.append((client, server, mine))
    return runs


def case_patterns(pairs, mine):
    """CASE= of one run: each paired case's variant with the client under test (CLIENT-impl)."""
    return " ".join("%s/%s-impl" % (case.name, pair[0]) for pair in mine for case in pairs[pair])


def cell_name(client, server):
    return "%s--%s" % (pages.file_name(client), pages.file_name(server))


def class_member(run, pairs):
    """One run as a member of the class (pool.run_class): the client's folder, the server's as REF, its cases."""
    (client, client_dir), (server, server_dir), mine = run
    return {"name": cell_name(client, server), "impl": client_dir, "ref": server_dir, "case": case_patterns(pairs, mine)}


def run_cells(run, entry, rows, pairs, out_dir):
    """One run's [cell] for each of its pairs (ENTRY and ROWS from pool.run_class), its records' details
    copied under cells/."""
    (client, _), (server, _), mine = run
    name = cell_name(client, server)
    cells = []
    for pair in mine:
        wanted = {case.name: case for case in pairs[pair]}
        if entry["status"] == "ran":
            records = [grade.kept(r, name, os.path.join(out_dir, "cells", pair_folder(pair), name, r["case"] + ".json"),
                                  out_dir) for r in rows if r["case"] in wanted]
        else:
            records = [grade.error_record(name, c, "%s-impl" % pair[0], entry["error"]) for c in wanted.values()]
        cells.append(cell(pair, client, server, records))
    return cells


def pair_folder(pair):
    return "%s-%s" % pair


def cell(pair, client, server, records):
    return {"client_program": pair[0], "server_program": pair[1], "client": client, "server": server,
            "verdict": pages.worst({r["verdict"] for r in records}),
            **{checks: results.score(records, checks) for checks in SCOPES},
            "page": "cells/%s/%s.html" % (pair_folder(pair), cell_name(client, server)),
            "results": sorted(records, key=lambda r: (WORST_FIRST.index(r["verdict"]), r["case"]))}


def document(impls, cells):
    return {"schema": SCHEMA_ID, "suite": results.suite_info(),
            "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "implementations": [{"name": name, "path": folder, "programs": results.program_hashes(folder)}
                                for name, folder in impls],
            "cells": sorted(cells, key=lambda c: (CLIENT_SERVER.index((c["client_program"], c["server_program"])),
                                                  c["client"], c["server"]))}


def matrices(doc):
    """[{pair, cases, clients, servers, rows}]: per pair, a row per client implementation, a cell per server one."""
    out = []
    names = [i["name"] for i in doc["implementations"]]
    for pair in CLIENT_SERVER:
        mine = [c for c in doc["cells"] if (c["client_program"], c["server_program"]) == pair]
        if not mine:
            continue
        clients = [n for n in names if any(c["client"] == n for c in mine)]
        servers = [n for n in names if any(c["server"] == n for c in mine)]
        found = {(c["client"], c["server"]): c for c in mine}
        out.append({"client_program": pair[0], "server_program": pair[1], "servers": servers,
                    "cases": sorted({r["case"] for c in mine for r in c["results"]}),
                    "rows": [(client, [found[(client, server)] for server in servers]) for client in clients]})
    return out


def write_pages(doc, out_dir):
    with open(os.path.join(out_dir, "index.html"), "w") as f:
        f.write(pages.render("interop.html", title="sockconf interop: %d implementations" % len(doc["implementations"]),
                             version=doc["suite"]["version"], generated=doc["generated"],
                             names=[i["name"] for i in doc["implementations"]], matrices=matrices(doc)))
    for c in doc["cells"]:
        with open(os.path.join(out_dir, c["page"]), "w") as f:
            f.write(pages.render("cell.html", title="sockconf interop: %s of %s with %s of %s" % (
                c["client_program"], c["client"], c["server_program"], c["server"]), cell=c,
                runs=[dict(pages.variant_view(r, out_dir), blamed_text="") for r in c["results"]]))


def write_all(doc, out_dir):
    results.validate(doc, SCHEMA)
    with open(os.path.join(out_dir, "interop.json"), "w") as f:
        json.dump(doc, f, indent=1)
    for c in doc["cells"]:
        os.makedirs(os.path.dirname(os.path.join(out_dir, c["page"])), exist_ok=True)
    write_pages(doc, out_dir)


def report(doc, out_dir, seconds):
    """The console: per pair how many cells pass, then the broken cells, one line each."""
    for m in matrices(doc):
        cells = [c for _, row in m["rows"] for c in row]
        passing = sum(1 for c in cells if c["verdict"] == Verdict.PASS)
        print("interop: %-26s %d clients x %d servers: %d of %d cells pass" % (
            "%s x %s" % (m["client_program"], m["server_program"]), len(m["rows"]), len(m["servers"]),
            passing, len(cells)))
    broken = [c for c in doc["cells"] if c["verdict"] != Verdict.PASS]
    for c in broken[:BROKEN_SHOWN]:
        first = c["results"][0]
        print("  %-9s %s of %s with %s of %s: %s: %s" % (c["verdict"], c["client_program"], c["client"],
                                                        c["server_program"], c["server"], first["case"],
                                                        first["reason"] or "see its page"))
    if len(broken) > BROKEN_SHOWN:
        print("  ... and %d more broken cells" % (len(broken) - BROKEN_SHOWN))
    print("interop: %d implementations in %.1f s: %s" % (len(doc["implementations"]), seconds,
                                                         shown(os.path.join(out_dir, "index.html"))))


def cmd_run(args):
    if args.jobs is not None and args.jobs < 1:
        die("JOBS=%d: at least 1" % args.jobs)
    impls = implementations(args.submissions)
    try:
        cases = load_all()
    except CaseErrors as exc:
        die("the cases have errors:\n" + str(exc))
    pairs = paired_cases(cases, (args.case or "").split())
    if not pairs:
        die("CASE=%s selects none of the cases that pair a client with a server (make cases lists them)" % args.case)
    runs = planned_runs(impls, pairs)
    if not runs:
        die("no implementation provides a client whose server another provides")
    out_dir = os.path.abspath(args.out)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(os.path.join(out_dir, "logs"))
    args.jobs = args.jobs or pool.default_jobs(len(runs))
    print("interop: %d implementations, %d runs (client x server), %d cases at once -> %s" % (
        len(impls), len(runs), args.jobs, shown(out_dir)), flush=True)
    started = time.monotonic()
    graded = pool.run_class([class_member(run, pairs) for run in runs], "interop-" + pool.new_tag(), out_dir, args.jobs)
    cells = []
    for run in runs:
        entry, rows = graded[cell_name(run[0][0], run[1][0])]
        cells += run_cells(run, entry, rows, pairs, out_dir)
    doc = document(impls, cells)
    write_all(doc, out_dir)
    report(doc, out_dir, time.monotonic() - started)
