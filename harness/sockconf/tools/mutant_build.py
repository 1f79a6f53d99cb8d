"""A mutant built: the project's sources copied under build/mutants/NAME,
one sed expression applied to one file (it must change it), and the
mutated program (with its worker) compiled by the project's own Makefile."""
import os
import shutil
import subprocess

from sockconf.catalogue import WORKERS
from sockconf.paths import ROOT

BUILD = os.path.join(ROOT, "build", "mutants")


def mutated_sources(name, source, sed, under=BUILD):
    """Copy src/ to UNDER/NAME/src (build/mutants/NAME/src) and apply SED to SOURCE, which it
    must change.  Returns the mutant's top folder."""
    top = os.path.join(under, name)
    shutil.rmtree(top, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "src"), os.path.join(top, "src"))
    shutil.copytree(os.path.join(ROOT, "tests", "unit"), os.path.join(top, "tests", "unit"))
    path = os.path.join(top, "src", source)
    with open(path) as f:
        before = f.read()
    subprocess.run(["sed", "-i", "-e", sed, path], check=True)
    with open(path) as f:
        if f.read() == before:
            raise RuntimeError("sed expression changed nothing in %s" % source)
    return top


def build(name, program, source, sed, under=BUILD):
    """The mutated PROGRAM (and its worker) compiled into UNDER/NAME/build/bin, UNDER by default
    build/mutants (a folder of its own for a build beside make mutants')."""
    top = mutated_sources(name, source, sed, under)
    # A design server comes with its worker program, both from the mutated sources.
    programs = [program] + ([WORKERS[program]] if program in WORKERS else [])
    cc = make(top, ["build/bin/" + prog for prog in programs])
    if cc.returncode != 0:
        raise RuntimeError("does not compile:\n" + cc.stdout + cc.stderr)
    return os.path.join(top, "build", "bin")


def make(top, targets):
    """The project's own Makefile (its compile lines, its flags) run on the mutated copy in TOP."""
    # WERROR= : a mutant may leave a variable unused, a warning and not an error.
    return subprocess.run(["make", "-s", "-C", top, "-f", os.path.join(ROOT, "Makefile"), "WERROR="] + targets,
                          capture_output=True, text=True, timeout=300)


def built(mutant):
    """(name, its bindir or None, why it could not be built)."""
    name, program, source, sed, _ = mutant
    try:
        return name, build(name, program, source, sed), ""
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        return name, None, str(exc)
