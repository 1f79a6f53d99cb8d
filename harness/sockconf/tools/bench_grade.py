"""make bench, grading: implementations validated per minute on this
machine and the CPU seconds each costs (harness and programs), for folders
of 1, 10 and 50 copies of the reference; targets at 50: 30 a minute, 4 CPU s each."""
import csv
import json
import os
import shutil
import subprocess
import tempfile
import time

from sockconf.grading.pool import wait_bounded
from sockconf.paths import ROOT, SELF
from sockconf.verdicts import Verdict
SIZES = (1, 10, 50)
GRADE_BOUND = 3600.0          # seconds one grading may take
TARGET_PER_MINUTE = 30.0      # at the largest size; the smaller ones are shown, not judged
TARGET_CPU_S = 4.0            # CPU seconds per implementation at the largest size, everything included


def grade(count, top):
    """Grade COUNT copies of the reference; (wall seconds, CPU seconds of the whole grade: harness,
    workers and programs)."""
    subs = os.path.join(top, "subs-%d" % count)
    for i in range(count):
        shutil.copytree(os.path.join(ROOT, "build", "bin"), os.path.join(subs, "ref-%02d" % i))
    out = os.path.join(top, "out-%d" % count)
    log_path = os.path.join(top, "grade-%d.log" % count)
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([*SELF, "grade", "run", subs, "--out", out], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        status, usage = wait_bounded(proc, started + GRADE_BOUND)
    wall = time.monotonic() - started
    if status != 0:
        with open(log_path) as log:
            raise RuntimeError("grade failed: %s" % log.read()[-2000:])
    with open(os.path.join(out, "results.json")) as f:
        doc = json.load(f)
    failed = [r for r in doc["results"] if Verdict(r["verdict"]).wrong]
    if failed:
        raise RuntimeError("the reference failed while graded: %s" % failed[:3])
    return wall, usage.ru_utime + usage.ru_stime


def main(out_dir):
    rows = []
    top = tempfile.mkdtemp(prefix="sockconf-bench-grade-", dir=os.path.join(ROOT, "build"))
    try:
        for count in SIZES:
            wall, cpu = grade(count, top)
            rows.append({"implementations": count, "wall_s": round(wall, 1),
                         "per_minute": round(60.0 * count / wall, 2),
                         "cpu_s_per_implementation": round(cpu / count, 1)})
    finally:
        shutil.rmtree(top, ignore_errors=True)
    with open(os.path.join(out_dir, "grading.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("\ngrading copies of the reference (make grade, %d cores):" % (os.cpu_count() or 1))
    print("%15s %8s %11s %14s  %s" % ("implementations", "wall s", "per minute", "CPU s / impl", "target"))
    for r in rows:
        print("%15d %8.1f %11.2f %14.1f  %s" % (r["implementations"], r["wall_s"], r["per_minute"],
                                                r["cpu_s_per_implementation"], verdict(r)))
    return rows


def met(row):
    """Whether ROW, the largest size's, meets both targets."""
    return row["per_minute"] >= TARGET_PER_MINUTE and row["cpu_s_per_implementation"] <= TARGET_CPU_S


def verdict(row):
    if row["implementations"] != SIZES[-1]:
        return "-"
    if met(row):
        return "ok"
    return "OVER TARGET (%.0f a minute, %.0f CPU s each)" % (TARGET_PER_MINUTE, TARGET_CPU_S)
