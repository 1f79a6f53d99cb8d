"""Self-checks of the fork server (harness/sockconf/hosts/forkserver.py) and its stand-in
(src/launch/forkworker.c): a run's xdist workers are forked from it; each worker runs the code
execnet gives on its stand-in's pipes and ends it alike; signals and deaths go both ways; no
other user gets a worker."""
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import pytest

from sockconf.hosts import procfs
from sockconf.paths import SELF, child_environ

NOBODY = 65534
# The server, in a process of its own (forking this test's worker, which has threads, would not be
# the server's situation): it prints its spec and ends when its standard input does.
HELPER = """
import sys
from sockconf.hosts import forkserver
server = forkserver.start(sys.argv[1])
print(server.spec() if server else "none", flush=True)
sys.stdin.read()
server.stop()
"""


@pytest.fixture
def server():
    """[stand-in, socket path] of a running server, in a folder others may pass through (0711)."""
    folder = tempfile.mkdtemp(prefix="sockconf-forkserver-")
    os.chmod(folder, 0o711)
    helper = subprocess.Popen([sys.executable, "-c", HELPER, folder], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=child_environ())
    try:
        spec = helper.stdout.readline().strip()        # the helper prints a line, or ends (EOF)
        assert spec.startswith("popen//python="), "the server did not start: %r" % spec
        yield spec.partition("=")[2].split()
    finally:
        helper.stdin.close()
        helper.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def stand_in(server, code, **kw):
    """The stand-in run as execnet runs a worker's python, with CODE."""
    return subprocess.run(server + ["-u", "-c", code], capture_output=True, text=True, timeout=30, **kw)


def started(server, code):
    """A stand-in running CODE, once the worker printed its first line; (process, that line)."""
    proc = subprocess.Popen(server + ["-u", "-c", code], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def ended_within(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if procfs.has_ended(pid):
            return True
        time.sleep(0.01)
    return False


def test_a_worker_runs_the_code_on_its_stand_ins_pipes_and_ends_it_with_its_status(server):
    proc = stand_in(server, "import sys; sys.stdout.write(sys.stdin.readline().upper()); sys.stderr.write('e'); "
                            "sys.exit(7)", input="hello\n")
    assert (proc.returncode, proc.stdout, proc.stderr) == (7, "HELLO\n", "e")
    crashed = stand_in(server, "raise ValueError('broken')")
    assert crashed.returncode == 1 and "ValueError: broken" in crashed.stderr


def test_a_worker_killed_by_a_signal_ends_its_stand_in_by_the_same(server):
    proc = stand_in(server, "import os, signal; os.kill(os.getpid(), signal.SIGUSR1)")
    assert proc.returncode == -signal.SIGUSR1


def test_sigterm_to_a_stand_in_reaches_its_worker(server):
    """The worker gets it (an xdist worker unwinds its case on SIGTERM), and the stand-in ends as it does.
    (The worker naps in short sleeps: a signal that comes between Python's check for signals and the
    sleep's system call waits for the sleep's end.)"""
    proc, _ = started(server, "import signal, sys, time\n"
                              "signal.signal(signal.SIGTERM, lambda *a: (print('unwound', flush=True), sys.exit(3)))\n"
                              "print('up', flush=True)\n"
                              "for _ in range(6000): time.sleep(0.01)")
    proc.send_signal(signal.SIGTERM)
    assert (proc.wait(timeout=20), proc.stdout.read()) == (3, "unwound\n")


def test_a_killed_stand_in_takes_its_worker_along(server):
    proc, worker = started(server, "import os, time; print(os.getpid(), flush=True); time.sleep(60)")
    assert int(worker) != proc.pid and not procfs.has_ended(int(worker))
    proc.kill()
    proc.wait(timeout=20)
    assert ended_within(int(worker), 5), "the worker of a killed stand-in lives on"


def test_no_other_user_gets_a_worker(server):
    """The socket is its user's alone (0600), so another user's stand-in cannot connect; where the file
    would let it, the server checks the peer's credentials and hangs up."""
    stub, path = server
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    own_stub = os.path.join(os.path.dirname(path), "stand-in")
    shutil.copy(stub, own_stub)
    os.chmod(own_stub, 0o755)
    as_nobody = dict(user=NOBODY, group=NOBODY, extra_groups=[])
    refused = stand_in([own_stub, path], "print('worker')", **as_nobody)
    assert (refused.returncode, refused.stdout) == (96, "") and "Permission denied" in refused.stderr, refused
    os.chmod(path, 0o666)
    hung_up = stand_in([own_stub, path], "print('worker')", **as_nobody)
    assert (hung_up.returncode, hung_up.stdout) == (96, ""), hung_up
    assert any(hang_up in hung_up.stderr for hang_up in ("sendmsg(the fork server): Broken pipe", "recv(the worker's pid)")), \
        hung_up.stderr


RECORDER = """
import os
def pytest_configure(config):
    if hasattr(config, "workerinput"):
        parent = os.getppid()
        with open("/proc/%d/stat" % parent) as f:
            grandparent = int(f.read().rpartition(")")[2].split()[1])
        with open(os.environ["RECORD"], "a") as f:
            f.write("%d %d\\n" % (parent, grandparent))
"""


def test_a_runs_workers_are_forked_from_its_server(tmp_path):
    """A run's workers are children of its fork server, which is the controller's child, not of the
    controller itself (xdist's own popen workers are)."""
    (tmp_path / "recorder.py").write_text(RECORDER)
    record = tmp_path / "workers"
    env = child_environ()
    env.update(PYTHONPATH=env["PYTHONPATH"] + os.pathsep + str(tmp_path), RECORD=str(record))
    proc = subprocess.Popen(SELF + ["run", "--case", "tcp-client-no-argument comclient-no-argument", "--workers", "2",
                                    "--label", "self-forked", "--", "-p", "recorder"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    workers = [tuple(map(int, line.split())) for line in record.read_text().splitlines()]
    assert len(workers) == 2, workers
    assert {parent for parent, _ in workers} != {proc.pid}, "the workers are the controller's own children"
    assert len({parent for parent, _ in workers}) == 1 and {grand for _, grand in workers} == {proc.pid}, workers
