"""The harness's layout holds: the case language imports nothing of the
run, the hosts, the verbs or the reports, whether read in its files or
seen at run time; and no module reaches into pytest's or xdist's private
parts."""
import ast
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
