"""The case language's verbs, each declared once: its name, its arguments
and options with their types, the kind of actor it applies to, one line of
documentation and its handler.  cases.py checks every step against this
before any namespace is made; engine.py calls the handlers; the verb tables
of tests/cases/README.md are made from it (sockconf.py verbs).

Verbs live in modules by family (verbs_programs, verbs_proc, verbs_tcp,
verbs_udp, verbs_faults); load() imports them all.
"""
import importlib
from dataclasses import dataclass, field

import argtypes

# Families, in the order the README documents them: (module, heading, intro).
FAMILIES = (
    ("verbs_programs", "Programs", "X is an actor that `start` made a program under test."),
    ("verbs_tcp", "TCP peers", "P is a scripted peer of the harness, placed on a host by its first step."),
    ("verbs_udp", "UDP and multicast peers", ""),
    ("verbs_proc", "Process architecture", "Read from /proc, polled until `within=`."),
    ("verbs_faults", "Network faults",
     "nftables (this kernel has no netem), in the host's own namespace."),
)
# What the actor of a step must be.
ACTOR_KINDS = {
    "starts": "becomes a program under test (a name not used before)",
    "program": "a program an earlier step started",
    "places": "a scripted peer, placed on HOST by this step (or an earlier one)",
    "peer": "a scripted peer an earlier step placed",
    "label": "only a name for the timeline",
}
QUOTED_TYPES = ("line", "nft")
ACTOR_LETTERS = {"program": "X", "starts": "X", "label": "L", "places": "P", "peer": "P"}
COMMON_OPTIONS = {"within": "seconds", "mark": "newmark", "at": "interval", "from": "mark"}


@dataclass
class Param:
    name: str          # as documented: HOST
    type: str          # a key of argtypes.TYPES
    many: bool = False  # NAME... : one or more (bytes: zero or more)
    optional: bool = False

    def usage(self):
        text = ('"%s"' if self.type in QUOTED_TYPES else "%s") % self.name + ("..." if self.many else "")
        return "[%s]" % text if self.optional else text


@dataclass
class Verb:
    name: str
    params: list
    actor: str
    doc: str
    handler: object
    family: str
    options: dict = field(default_factory=dict)    # option -> type
    required: tuple = ()
    usage_hint: str = ""

    def usage(self):
        words = [ACTOR_LETTERS[self.actor], self.name]
        words += [p.usage() for p in self.params]
        words += [("%s=%s" if o in self.required else "[%s=%s]") % (o, argtypes.TYPES[t].shown)
                  for o, t in self.options.items()]
        return " ".join(words)


VERBS = {}


def parse_signature(text):
    """'HOST:host [PORT:port] BYTES:bytes...' into Params."""
    params = []
    for word in text.split():
        optional = word.startswith("[") and word.endswith("]")
        word = word.strip("[]")
        name, _, kind = word.partition(":")
        many = kind.endswith("...")
        kind = kind.rstrip(".")
        if kind not in argtypes.TYPES:
            raise ValueError("unknown argument type %r" % kind)
        params.append(Param(name, kind, many, optional))
    return params


def verb(name, signature, actor, doc, options="", required=""):
    """Declare verb NAME with the decorated function as its handler:
    handler(run, step, deadline) -> the time of its event, or None (now)."""
    if actor not in ACTOR_KINDS:
        raise ValueError("unknown actor kind %r" % actor)

    def register(handler):
        opts = dict(w.split(":") for w in options.split())
        for kind in opts.values():
            if kind not in argtypes.TYPES:
                raise ValueError("unknown option type %r" % kind)
        VERBS[name] = Verb(name, parse_signature(signature), actor, doc, handler,
                           handler.__module__, opts, tuple(required.split()))
        return handler
    return register


def load():
    """Import every family; returns VERBS."""
    for module, _, _ in FAMILIES:
        importlib.import_module(module)
    return VERBS


def markdown():
    """The verb tables of tests/cases/README.md."""
    load()
    out = []
    for module, heading, intro in FAMILIES:
        out += ["### %s" % heading, ""] + ([intro, ""] if intro else [])
        out += ["| step | meaning |", "|---|---|"]
        for v in VERBS.values():
            if v.family == module:
                out.append("| `%s` | %s |" % (v.usage(), v.doc.replace("|", "\\|")))
        out.append("")
    out += ["X is a program, P a scripted peer, L only a label for the timeline.  Every step also takes",
            " ".join("`%s=%s`" % (o, argtypes.TYPES[t].shown) for o, t in COMMON_OPTIONS.items()) + ".", "",
            "### Arguments", "", "| argument | what it takes |", "|---|---|"]
    for kind in argtypes.TYPES.values():
        if kind.listed:
            out.append("| %s | %s |" % (kind.shown, kind.doc))
    return "\n".join(out) + "\n"
