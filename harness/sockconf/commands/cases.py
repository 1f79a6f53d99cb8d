"""sockconf list and sockconf verbs: the cases, and the verb tables the
README and tests/cases/README.md carry."""
import os
import sys

from sockconf.commands import Command
from sockconf.commands.checks import case_dirs_of, checked_cases
from sockconf.language import registry
from sockconf.usage import die

VERBS_BEGIN = "<!-- verbs: made by `python3 -m sockconf verbs --write`; make check compares -->"
VERBS_END = "<!-- verbs: end -->"


def list_arguments(parser):
    parser.add_argument("--cases", help="folders of your own cases (and topologies), space separated")


def cmd_list(args):
    for case in checked_cases(case_dirs_of(args.cases)):
        origin = "" if case.origin == "suite" else "  (from %s)" % os.path.relpath(case.origin)
        print("%-34s %-8s %s%s" % (case.name, case.checks, case.title, origin))


def verbs_arguments(parser):
    parser.add_argument("--check", metavar="FILE", help="exit 1 when FILE's verb tables differ from the registry")
    parser.add_argument("--write", metavar="FILE", help="write the verb tables between FILE's markers")


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


COMMANDS = [Command("list", "the cases: name, scope, title (make cases)", list_arguments, cmd_list, hosts=False),
            Command("verbs", "the verb tables of the case language, made from the registry", verbs_arguments,
                    cmd_verbs, hosts=False)]
