#!/usr/bin/python3
"""sockconf: run the conformance suite, list its cases, score the mutants.

  sockconf.py run [--impl DIR] [--case 'PATTERN ...'] [--strict] [--label L] [-- PYTEST-ARGS]
  sockconf.py list
  sockconf.py mutants [--only NAME]
  sockconf.py sweep
  sockconf.py lab [pair|lan|routed] [--minutes N]

Checks what the suite needs before any case runs and says what is wrong.
"""
import argparse
import fnmatch
import os
import shutil
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import netns  # noqa: E402
import rootless  # noqa: E402
import sandbox  # noqa: E402
from cases import PROGRAMS, WORKERS, load_all  # noqa: E402

XDIST_WORKERS = 6   # cases mostly wait on the network: more workers than cores


def die(message, status=2):
    print("sockconf: %s" % message, file=sys.stderr)
    sys.exit(status)


def preflight(impl, limits=None):
    """Refuse to start, with a clear message, when the suite cannot work."""
    try:
        parsed_limits = sandbox.parse_limits(limits)
    except ValueError as exc:
        die("LIMITS=%s: %s" % (limits, exc))
    for tool, package in (("ip", "iproute2"), ("smcrouted", "smcroute"), ("setpriv", "util-linux"),
                          ("prlimit", "util-linux")):
        if shutil.which(tool) is None:
            die("`%s` is missing: install %s (make deps does)" % (tool, package))
    if not os.path.isdir("/run/netns") and os.system("ip netns list >/dev/null 2>&1") != 0:
        die("`ip netns` does not work here")
    if impl is not None:
        if not os.path.isdir(impl):
            die("IMPL=%s: no such directory" % impl)
        present = [p for p in PROGRAMS if os.path.exists(os.path.join(impl, p))]
        if not present:
            die("IMPL=%s holds none of the programs (%s)" % (impl, " ".join(PROGRAMS)))
        print("sockconf: programs under test in %s: %s" % (impl, " ".join(present)))
        missing = [p for p in PROGRAMS if p not in present]
        if missing:
            print("sockconf: not provided (their cases are skipped): %s" % " ".join(missing))
        for server, worker in WORKERS.items():
            if server in present and not os.path.exists(os.path.join(impl, worker)):
                print("sockconf: %s is there but its worker %s is not: its cases will fail" % (server, worker))
    return parsed_limits


def cmd_list(args):
    for case in load_all():
        print("%-34s %-8s %s" % (case.name, case.checks, case.title))


def cmd_sweep(args):
    removed = netns.sweep()
    for rid, names in removed.items():
        print("sockconf: removed leftovers of run %s: %s" % (rid, " ".join(names)))


def run_suite(impl=None, cases=None, strict=False, label=None, extra=(), limits=None, path=None):
    """Run pytest in this process, own the run's lock, always sweep at the end.
    Without LABEL a run of IMPL is labelled impl-RUNID, so runs at once keep
    their reports and artifacts apart."""
    import pytest
    import report
    parsed_limits = preflight(impl, limits)
    for rid, names in netns.sweep().items():
        print("sockconf: removed leftovers of a killed run %s: %s" % (rid, " ".join(names)))
    rid = netns.begin_run()
    label = label or ("impl-" + rid if impl else "conformance")
    print("sockconf: programs under test run as an unprivileged user of their own per case, limits: %s" % (
        sandbox.describe_limits(parsed_limits)))
    os.environ.update(SOCKCONF_RUN=rid, SOCKCONF_LABEL=label,
                      SOCKCONF_STRICT="1" if strict else "0",
                      SOCKCONF_CASES=cases or "", SOCKCONF_IMPL=impl or "",
                      SOCKCONF_LIMITS=limits or "", SOCKCONF_PATH=path or "")
    junit = report.junit_path(label)
    shutil.rmtree(os.path.join(ROOT, "build", "artifacts", label), ignore_errors=True)
    os.makedirs(os.path.dirname(junit), exist_ok=True)
    argv = [os.path.join(HERE, "test_conformance.py"), "-p", "no:cacheprovider", "-q", "-rfEsx",
            "-n", str(XDIST_WORKERS), "--junitxml", junit,
            "-o", "junit_family=xunit2", "--rootdir", HERE] + list(extra)
    signal.signal(signal.SIGTERM, netns.terminate_run)
    try:
        status = pytest.main(argv)
    finally:
        netns.end_run(rid)
    return int(status)


def cmd_run(args):
    impl = os.path.abspath(args.impl) if args.impl else None
    if args.case:
        names = [c.name for c in load_all()]
        patterns = args.case.split()
        if not any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
            die("no case matched CASE=%s (make cases lists them)" % args.case, 5)
    status = run_suite(impl, args.case, args.strict, args.label, args.pytest, args.limits, args.path)
    sys.exit(status)


def cmd_lab(args):
    """Build a topology for running the programs by hand; remove it on Ctrl-C,
    SIGTERM or after --minutes."""
    import time
    preflight(None)
    rid = netns.begin_run()
    os.environ["SOCKCONF_RUN"] = rid
    signal.signal(signal.SIGTERM, netns.terminate_run)
    tmp = sandbox.run_state_dir(rid, "tmp")
    topo = netns.Topology(netns.parse_spec(args.topology), "sc%s-lab" % rid, tmp)
    try:
        topo.up()
        bindir = os.path.join(ROOT, "build", "bin")
        print("sockconf lab: topology %s is up (names: %s)" % (args.topology, ", ".join(
            "%s -> %s" % kv for kv in sorted(topo.names.items()))))
        for host in topo.spec.hosts:
            print("  host %-2s %-14s  cd %s && %s ./PROGRAM" % (
                host, topo.address(host), os.path.relpath(bindir), lab_launcher(rid, host, topo.ns(host))))
        print("Ctrl-C (or %d minutes) removes it." % args.minutes)
        time.sleep(args.minutes * 60)
    except KeyboardInterrupt:
        pass
    finally:
        topo.down()
        netns.end_run(rid)
        print("sockconf lab: removed")


def lab_launcher(rid, host, ns):
    """A script that runs its arguments on HOST as the suite does (its
    namespace, its own /etc files), for a person at a shell."""
    import shlex
    path = os.path.join(sandbox.run_state_dir(rid, "lab"), "on-" + host)
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in netns.host_command(ns, [])))
    os.chmod(path, 0o755)
    return path


def cmd_mutants(args):
    import mutants
    sys.exit(mutants.main(args.only))


def main():
    parser = argparse.ArgumentParser(prog="sockconf.py")
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--impl")
    run.add_argument("--case")
    run.add_argument("--strict", action="store_true")
    run.add_argument("--label")
    run.add_argument("--limits", help="limits of programs under test, e.g. as=unlimited,cpu=60")
    run.add_argument("--path", help="folders put in front of the programs' PATH")
    run.add_argument("pytest", nargs="*")
    sub.add_parser("list")
    sub.add_parser("sweep")
    lab = sub.add_parser("lab")
    lab.add_argument("topology", nargs="?", default="pair", choices=("pair", "lan", "routed"))
    lab.add_argument("--minutes", type=int, default=60)
    mut = sub.add_parser("mutants")
    mut.add_argument("--only")
    args = parser.parse_args()
    if args.cmd != "list":
        if os.geteuid() != 0:
            if args.cmd == "lab":
                die("make lab gives shells on the test hosts: run it as root")
            rootless.enter([os.path.abspath(sys.argv[0])] + sys.argv[1:])
        rootless.prepare()
    {"run": cmd_run, "list": cmd_list, "sweep": cmd_sweep, "lab": cmd_lab, "mutants": cmd_mutants}[args.cmd](args)


if __name__ == "__main__":
    main()
