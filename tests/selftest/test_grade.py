"""Self-checks of make grade (run by `make check`): a folder of
submissions whose verdicts are known (the reference, tests/alt, two
mutants, a hostile program, an empty folder) gives the four outputs,
correct against those verdicts, with failures blamed on the right program;
results.json follows its schema; the pages open in a real browser.
(Shares merged against one machine: test_slurm.py.)"""
import csv
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from conftest import known_submissions, mutant_program
from sockconf.paths import SELF as SOCKCONF
from sockconf.reports import results

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


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    known_submissions(str(subs))
    out = tmp_path_factory.mktemp("grade")
    proc = subprocess.run(["make", "-s", "grade", "SUBMISSIONS=%s" % subs, "JOBS=2", "CASE=%s" % CASES,
                           "OUT=%s" % out], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "results.json") as f:
        return subs, out, json.load(f)


def test_results_follow_the_schema(graded):
    _, _, doc = graded
    results.validate(doc)
    assert doc["schema"] == "sockconf-results/2"


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
    assert port["tcpclient tutorial"] == "2/2" and port["tcpserver tutorial"] == "0/2", port
    assert port["tutorial"] == "1/3" and port["together"] == "0/1", port
    refused = rows["mutant-tcpclient-refused-exit-1"]
    assert refused["tcpserver tutorial"] == "2/2" and refused["tcpclient tutorial"] == "1/2", refused
    assert refused["tcpclient spec"] == "-", refused           # no spec case among CASES ran
    assert rows["reference"]["tutorial"] == "3/3" and rows["python-alt"]["tutorial"] == "3/3"
    # hostile-hangs provides a tcpserver only: its tcpclient is not provided, not failed
    assert rows["hostile-hangs"]["tcpclient tutorial"] == "not provided"
    assert rows["hostile-hangs"]["tcpserver tutorial"] == "0/2"
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
    hangs = (out / "impl" / "hostile-hangs.html").read_text()       # a tcpserver only
    assert "not provided (their cases are skipped): select tcpclient udpserver" in hangs
    assert hangs.index('id="failures"') < hangs.index('id="passed"')


def gradescope_file(out, name):
    with open(out / "gradescope" / (name + ".json")) as f:
        return json.load(f)


def test_gradescope_results_follow_its_schema_with_failures_first(graded):
    from sockconf.reports import gradescope
    _, out, doc = graded
    for impl in doc["implementations"]:
        results.validate(gradescope_file(out, impl["name"]), gradescope.SCHEMA)
    reference = gradescope_file(out, "reference")
    assert reference["score"] == 3.0 and all(t["status"] == "passed" for t in reference["tests"])
    refused = gradescope_file(out, "mutant-tcpclient-refused-exit-1")
    first = refused["tests"][0]                     # what is wrong comes first
    assert (first["name"], first["status"], first["score"], first["max_score"]) == (
        "tcp-client-refused [tutorial]", "failed", 0.0, 1.0), first
    assert "exit 255" in first["output"] and refused["score"] == 2.0
    assert "tutorial cases passed: 2/3" in refused["output"]


def test_gradescope_points_come_from_the_weights_file(graded, tmp_path):
    _, out, _ = graded
    weights = tmp_path / "weights"
    weights.write_text("# the refused client counts double\ntcp-client-refused   2\ntcp-echo* 0.5\n")
    merged = tmp_path / "merged"
    proc = subprocess.run(["make", "-s", "grade-merge", "OUT=%s" % merged, "SHARDS=%s" % out, "WEIGHTS=%s" % weights],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tests = {t["name"]: t for t in gradescope_file(merged, "reference")["tests"]}
    assert tests["tcp-client-refused [tutorial]"]["max_score"] == 2.0
    assert tests["tcp-echo [tutorial]"]["max_score"] == 0.5
    assert tests["tcp-server-exact-bytes [tutorial]"]["max_score"] == 1.0      # no rule: the default
    assert gradescope_file(merged, "reference")["score"] == 3.5


@pytest.mark.parametrize("args, message", [
    (["SUBMISSIONS=%s" % ROOT + "/tests", "WEIGHTS=/nonexistent"], "WEIGHTS=/nonexistent: No such file"),
    (["SUBMISSIONS=%s" % ROOT + "/tests", "WEIGHTS=%s" % ROOT + "/Makefile"], "expected `PATTERN POINTS`"),
    (["SUBMISSIONS=/nonexistent"], "SUBMISSIONS=/nonexistent: no such folder"),
    (["SUBMISSIONS=%s" % ROOT + "/tests/cases"], "has no subfolder"),
    (["SUBMISSIONS=%s" % ROOT + "/tests", "SHARD=3/2"], "SHARD=3/2: i must be from 1 to N"),
    (["SUBMISSIONS=%s" % ROOT + "/tests", "SHARD=x"], "SHARD=x: expected i/N"),
    (["SUBMISSIONS=%s" % ROOT + "/tests", "JOBS=0"], "JOBS=0: at least 1"),
    ([], "make grade needs SUBMISSIONS=DIR"),
])
def test_bad_grade_input_is_refused_in_one_line(args, message):
    proc = subprocess.run(["make", "-s", "grade", "NODEPS=1"] + args, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


SCREENSHOTS = os.path.join(ROOT, "build", "screenshots")


def browser(scratch):
    """Headless Chromium whose profile and temporary files all stay in SCRATCH."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1600,1000",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    service = Service(executable_path="/usr/bin/chromedriver", env=dict(os.environ, TMPDIR=scratch))
    return webdriver.Chrome(options=options, service=service)


def row_names(driver):
    from selenium.webdriver.common.by import By
    return [r.find_element(By.TAG_NAME, "td").text for r in driver.find_elements(By.CSS_SELECTOR, "tr.impl")]


# What Chromium itself leaves in /tmp when its TMPDIR is not honoured (other programs' files are not ours to judge).
CHROMIUM_TMP = ("org.chromium.", ".org.chromium.", "scoped_dir", ".com.google.Chrome")


def test_the_matrix_and_a_sequence_chart_in_a_real_browser(graded):
    """Headless Chromium opens index.html from the file system: every
    implementation is a row and every case a column; a click sorts; the
    failing implementation's page draws its failing step in the chart."""
    from selenium.webdriver.common.by import By
    _, out, doc = graded
    os.makedirs(SCREENSHOTS, exist_ok=True)
    before = set(os.listdir("/tmp"))
    # a short folder of its own: Chromium's sockets there must fit a socket path
    scratch = tempfile.mkdtemp(prefix="sockconf-chromium-", dir="/run")
    driver = browser(scratch)
    try:
        driver.set_page_load_timeout(30)
        driver.get("file://%s" % (out / "index.html"))
        rows = row_names(driver)
        assert sorted(rows) == sorted(i["name"] for i in doc["implementations"])
        headers = [h.get_attribute("textContent") for h in driver.find_elements(By.CSS_SELECTOR, "th.case")]
        assert sorted(headers) == sorted(CASES.split())
        # The rows start sorted by name: one click must sort them one way, a
        # second the other way (a sort that does nothing fails here).
        header = driver.find_element(By.XPATH, "//th[text()='implementation']")
        header.click()
        once = row_names(driver)
        header.click()
        twice = row_names(driver)
        assert once in (sorted(rows), sorted(rows, reverse=True)) and twice == once[::-1], (once, twice)
        driver.save_screenshot(os.path.join(SCREENSHOTS, "index.png"))
        driver.find_element(By.LINK_TEXT, "mutant-tcpclient-refused-exit-1").click()
        # what is wrong comes first: the summary per program, then the failure; the passes are folded
        summary = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#summary tbody tr")]
        assert "tcpclient 1/2 - -" in summary and "tcpserver 2/2 - -" in summary, summary    # tutorial listing spec
        first = driver.find_elements(By.TAG_NAME, "h3")[0]
        assert first.text == "tcp-client-refused / impl: fail" and first.is_displayed(), first.text
        passed = driver.find_element(By.ID, "passed")
        assert passed.get_attribute("open") is None
        folded = passed.find_elements(By.TAG_NAME, "h3")
        assert folded and not [h for h in folded if driver.execute_script("return arguments[0].checkVisibility()", h)]
        step = driver.find_element(By.CSS_SELECTOR, "#tcp-client-refused ~ details g.failing-step")
        assert step.is_displayed() and "FAILED step" in step.get_attribute("textContent")
        driver.execute_script("arguments[0].scrollIntoView()", step)
        driver.save_screenshot(os.path.join(SCREENSHOTS, "implementation.png"))
    finally:
        driver.quit()
        shutil.rmtree(scratch, ignore_errors=True)
    assert os.path.getsize(os.path.join(SCREENSHOTS, "implementation.png")) > 10000
    left = [n for n in set(os.listdir("/tmp")) - before if n.startswith(CHROMIUM_TMP)]
    assert not left, "the browser left files in /tmp: %s" % left


EXPLORE_SEED, EXPLORE_BUDGET = "1", "12"    # iserver-echo-strlen's difference comes in the first scenario


@pytest.mark.slow
def test_grade_with_exploration_records_each_program_and_keeps_the_finding(tmp_path):
    """EXPLORE= adds one record per program explored, at scope listing and narrower: the mutant's iserver
    is a fail (a scenario inside the listing: a message with a NUL before its end, of which it echoes what
    strlen() counts, where the listing echoes what recv() returned) with its case file under
    impl/NAME/findings, the reference's iserver a pass; the document still follows its
    schema.  (The mutant's difference is found at once and shrinks in a few runs: iserver-buffer-1024's,
    found in the third scenario, took 80 s to shrink.)"""
    subs = tmp_path / "subs"
    for name, mutant in (("mutant", "iserver-echo-strlen"), ("reference", None)):
        folder = subs / name
        folder.mkdir(parents=True)
        if mutant:
            mutant_program(mutant, folder)
        else:
            shutil.copy(os.path.join(ROOT, "build", "bin", "iserver"), folder / "iserver")
    out = tmp_path / "grade"
    proc = subprocess.run(["make", "-s", "grade", "NODEPS=1", "SUBMISSIONS=%s" % subs, "JOBS=2",
                           "CASE=iserver-two-clients", "EXPLORE=" + EXPLORE_BUDGET, "SEED=" + EXPLORE_SEED,
                           "OUT=%s" % out], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads((out / "results.json").read_text())
    results.validate(doc)
    explored = {r["implementation"]: r for r in doc["results"] if r["variant"] == "explore"}
    assert sorted(explored) == ["mutant", "reference"], explored
    assert explored["reference"]["verdict"] == "pass" and explored["reference"]["case"] == "explore-iserver"
    found = explored["mutant"]
    assert found["verdict"] == "fail" and found["checks"] in ("tutorial", "listing"), found
    findings = os.listdir(out / "impl" / "mutant" / "findings")
    assert findings == ["explore-iserver-seed%s.case" % EXPLORE_SEED] and findings[0] in found["reason"], (findings, found)
    # the reason is the failure's one line made from its data (the failing step, or the transcript that differs)
    assert re.search(r": (line \d+: .+: .+|transcript of \w+ differs) \(case ", found["reason"]), found["reason"]
    finding_fails_the_mutant_and_passes_the_reference(out / "impl" / "mutant" / "findings", subs / "mutant")


def finding_fails_the_mutant_and_passes_the_reference(findings, mutant):
    """The shrunk case of a difference says how to rerun it, and under CASES= it fails the mutant and
    passes the reference, as it stands (make explore writes it the same way: findings.finding_text)."""
    (case,) = os.listdir(findings)
    name = case[:-len(".case")]
    text = (findings / case).read_text()
    assert "Rerun the case:  make conformance CASES=" in text and "SEED=%s" % EXPLORE_SEED in text, text
    on_mutant = subprocess.run(SOCKCONF + ["run", "--cases", str(findings), "--case", name, "--impl", str(mutant),
                                           "--strict", "--label", "self-explore-mutant"],
                               capture_output=True, text=True, timeout=120)
    assert on_mutant.returncode == 1 and "FAILED" in on_mutant.stdout, on_mutant.stdout
    on_reference = subprocess.run(SOCKCONF + ["run", "--cases", str(findings), "--case", name,
                                              "--label", "self-explore-reference"],
                                  capture_output=True, text=True, timeout=120)
    assert on_reference.returncode == 0, on_reference.stdout
