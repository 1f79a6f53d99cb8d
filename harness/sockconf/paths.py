"""Where things are: the checkout, its folders, and the command line that
starts sockconf itself (for the tools that run it as a child)."""
import os
import sys

HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(HARNESS)
BUILD = os.path.join(ROOT, "build")
REPORTS = os.path.join(BUILD, "reports")
GRADE_OUT = os.path.join(BUILD, "grade")        # make grade's outputs (grading/grade.py)
INTEROP_OUT = os.path.join(BUILD, "interop")    # make interop's (grading/interop.py)
CASE_DIR = os.path.join(ROOT, "tests", "cases")
TOPO_DIR = os.path.join(ROOT, "netns")
REFERENCE = os.path.join(BUILD, "bin")
LAUNCHER = os.path.join(BUILD, "launch", "sockconf-launch")   # starts every program under test (src/launch)
TOPOLOGY_BUILDER = os.path.join(BUILD, "launch", "sockconf-topo")   # a topology in one exec (src/topo)
FORKWORKER = os.path.join(BUILD, "launch", "sockconf-forkworker")   # a run's xdist workers, forked (hosts/forkserver.py)
FORWARDER = os.path.join(BUILD, "launch", "sockconf-mforward")  # multicast forwarding without the kernel's (src/forward)
# `python3 -m sockconf` with harness/ on the path (sockconf/__main__.py puts it in PYTHONPATH for children).
SELF = [sys.executable, "-m", "sockconf"]


def child_environ(environ=None):
    """ENVIRON (default: this process's) with harness/ first in PYTHONPATH, so SELF finds the package."""
    env = dict(os.environ if environ is None else environ)
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != HARNESS]
    env["PYTHONPATH"] = os.pathsep.join([HARNESS] + rest)
    return env


def shown(path):
    """PATH as a message gives it: relative to the checkout when inside it, else absolute."""
    inside = os.path.commonpath([os.path.abspath(path), ROOT]) == ROOT
    return os.path.relpath(path, ROOT) if inside else os.path.abspath(path)
