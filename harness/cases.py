"""Parse conformance cases: tests/cases/NAME.case.

A case file has header lines (`title`, `checks`, `passage`, `topology`,
`names`, `slow`), then sections opened by a line `[steps]` or
`[transcript ACTOR]`.  tests/cases/README.md describes the format.
"""
import os
import re
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CASE_DIR = os.path.join(ROOT, "tests", "cases")
PROGRAMS = ("select", "tcpserver", "tcpclient", "udpserver", "udpclient",
            "iserver", "comclient", "mcastserver", "mcastclient",
            "spawnserver", "sendmsgserver", "acceptserver")
# A design server starts its workers from its own folder: they come with it.
WORKERS = {"spawnserver": "spawnworker", "sendmsgserver": "recvmsgworker", "acceptserver": "acceptworker"}
CHECKS = ("tutorial", "spec")

PROGRAM_VERBS = {"start", "expect", "type", "eof", "exit", "running", "signal", "stopped",
                 "tree", "zombies", "gone", "kill-worker", "holds", "distinct-holders", "accepting"}
PEER_VERBS = {"tcp-connect", "tcp-refused", "tcp-listen", "accept", "send", "recv", "recv-eof",
              "recv-reset", "recv-nothing", "close", "reset", "udp-bind", "udp-send", "udp-reply", "udp-recv",
              "udp-nothing", "mcast-join", "mcast-send", "mcast-recv", "tcp-state", "backlog", "echo-burst",
              "nft-drop", "nft-dropped"}
DEFAULT_WITHIN = 5.0

TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(?:\*(\d+))?|(\S+)')
ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"'}
TRANSCRIPT_ESCAPES = {"%SP": " ", "%TAB": "\t", "%CR": "\r", "%NUL": "\0"}


class CaseError(Exception):
    pass


@dataclass
class Quoted:
    """A quoted string token: its raw text (escapes still in) and a repeat count."""
    raw: str
    repeat: int = 1


@dataclass
class Step:
    lineno: int
    source: str
    actor: str
    verb: str
    args: list
    opts: dict

    def where(self, case):
        return "%s:%d" % (case.relpath, self.lineno)


@dataclass
class Case:
    name: str
    path: str
    title: str = ""
    checks: str = ""
    passage: str = ""
    topology: str = ""
    names: dict = field(default_factory=dict)
    slow: float = 0.0
    steps: list = field(default_factory=list)
    transcripts: dict = field(default_factory=dict)   # actor -> (lineno, text)
    why: str = ""

    @property
    def relpath(self):
        return os.path.relpath(self.path, ROOT)

    def programs(self):
        """Programs the case starts, in order of first start."""
        seen = []
        for step in self.steps:
            if step.verb == "start" and step.args[1] not in seen:
                seen.append(step.args[1])
        return seen


def decode_bytes(raw):
    """C-like escapes of a quoted step argument into bytes."""
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        nxt = raw[i + 1:i + 2]
        if nxt == "x":
            out.append(int(raw[i + 2:i + 4], 16))
            i += 4
        elif nxt in ESCAPES:
            out += ESCAPES[nxt]
            i += 2
        else:
            raise CaseError("unknown escape \\%s" % nxt)
    return bytes(out)


REPEAT_RE = re.compile(r"%repeat\[(\d+) x (.*?)\]%")


def _repeat(match):
    """%repeat[N x TEXT]%: TEXT N times; inside it \\n is a newline and %I the 1-based count."""
    body = match.group(2).replace("\\n", "\n")
    return "".join(body.replace("%I", str(i)) for i in range(1, int(match.group(1)) + 1))


def decode_transcript(text):
    """%SP, %TAB, %CR, %NUL and %repeat[N x TEXT]% (curl's notation; inside
    it \\n is a newline and %I the count) in an expected transcript; %% is a
    percent sign."""
    text = REPEAT_RE.sub(_repeat, text)
    out = []
    i = 0
    while i < len(text):
        if text[i] == "%":
            if text.startswith("%%", i):
                out.append("%")
                i += 2
                continue
            for key, value in TRANSCRIPT_ESCAPES.items():
                if text.startswith(key, i):
                    out.append(value)
                    i += len(key)
                    break
            else:
                out.append("%")
                i += 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


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


def parse_step(lineno, line):
    tokens = tokenize(line)
    if len(tokens) < 2 or not all(isinstance(t, str) for t in tokens[:2]):
        raise CaseError("a step is: ACTOR VERB ARGS... [OPTION=VALUE]")
    actor, verb = tokens[0], tokens[1]
    if verb not in PROGRAM_VERBS | PEER_VERBS:
        raise CaseError("unknown verb %r" % verb)
    args, opts = [], {}
    for tok in tokens[2:]:
        if isinstance(tok, str) and re.match(r"^(within|at|from|mark|for|ttl|src|by|tree|hook|count|size)=", tok):
            key, value = tok.split("=", 1)
            opts[key] = value
        else:
            args.append(tok)
    if verb == "start" and (len(args) < 2 or args[1] not in PROGRAMS):
        raise CaseError("start needs HOST and one of the tutorial's programs")
    if "at" in opts and "from" not in opts:
        raise CaseError("at= needs from=MARK, the event the time is measured from")
    return Step(lineno, line.strip(), actor, verb, args, opts)


def parse_case(path):
    name = os.path.basename(path)[:-len(".case")]
    case = Case(name=name, path=path)
    section, body, body_start = None, [], 0
    why = []

    def close_section():
        if section and section[0] == "transcript":
            while body and body[-1] == "":
                body.pop()
            case.transcripts[section[1]] = (body_start, decode_transcript("".join(l + "\n" for l in body)))

    with open(path) as f:
        lines = f.read().split("\n")
    for lineno, line in enumerate(lines, 1):
        try:
            header = re.match(r"^\[(steps|transcript)(?:\s+(\S+))?\]\s*$", line)
            if header:
                close_section()
                section, body, body_start = (header.group(1), header.group(2)), [], lineno + 1
                continue
            if section and section[0] == "transcript":
                body.append(line)
                continue
            stripped = strip_comment(line).strip()
            if line.startswith("#") and section is None:
                why.append(line[1:].strip())
            if not stripped:
                continue
            if section and section[0] == "steps":
                case.steps.append(parse_step(lineno, stripped))
            else:
                _parse_header(case, stripped)
        except CaseError as exc:
            raise CaseError("%s:%d: %s" % (path, lineno, exc))
    close_section()
    case.why = "\n".join(why)
    _validate(case)
    return case


def _parse_header(case, line):
    key, _, value = line.partition(" ")
    value = value.strip()
    if key == "title":
        case.title = value
    elif key == "checks":
        if value not in CHECKS:
            raise CaseError("checks is tutorial or spec")
        case.checks = value
    elif key == "passage":
        case.passage = value
    elif key == "topology":
        case.topology = value
    elif key == "names":
        for pair in value.split():
            name, _, host = pair.partition("=")
            case.names[name] = host
    elif key == "slow":
        case.slow = float(value)
    else:
        raise CaseError("unknown header %r" % key)


def _validate(case):
    for key in ("title", "checks", "passage", "topology"):
        if not getattr(case, key):
            raise CaseError("%s: missing header %r" % (case.path, key))
    if not case.steps:
        raise CaseError("%s: no [steps]" % case.path)
    started = {s.actor for s in case.steps if s.verb == "start"}
    for actor in case.transcripts:
        if actor not in started:
            raise CaseError("%s: transcript of %r, which no step starts" % (case.path, actor))
    for actor in started:
        if actor not in case.transcripts:
            raise CaseError("%s: %r is started but has no [transcript %s]" % (case.path, actor, actor))


def load_all(directory=CASE_DIR):
    cases = []
    for entry in sorted(os.listdir(directory)):
        if entry.endswith(".case"):
            cases.append(parse_case(os.path.join(directory, entry)))
    return cases
