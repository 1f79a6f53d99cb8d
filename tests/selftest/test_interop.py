"""Self-checks of make interop (run by `make check`): the reference,
tests/alt and two mutants (a tcpclient that writes 41 bytes, a udpserver on
port 3334) give a clients x servers matrix per pair whose broken cells are
exactly the mutant client's row and the mutant server's column; every cell
links to its page, which holds each case's chart; a broken cell's rerun
command fails the same way; bad input is refused in one line."""
import html.parser
import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

from conftest import mutant_submission
from sockconf.grading import interop

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = "tcp-echo udp-echo-address"
CLIENT_MUTANT, SERVER_MUTANT = "mutant-tcpclient-writes-strlen", "mutant-udpserver-port-3334"
NAMES = ["reference", CLIENT_MUTANT, SERVER_MUTANT, "python-alt"]


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    shutil.copytree(os.path.join(ROOT, "tests", "alt"), subs / "python-alt")
    mutant_submission(str(subs / CLIENT_MUTANT), "tcpclient-writes-strlen")
    mutant_submission(str(subs / SERVER_MUTANT), "udpserver-port-3334")
    out = tmp_path_factory.mktemp("interop")
    proc = subprocess.run(["make", "-s", "interop", "NODEPS=1", "SUBMISSIONS=%s" % subs, "CASE=%s" % CASES,
                           "OUT=%s" % out], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out / "interop.json") as f:
        return out, json.load(f), proc.stdout


def test_the_broken_cells_are_the_mutant_client_row_and_the_mutant_server_column(drawn):
    _, doc, _ = drawn
    cells = {(c["client_program"], c["client"], c["server"]): c["verdict"] for c in doc["cells"]}
    expected = {}
    for client in NAMES:
        for server in NAMES:
            expected[("tcpclient", client, server)] = "fail" if client == CLIENT_MUTANT else "pass"
            expected[("udpclient", client, server)] = "fail" if server == SERVER_MUTANT else "pass"
    assert cells == expected


def test_a_cell_runs_the_client_of_one_and_the_server_of_the_other(drawn):
    _, doc, _ = drawn
    cell = next(c for c in doc["cells"] if c["client"] == "reference" and c["server"] == SERVER_MUTANT
                and c["client_program"] == "udpclient")
    run = cell["results"][0]
    assert (run["case"], run["variant"], run["implementation"]) == (
        "udp-echo-address", "udpclient-impl", "reference--" + SERVER_MUTANT)
    assert "REF=" in run["rerun"] and SERVER_MUTANT in run["rerun"]
    assert run["reason"].startswith("line ")
    # its report says which folder each program came from: the server's is the other implementation's
    with open(os.path.join(drawn[0], run["detail"])) as f:
        summaries = " | ".join(a["summary"] for a in json.load(f)["actors"])
    assert re.search(r"\[ref \S+/%s\] started at" % SERVER_MUTANT, summaries), summaries
    assert "[impl build/bin] started at" in summaries, summaries


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.charts = [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])
        self.charts += tag == "svg"


def parsed(path):
    links = Links()
    with open(path) as f:
        links.feed(f.read())
    return links


def test_every_cell_links_to_a_page_with_the_chart_of_each_of_its_cases(drawn):
    out, doc, _ = drawn
    links = [href for href in parsed(out / "index.html").links if href.startswith("cells/")]
    assert sorted(links) == sorted(c["page"] for c in doc["cells"]) and len(links) == 2 * 4 * 4
    for cell in doc["cells"]:
        page = parsed(out / cell["page"])
        assert page.charts == len(cell["results"]), cell["page"]
        assert "../../index.html" in page.links


def test_the_console_names_each_broken_cell_in_one_line(drawn):
    _, doc, stdout = drawn
    broken = [line for line in stdout.splitlines() if line.startswith("  fail ")]
    assert len(broken) == 8, stdout
    tcp = next(line for line in stdout.splitlines() if line.startswith("interop: tcpclient x tcpserver "))
    assert tcp.endswith(" 4 clients x 4 servers: 12 of 16 cells pass"), stdout


def test_a_broken_cell_reruns_alone_and_fails_the_same_way(drawn):
    _, doc, _ = drawn
    run = next(c for c in doc["cells"] if c["verdict"] == "fail" and c["client_program"] == "tcpclient")["results"][0]
    command = shlex.split(run["rerun"])
    assert command[:2] == ["make", "conformance"]
    proc = subprocess.run(["make", "-s", "conformance", "NODEPS=1"] + command[2:], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert run["message"] in proc.stdout and "1 failed" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["SUBMISSIONS=/nonexistent"], "interop: SUBMISSIONS=/nonexistent: no such folder"),
    ([], "interop: make interop needs SUBMISSIONS=DIR"),
    (["SUBMISSIONS={named_reference}"], "a subfolder named reference, the name the reference goes by"),
    (["SUBMISSIONS=%s" % ROOT + "/tests", "CASE=tcp-client-refused"], "selects none of the cases that pair"),
    (["SUBMISSIONS=%s" % ROOT + "/tests", "JOBS=0"], "JOBS=0: at least 1"),
])
def test_bad_interop_input_is_refused_in_one_line(args, message, tmp_path):
    (tmp_path / "reference").mkdir()
    args = [a.format(named_reference=tmp_path) for a in args]
    proc = subprocess.run(["make", "-s", "interop", "NODEPS=1"] + args, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 2, proc.stderr


def test_a_ref_folder_that_is_not_there_is_refused():
    proc = subprocess.run(["make", "-s", "conformance", "NODEPS=1", "CASE=tcp-echo", "REF=/nonexistent"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "REF=/nonexistent: no such directory" in proc.stderr, proc.stderr


def test_the_pairs_are_the_cases_that_start_exactly_one_client_and_its_server():
    from sockconf.language.cases import load_all
    pairs = interop.paired_cases(load_all(), [])
    assert [c.name for c in pairs[("tcpclient", "tcpserver")]] == ["tcp-echo"]
    assert "design-four-at-once" not in [c.name for cases in pairs.values() for c in cases]
    assert set(pairs) == set(interop.CLIENT_SERVER)
