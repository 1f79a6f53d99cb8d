"""The settings of a run, held once.  cli.py makes them from its
options and passes them to pytest (and its xdist workers) through the
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
from dataclasses import dataclass, field, replace

from sockconf.hosts.sandbox import parse_limits

from sockconf.paths import ROOT


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
