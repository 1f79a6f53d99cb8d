"""Self-check of grading on Slurm, for real: a one-node cluster from Debian's
slurm-wlm and munge (ci/slurm/cluster.py) runs ci/slurm/grade.sbatch as an
array of two tasks, as an unprivileged user (sockconf's rootless mode), over
the reference, tests/alt and two mutants; the shares merged give the same
grades.csv as one machine, in every column but the time."""
import csv
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "ci", "slurm"))
from cluster import Cluster  # noqa: E402
from conftest import known_submissions
from sockconf.paths import SELF

CASES = "tcp-echo tcp-client-refused tcp-server-exact-bytes"
ARRAY_TIMEOUT = 600


def grades_without_times(path):
    with open(path) as f:
        return [row[:-1] for row in csv.reader(f)]


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
