"""sockconf run: the suite in pytest with the plugin, on one implementation
or on a class of them in one pool of workers."""
import hashlib
import os
import shutil
import signal
import sys
from dataclasses import replace

from sockconf import settings
from sockconf.commands import Command
from sockconf.commands.checks import case_dirs_of, checked_cases, preflight
from sockconf.hosts import ownership, sandbox
from sockconf.language import variants
from sockconf.settings import programs_in
from sockconf.paths import HARNESS, ROOT
from sockconf.usage import die

XDIST_WORKERS = 6   # cases mostly wait on the network: more workers than cores


def arguments(parser):
    parser.add_argument("--impl")
    parser.add_argument("--class", dest="class_file", metavar="FILE",
                        help="a class: JSON [{\"label\"[, \"impl\", \"ref\", \"case\", \"strict\", \"limits\"]}, ...], "
                        "every member's cases in one pool of workers")
    parser.add_argument("--ref", help="the programs each case pairs with IMPL's (default: the reference, build/bin)")
    parser.add_argument("--case")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--label")
    parser.add_argument("--limits", help="limits of programs under test, e.g. as=unlimited,cpu=60")
    parser.add_argument("--path", help="folders put in front of the programs' PATH")
    parser.add_argument("--cases", help="folders of your own cases (and topologies), space separated")
    parser.add_argument("--pcap", action="store_true", help="record every link of every case with tcpdump")
    parser.add_argument("--budget", type=float, metavar="SECONDS",
                        help="seconds of case runs each implementation may use; later cases are not run (error)")
    parser.add_argument("--workers", type=int, help="cases at once (pytest-xdist workers; default %d, and for a "
                        "class 12 per core, at most 6 per member)" % XDIST_WORKERS)
    parser.add_argument("--last-failed", action="store_true", help="only what failed in the previous run (pytest --lf)")
    parser.add_argument("pytest", nargs="*")


def paired_with(ref):
    """Refuse a REF folder that cannot stand in for the reference; say what it holds."""
    print("sockconf: the other program of a pair comes from %s: %s" % (ref, " ".join(programs_in(ref, "REF"))))


def cache_key(impl):
    """The name of IMPL's pytest cache: reference, or the folder's name and a digest of its path."""
    if not impl:
        return "reference"
    return "%s-%s" % (os.path.basename(impl.rstrip("/")) or "root", hashlib.sha1(impl.encode()).hexdigest()[:8])


def begin(cfg, members):
    """Preflight, sweep what killed runs left, and give CFG and each of MEMBERS a run id and label; the
    environment the plugin and its workers read."""
    parsed_limits = preflight(None if members else cfg.impl, cfg.limits_text, cfg.pcap)
    if cfg.ref != settings.Settings.ref:
        paired_with(cfg.ref)
    for rid, names in ownership.sweep().items():
        print("sockconf: removed leftovers of a killed run %s: %s" % (rid, " ".join(names)))
    cfg.run = ownership.begin_run()
    cfg.label = cfg.label or ("impl-" + cfg.run if cfg.impl else "conformance")
    for member in members:
        member.run = ownership.begin_run()
    print("sockconf: programs under test run as an unprivileged user of their own per case, limits: %s" % (
        sandbox.describe_limits(parsed_limits)))
    for member in members:
        if member.limits_text != cfg.limits_text:
            print("sockconf: %s's own limits: %s" % (member.label, sandbox.describe_limits(member.limits)))
    os.environ.update(cfg.environ())
    if members:
        os.environ.update(settings.class_environ(members))


def run_suite(cfg, extra=(), workers=XDIST_WORKERS, last_failed=False, members=(), cases=None):
    """Run pytest in this process with settings CFG, own the run's lock,
    always sweep at the end.  Without a label a run of IMPL is labelled
    impl-RUNID, so runs at once keep their reports and artifacts apart.
    MEMBERS (Settings with impl and label) make it a class: one pool of workers runs every member's
    cases, each member with its own run id, reports and artifacts.  The plugin deals the runs to the
    workers (plugin/scheduler.py).  CASES: those the caller checked in CFG's folders (checked_cases), which
    the plugin collects without reading them again."""
    import pytest
    from sockconf.reports import junit
    if cases is not None:
        settings.CHECKED_CASES[tuple(cfg.case_dirs)] = cases
    begin(cfg, members)
    junit_file = junit.path(cfg.label)
    for label in [cfg.label] + [m.label for m in members]:
        shutil.rmtree(os.path.join(ROOT, "build", "artifacts", label), ignore_errors=True)
    os.makedirs(os.path.dirname(junit_file), exist_ok=True)
    # pytest's cache (for LF=1: --lf) lives in build/, one per IMPL folder: what failed for another
    # implementation is not rerun, and runs of different implementations at once do not mix their records.
    # The plugin is registered by name (no rootdir conftest); suite.py holds the one test function.
    # Only the plugins the suite uses are loaded, by name: xdist's and its own.  Others installed on the machine
    # (Hypothesis's, a user's pytest-randomly) stay out of its verdicts, and looking them all up took 30 ms of
    # CPU in every process of a run, controller and workers (which take over the environment).
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # --assert=plain: the suite's failures are its own reports, not assert statements; rewriting suite.py
    # anew in every process (PYTHONDONTWRITEBYTECODE keeps pytest from caching it) is spared.
    argv = ["-p", "xdist.plugin", "-p", "sockconf.plugin", "--noconftest", os.path.join(HARNESS, "sockconf", "plugin", "suite.py"),
            "-o", "cache_dir=" + os.path.join(ROOT, "build", "pytest-cache", "class-" + cfg.label if members
                                              else cache_key(cfg.impl)),
            "-q", "-rfE", "--assert=plain", "-n", str(workers), "--junitxml", junit_file,
            "-o", "junit_family=xunit2", "--rootdir", HARNESS,
            # xdist makes pytest's base folder of temporary paths for its workers' sake (the suite uses none):
            # in the run's own state folder, which the run's end removes, not one more in /tmp/pytest-of-USER
            "--basetemp", os.path.join(sandbox.run_state_dir(cfg.run), "pytest")] + (
                ["--lf"] if last_failed else []) + list(extra)
    signal.signal(signal.SIGTERM, ownership.terminate_run)
    try:
        status = pytest.main(argv)
    finally:
        for rid in [m.run for m in members] + [cfg.run]:
            ownership.end_run(rid)
    return int(status)


def settings_of(args):
    """The run's Settings from its command line, and the class's members (none without --class)."""
    members = settings.class_members(args.class_file) if args.class_file else []
    if members and args.impl:
        die("--class and --impl: the class file names the implementations")
    cfg = settings.Settings(impl=os.path.abspath(args.impl) if args.impl else None, cases=(args.case or "").split(),
                            ref=os.path.abspath(args.ref) if args.ref else settings.Settings.ref,
                            case_dirs=case_dirs_of(args.cases), strict=args.strict, label=args.label,
                            limits_text=args.limits or "", path=args.path or "", pcap=args.pcap,
                            budget=args.budget or 0.0)
    if cfg.budget < 0:
        die("--budget %s: seconds, 0 or more" % args.budget)
    if args.workers is not None and args.workers < 0:
        die("--workers %d: 0 or more (0: the cases run in this process)" % args.workers)
    members = [replace(cfg, impl=m.impl, ref=m.ref or cfg.ref, cases=m.cases or cfg.cases, label=m.label,
                       strict=m.strict or cfg.strict, limits_text=m.limits_text or cfg.limits_text)
               for m in members]
    return cfg, members


def cmd_run(args):
    cases = checked_cases(case_dirs_of(args.cases))
    cfg, members = settings_of(args)
    planned = [run for member in members or [cfg] for run in variants.planned(cases, member)]
    if not planned:
        die("no case matched CASE=%s (make cases lists them%s)" % (
            args.case, "" if cfg.impl or members else "; a /VARIANT other than the case alone needs IMPL="), 5)
    if members:
        cfg.label = cfg.label or "class"
    if args.workers is None:
        from sockconf.grading.pool import default_jobs
        args.workers = default_jobs(len(members)) if members else XDIST_WORKERS
    sys.exit(run_suite(cfg, args.pytest, workers_for(len(planned), args.workers), args.last_failed, members, cases))


def workers_for(runs_planned, most):
    """As many xdist workers as runs, at most MOST; one run goes in this
    process (no worker to start)."""
    return 0 if runs_planned <= 1 else min(most, runs_planned)


COMMANDS = [Command("run", "run the suite on the reference, on IMPL or on a class (make conformance)", arguments,
                    cmd_run)]
