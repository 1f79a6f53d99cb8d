"""sockconf explore: generated scenarios run on the reference and on IMPL,
compared (sockconf.explore)."""
import os
import signal
import sys

from sockconf import settings
from sockconf.commands import Command
from sockconf.commands.checks import preflight
from sockconf.hosts import kernel, ownership
from sockconf.usage import die
from sockconf.verdicts import SCOPES, scopes_up_to

EXPLORE_STOPPED = 3  # exit status: the reference did not repeat itself, the search stopped (a harness problem)


def arguments(parser):
    parser.add_argument("--impl")
    parser.add_argument("--programs", help="programs to explore, space separated (default: every one with a space)")
    parser.add_argument("--examples", type=int, help="scenarios per program (default: explore/explorer.py DEFAULT_EXAMPLES)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limits")
    parser.add_argument("--checks", help="the widest scope explored, each taking in the narrower: tutorial (what the "
                        "captures show), listing (what the listings define; the default), spec (everything, this "
                        "project's decisions too)")
    parser.add_argument("--database", help="Hypothesis' example database (default: one per IMPL under build/explore)")
    parser.add_argument("--shrink", type=float, default=None, metavar="SECONDS",
                        help="how long a difference is shrunk at most (default: explore/explorer.py SHRINK_SECONDS; "
                        "0: no bound)")
    parser.add_argument("--json", metavar="FILE", help="also write what was found as JSON (make grade reads it)")
    parser.add_argument("--findings", help="where differences are written as case files (default build/explore/findings)")


def checked(args, explorer, spaces):
    """(IMPL's folder or None, the programs to explore, the widest scope) from ARGS, its defaults filled in;
    bad input ends the command."""
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
    programs = kernel_explorable(programs, spaces)
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
    return impl, programs, checks


def cmd_explore(args):
    from sockconf.explore import explorer, findings, spaces
    impl, programs, checks = checked(args, explorer, spaces)
    for signum in (signal.SIGTERM, signal.SIGINT):    # Ctrl-C too: the workers do not unwind, this process ends them
        signal.signal(signum, ownership.terminate_run)
    with ownership.owned_run() as rid:
        cfg = settings.Settings(impl=impl, run=rid, label="explore", limits_text=args.limits or "")
        os.environ.update(cfg.environ())
        print("sockconf explore: %s, %d %sscenarios each, seed %d, run %s: %s" % (
            "IMPL=" + args.impl if impl else "the reference against itself", args.examples,
            "/".join(scopes_up_to(checks)) + " ", args.seed, rid, " ".join(programs)), flush=True)
        outcomes = explorer.explore_all(cfg, programs, args.examples, args.seed,
                                        os.path.abspath(args.findings) if args.findings else findings.FINDINGS, checks,
                                        os.path.abspath(args.database) if args.database else None,
                                        args.shrink, sys.stdout.isatty())
    for outcome in outcomes:
        print(findings.describe(outcome))
    if args.json:
        findings.write_outcomes(outcomes, args.json)
    found = [o for o in outcomes if o.difference or o.flaky]
    stopped = [o.program for o in outcomes if o.stopped]
    print("sockconf explore: %d programs, %d with a difference%s" % (
        len(outcomes), len(found), "; stopped early (the reference did not repeat itself): " + " ".join(stopped)
        if stopped else ""))
    sys.exit(1 if found else EXPLORE_STOPPED if stopped else 0)


def kernel_explorable(programs, spaces):
    """PROGRAMS the kernel lets the explorer search, each situation it leaves out said in one line; none
    (every scenario observes with /proc/PID/syscall and pidfd_getfd) ends the command (exit 4)."""
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


COMMANDS = [Command("explore", "generated scenarios on the reference and on IMPL, compared (make explore)",
                    arguments, cmd_explore)]
