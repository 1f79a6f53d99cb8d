"""Read conformance cases (tests/cases/NAME.case, and NAME.case in the
folders of CASES=) and check every one against the verb registry before
any namespace is made.  tests/cases/README.md describes the format.

Every problem is one line, FILE:LINE: what is wrong; load_all() raises
CaseErrors with all of them.
"""
import difflib
import os
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import argtypes
import registry
from argtypes import ArgError, Quoted, check_refs
from notation import decode_transcript
from topofile import TopologyError, parse_spec

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASE_DIR = os.path.join(ROOT, "tests", "cases")
PROGRAMS = ("select", "tcpserver", "tcpclient", "udpserver", "udpclient",
            "iserver", "comclient", "mcastserver", "mcastclient",
            "spawnserver", "sendmsgserver", "acceptserver")
# A design server starts its workers from its own folder: they come with it.
WORKERS = {"spawnserver": "spawnworker", "sendmsgserver": "recvmsgworker", "acceptserver": "acceptworker"}
CHECKS = ("tutorial", "spec")
DEFAULT_WITHIN = 5.0
HEADERS = ("title", "checks", "passage", "topology", "names", "slow")
TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(?:\*(\d+))?|(\S+)')
OPTION_RE = re.compile(r"^([a-z]+)=(.*)$")


class CaseError(Exception):
    pass


class CaseErrors(Exception):
    """Every problem found in the cases, one FILE:LINE: line each."""

    def __init__(self, messages):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class Step:
    lineno: int
    source: str
    actor: str
    verb: str
    definition: object        # registry.Verb
    a: SimpleNamespace        # checked arguments, by lower-case name
    opts: dict                # checked options

    def where(self, case):
        return "%s:%d" % (case.relpath, self.lineno)


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

    def programs(self):
        """Programs the case starts, in order of first start."""
        seen = []
        for step in self.steps:
            if step.verb == "start" and step.a.program not in seen:
                seen.append(step.a.program)
        return seen


def strip_comment(line):
    """LINE without its comment: a # at the start or after a blank, outside quotes."""
    quoted = escaped = False
    for i, c in enumerate(line):
        if escaped:
            escaped = False
        elif c == "\\" and quoted:
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == "#" and not quoted and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def tokenize(text):
    tokens = []
    for m in TOKEN_RE.finditer(text):
        if m.group(3) is not None:
            tokens.append(m.group(3))
        else:
            tokens.append(Quoted(m.group(1), int(m.group(2) or 1)))
    return tokens


class Context:
    """What the steps read so far have made: programs, peers, marks."""

    def __init__(self, spec, topology_name):
        self.spec = spec
        self.topology = topology_name
        self.hosts = list(spec.hosts) if spec else None     # None: the topology could not be read
        self.known_programs = PROGRAMS
        self.programs = {}     # actor -> line of its start
        self.peers = set()
        self.marks = set()


def check_actor(verb, actor, ctx):
    kind = verb.actor
    if kind == "starts" and (actor in ctx.programs or actor in ctx.peers):
        raise ArgError("%s is already %s; a new program needs a name of its own" % (
            actor, "started at line %d" % ctx.programs[actor] if actor in ctx.programs else "a peer"))
    if kind == "program" and actor not in ctx.programs:
        raise ArgError("%s %s: %s is not a program started by an earlier step" % (actor, verb.name, actor))
    if kind == "peer" and actor not in ctx.peers:
        what = "a program, not a scripted peer" if actor in ctx.programs else "not placed on a host yet"
        raise ArgError("%s %s: %s is %s (its first step names a host: tcp-connect, tcp-listen, udp-bind, "
                       "mcast-join, ...)" % (actor, verb.name, actor, what))
    if kind == "places" and actor in ctx.programs:
        raise ArgError("%s is a program, not a scripted peer" % actor)


def split_options(verb, tokens):
    args, opts = [], {}
    allowed = dict(registry.COMMON_OPTIONS, **verb.options)
    for token in tokens:
        m = OPTION_RE.match(token) if isinstance(token, str) else None
        if not m:
            args.append(token)
            continue
        if m.group(1) not in allowed:
            raise ArgError("%s takes no option %s= (it takes %s)" % (
                verb.name, m.group(1), " ".join(o + "=" for o in allowed)))
        opts[m.group(1)] = m.group(2)
    return args, opts


def bind_args(verb, args, ctx):
    """Check ARGS against VERB's parameters; their values by lower-case name."""
    values, rest = {}, list(args)
    for param in verb.params:
        key = param.name.lower()
        if not rest:
            if param.optional:
                values[key] = [] if param.many else None
                continue
            raise ArgError("%s is missing (usage: %s)" % (param.name, verb.usage()))
        taken = rest if param.many else rest[:1]
        rest = [] if param.many else rest[1:]
        checked = [argtypes.TYPES[param.type].check(t, ctx) for t in taken]
        values[key] = checked if param.many else checked[0]
    if rest:
        shown = " ".join('"%s"' % t.raw if isinstance(t, Quoted) else t for t in rest)
        raise ArgError("too many arguments: %s (usage: %s)" % (shown, verb.usage()))
    return SimpleNamespace(**values)


def bind_options(verb, opts, ctx):
    for needed in verb.required:
        if needed not in opts:
            raise ArgError("%s needs %s= (usage: %s)" % (verb.name, needed, verb.usage()))
    if ("at" in opts) != ("from" in opts):
        raise ArgError("at= and from= go together: at=T+-TOL from=MARK times the event from MARK")
    types = dict(registry.COMMON_OPTIONS, **verb.options)
    return {name: argtypes.TYPES[types[name]].check(value, ctx) for name, value in opts.items()}


def parse_step(lineno, line, ctx):
    tokens = tokenize(line)
    if len(tokens) < 2 or not all(isinstance(t, str) for t in tokens[:2]):
        raise ArgError("a step is: ACTOR VERB ARGS... [OPTION=VALUE]")
    actor, name = tokens[0], tokens[1]
    verb = registry.VERBS.get(name)
    if verb is None:
        close = difflib.get_close_matches(name, registry.VERBS, 1)
        raise ArgError("unknown verb %r%s (tests/cases/README.md lists them)" % (
            name, "; did you mean %r?" % close[0] if close else ""))
    check_actor(verb, actor, ctx)
    args, raw_opts = split_options(verb, tokens[2:])
    # The actor's kind is recorded even if an argument is wrong, so that one
    # mistake gives one message, not one for every later step of the actor.
    if verb.actor == "starts":
        ctx.programs[actor] = lineno
    elif verb.actor == "places":
        ctx.peers.add(actor)
    values = bind_args(verb, args, ctx)
    opts = bind_options(verb, raw_opts, ctx)
    if "mark" in opts:
        ctx.marks.add(opts["mark"])
    return Step(lineno, line.strip(), actor, name, verb, values, opts)


def parse_header(case, key, value, dirs):
    if key not in HEADERS:
        raise ArgError("unknown header %r (headers: %s)" % (key, " ".join(HEADERS)))
    if key == "checks" and value not in CHECKS:
        raise ArgError("checks is tutorial or spec, got %r" % value)
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

    def __init__(self, path, origin, dirs):
        name = os.path.basename(path)[:-len(".case")]
        self.case = Case(name=name, path=path, origin=origin)
        self.dirs = dirs
        self.errors = []
        self.ctx = None

    def error(self, lineno, text):
        self.errors.append("%s:%d: %s" % (self.case.relpath, lineno, text))

    def read(self):
        registry.load()
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
        self.ctx = Context(self.case.spec, self.case.topology)

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
                check_refs(text.replace("%{PORT}", ""), self.ctx)
            except ArgError as exc:
                self.error(lineno, "[transcript %s]: %s" % (actor, exc))
            self.case.transcripts[actor] = (lineno + 1, decode_transcript(text))

    def check_whole(self, last):
        if self.ctx is None:
            self.error(last, "no [steps] section")
            return
        for actor, lineno in self.ctx.programs.items():
            if actor not in self.case.transcripts:
                self.error(lineno, "%s is started but has no [transcript %s]" % (actor, actor))


def parse_case(path, origin="suite", dirs=()):
    """One case; raises CaseErrors when anything in it is wrong."""
    reader = Reader(path, origin, dirs)
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
