"""sockconf mutants, grade, interop, soak and bench: the command lines of
the tools; each tool's work is in its own module (tools/, grading/)."""
import sys

from sockconf.commands import Command
from sockconf.paths import GRADE_OUT, INTEROP_OUT


def mutants_arguments(parser):
    parser.add_argument("--only", help="only the mutants whose names match (* a wildcard)")


def cmd_mutants(args):
    from sockconf.tools import mutants
    sys.exit(mutants.main(args.only))


def class_arguments(parser, out, case_help):
    """The arguments make grade's and make interop's runs share: the submissions, cases at once, which cases,
    where the outputs go (default OUT)."""
    parser.add_argument("submissions")
    parser.add_argument("--jobs", type=int, help="cases at once (the class's pool of workers; default pool.default_jobs)")
    parser.add_argument("--case", help=case_help)
    parser.add_argument("--out", default=out)


def weights_argument(parser):
    parser.add_argument("--weights", help="points per case for Gradescope's results.json (reports/gradescope.py)")


def grade_arguments(parser):
    sub = parser.add_subparsers(dest="grade_cmd", required=True)
    run = sub.add_parser("run", help="grade the implementations of SUBMISSIONS (make grade)")
    class_arguments(run, GRADE_OUT, "only these cases (shell patterns), as CASE= of make conformance")
    run.add_argument("--shard", help="i/N: grade the i-th of N shares of SUBMISSIONS")
    run.add_argument("--explore", type=int, metavar="N", help="also explore each implementation, N scenarios per program")
    run.add_argument("--seed", type=int, default=1, help="the exploration's seed")
    weights_argument(run)
    merge = sub.add_parser("merge", help="merge the outputs of shares into one (make grade-merge)")
    merge.add_argument("--out", default=GRADE_OUT)
    weights_argument(merge)
    merge.add_argument("shards", nargs="+")


def cmd_grade(args):
    from sockconf.grading import grade
    {"run": grade.cmd_run, "merge": grade.cmd_merge}[args.grade_cmd](args)


def interop_arguments(parser):
    sub = parser.add_subparsers(dest="interop_cmd", required=True)
    run = sub.add_parser("run", help="every client against every server of SUBMISSIONS and the reference (make interop)")
    class_arguments(run, INTEROP_OUT, "only these of the paired cases (shell patterns of case names)")


def cmd_interop(args):
    from sockconf.grading import interop
    interop.cmd_run(args)


def soak_arguments(parser):
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--impl")
    parser.add_argument("--burners", type=int, default=2)


def cmd_soak(args):
    from sockconf.tools import soak
    sys.exit(soak.soak(args.runs, args.impl, args.burners))


def no_arguments(parser):
    pass


def cmd_bench(args):
    from sockconf.tools import bench
    sys.exit(bench.bench())


COMMANDS = [Command("mutants", "build every mutant and run the cases on it: the mutation score (make mutants)",
                    mutants_arguments, cmd_mutants),
            Command("grade", "grade a class: every implementation's cases, pages, grades.csv, Gradescope (make grade)",
                    grade_arguments, cmd_grade, hosts=False),
            Command("interop", "clients against servers of a class, cell by cell (make interop)", interop_arguments,
                    cmd_interop, hosts=False),
            Command("soak", "the whole suite again and again beside busy processes: verdicts that flip (make soak)",
                    soak_arguments, cmd_soak, hosts=False),
            Command("bench", "the suite's own speed, part by part, against its targets (make bench)", no_arguments,
                    cmd_bench, hosts=False)]
