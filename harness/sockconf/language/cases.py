"""Read conformance cases (tests/cases/NAME.case, and NAME.case in the
folders of CASES=) and check every one against the verb registry before
any namespace is made.  tests/cases/README.md describes the format.

Every problem is one line, FILE:LINE: what is wrong; load_all() raises
CaseErrors with all of them.
"""
import os
import re
from dataclasses import dataclass, field

from sockconf.language import registry
from sockconf.language.argtypes import ArgError, check_refs
from sockconf.language.notation import decode_transcript
from sockconf.language.steps import Context, parse_step, strip_comment
from sockconf.language.topofile import TopologyError, parse_spec

from sockconf.catalogue import PROGRAMS
from sockconf.paths import CASE_DIR, ROOT
from sockconf.language.notation import OPEN_PART, PORT_PART
from sockconf.verdicts import SCOPES
DEFAULT_WITHIN = 5.0
HEADERS = ("title", "checks", "passage", "topology", "names", "slow")


class CaseErrors(Exception):
    """Every problem found in the cases, one FILE:LINE: line each."""

    def __init__(self, messages):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class Case:
    name: str
    path: str
    origin: str = "suite"          # "suite", or the CASES= folder it comes from
    title: str = ""
    checks: str = ""
    passage: str = ""
    topology: str = ""
    spec: object = None            # topofile.Spec
    names: dict = field(default_factory=dict)
    slow: float = 0.0
    steps: list = field(default_factory=list)
    transcripts: dict = field(default_factory=dict)   # actor -> (lineno, text)
    why: str = ""

    @property
    def relpath(self):
        rel = os.path.relpath(self.path, ROOT)
        return self.path if rel.startswith("..") else rel

    def needs(self):
        """The kernel features the case uses (hosts/kernel.py): its topology's and its verbs'."""
        needs = list(self.spec.needs()) if self.spec else []
        for step in self.steps:
            needs += [n for n in step.definition.needs if n not in needs]
        return needs

    def programs(self):
        """Programs the case starts, in order of first start."""
        seen = []
        for step in self.steps:
            if step.verb == "start" and step.a.program not in seen:
                seen.append(step.a.program)
        return seen


def parse_header(case, key, value, dirs):
    if key not in HEADERS:
        raise ArgError("unknown header %r (headers: %s)" % (key, " ".join(HEADERS)))
    if key == "checks" and value not in SCOPES:
        raise ArgError("checks is %s, got %r" % (" or ".join(SCOPES), value))
    if key == "topology":
        case.topology = value
        try:
            case.spec = parse_spec(value, dirs)
        except TopologyError as exc:
            raise ArgError(str(exc))
    if key == "names":
        for pair in value.split():
            name, _, host = pair.partition("=")
            case.names[name] = host
    elif key == "slow":
        try:
            case.slow = float(value)
        except ValueError:
            raise ArgError("slow is a number of seconds, got %r" % value)
    else:
        setattr(case, key, value)


class Reader:
    """Reads one case file, collecting every problem as FILE:LINE: text."""

    def __init__(self, path, origin, dirs, exploring=False):
        name = os.path.basename(path)[:-len(".case")]
        self.case = Case(name=name, path=path, origin=origin)
        self.dirs = dirs
        self.errors = []
        self.ctx = None
        self.exploring = exploring    # an explorer's scenario: observation verbs, no transcripts

    def error(self, lineno, text):
        self.errors.append("%s:%d: %s" % (self.case.relpath, lineno, text))

    def read(self):
        registry.verbs()          # refuses, clearly, before sockconf.verbs registered them
        try:
            with open(self.case.path, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            self.error(1, "cannot read the case: %s" % exc)
            return self.case
        section, body, why = None, [], []
        for lineno, line in enumerate(lines, 1):
            header = re.match(r"^\[(steps|transcript)(?:\s+(\S+))?\]\s*$", line)
            if header:
                self.close_section(section, body)
                section, body = (header.group(1), header.group(2), lineno), []
                if section[0] == "steps":
                    self.begin_steps(lineno)
                continue
            if section and section[0] == "transcript":
                body.append(line)
                continue
            if line.startswith("#") and section is None:
                why.append(line[1:].strip())
            stripped = strip_comment(line).strip()
            if stripped:
                self.take_line(section, lineno, stripped)
        self.close_section(section, body)
        self.case.why = "\n".join(why)
        self.check_whole(len(lines))
        return self.case

    def take_line(self, section, lineno, line):
        try:
            if section is None:
                key, _, value = line.partition(" ")
                parse_header(self.case, key, value.strip(), self.dirs)
            elif self.ctx is not None:
                self.case.steps.append(parse_step(lineno, line, self.ctx))
        except ArgError as exc:
            self.error(lineno, str(exc))

    def begin_steps(self, lineno):
        for key in ("title", "checks", "passage", "topology"):
            if not getattr(self.case, key):
                self.error(lineno, "missing header %r before [steps]" % key)
        if self.case.topology and self.case.spec:
            for name, host in self.case.names.items():
                if host not in self.case.spec.hosts:
                    self.error(lineno, "names %s=%s: no host %r in topology %s" % (
                        name, host, host, self.case.topology))
        self.ctx = Context(self.case.spec, self.case.topology, PROGRAMS)
        self.ctx.exploring = self.exploring

    def close_section(self, section, body):
        if not section or section[0] != "transcript":
            return
        _, actor, lineno = section
        while body and body[-1] == "":
            body.pop()
        text = "".join(line + "\n" for line in body)
        if actor is None:
            self.error(lineno, "[transcript ACTOR] names the program whose output follows")
        elif self.ctx is None or actor not in self.ctx.programs:
            what = "a scripted peer" if self.ctx and actor in self.ctx.peers else "not started by a step above"
            self.error(lineno, "[transcript %s]: %s is %s; transcripts are of programs" % (actor, actor, what))
        elif actor in self.case.transcripts:
            self.error(lineno, "a second [transcript %s]" % actor)
        else:
            try:
                check_open_parts(body)
                check_refs(text.replace(PORT_PART, "").replace(OPEN_PART, ""), self.ctx)
            except ArgError as exc:
                self.error(lineno, "[transcript %s]: %s" % (actor, exc))
            self.case.transcripts[actor] = (lineno + 1, decode_transcript(text))

    def check_whole(self, last):
        if self.ctx is None:
            self.error(last, "no [steps] section")
            return
        for actor, lineno in self.ctx.programs.items():
            if actor not in self.case.transcripts and not self.exploring:
                self.error(lineno, "%s is started but has no [transcript %s]" % (actor, actor))


def check_open_parts(lines):
    """%{any} ends a transcript line whose beginning is defined: once, last, after some text (a line all
    open, or an open part followed by more, could match what the listing does not print)."""
    for number, line in enumerate(lines, 1):
        count = line.count(OPEN_PART)
        if not count:
            continue
        if count > 1 or not line.endswith(OPEN_PART):
            raise ArgError("line %d of the transcript: %s ends a line, once" % (number, OPEN_PART))
        if not line[:-len(OPEN_PART)].strip():
            raise ArgError("line %d of the transcript: a line that is all %s checks nothing" % (number, OPEN_PART))


def parse_case(path, origin="suite", dirs=(), exploring=False):
    """One case; raises CaseErrors when anything in it is wrong.  EXPLORING:
    an explorer's scenario (observation verbs allowed, transcripts not needed)."""
    reader = Reader(path, origin, dirs, exploring)
    case = reader.read()
    if reader.errors:
        raise CaseErrors(reader.errors)
    return case


def case_files(dirs=()):
    """(path, origin) of every case: the suite's, then each folder's of DIRS."""
    out = []
    for directory, origin in [(CASE_DIR, "suite")] + [(d, d) for d in dirs]:
        if not os.path.isdir(directory):
            raise CaseErrors(["%s: CASES= names no folder" % directory])
        out += [(os.path.join(directory, e), origin) for e in sorted(os.listdir(directory)) if e.endswith(".case")]
    return out


def load_all(dirs=()):
    """Every case, checked; DIRS are the teacher's folders (CASES=), whose
    cases and NAME.topo files come after the suite's."""
    cases, errors, seen = [], [], {}
    for path, origin in case_files(dirs):
        try:
            case = parse_case(path, origin, dirs)
        except CaseErrors as exc:
            errors += exc.messages
            continue
        if case.name in seen:
            errors.append("%s:1: a case named %s is already in %s" % (case.relpath, case.name, seen[case.name]))
            continue
        seen[case.name] = case.relpath
        cases.append(case)
    if errors:
        raise CaseErrors(errors)
    return cases
