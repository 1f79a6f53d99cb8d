"""Read one step of a case and check it against the verb registry: its
verb, actor, arguments and options, with what the steps before it made
(programs started, peers placed, marks set) in a Context."""
import difflib
import re
from dataclasses import dataclass
from types import SimpleNamespace

from sockconf.language import argtypes
from sockconf.language import registry
from sockconf.language.argtypes import ArgError, Quoted

TOKEN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(?:\*(\d+))?|(\S+)')
OPTION_RE = re.compile(r"^([a-z]+)=(.*)$")


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


ACTOR_COLUMN = 5      # the width an actor's column takes at least, its blanks included


def step_line(actor, text):
    """A step as a case file writes it: ACTOR, then TEXT (the verb and its arguments) from the sixth
    column, or two blanks after a longer actor."""
    return actor.ljust(max(len(actor) + 2, ACTOR_COLUMN)) + text


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

    def __init__(self, spec, topology_name, known_programs):
        self.spec = spec
        self.topology = topology_name
        self.hosts = list(spec.hosts) if spec else None     # None: the topology could not be read
        self.known_programs = known_programs
        self.programs = {}     # actor -> line of its start
        self.peers = set()
        self.marks = set()
        self.used = {}         # actor -> the verbs its steps used so far
        self.exploring = False  # a scenario of the explorer: observation verbs allowed


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
    if verb.observes and not ctx.exploring:
        raise ArgError("%s only observes (the explorer's own verb): a case checks, with recv, exit, udp-recv, ..." % name)
    check_actor(verb, actor, ctx)
    used = ctx.used.setdefault(actor, set())
    earlier = set(used)
    used.add(name)
    if verb.after and not earlier & set(verb.after):
        raise ArgError("%s %s has nothing to check: no earlier step on %s uses %s" % (
            actor, name, actor, " or ".join(verb.after)))
    args, raw_opts = split_options(verb, tokens[2:])
    # The actor's kind is recorded even if an argument is wrong, so that one
    # mistake gives one message, not one for every later step of the actor.
    if verb.actor == "starts":
        ctx.programs[actor] = lineno
    elif verb.actor == "places":
        ctx.peers.add(actor)
    values = bind_args(verb, args, ctx)
    opts = bind_options(verb, raw_opts, ctx)
    why = verb.refuse and verb.refuse(values, opts)
    if why:
        raise ArgError("%s %s: %s" % (actor, name, why))
    if "mark" in opts:
        ctx.marks.add(opts["mark"])
    return Step(lineno, line.strip(), actor, name, verb, values, opts)
