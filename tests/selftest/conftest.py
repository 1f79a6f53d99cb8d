"""What the self-checks share: an unprivileged user with a copy of the
suite, and folders of submissions whose verdicts are known."""
import os
import random
import shutil
import signal
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = os.path.join(ROOT, "build", "bin")
from sockconf.paths import LAUNCHER
from sockconf.tools import mutant_build, mutants

SUBORDINATE_FIRST = 1_500_000_000    # a block no other account's subordinate ids reach


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes a minute or more; started first, so the others fill the workers beside it")
    config.addinivalue_line("markers", "alone: timed against signals, or watching what a sweep removes: make check runs these after the others, "
                                       "one at a time, on an otherwise idle machine")
    signal.signal(signal.SIGTERM, interrupted)


def interrupted(signum, frame):
    """SIGTERM (a CI job's timeout, a supervisor) unwinds as Ctrl-C does: pytest tears the fixtures down, so
    unprivileged_user deletes its user.  Its default action ended the process with the user still there."""
    raise KeyboardInterrupt("signal %d" % signum)


@pytest.fixture
def unprivileged_user():
    """A login-less user of this test (useradd gives it a block of /etc/subuid)
    and a copy of the suite it owns, as in a user's own checkout; both removed."""
    name = "sockconf-%06d" % random.randrange(10 ** 6)
    subprocess.run(["useradd", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", name],
                   check=True, capture_output=True, timeout=30)
    tree = tempfile.mkdtemp(prefix="sockconf-rootless-")
    try:
        with open("/etc/subuid") as f:
            given = any(line.startswith(name + ":") for line in f)
        if not given:
            block = "%d-%d" % (SUBORDINATE_FIRST, SUBORDINATE_FIRST + 65535)   # useradd gave none
            subprocess.run(["usermod", "--add-subuids", block, "--add-subgids", block, name],
                           check=True, capture_output=True, timeout=30)
        for part in ("harness", "netns", "tests", "ci"):
            shutil.copytree(os.path.join(ROOT, part), os.path.join(tree, part), symlinks=True)
        shutil.copytree(REF, os.path.join(tree, "build", "bin"))
        shutil.copytree(os.path.dirname(LAUNCHER), os.path.join(tree, "build", "launch"))
        subprocess.run(["chown", "-R", "%s:%s" % (name, name), tree], check=True, timeout=30)
        os.chmod(tree, 0o755)
        yield name, tree
    finally:
        shutil.rmtree(tree, ignore_errors=True)
        subprocess.run(["userdel", name], capture_output=True, timeout=30)



def mutant_program(name, folder):
    """Mutant NAME's program copied into FOLDER, built in a folder of this call's own: self-checks
    running side by side may build the same mutant."""
    entry = next(m for m in mutants.parse_list() if m[0] == name)
    top = tempfile.mkdtemp(prefix="sockconf-mutant-")
    try:
        shutil.copy(os.path.join(mutant_build.build(*entry[:4], under=top), entry[1]), os.path.join(folder, entry[1]))
    finally:
        shutil.rmtree(top, ignore_errors=True)


def mutant_submission(folder, name):
    """The reference with one program replaced by mutant NAME."""
    shutil.copytree(REF, folder)
    mutant_program(name, folder)


def known_submissions(folder, hostile=True):
    """The reference, tests/alt, two mutants (and a hostile program and an
    empty folder): the submissions of the grading checks."""
    os.makedirs(folder, exist_ok=True)
    shutil.copytree(REF, os.path.join(folder, "reference"))
    shutil.copytree(os.path.join(ROOT, "tests", "alt"), os.path.join(folder, "python-alt"))
    mutant_submission(os.path.join(folder, "mutant-tcpserver-port-3112"), "tcpserver-port-3112")
    mutant_submission(os.path.join(folder, "mutant-tcpclient-refused-exit-1"), "tcpclient-refused-exit-1")
    if hostile:
        shutil.copytree(os.path.join(ROOT, "tests", "hostile", "hangs"), os.path.join(folder, "hostile-hangs"))
        os.mkdir(os.path.join(folder, "empty"))
    return folder


# Module-scoped fixtures that run a whole grading: the tests that use one go to the same xdist worker
# (--dist loadgroup), which makes it once; every other test goes to whichever worker is free.
SHARED_FIXTURES = ("graded", "drawn")


@pytest.hookimpl(tryfirst=True)     # before xdist's own hook, which reads the group from the marker
def pytest_collection_modifyitems(items):
    for item in items:
        for name in SHARED_FIXTURES:
            if name in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(name))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)     # stable: otherwise as collected
