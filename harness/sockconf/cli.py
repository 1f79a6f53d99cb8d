"""sockconf: run the conformance suite, list its cases, explore, score the
mutants, grade a class.  With harness/ on PYTHONPATH (the make targets set
it): python3 -m sockconf COMMAND [ARGUMENTS]; `python3 -m sockconf COMMAND
--help` says a command's arguments (each command: sockconf/commands/).

Checks the cases and what the suite needs before any case runs and says
what is wrong: FILE:LINE: lines for the cases (exit 2), one line otherwise.
"""
import argparse
import os
import sys

from sockconf.commands import all_commands
from sockconf.hosts import rootless
from sockconf.paths import SELF
from sockconf.usage import die


def parser_of(commands):
    """The command line's parser: a subcommand for each of COMMANDS, listed with its help line."""
    parser = argparse.ArgumentParser(prog="sockconf", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    for command in commands:
        command.arguments(sub.add_parser(command.name, help=command.help, description=command.help))
    return parser


def enter_hosts(command):
    """Where COMMAND needs the test hosts: as root, or else in a user namespace of its own (rootless.enter
    runs this command again there); lab only as root (it gives shells on the hosts)."""
    if os.geteuid() != 0:
        if command.name == "lab":
            die("make lab gives shells on the test hosts: run it as root")
        rootless.enter(SELF[1:] + sys.argv[1:])
    rootless.prepare()


def main():
    commands = {command.name: command for command in all_commands()}
    args = parser_of(commands.values()).parse_args()
    command = commands[args.cmd]
    if command.hosts:
        enter_hosts(command)
    try:
        command.run(args)
    except BrokenPipeError:          # its reader went away (| head): nothing more to say, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
