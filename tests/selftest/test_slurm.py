"""Self-check of grading on Slurm, for real: a one-node cluster from Debian's
slurm-wlm and munge (ci/slurm/cluster.py) runs ci/slurm/grade.sbatch as an
array of two tasks, as an unprivileged user (sockconf's rootless mode), over
the reference, tests/alt and two mutants; the shares merged give the same
grades.csv as one machine, in every column but the time."""
import csv
import os
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "ci", "slurm"))
from cluster import Cluster, sweep_dead  # noqa: E402
from conftest import known_submissions
from sockconf.hosts import procfs
from sockconf.paths import SELF

CASES = "tcp-echo tcp-client-refused tcp-server-exact-bytes"
ARRAY_TIMEOUT = 600
CLUSTER_UP = 60            # seconds for a cluster to start
DAEMONS_END = 10           # seconds for its daemons to end once their starter is killed


def grades_without_times(path):
    with open(path) as f:
        return [row[:-1] for row in csv.reader(f)]


def gone(pid):
    """PID has ended (a zombie no one has reaped yet counts as ended)."""
    return procfs.process_state(pid) in (None, "Z")


@pytest.mark.xdist_group("slurm")
def test_the_daemons_end_when_the_process_that_started_them_is_killed_and_the_next_start_removes_its_folder():
    starter = ("import sys, time; sys.path.insert(0, %r); from cluster import Cluster; c = Cluster('nobody'); "
               "c.start(); print(c.dir, *[p.pid for p in c.daemons], flush=True); time.sleep(300)"
               % os.path.join(ROOT, "ci", "slurm"))
    proc = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    folder, pids = None, []
    try:
        assert select.select([proc.stdout], [], [], CLUSTER_UP)[0], "no cluster after %d s" % CLUSTER_UP
        folder, *pids = proc.stdout.readline().split()
        pids = [int(p) for p in pids]
        assert len(pids) == 3 and not any(gone(p) for p in pids), pids
        proc.kill()
        deadline = time.monotonic() + DAEMONS_END
        while not all(gone(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(gone(p) for p in pids), "daemons left %d s after their starter was killed: %s" % (
            DAEMONS_END, [p for p in pids if not gone(p)])
        proc.wait(timeout=10)
        # the next cluster's start removes the killed one's folder
        assert os.path.isdir(folder) and folder in sweep_dead(os.path.dirname(folder)), folder
        assert not os.path.exists(folder)
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for pid in pids:            # this test's own daemons, should the check have failed
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.xdist_group("slurm")
def test_a_slurm_array_grades_as_one_machine_does(unprivileged_user, tmp_path):
    name, tree = unprivileged_user
    subs = known_submissions(os.path.join(tree, "submissions"), hostile=False)
    subprocess.run(["chown", "-R", "%s:%s" % (name, name), subs], check=True, timeout=30)
    single = tmp_path / "single"
    proc = subprocess.run([*SELF, "grade", "run", subs, "--jobs", "2",
                           "--case", CASES, "--out", str(single)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with Cluster(name) as cluster:
        job = cluster.sbatch(["--array=1-2", "--output=%s/slurm-%%a.out" % tree,
                              os.path.join(tree, "ci", "slurm", "grade.sbatch")], cwd=tree,
                             env={"SUBMISSIONS": subs, "CASE": CASES, "SOCKCONF_TREE": tree})
        states = cluster.wait(job, ARRAY_TIMEOUT)
    logs = "".join(open(os.path.join(tree, "slurm-%d.out" % i)).read() for i in (1, 2)
                   if os.path.exists(os.path.join(tree, "slurm-%d.out" % i)))
    assert states == ["COMPLETED", "COMPLETED"], logs
    assert "as %s" % name in logs, logs          # the tasks ran as the user, not as root
    shares = [os.path.join(tree, "build", "grade-shards", "share-%d" % i) for i in (1, 2)]
    merged = tmp_path / "merged"
    proc = subprocess.run(["make", "-s", "grade-merge", "SHARDS=%s" % " ".join(shares), "OUT=%s" % merged],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert grades_without_times(merged / "grades.csv") == grades_without_times(single / "grades.csv")
