"""The commands of `python3 -m sockconf` (cli.py), each declared once: its
name, its help line, its arguments, what it does, and whether it needs the
test hosts (root, or a user namespace of its own: hosts/rootless.py).

  checks.py   what every command that runs cases checks first (preflight, the cases, folders of programs)
  run.py      run: the suite, on one implementation or a class, in pytest with the plugin
  cases.py    list, verbs: the cases and the verb tables
  hosts.py    sweep, doctor, lab: leftovers, the kernel's features, a topology to use by hand
  explore.py  explore: generated scenarios compared with the reference
  tools.py    mutants, grade, interop, soak, bench: the tools, each in its own module
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: Callable      # (argparse parser) -> None: adds the command's arguments
    run: Callable            # (parsed arguments) -> None; ends the process with the command's status
    hosts: bool = True       # it needs the test hosts: root, or a user namespace of its own


def all_commands():
    """Every command, in the order `--help` lists them."""
    from sockconf.commands import cases, explore, hosts, run, tools
    return run.COMMANDS + cases.COMMANDS + explore.COMMANDS + hosts.COMMANDS + tools.COMMANDS
