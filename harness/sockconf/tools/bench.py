"""make bench: speed of the harness, of grading and of the server designs.

Topologies: median set-up plus tear-down of each topology over REPS runs, and
the CPU of the harness's children in it (sockconf-topo), each against its target.  Launch: CPU per start of a program
under test through the sandbox's launcher.  Suite: the whole conformance run's
wall time against its single longest case (target: at most 1.1 times), and
its CPU per case run by part (each case's result.json records its parts; what
they do not hold is the workers' start, the controller and the reports;
target: the harness's own at most 25 ms).
Grading (bench_grade.py): implementations per minute and CPU per
implementation, 1, 10 and 50 submissions (targets at 50: 30 a minute, 4 CPU s each).
Designs (bench_designs.py): connections per second of each server design.
One case: `sockconf run --case tcp-echo` from start to exit (target: 0.3 s).
make check: its wall time by part (CHECK_PARTS in the Makefile; target: 5 minutes).
Writes build/bench/*.csv and prints tables; exits 1 when a target is missed
(a topology's median or its children's CPU, the launch, the suite's ratio, the CPU
per case run, one case, grading at 50, make check), after printing every figure.
"""
import csv
import glob
import json
import os
import re
import resource
import statistics
import subprocess
import tempfile
import time

from sockconf.paths import ROOT, SELF
from sockconf.reports import junit, results

from sockconf.hosts import ownership, sandbox
from sockconf.language.topofile import parse_spec
from sockconf.hosts import kernel
from sockconf.hosts.topology import Topology
from sockconf.run import cpu

TARGETS_MS = {"pair": 12.0, "lan": 30.0, "routed": 50.0}
# CPU of the harness's children (sockconf-topo) per set-up plus tear-down; `ip` batches took about 22 ms a pair.
# A routed topology's is shown, not judged: its forwarder is a daemon of the case, not the topology's building.
CHILDREN_TARGETS_MS = {"pair": 5.0, "lan": 10.0}
LAUNCH_TARGET_MS = 3.0      # CPU per start of a program under test (the old chain of ip netns exec, sh, mount,
                            # setpriv and prlimit measured 13 ms here)
LAUNCHES = 100
HARNESS_CPU_TARGET_MS = 25.0   # the harness's own CPU per case run, its parts and its share of the rest
SUITE_RATIO_TARGET = 1.1    # the whole suite's wall time over its longest case
ONE_CASE = "tcp-echo"       # one case, as someone debugging runs it
ONE_CASE_REPS = 5
ONE_CASE_TARGET_S = 0.3
CHECK_TARGET_S = 300.0      # make check
CHECK_PART_TIMEOUT = 1200   # seconds one part of make check may take here
REPS = 20
OUT = os.path.join(ROOT, "build", "bench")


def bench_topologies(rid):
    rows = []
    with tempfile.TemporaryDirectory(prefix="sockconf-bench-") as tmp:
        for name in ("pair", "lan", "routed"):
            spec = parse_spec(name)
            lacking = kernel.missing(spec.needs(), kernel.current())
            if lacking:
                print("%s: not measured: %s" % (name, kernel.skip_reason(lacking)))
                continue
            totals, ups, downs, children = [], [], [], []
            for i in range(REPS):
                topo = Topology(spec, "sc%s-%s%02d" % (rid, name[0], i), tmp)
                before = children_cpu_ms()
                t0 = time.monotonic()
                topo.up()
                t1 = time.monotonic()
                topo.down()
                t2 = time.monotonic()
                children.append(children_cpu_ms() - before)
                ups.append(t1 - t0)
                downs.append(t2 - t1)
                totals.append(t2 - t0)
            rows.append({"topology": name, "hosts": len(spec.hosts), "up_ms": 1000 * statistics.median(ups),
                         "down_ms": 1000 * statistics.median(downs), "median_ms": 1000 * statistics.median(totals),
                         "min_ms": 1000 * min(totals), "max_ms": 1000 * max(totals),
                         "target_ms": TARGETS_MS[name], "children_cpu_ms": statistics.median(children),
                         "children_target_ms": CHILDREN_TARGETS_MS.get(name)})
    return rows


def children_cpu_ms():
    """CPU ms of this process's reaped children so far (user and system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return 1000 * (usage.ru_utime + usage.ru_stime)


def bench_launch(rid):
    """CPU of the harness's children per start of a program under test (/bin/true) in a pair topology's
    host, through the case sandbox's one launcher: median ms over LAUNCHES starts, in batches of 10."""
    with tempfile.TemporaryDirectory(prefix="sockconf-bench-") as tmp:
        topo = Topology(parse_spec("pair"), "sc%s-x00" % rid, tmp)
        topo.up()
        try:
            with sandbox.Sandbox(rid, tmp, sandbox.parse_limits("")) as box:
                command = box.command(topo.ns("a"), ["/bin/true"])
                per_batch = []
                for _ in range(LAUNCHES // 10):
                    before = children_cpu_ms()
                    for _ in range(10):
                        subprocess.run(command, check=True, capture_output=True, timeout=10)
                    per_batch.append((children_cpu_ms() - before) / 10)
        finally:
            topo.down()
    return statistics.median(per_batch)


def bench_suite():
    started = time.monotonic()
    proc = subprocess.run([*SELF, "run", "--label", "bench"],
                          capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    longest = max((seconds, name) for name, seconds, _ in junit.testcases(junit.path("bench")))
    return proc.returncode, wall, longest


def bench_one_case():
    """Wall seconds of `sockconf run --case ONE_CASE` from its start to its exit, the median of ONE_CASE_REPS:
    what someone running one case while debugging waits (interpreter, pytest, the case itself)."""
    walls = []
    for _ in range(ONE_CASE_REPS):
        started = time.monotonic()
        proc = subprocess.run([*SELF, "run", "--case", ONE_CASE, "--label", "bench-one"],
                              capture_output=True, text=True, timeout=120)
        walls.append(time.monotonic() - started)
        if proc.returncode != 0:
            return proc.returncode, statistics.median(walls)
    return 0, statistics.median(walls)


def check_parts():
    """make check's parts, in order: the Makefile's CHECK_PARTS."""
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"^CHECK_PARTS := (.+)$", f.read(), re.M).group(1).split()


def bench_check():
    """make check's wall time by part (each part a make target of its own, run in order; what they
    print goes to build/bench/check-PART.log): [{part, seconds, exit}].  The build and the packages are
    already there, so a fresh clone adds its apt-get and compile time."""
    rows = []
    for part in check_parts():
        started = time.monotonic()
        with open(os.path.join(OUT, "check-%s.log" % part), "w") as log:
            try:
                status = subprocess.run(["make", "--no-print-directory", "NODEPS=1", part], cwd=ROOT, stdout=log,
                                        stderr=subprocess.STDOUT, timeout=CHECK_PART_TIMEOUT).returncode
            except subprocess.TimeoutExpired:
                status = "timed out"
        rows.append({"part": part, "seconds": round(time.monotonic() - started, 1), "exit": status})
    return rows


def print_check(rows):
    """The table of make check's parts; True when the whole is within its target and every part passed."""
    total = sum(r["seconds"] for r in rows)
    print("\nmake check by part (wall s; build and packages already there)")
    for r in rows:
        print("%-16s %8.1f  %s" % (r["part"], r["seconds"], "ok" if r["exit"] == 0 else "FAILED (%s)" % r["exit"]))
    ok = total <= CHECK_TARGET_S and all(r["exit"] == 0 for r in rows)
    print("%-16s %8.1f  (target <= %.0f) %s" % ("make check", total, CHECK_TARGET_S,
                                                "ok" if ok else "OVER TARGET or FAILED"))
    with open(os.path.join(OUT, "check.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["part", "seconds", "exit"])
        writer.writeheader()
        writer.writerows(rows)
    return ok


def cpu_by_part(label):
    """From the run LABEL's records: (rows of mean CPU ms per case run by part, case runs, the run's whole
    CPU ms per case run).  What the parts do not hold is the workers' start, the controller and the reports."""
    records = []
    for path in glob.glob(os.path.join(ROOT, "build", "artifacts", label, "*", "result.json")):
        with open(path) as f:
            records.append(json.load(f).get("cpu", {}))
    with open(results.path(label)) as f:
        whole_ms = 1000 * json.load(f)["implementations"][0]["cpu_seconds"]
    runs = max(1, len(records))
    rows = [{"part": part, "harness_ms": sum(r.get(part, {}).get("harness_ms", 0) for r in records) / runs,
             "children_ms": sum(r.get(part, {}).get("children_ms", 0) for r in records) / runs} for part in cpu.PARTS]
    in_parts = sum(r["harness_ms"] + r["children_ms"] for r in rows)
    rows.append({"part": "outside the parts (worker start, controller, reports)",
                 "harness_ms": max(0.0, whole_ms / runs - in_parts), "children_ms": 0.0})
    return rows, len(records), whole_ms / runs


def print_cpu(rows, runs, per_run_ms):
    print("\nCPU per case run, by part: mean ms over the suite's %d case runs (children: the harness's tools, and "
          "the programs under test in stop)" % runs)
    print("%-56s %10s %10s" % ("part", "harness", "children"))
    for r in rows:
        print("%-56s %10.2f %10.2f" % (r["part"], r["harness_ms"], r["children_ms"]))
    own = sum(r["harness_ms"] for r in rows)
    ok = own <= HARNESS_CPU_TARGET_MS
    print("%-56s %10.2f %10.2f" % ("per case run", own, sum(r["children_ms"] for r in rows)))
    print("harness CPU per case run: %.1f ms (target <= %.0f) %s; with its children %.1f ms" % (
        own, HARNESS_CPU_TARGET_MS, "ok" if ok else "OVER TARGET", per_run_ms))
    with open(os.path.join(OUT, "cpu.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["part", "harness_ms", "children_ms"])
        writer.writeheader()
        writer.writerows({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rows)
    return ok


def bench():
    """Every benchmark, part by part, against its targets: the exit status, 1 when a target was missed."""
    os.makedirs(OUT, exist_ok=True)
    answer = kernel.current()
    print("kernel: %s; multicast forwarding (routed): %s" % (
        "absent: " + ", ".join(sorted(answer.absent)) if answer.absent else "every feature present",
        answer.forwarding_text()))
    with ownership.owned_run() as rid:
        rows = bench_topologies(rid)
    with open(os.path.join(OUT, "topologies.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("topology set-up + tear-down, median of %d (ms)" % REPS)
    print("(wall: up, down, their median sum and its min, max; cpu: the children's, sockconf-topo, median)")
    print("%-8s %5s %8s %8s %8s %8s %8s %8s %8s %8s  %s" % ("topology", "hosts", "up", "down", "median", "min", "max",
                                                           "target", "cpu", "target", "verdict"))
    failed = False
    for r in rows:
        cpu_target = r["children_target_ms"]
        ok = r["median_ms"] <= r["target_ms"] and (cpu_target is None or r["children_cpu_ms"] <= cpu_target)
        failed |= not ok
        print("%-8s %5d %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8s  %s" % (
            r["topology"], r["hosts"], r["up_ms"], r["down_ms"], r["median_ms"], r["min_ms"], r["max_ms"],
            r["target_ms"], r["children_cpu_ms"], "-" if cpu_target is None else "%.1f" % cpu_target,
            "ok" if ok else "OVER TARGET"))
    with ownership.owned_run() as rid:
        launch_ms = bench_launch(rid)
    failed |= launch_ms > LAUNCH_TARGET_MS
    print("\nstart of a program under test: %.2f ms of CPU (median of %d batches of 10; target <= %.1f) %s" % (
        launch_ms, LAUNCHES // 10, LAUNCH_TARGET_MS, "ok" if launch_ms <= LAUNCH_TARGET_MS else "OVER TARGET"))
    status, wall, (longest, name) = bench_suite()
    ratio = wall / longest
    failed |= ratio > SUITE_RATIO_TARGET or status != 0
    print("\nwhole suite: %.1f s wall, longest case %s %.1f s, ratio %.2f (target <= %.2f) %s%s" % (
        wall, name, longest, ratio, SUITE_RATIO_TARGET, "ok" if ratio <= SUITE_RATIO_TARGET else "OVER TARGET",
        "" if status == 0 else "  (the suite FAILED: exit %d)" % status))
    with open(os.path.join(OUT, "suite.csv"), "w") as f:
        f.write("wall_s,longest_case,longest_s,ratio\n%.2f,%s,%.2f,%.3f\n" % (wall, name, longest, ratio))
    failed |= not print_cpu(*cpu_by_part("bench"))
    status, one_case = bench_one_case()
    one_ok = status == 0 and one_case <= ONE_CASE_TARGET_S
    failed |= not one_ok
    print("\none case (%s): %.2f s wall from start to exit, median of %d (target <= %.1f) %s%s" % (
        ONE_CASE, one_case, ONE_CASE_REPS, ONE_CASE_TARGET_S, "ok" if one_ok else "OVER TARGET",
        "" if status == 0 else "  (the case FAILED: exit %d)" % status))
    with open(os.path.join(OUT, "one-case.csv"), "w") as f:
        f.write("case,wall_s\n%s,%.3f\n" % (ONE_CASE, one_case))
    from sockconf.tools import bench_grade
    failed |= not bench_grade.met(bench_grade.main(OUT)[-1])
    print("\nserver designs, connections per second:")
    from sockconf.tools import bench_designs
    with ownership.owned_run() as rid:
        bench_designs.main(rid)
    failed |= not print_check(bench_check())
    if failed:
        print("\nbench: a target was missed (see OVER TARGET above)")
    return 1 if failed else 0

