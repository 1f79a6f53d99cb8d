"""Self-checks of the CI files that cannot run here: the GitHub Actions
workflow is valid YAML of the shape GitHub reads and shards as make grade
does; the shell scripts pass shellcheck."""
import os
import subprocess

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKFLOW = os.path.join(ROOT, "ci", "github", "grade.yml")
YAMLLINT = "{extends: default, rules: {line-length: {max: 130}, document-start: disable, truthy: disable}}"


def test_the_workflow_passes_yamllint():
    proc = subprocess.run(["yamllint", "-s", "-d", YAMLLINT, WORKFLOW], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_workflow_shards_and_merges_as_make_grade_does():
    with open(WORKFLOW) as f:
        flow = yaml.safe_load(f)
    jobs = flow["jobs"]
    shares = jobs["share"]["strategy"]["matrix"]["share"]
    runs = " ".join(step.get("run", "") for step in jobs["share"]["steps"])
    assert "make grade " in runs and "SHARD=${{ matrix.share }}/%d" % len(shares) in runs
    assert shares == list(range(1, len(shares) + 1))
    assert jobs["merge"]["needs"] == "share"
    assert any("make grade-merge" in step.get("run", "") for step in jobs["merge"]["steps"])
    for job in jobs.values():
        assert job["runs-on"] and all("uses" in s or "run" in s for s in job["steps"])


def test_the_shell_scripts_pass_shellcheck():
    scripts = [os.path.join(ROOT, p) for p in ("ci/slurm/grade.sbatch", "ci/install-deps.sh", ".ci/run")]
    proc = subprocess.run(["shellcheck"] + scripts, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
