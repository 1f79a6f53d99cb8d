"""The settings of a run, held once.  The commands (commands/run.py) make
them from their options and a class file (class_members()), and pass them to pytest (and its xdist workers) through the
environment; everything else reads them with current().

  SOCKCONF_IMPL       folder of the programs under test (unset: the reference)
  SOCKCONF_REF        folder of the programs a case pairs with IMPL's (default build/bin, the reference)
  SOCKCONF_CASES      shell patterns of case names to run, space separated
  SOCKCONF_CASE_DIRS  teachers' folders of cases and topologies (CASES=), space separated
  SOCKCONF_STRICT     1: spec cases fail the run for IMPL too
  SOCKCONF_LABEL      name of this run's reports under build/reports/
  SOCKCONF_RUN        run id shared by the controller and its xdist workers
  SOCKCONF_LIMITS     limits of programs under test over the defaults ("as=unlimited,cpu=60")
  SOCKCONF_PATH       folders put in front of the programs' PATH
  SOCKCONF_PCAP       1: record every link of every case with tcpdump
  SOCKCONF_BUDGET     seconds of case runs each implementation may use (0: no bound; run/budget.py)
  SOCKCONF_CLASS      a class of implementations run in one pool of workers (make grade, make
                      interop, make check's suites): a JSON list of {"impl", "ref", "cases", "label",
                      "run", "strict", "limits_text"}, each its own folders, cases, reports, run id,
                      strictness and limits; the other settings are shared
"""
import functools
import json
import os
import re
from dataclasses import dataclass, field, replace

from sockconf.catalogue import PROGRAMS
from sockconf.hosts.sandbox import parse_limits
from sockconf.paths import ROOT
from sockconf.usage import die

LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")     # a label names files under build/

# The cases `sockconf run` checked before it started pytest in this same process (commands/run.py), by
# their folders: the plugin collects them without reading every case file again (a forked worker inherits
# them; a worker started as a new interpreter reads them).
CHECKED_CASES = {}


@dataclass
class Settings:
    impl: str = None
    ref: str = os.path.join(ROOT, "build", "bin")
    cases: list = field(default_factory=list)
    case_dirs: list = field(default_factory=list)
    strict: bool = False
    label: str = "conformance"
    run: str = ""
    limits_text: str = ""
    path: str = ""
    pcap: bool = False
    budget: float = 0.0

    @property
    def limits(self):
        return parse_limits(self.limits_text)

    def environ(self):
        """The environment variables that carry these settings."""
        return {"SOCKCONF_IMPL": self.impl or "", "SOCKCONF_REF": self.ref,
                "SOCKCONF_CASES": " ".join(self.cases), "SOCKCONF_CASE_DIRS": " ".join(self.case_dirs),
                "SOCKCONF_STRICT": "1" if self.strict else "0", "SOCKCONF_LABEL": self.label,
                "SOCKCONF_RUN": self.run, "SOCKCONF_LIMITS": self.limits_text, "SOCKCONF_PATH": self.path,
                "SOCKCONF_PCAP": "1" if self.pcap else "0", "SOCKCONF_BUDGET": repr(self.budget)}


def from_environ(env):
    impl = env.get("SOCKCONF_IMPL") or None
    return Settings(
        impl=os.path.abspath(impl) if impl else None,
        ref=os.path.abspath(env.get("SOCKCONF_REF") or Settings.ref),
        cases=(env.get("SOCKCONF_CASES") or "").split(),
        case_dirs=[os.path.abspath(d) for d in (env.get("SOCKCONF_CASE_DIRS") or "").split()],
        strict=env.get("SOCKCONF_STRICT") == "1",
        label=env.get("SOCKCONF_LABEL") or "conformance",
        run=env.get("SOCKCONF_RUN") or "",
        limits_text=env.get("SOCKCONF_LIMITS") or "",
        path=env.get("SOCKCONF_PATH") or "",
        pcap=env.get("SOCKCONF_PCAP") == "1",
        budget=float(env.get("SOCKCONF_BUDGET") or 0))


@functools.lru_cache(maxsize=None)
def current():
    """This process's settings (read from the environment once)."""
    return from_environ(os.environ)


CLASS_FIELDS = ("impl", "ref", "cases", "label", "run", "strict", "limits_text")   # what each member of a class has of its own


def class_environ(members):
    """The environment variable that carries a class's MEMBERS (Settings, one per implementation)."""
    return {"SOCKCONF_CLASS": json.dumps([{k: getattr(m, k) for k in CLASS_FIELDS} for m in members])}


@functools.lru_cache(maxsize=None)
def members():
    """The settings of each implementation this process runs: the class's members, each the shared
    settings with its own folder, label and run id; without a class, current() alone."""
    text = os.environ.get("SOCKCONF_CLASS")
    if not text:
        return (current(),)
    return tuple(replace(current(), **{k: m[k] for k in CLASS_FIELDS}) for m in json.loads(text))


def programs_in(folder, setting):
    """The programs FOLDER holds; a FOLDER that is not there or holds none of them ends the command
    (SETTING=FOLDER: IMPL or REF)."""
    if not os.path.isdir(folder):
        die("%s=%s: no such directory" % (setting, folder))
    present = [p for p in PROGRAMS if os.path.exists(os.path.join(folder, p))]
    if not present:
        die("%s=%s holds none of the programs (%s)" % (setting, folder, " ".join(PROGRAMS)))
    return present


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
        parse_limits(limits_text)
    except ValueError as exc:
        raise ValueError("%s: limits %s: %s" % (entry["label"], limits_text, exc))
    return Settings(impl=os.path.abspath(entry["impl"]) if entry.get("impl") else None,
                    label=entry["label"], ref=os.path.abspath(entry["ref"]) if entry.get("ref") else None,
                    cases=(entry.get("case") or "").split(), strict=entry.get("strict", False),
                    limits_text=limits_text)
