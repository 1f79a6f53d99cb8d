"""The harness's layout holds: the case language imports nothing of the
run, the hosts, the verbs or the reports, whether read in its files or
seen at run time; and no module reaches into pytest's or xdist's private
parts."""
import ast
import re
import os
import subprocess
import sys

import pytest

from sockconf.paths import HARNESS

PACKAGE = os.path.join(HARNESS, "sockconf")
FORBIDDEN_FOR_LANGUAGE = ("sockconf.run", "sockconf.hosts", "sockconf.verbs", "sockconf.reports",
                          "sockconf.grading", "sockconf.plugin", "sockconf.tools", "sockconf.settings",
                          "sockconf.cli")


def modules(folder):
    for dirpath, _, files in os.walk(os.path.join(PACKAGE, folder)):
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def imported(path):
    """Every module name PATH imports (at any depth of its code)."""
    names = []
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + ["%s.%s" % (node.module, a.name) for a in node.names]
    return names


def test_the_case_language_imports_no_run_and_no_hosts():
    bad = ["%s imports %s" % (os.path.relpath(p, HARNESS), n) for p in modules("language") for n in imported(p)
           if n.startswith(FORBIDDEN_FOR_LANGUAGE) or n == "sockconf.verbs"]
    assert not bad, bad


def test_the_case_language_loads_no_run_and_no_hosts():
    """At run time too: importing every module of the language loads nothing outside it."""
    names = " ".join("sockconf.language." + os.path.basename(p)[:-3] for p in modules("language")
                     if not p.endswith("__init__.py"))
    probe = ("import sys, importlib; [importlib.import_module(m) for m in %r.split()]; "
             "print(' '.join(sorted(m for m in sys.modules if m.startswith(%r))))" % (names, FORBIDDEN_FOR_LANGUAGE))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "", out.stdout


# What each part of the package may import of the others (besides itself): a layer imports only layers
# below it, so no cycle can form.  A part not listed here, or an import not allowed, fails the test.
MAY_IMPORT = {
    "paths": set(),
    "verdicts": set(),
    "usage": set(),
    "catalogue": {"paths"},
    "language": {"paths", "catalogue", "verdicts"},
    "hosts": {"paths", "language"},
    "settings": {"paths", "catalogue", "usage", "hosts"},
    "run": {"paths", "language", "hosts"},
    "verbs": {"paths", "catalogue", "language", "hosts", "run"},
    "reports": {"paths", "catalogue", "verdicts", "language", "hosts", "run"},
    "explore": {"paths", "catalogue", "verdicts", "language", "hosts", "run", "verbs", "reports"},
    "grading": {"paths", "catalogue", "verdicts", "usage", "language", "verbs", "reports"},
    "plugin": {"paths", "catalogue", "verdicts", "language", "hosts", "settings", "run", "verbs", "reports"},
    "tools": {"paths", "catalogue", "verdicts", "usage", "language", "hosts", "settings", "run", "verbs", "reports",
              "grading"},
    "commands": {"paths", "catalogue", "verdicts", "usage", "language", "hosts", "settings", "run", "verbs",
                 "reports", "explore", "grading", "tools"},
    "cli": {"paths", "usage", "hosts", "commands"},
    "__main__": {"paths", "cli"},
}


def part_of(module):
    """sockconf.PART.x -> PART (a package or a top-level module); '' for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "__init__" else ""


def parts_below(part):
    """Every part PART may load, directly or through the parts it imports."""
    seen, todo = set(), [part]
    while todo:
        for below in MAY_IMPORT[todo.pop()] - seen:
            seen.add(below)
            todo.append(below)
    return seen


def test_every_part_imports_only_the_layers_below_it():
    """Statically: every import of sockconf in every module is allowed by MAY_IMPORT (no back edge)."""
    bad = []
    for dirpath, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            here = part_of(os.path.relpath(path, HARNESS)[:-3].replace("/", "."))
            if here not in MAY_IMPORT:
                if here:
                    bad.append("%s: part %s is not in MAY_IMPORT" % (os.path.relpath(path, HARNESS), here))
                continue
            bad += ["%s imports %s" % (os.path.relpath(path, HARNESS), n) for n in imported(path)
                    if n.startswith("sockconf.") and part_of(n) not in MAY_IMPORT[here] | {here}]
    assert not bad, bad


@pytest.mark.parametrize("part", sorted(p for p in MAY_IMPORT if p != "__main__"))
def test_importing_a_part_loads_only_the_layers_below_it(part):
    """At import time: importing every module of PART loads no part above it."""
    folder = os.path.join(PACKAGE, part)
    if os.path.isdir(folder):
        names = ["sockconf.%s.%s" % (part, os.path.basename(p)[:-3]) for p in modules(part)
                 if not p.endswith("__init__.py") and os.path.dirname(p) == folder]
    else:
        names = ["sockconf." + part]
    probe = ("import sys, importlib; [importlib.import_module(m) for m in %r.split()]; "
             "print(' '.join(sorted({m.split('.')[1] for m in sys.modules if m.startswith('sockconf.')})))"
             % " ".join(names))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.split()) - {part}
    assert loaded <= parts_below(part), sorted(loaded - parts_below(part))


def test_the_language_alone_refuses_without_the_verbs():
    probe = "from sockconf.language.cases import load_all; load_all()"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "import sockconf.verbs" in out.stderr


@pytest.mark.parametrize("folder", ["", "language", "verbs", "run", "hosts", "reports", "grading", "plugin",
                                    "tools"])
def test_no_private_api_of_pytest_or_xdist(folder):
    """No `_name` of pytest, _pytest, xdist or pluggy is imported or called."""
    bad = []
    for path in (modules(folder) if folder else [os.path.join(PACKAGE, n) for n in os.listdir(PACKAGE)
                                                 if n.endswith(".py")]):
        text = open(path).read()
        for name in imported(path):
            if name.startswith(("_pytest", "xdist", "pluggy")) or ".%s" % "_" in name.replace("sockconf.", ""):
                if not name.startswith("sockconf"):
                    bad.append("%s imports %s" % (os.path.relpath(path, HARNESS), name))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and isinstance(node.value, ast.Name) and node.value.id in ("pytest", "xdist", "config", "session"):
                bad.append("%s uses %s.%s" % (os.path.relpath(path, HARNESS), node.value.id, node.attr))
    assert not bad, bad


def makefile_programs():
    """The Makefile's PROGRAMS: what `make` builds into build/bin."""
    text = open(os.path.join(HARNESS, "..", "Makefile")).read().replace("\\\n", " ")
    line = next(l for l in text.splitlines() if l.startswith("PROGRAMS "))
    return line.split(":=", 1)[1].split()


def test_a_program_is_known_everywhere_it_must_be():
    """A new program added in one place and forgotten in another fails here: the Makefile builds exactly
    the catalogue's programs and their workers, every program has an exploration space and a case, and
    every client-server pair names programs of the catalogue."""
    import sockconf.verbs  # noqa: F401  (registers the verbs the cases use)
    from sockconf.catalogue import CLIENT_SERVER, PROGRAMS, WORKERS
    from sockconf.explore.spaces import SPACES
    from sockconf.language.cases import load_all
    assert sorted(makefile_programs()) == sorted(list(PROGRAMS) + list(WORKERS.values()))
    assert set(WORKERS) <= set(PROGRAMS)
    assert sorted(SPACES) == sorted(PROGRAMS), "programs without an exploration space: %s" % sorted(
        set(PROGRAMS) - set(SPACES))
    started = {p for case in load_all() for p in case.programs()}
    assert set(PROGRAMS) <= started, "programs no case starts: %s" % sorted(set(PROGRAMS) - started)
    assert {p for pair in CLIENT_SERVER for p in pair} <= set(PROGRAMS)


README = os.path.join(HARNESS, "README.md")       # the harness's map: harness/README.md


def mapped_modules(map_text):
    """The module paths the README's map names: `folder/x.py`, and `y.py` after it in the same row for
    folder/y.py; `folder/` for every module of that folder."""
    named = set()
    for row in map_text.split("\n"):
        folder = ""
        for token in re.findall(r"`([^`]+)`", row.split("|")[1] if row.startswith("|") else ""):
            if "/" in token:
                folder = token.rsplit("/", 1)[0] + "/"
                named.add(token)
            else:
                named.add(folder + token)
    return named


def test_the_readme_map_names_every_module_of_the_harness():
    """Every module of harness/sockconf is in harness/README.md's map "The harness, module by module" (a
    package's __init__.py apart: its docstring maps the package)."""
    with open(README) as f:
        named = mapped_modules(f.read().split("\n## ")[0])       # the map: before "Extending sockconf"
    missing = []
    for path in modules(""):
        relative = os.path.relpath(path, PACKAGE)
        folder = os.path.dirname(relative)
        if os.path.basename(relative) == "__init__.py":
            continue
        if relative not in named and not any(folder + "/" == n or (folder + "/").startswith(n) and n.endswith("/")
                                             for n in named if folder):
            missing.append(relative)
    assert not missing, "the README's module map misses: %s" % " ".join(missing)


def test_the_readme_names_every_subcommand():
    """harness/README.md's line `python3 -m sockconf run|list|...` names exactly the commands there are."""
    from sockconf.commands import all_commands
    with open(README) as f:
        listed = re.search(r"python3 -m sockconf ((?:[a-z-]+\|)+[a-z-]+)`", f.read()).group(1).split("|")
    assert sorted(listed) == sorted(c.name for c in all_commands()), listed


MODULE_MOST_LINES = 300     # a module longer than this does more than one thing: split it


def test_no_module_of_the_harness_is_over_300_lines():
    long = []
    for path in modules(""):
        with open(path) as f:
            count = sum(1 for _ in f)
        if count > MODULE_MOST_LINES:
            long.append("%s (%d lines)" % (os.path.relpath(path, PACKAGE), count))
    assert not long, "modules over %d lines: %s" % (MODULE_MOST_LINES, ", ".join(long))


README_MOST_LINES = 600     # the README is a user guide: the harness's map, the self-checks and the figures live apart


def test_the_readme_is_a_user_guide_under_600_lines():
    with open(os.path.join(HARNESS, "..", "README.md")) as f:
        count = sum(1 for _ in f)
    assert count < README_MOST_LINES, "README.md has %d lines" % count


def test_every_event_kind_the_harness_writes_is_one_of_kind():
    """A kind spelt anew where an event is recorded (note(), timeline.add()) would be refused only when that
    line runs; here it is refused at once."""
    from sockconf.run.actors import Kind
    written = set()
    for path in modules(""):
        with open(path) as f:
            text = f.read()
        written |= set(re.findall(r"\.note\(\"([a-z-]+)\"", text))
        written |= set(re.findall(r"timeline\.add\([^,()]+(?:\([^()]*\))?, \"([a-z-]+)\"", text))
    assert written and written <= {k.value for k in Kind}, sorted(written - {k.value for k in Kind})
