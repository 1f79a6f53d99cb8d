"""sockconf: run the conformance suite, list its cases, explore, score the mutants.
With harness/ on PYTHONPATH (the make targets set it):

  python3 -m sockconf run [--impl DIR | --class FILE] [--case 'PATTERN[/VARIANT] ...'] [--cases 'DIR ...'] [--strict]
                          [--label L] [--workers N] [--last-failed] [-- PYTEST-ARGS]
  python3 -m sockconf list [--cases 'DIR ...']
  python3 -m sockconf verbs [--check FILE | --write FILE]
  python3 -m sockconf explore [--impl DIR] [--programs 'P ...'] [--examples N] [--seed S] [--checks K]
                              [--findings DIR] [--database DIR] [--json FILE]
  python3 -m sockconf mutants [--only NAME]
  python3 -m sockconf sweep
  python3 -m sockconf doctor                                        (what the kernel offers the suite)
  python3 -m sockconf lab [pair|lan|routed] [--minutes N]
  python3 -m sockconf grade run SUBMISSIONS ... | grade merge ...   (sockconf/grading/grade.py)
  python3 -m sockconf soak [--runs N] [--impl DIR]                  (sockconf/tools/soak.py)
  python3 -m sockconf interop run SUBMISSIONS ...                   (sockconf/grading/interop.py)
  python3 -m sockconf bench                                         (sockconf/tools/bench.py)

Checks the cases and what the suite needs before any case runs and says
what is wrong: FILE:LINE: lines for the cases (exit 2), one line otherwise.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import sys

from dataclasses import replace

from sockconf.paths import FORWARDER, HARNESS, LAUNCHER, ROOT, SELF

from sockconf.language import registry
from sockconf.hosts import kernel
from sockconf.hosts import rootless
from sockconf.hosts import ownership
from sockconf.hosts import sandbox
from sockconf.hosts.netns import NETNS_DIR
from sockconf import settings
from sockconf.language import variants
from sockconf.catalogue import PROGRAMS, WORKERS
from sockconf.verdicts import SCOPES, scopes_up_to
import sockconf.verbs  # noqa: F401  (registers the verbs that cases are checked against)
from sockconf.language.cases import CaseErrors, load_all

EXPLORE_STOPPED = 3  # exit status: the reference did not repeat itself, the search stopped (a harness problem)
XDIST_WORKERS = 6   # cases mostly wait on the network: more workers than cores
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")     # a label names files under build/


def die(message, status=2):
    print("sockconf: %s" % message, file=sys.stderr)
    sys.exit(status)


def preflight(impl, limits=None, pcap=False):
    """Refuse to start, with a clear message, when the suite cannot work."""
    try:
        parsed_limits = sandbox.parse_limits(limits)
    except ValueError as exc:
        die("LIMITS=%s: %s" % (limits, exc))
    tools = [("ip", "iproute2"), ("smcrouted", "smcroute")]
    for program, what in ((LAUNCHER, "it starts every program under test"),
                          (FORWARDER, "it forwards multicast where the kernel cannot")):
        if not os.access(program, os.X_OK):
            die("%s is missing: `make` builds it (%s)" % (os.path.relpath(program), what))
    answer = kernel_preflight()
    if pcap:
        tools.append(("tcpdump", "tcpdump, which PCAP=1 records with"))
        if not answer.has("packet"):
            die("PCAP=1: %s: tcpdump cannot record" % kernel.skip_reason(["packet"]), kernel.NOT_POSSIBLE)
    for tool, package in tools:
        if shutil.which(tool) is None:
            die("`%s` is missing: install %s (make deps does)" % (tool, package))
    if not os.path.isdir(NETNS_DIR) and os.system("ip netns list >/dev/null 2>&1") != 0:
        die("`ip netns` does not work here")
    if impl is not None:
        present = programs_in(impl, "IMPL")
        print("sockconf: programs under test in %s: %s" % (impl, " ".join(present)))
        missing = [p for p in PROGRAMS if p not in present]
        if missing:
            print("sockconf: not provided (their cases are skipped): %s" % " ".join(missing))
        for server, worker in WORKERS.items():
            if server in present and not os.path.exists(os.path.join(impl, worker)):
                print("sockconf: %s is there but its worker %s is not: its cases will fail" % (server, worker))
    return parsed_limits


def kernel_answer():
    """This run's kernel.Answer (probed once; its workers take it over), or exit 2 when SOCKCONF_ABSENT
    names no feature."""
    try:
        return kernel.current()
    except ValueError as exc:
        die(str(exc))


def kernel_preflight():
    """Stop when a feature every case needs is absent (exit 4); say in one line what is absent and what
    forwards multicast."""
    answer = kernel_answer()
    essential = answer.essential_missing()
    if essential:
        die("%s: no case can run here (make doctor says more)" % kernel.skip_reason(essential), kernel.NOT_POSSIBLE)
    if answer.absent:
        print("sockconf: %s; multicast forwarding: %s (make doctor says more)" % (
            kernel.skip_reason(sorted(answer.absent)), answer.forwarding_text()))
    return answer


def cmd_doctor(args):
    """What the suite needs from the kernel, probed here: the table, exit 0, or 4 when no case can run."""
    answer = kernel_answer()
    sys.stdout.write(kernel.table(answer))
    sys.exit(kernel.NOT_POSSIBLE if answer.essential_missing() else 0)


def checked_cases(case_dirs):
    """Every case, or exit 2 with a FILE:LINE: line for each problem."""
    try:
        return load_all(case_dirs)
    except CaseErrors as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        die("%d problem%s in the cases; no case was run" % (len(exc.messages), "s" * (len(exc.messages) != 1)))


def case_dirs_of(text):
    return [os.path.abspath(d) for d in (text or "").split()]


def cmd_list(args):
    cases = checked_cases(case_dirs_of(args.cases))
    for case in cases:
        origin = "" if case.origin == "suite" else "  (from %s)" % os.path.relpath(case.origin)
        print("%-34s %-8s %s%s" % (case.name, case.checks, case.title, origin))


VERBS_BEGIN = "<!-- verbs: made by `python3 -m sockconf verbs --write`; make check compares -->"
VERBS_END = "<!-- verbs: end -->"


def cmd_verbs(args):
    """Print the verb tables, or check/write them between the markers of FILE."""
    tables = registry.markdown()
    if not (args.check or args.write):
        sys.stdout.write(tables)
        return
    path = args.check or args.write
    with open(path) as f:
        text = f.read()
    if VERBS_BEGIN not in text or VERBS_END not in text:
        die("%s has no verb tables between %s and %s" % (path, VERBS_BEGIN, VERBS_END))
    head, rest = text.split(VERBS_BEGIN, 1)
    old, tail = rest.split(VERBS_END, 1)
    if args.check:
        if old != "\n" + tables:
            die("%s: its verb tables differ from the registry; `PYTHONPATH=harness python3 -m sockconf verbs --write %s` makes them anew"
                % (path, path), 1)
        return
    with open(path, "w") as f:
        f.write(head + VERBS_BEGIN + "\n" + tables + VERBS_END + tail)


def cmd_sweep(args):
    removed = ownership.sweep()
    for rid, names in removed.items():
        print("sockconf: removed leftovers of run %s: %s" % (rid, " ".join(names)))


def programs_in(folder, setting):
    """The programs FOLDER holds; a FOLDER that is not there or holds none of them ends the command
    (SETTING=FOLDER: IMPL or REF)."""
    if not os.path.isdir(folder):
        die("%s=%s: no such directory" % (setting, folder))
    present = [p for p in PROGRAMS if os.path.exists(os.path.join(folder, p))]
    if not present:
        die("%s=%s holds none of the programs (%s)" % (setting, folder, " ".join(PROGRAMS)))
    return present


def paired_with(ref):
    """Refuse a REF folder that cannot stand in for the reference; say what it holds."""
    print("sockconf: the other program of a pair comes from %s: %s" % (ref, " ".join(programs_in(ref, "REF"))))


def cache_key(impl):
    """The name of IMPL's pytest cache: reference, or the folder's name and a digest of its path."""
    if not impl:
        return "reference"
    return "%s-%s" % (os.path.basename(impl.rstrip("/")) or "root", hashlib.sha1(impl.encode()).hexdigest()[:8])


def run_suite(cfg, extra=(), workers=XDIST_WORKERS, last_failed=False, members=None):
    """Run pytest in this process with settings CFG, own the run's lock,
    always sweep at the end.  Without a label a run of IMPL is labelled
    impl-RUNID, so runs at once keep their reports and artifacts apart.
    MEMBERS (Settings with impl and label) make it a class: one pool of workers runs every member's
    cases, each member with its own run id, reports and artifacts."""
    import pytest
    from sockconf.reports import junit
    parsed_limits = preflight(None if members else cfg.impl, cfg.limits_text, cfg.pcap)
    if cfg.ref != settings.Settings.ref:
        paired_with(cfg.ref)
    for rid, names in ownership.sweep().items():
        print("sockconf: removed leftovers of a killed run %s: %s" % (rid, " ".join(names)))
    cfg.run = ownership.begin_run()
    cfg.label = cfg.label or ("impl-" + cfg.run if cfg.impl else "conformance")
    for member in members or []:
        member.run = ownership.begin_run()
    print("sockconf: programs under test run as an unprivileged user of their own per case, limits: %s" % (
        sandbox.describe_limits(parsed_limits)))
    for member in members or []:
        if member.limits_text != cfg.limits_text:
            print("sockconf: %s's own limits: %s" % (member.label, sandbox.describe_limits(member.limits)))
    os.environ.update(cfg.environ())
    if members:
        os.environ.update(settings.class_environ(members))
    junit_file = junit.path(cfg.label)
    for label in [cfg.label] + [m.label for m in members or []]:
        shutil.rmtree(os.path.join(ROOT, "build", "artifacts", label), ignore_errors=True)
    os.makedirs(os.path.dirname(junit_file), exist_ok=True)
    # pytest's cache (for LF=1: --lf) lives in build/, one per IMPL folder: what failed for another
    # implementation is not rerun, and runs of different implementations at once do not mix their records.
    # The plugin is registered by name (no rootdir conftest); suite.py holds the one test function.
    argv = ["-p", "sockconf.plugin", "--noconftest", os.path.join(HARNESS, "sockconf", "plugin", "suite.py"),
            "-o", "cache_dir=" + os.path.join(ROOT, "build", "pytest-cache", "class-" + cfg.label if members
                                              else cache_key(cfg.impl)),
            "-q", "-rfE", "-n", str(workers), "--junitxml", junit_file,
            "-o", "junit_family=xunit2", "--rootdir", HARNESS] + (["--lf"] if last_failed else [])
    # xdist's public loadgroup: a case is a group of its own, so its workers are
    # dealt cases one at a time in collection order (slow cases first).
    argv += (["--dist", "loadgroup"] if workers else []) + list(extra)
    signal.signal(signal.SIGTERM, ownership.terminate_run)
    try:
        status = pytest.main(argv)
    finally:
        for rid in [m.run for m in members or []] + [cfg.run]:
            ownership.end_run(rid)
    return int(status)


def cmd_run(args):
    case_dirs = case_dirs_of(args.cases)
    cases = checked_cases(case_dirs)
    patterns = (args.case or "").split()
    members = class_members(args.class_file) if args.class_file else None
    if members and args.impl:
        die("--class and --impl: the class file names the implementations")
    cfg = settings.Settings(impl=os.path.abspath(args.impl) if args.impl else None, cases=patterns,
                            ref=os.path.abspath(args.ref) if args.ref else settings.Settings.ref,
                            case_dirs=case_dirs, strict=args.strict, label=args.label,
                            limits_text=args.limits or "", path=args.path or "", pcap=args.pcap,
                            budget=args.budget or 0.0)
    if cfg.budget < 0:
        die("--budget %s: seconds, 0 or more" % args.budget)
    if args.workers is not None and args.workers < 0:
        die("--workers %d: 0 or more (0: the cases run in this process)" % args.workers)
    if members:
        members = [replace(cfg, impl=m.impl, ref=m.ref or cfg.ref, cases=m.cases or cfg.cases, label=m.label,
                           strict=m.strict or cfg.strict, limits_text=m.limits_text or cfg.limits_text)
                   for m in members]
    planned = [run for member in members or [cfg] for run in variants.planned(cases, member)]
    if not planned:
        die("no case matched CASE=%s (make cases lists them%s)" % (
            args.case, "" if cfg.impl or members else "; a /VARIANT other than the case alone needs IMPL="), 5)
    if members:
        cfg.label = cfg.label or "class"
    if args.workers is None:
        from sockconf.grading.pool import default_jobs
        args.workers = default_jobs(len(members)) if members else XDIST_WORKERS
    sys.exit(run_suite(cfg, args.pytest, workers_for(len(planned), args.workers), args.last_failed, members))


def class_members(path):
    """The members of the class file PATH: a JSON list of {"label": NAME}, each optionally with "impl": FOLDER
    (without it, the reference), "ref": FOLDER (its pairs' other program), "case": 'PATTERN ...' (make grade
    and make interop write it), "strict": true and "limits": TEXT (its own, over the class's; make check's
    suites); every folder must hold programs, every label be new.  A bad file ends the command."""
    try:
        with open(path) as f:
            members = [class_member(e) for e in json.load(f)]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        die("--class %s: expected a JSON list of {\"label\"[, \"impl\", \"ref\", \"case\", \"strict\", \"limits\"]}: %s"
            % (path, exc))
    labels = [m.label for m in members]
    if not members or len(set(labels)) != len(labels) or not all(LABEL_RE.match(label) for label in labels):
        die("--class %s: one member or more, each with its own label of letters, digits, . _ -" % path)
    for member in members:
        if member.impl:
            programs_in(member.impl, "IMPL")
        if member.ref:
            programs_in(member.ref, "REF")
    return members


def class_member(entry):
    """The settings of one class file ENTRY (a dict); raises ValueError or TypeError on a bad one."""
    if not isinstance(entry.get("strict", False), bool):
        raise TypeError("%s: strict is true or false, not %r" % (entry["label"], entry["strict"]))
    limits_text = entry.get("limits") or ""
    try:
        sandbox.parse_limits(limits_text)
    except ValueError as exc:
        raise ValueError("%s: limits %s: %s" % (entry["label"], limits_text, exc))
    return settings.Settings(impl=os.path.abspath(entry["impl"]) if entry.get("impl") else None,
                             label=entry["label"], ref=os.path.abspath(entry["ref"]) if entry.get("ref") else None,
                             cases=(entry.get("case") or "").split(), strict=entry.get("strict", False),
                             limits_text=limits_text)


def workers_for(runs_planned, most):
    """As many xdist workers as runs, at most MOST; one run goes in this
    process (no worker to start)."""
    return 0 if runs_planned <= 1 else min(most, runs_planned)


def cmd_lab(args):
    """Build a topology for running the programs by hand; remove it on Ctrl-C,
    SIGTERM or after --minutes."""
    import time
    preflight(None)
    from sockconf.language.topofile import TopologyError, parse_spec
    from sockconf.hosts.topology import Topology
    rid = ownership.begin_run()
    os.environ["SOCKCONF_RUN"] = rid
    signal.signal(signal.SIGTERM, ownership.terminate_run)
    tmp = sandbox.run_state_dir(rid, "tmp")
    spec = parse_spec(args.topology)
    lacking = kernel.missing(spec.needs(), kernel.current())
    if lacking:
        ownership.end_run(rid)
        die("TOPO=%s: %s (make doctor says more)" % (args.topology, kernel.skip_reason(lacking)), kernel.NOT_POSSIBLE)
    if spec.mroutes:
        print("sockconf lab: multicast forwarding: %s" % kernel.current().forwarding_text())
    topo = Topology(spec, "sc%s-lab" % rid, tmp)
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
    except TopologyError as exc:
        print("sockconf lab: cannot build topology %s: %s" % (args.topology, exc), file=sys.stderr)
    finally:
        topo.down()
        ownership.end_run(rid)
        print("sockconf lab: removed")


def lab_launcher(rid, host, ns):
    """A script that runs its arguments on HOST as the suite does (its
    namespace, its own /etc files), for a person at a shell."""
    import shlex

    from sockconf.hosts import netns
    path = os.path.join(sandbox.run_state_dir(rid, "lab"), "on-" + host)
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in netns.host_command(ns, [])))
    os.chmod(path, 0o755)
    return path


def cmd_explore(args):
    """Generated scenarios on the reference and on IMPL, compared (sockconf.explore)."""
    from sockconf.explore import explorer, spaces
    impl = os.path.abspath(args.impl) if args.impl else None
    preflight(impl, args.limits)
    programs = args.programs.split() if args.programs else list(spaces.SPACES)
    unknown = [p for p in programs if p not in spaces.SPACES]
    if unknown:
        die("PROGRAM=%s: no scenario space for %s (there is one for %s)" % (
            args.programs, " ".join(unknown), " ".join(spaces.SPACES)))
    if impl:
        programs = [p for p in programs if os.path.exists(os.path.join(impl, p))] or die(
            "IMPL=%s provides none of %s" % (args.impl, " ".join(programs)))
    programs = kernel_explorable(programs)
    if args.examples is None:
        args.examples = explorer.DEFAULT_EXAMPLES
    if args.examples < 1:
        die("EXPLORE=%d: at least 1 scenario per program" % args.examples)
    if args.shrink is None:
        args.shrink = explorer.SHRINK_SECONDS
    if args.shrink < 0:
        die("SHRINK=%g: seconds, 0 or more (0: no bound)" % args.shrink)
    checks = args.checks or explorer.CHECKS
    if checks not in SCOPES:
        die("CHECKS=%s: one of %s (the widest scope explored; each takes in the narrower ones)" % (
            args.checks, "|".join(SCOPES)))
    for signum in (signal.SIGTERM, signal.SIGINT):    # Ctrl-C too: the workers do not unwind, this process ends them
        signal.signal(signum, ownership.terminate_run)
    with ownership.owned_run() as rid:
        cfg = settings.Settings(impl=impl, run=rid, label="explore", limits_text=args.limits or "")
        os.environ.update(cfg.environ())
        print("sockconf explore: %s, %d %sscenarios each, seed %d, run %s: %s" % (
            "IMPL=" + args.impl if impl else "the reference against itself", args.examples,
            "/".join(scopes_up_to(checks)) + " ", args.seed, rid, " ".join(programs)), flush=True)
        outcomes = explorer.explore_all(cfg, programs, args.examples, args.seed,
                                        os.path.abspath(args.findings) if args.findings else explorer.FINDINGS, checks,
                                        os.path.abspath(args.database) if args.database else None,
                                        args.shrink, sys.stdout.isatty())
    for outcome in outcomes:
        print(explorer.describe(outcome))
    if args.json:
        explorer.write_outcomes(outcomes, args.json)
    found = [o for o in outcomes if o.difference or o.flaky]
    stopped = [o.program for o in outcomes if o.stopped]
    print("sockconf explore: %d programs, %d with a difference%s" % (
        len(outcomes), len(found), "; stopped early (the reference did not repeat itself): " + " ".join(stopped)
        if stopped else ""))
    sys.exit(1 if found else EXPLORE_STOPPED if stopped else 0)


def kernel_explorable(programs):
    """PROGRAMS the kernel lets the explorer search, each situation it leaves out said in one line; none
    (every scenario observes with /proc/PID/syscall and pidfd_getfd) ends the command (exit 4)."""
    from sockconf.explore import spaces
    answer = kernel.current()
    lacking = kernel.missing(spaces.EVERY_SCENARIO_NEEDS, answer)
    if lacking:
        die("explore: %s: every scenario observes with it; nothing explored" % kernel.skip_reason(lacking),
            kernel.NOT_POSSIBLE)
    kept = []
    for program in programs:
        out = spaces.left_out(program, answer)
        for situation, why in out.items():
            print("sockconf explore: %s: situation %s left out: %s" % (program, situation, why))
        if set(spaces.SITUATIONS[program]) - set(out):
            kept.append(program)
    return kept or die("explore: the kernel allows no situation of %s" % " ".join(programs), kernel.NOT_POSSIBLE)


def cmd_mutants(args):
    from sockconf.tools import mutants
    sys.exit(mutants.main(args.only))


# Commands of their own modules, each parsing the rest of the command line.
TOOLS = {"grade": "sockconf.grading.grade", "interop": "sockconf.grading.interop", "soak": "sockconf.tools.soak", "bench": "sockconf.tools.bench"}


def main():
    if len(sys.argv) > 1 and sys.argv[1] in TOOLS:
        import importlib
        sys.exit(importlib.import_module(TOOLS[sys.argv[1]]).main(sys.argv[2:]))
    parser = argparse.ArgumentParser(prog="sockconf", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--impl")
    run.add_argument("--class", dest="class_file", metavar="FILE",
                     help="a class: JSON [{\"label\"[, \"impl\", \"ref\", \"case\", \"strict\", \"limits\"]}, ...], every member's cases in one pool of workers")
    run.add_argument("--ref", help="the programs each case pairs with IMPL's (default: the reference, build/bin)")
    run.add_argument("--case")
    run.add_argument("--strict", action="store_true")
    run.add_argument("--label")
    run.add_argument("--limits", help="limits of programs under test, e.g. as=unlimited,cpu=60")
    run.add_argument("--path", help="folders put in front of the programs' PATH")
    run.add_argument("--cases", help="folders of your own cases (and topologies), space separated")
    run.add_argument("--pcap", action="store_true", help="record every link of every case with tcpdump")
    run.add_argument("--budget", type=float, metavar="SECONDS",
                     help="seconds of case runs each implementation may use; later cases are not run (error)")
    run.add_argument("--workers", type=int, help="cases at once (pytest-xdist workers; default %d, and for a class "
                     "12 per core, at most 6 per member)" % XDIST_WORKERS)
    run.add_argument("--last-failed", action="store_true", help="only what failed in the previous run (pytest --lf)")
    run.add_argument("pytest", nargs="*")
    listing = sub.add_parser("list")
    listing.add_argument("--cases")
    verbs = sub.add_parser("verbs")
    verbs.add_argument("--check", metavar="FILE")
    verbs.add_argument("--write", metavar="FILE")
    sub.add_parser("sweep")
    sub.add_parser("doctor", help="what the suite needs from the kernel, probed here, and what it does without each")
    lab = sub.add_parser("lab")
    lab.add_argument("topology", nargs="?", default="pair", choices=("pair", "lan", "routed"))
    lab.add_argument("--minutes", type=int, default=60)
    exp = sub.add_parser("explore")
    exp.add_argument("--impl")
    exp.add_argument("--programs", help="programs to explore, space separated (default: every one with a space)")
    exp.add_argument("--examples", type=int, help="scenarios per program (default: explore/explorer.py DEFAULT_EXAMPLES)")
    exp.add_argument("--seed", type=int, default=1)
    exp.add_argument("--limits")
    exp.add_argument("--checks", help="the widest scope explored, each taking in the narrower: tutorial (what the "
                     "captures show), listing (what the listings define; the default), spec (everything, this "
                     "project's decisions too)")
    exp.add_argument("--database", help="Hypothesis' example database (default: one per IMPL under build/explore)")
    exp.add_argument("--shrink", type=float, default=None, metavar="SECONDS",
                     help="how long a difference is shrunk at most (default: explore/explorer.py SHRINK_SECONDS; 0: no bound)")
    exp.add_argument("--json", metavar="FILE", help="also write what was found as JSON (make grade reads it)")
    exp.add_argument("--findings", help="where differences are written as case files (default build/explore/findings)")
    mut = sub.add_parser("mutants")
    mut.add_argument("--only")
    args = parser.parse_args()
    if args.cmd not in ("list", "verbs"):
        if os.geteuid() != 0:
            if args.cmd == "lab":
                die("make lab gives shells on the test hosts: run it as root")
            rootless.enter(SELF[1:] + sys.argv[1:])
        rootless.prepare()
    {"run": cmd_run, "list": cmd_list, "verbs": cmd_verbs, "sweep": cmd_sweep, "lab": cmd_lab, "doctor": cmd_doctor,
     "mutants": cmd_mutants, "explore": cmd_explore}[args.cmd](args)

