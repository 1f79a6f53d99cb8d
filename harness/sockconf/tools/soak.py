"""make soak: the whole suite RUNS times in a row while two CPU-bound
processes run beside it; any case whose verdict is not the same in every run
is a flip, reported with its verdicts, and makes the exit status 1.

  python3 -m sockconf soak [--runs 20] [--impl DIR] [--burners 2]
"""
import collections
import signal
import subprocess
import sys
import time

from sockconf.paths import SELF
from sockconf.usage import die
from sockconf.reports import junit
from sockconf.verdicts import Verdict
SOCKCONF = SELF
RUN_TIMEOUT = 600       # seconds one run of the suite may take, at most


def start_burners(count):
    """COUNT processes that keep one core busy each, until killed."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def soak(count, impl, burner_count):
    """The whole suite COUNT times (on IMPL, or the reference) beside BURNER_COUNT busy processes: the exit
    status, 1 when a verdict flipped."""
    if count < 2 or burner_count < 0:
        die("--runs must be 2 or more and --burners 0 or more", command="sockconf soak")
    seen = collections.defaultdict(list)          # test id -> verdict of each run
    burners = start_burners(burner_count)
    started = time.monotonic()
    try:
        for i in range(count):
            label = "soak-%d" % (i + 1)
            command = SOCKCONF + ["run", "--label", label] + (["--impl", impl, "--strict"] if impl else [])
            took = time.monotonic()
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT)
            run = junit.verdicts(junit.path(label))
            for name, verdict in run.items():
                seen[name].append(verdict)
            failed = sorted(n for n, v in run.items() if v == Verdict.FAIL)
            print("soak: run %2d/%d exit %d in %5.1f s, %d tests, failed: %s" % (
                i + 1, count, done.returncode, time.monotonic() - took, len(run), " ".join(failed) or "none"))
    finally:
        for proc in burners:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    flips = {n: v for n, v in seen.items() if len(set(v)) > 1 or len(v) != count}
    print("soak: %d runs in %.0f s beside %d CPU-bound processes; %d tests; %d flipped" % (
        count, time.monotonic() - started, burner_count, len(seen), len(flips)))
    for name, verdicts in sorted(flips.items()):
        print("  FLIP %s: %s" % (name, " ".join(verdicts)))
    return 1 if flips else 0

