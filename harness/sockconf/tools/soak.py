"""make soak: the whole suite RUNS times in a row while two CPU-bound
processes run beside it; any case whose verdict is not the same in every run
is a flip, reported with its verdicts, and makes the exit status 1.

  python3 -m sockconf soak [--runs 20] [--impl DIR] [--burners 2]
"""
import argparse
import collections
import signal
import subprocess
import sys
import time

from sockconf.paths import SELF
from sockconf.reports import junit
from sockconf.verdicts import Verdict
SOCKCONF = SELF
RUN_TIMEOUT = 600       # seconds one run of the suite may take, at most


def start_burners(count):
    """COUNT processes that keep one core busy each, until killed."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="sockconf soak")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--impl")
    parser.add_argument("--burners", type=int, default=2)
    args = parser.parse_args(argv)
    if args.runs < 2 or args.burners < 0:
        sys.exit("sockconf soak: --runs must be 2 or more and --burners 0 or more")
    seen = collections.defaultdict(list)          # test id -> verdict of each run
    burners = start_burners(args.burners)
    started = time.monotonic()
    try:
        for i in range(args.runs):
            label = "soak-%d" % (i + 1)
            command = SOCKCONF + ["run", "--label", label] + (["--impl", args.impl, "--strict"] if args.impl else [])
            took = time.monotonic()
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT)
            run = junit.verdicts(junit.path(label))
            for name, verdict in run.items():
                seen[name].append(verdict)
            failed = sorted(n for n, v in run.items() if v == Verdict.FAIL)
            print("soak: run %2d/%d exit %d in %5.1f s, %d tests, failed: %s" % (
                i + 1, args.runs, done.returncode, time.monotonic() - took, len(run), " ".join(failed) or "none"))
    finally:
        for proc in burners:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    flips = {n: v for n, v in seen.items() if len(set(v)) > 1 or len(v) != args.runs}
    print("soak: %d runs in %.0f s beside %d CPU-bound processes; %d tests; %d flipped" % (
        args.runs, time.monotonic() - started, args.burners, len(seen), len(flips)))
    for name, runs in sorted(flips.items()):
        print("  FLIP %s: %s" % (name, " ".join(runs)))
    sys.exit(1 if flips else 0)

