"""Self-checks of make grade (run by `make check`): a folder of
submissions whose verdicts are known (the reference, tests/alt, two
mutants, a hostile program, an empty folder) gives the four outputs,
correct against those verdicts, with failures blamed on the right program;
results.json follows its schema; shares merged give the same grades."""
import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "harness"))
import mutants  # noqa: E402
import results  # noqa: E402

REF = os.path.join(ROOT, "build", "bin")
CASES = "tcp-echo tcp-client-refused tcp-server-exact-bytes"
# (submission, {(case, variant): verdict} that differ from pass)
KNOWN = {
    "reference": {},
    "python-alt": {},
    "mutant-tcpserver-port-3112": {("tcp-echo", "impl"): "fail", ("tcp-echo", "tcpserver-impl"): "fail",
                                   ("tcp-server-exact-bytes", "impl"): "fail"},
    "mutant-tcpclient-refused-exit-1": {("tcp-client-refused", "impl"): "fail"},
    # only a tcpserver, which hangs: every run with an own tcpclient is skipped (not provided)
    "hostile-hangs": {("tcp-echo", "impl"): "skipped", ("tcp-echo", "tcpserver-impl"): "fail",
                      ("tcp-server-exact-bytes", "impl"): "fail",
                      ("tcp-echo", "tcpclient-impl"): "skipped", ("tcp-client-refused", "impl"): "skipped"},
}
ALL_VARIANTS = [("tcp-echo", "impl"), ("tcp-echo", "tcpserver-impl"), ("tcp-echo", "tcpclient-impl"),
                ("tcp-client-refused", "impl"), ("tcp-server-exact-bytes", "impl")]


def mutant_submission(folder, name):
    """The reference with one program replaced by mutant NAME."""
    shutil.copytree(REF, folder)
    entry = next(m for m in mutants.parse_list() if m[0] == name)
    bindir = mutants.build(name, entry[1], entry[2], entry[3])
    shutil.copy(os.path.join(bindir, entry[1]), os.path.join(folder, entry[1]))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    shutil.copytree(REF, subs / "reference")
    shutil.copytree(os.path.join(ROOT, "tests", "alt"), subs / "python-alt")
    mutant_submission(subs / "mutant-tcpserver-port-3112", "tcpserver-port-3112")
    mutant_submission(subs / "mutant-tcpclient-refused-exit-1", "tcpclient-refused-exit-1")
    shutil.copytree(os.path.join(ROOT, "tests", "hostile", "hangs"), subs / "hostile-hangs")
    (subs / "empty").mkdir()
    out = tmp_path_factory.mktemp("grade")
    proc = subprocess.run(["make", "-s", "grade", "SUBMISSIONS=%s" % subs, "JOBS=2", "CASE=%s" % CASES,
                           "OUT=%s" % out], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "results.json") as f:
        return subs, out, json.load(f)


def test_results_follow_the_schema(graded):
    _, _, doc = graded
    results.validate(doc)
    assert doc["schema"] == "sockconf-results/1"


def test_every_verdict_is_the_known_one(graded):
    _, _, doc = graded
    got = {(r["implementation"], r["case"], r["variant"]): r["verdict"] for r in doc["results"]}
    for name, differ in KNOWN.items():
        for case, variant in ALL_VARIANTS:
            assert got[(name, case, variant)] == differ.get((case, variant), "pass"), (name, case, variant)
    empty = {k: v for k, v in got.items() if k[0] == "empty"}
    assert empty and set(empty.values()) == {"error"}, empty


def test_a_failure_names_its_step_and_its_bytes(graded):
    _, _, doc = graded
    r = next(r for r in doc["results"] if r["implementation"] == "mutant-tcpclient-refused-exit-1"
             and r["case"] == "tcp-client-refused")
    assert r["step"].startswith("tests/cases/tcp-client-refused.case:")
    assert (r["expected"], r["actual"]) == ("exit 255", "exit 1")
    assert r["rerun"].startswith("make conformance CASE=tcp-client-refused/impl IMPL=")


def test_grades_blame_only_the_program_that_failed(graded):
    _, out, _ = graded
    with open(out / "grades.csv") as f:
        rows = {r["implementation"]: r for r in csv.DictReader(f)}
    assert list(rows) == sorted(list(KNOWN) + ["empty"])
    port = rows["mutant-tcpserver-port-3112"]
    assert port["tcpclient"] == "2/2" and port["tcpserver"] == "0/2", port
    assert port["tutorial"] == "1/3" and port["together"] == "0/1", port
    refused = rows["mutant-tcpclient-refused-exit-1"]
    assert refused["tcpserver"] == "2/2" and refused["tcpclient"] == "1/2", refused
    assert rows["reference"]["tutorial"] == "3/3" and rows["python-alt"]["tutorial"] == "3/3"
    assert rows["hostile-hangs"]["tcpclient"] == "-"
    doc = json.load(open(out / "results.json"))
    echo = next(r for r in doc["results"] if r["implementation"] == "mutant-tcpserver-port-3112"
                and (r["case"], r["variant"]) == ("tcp-echo", "impl"))
    assert echo["blamed"] == ["tcpserver"] and not echo["pair_only"]


def test_the_html_pages_hold_every_implementation_and_case(graded):
    _, out, doc = graded
    index = (out / "index.html").read_text()
    assert "http://" not in index.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in index
    for impl in doc["implementations"]:
        assert ">%s</a>" % impl["name"] in index
    for case in CASES.split():
        assert case in index
    page = (out / "impl" / "mutant-tcpclient-refused-exit-1.html").read_text()
    failing = next(r for r in doc["results"] if r["implementation"] == "mutant-tcpclient-refused-exit-1"
                   and r["case"] == "tcp-client-refused")
    line = failing["step"].rsplit(":", 1)[1]
    assert "<svg" in page and 'class="failing-step"' in page and "FAILED step %s: cli" % line in page


def test_shares_merged_give_the_same_grades(graded, tmp_path):
    subs, out, _ = graded
    shards = []
    for i in (1, 2):
        shard_out = tmp_path / ("shard%d" % i)
        proc = subprocess.run(["make", "-s", "grade", "SUBMISSIONS=%s" % subs, "JOBS=2", "CASE=%s" % CASES,
                               "SHARD=%d/2" % i, "OUT=%s" % shard_out], cwd=ROOT, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        shards.append(str(shard_out))
    merged = tmp_path / "merged"
    proc = subprocess.run(["make", "-s", "grade-merge", "SHARDS=%s" % " ".join(shards), "OUT=%s" % merged],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert grades_without_times(merged / "grades.csv") == grades_without_times(out / "grades.csv")


def grades_without_times(path):
    with open(path) as f:
        return [row[:-1] for row in csv.reader(f)]


@pytest.mark.parametrize("args, message", [
    (["SUBMISSIONS=/nonexistent"], "SUBMISSIONS=/nonexistent: no such folder"),
    (["SUBMISSIONS=%s" % ROOT + "/tests/cases"], "has no subfolder"),
    (["SUBMISSIONS=%s" % ROOT + "/tests", "SHARD=3/2"], "SHARD=3/2: i must be from 1 to N"),
    (["SUBMISSIONS=%s" % ROOT + "/tests", "SHARD=x"], "SHARD=x: expected i/N"),
    ([], "make grade needs SUBMISSIONS=DIR"),
])
def test_bad_grade_input_is_refused_in_one_line(args, message):
    proc = subprocess.run(["make", "-s", "grade", "NODEPS=1"] + args, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
