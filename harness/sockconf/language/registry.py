"""The case language's verbs, each declared once: its name, its arguments
and options with their types, the kind of actor it applies to, one line of
documentation and its handler.  cases.py checks every step against this
before any namespace is made; engine.py calls the handlers; the verb tables
of tests/cases/README.md are made from it (python3 -m sockconf verbs).

The verbs themselves live in the package sockconf.verbs, a module per
family (programs, tcp, udp, proc, faults).  Importing that package
registers them here; the case language never imports it (nor the run or
the hosts it drives), so whoever reads cases imports sockconf.verbs first.
"""
from dataclasses import dataclass, field

from sockconf.language import argtypes

# Families, in the order the README documents them: (module, heading, intro).
FAMILIES = (
    ("programs", "Programs", "X is an actor that `start` made a program under test."),
    ("tcp", "TCP peers", "P is a scripted peer of the harness, placed on a host by its first step."),
    ("udp", "UDP and multicast peers", ""),
    ("proc", "Process architecture", "Read from /proc, polled until `within=`."),
    ("faults", "Network faults",
     "nftables (this kernel has no netem), in the host's own namespace."),
    ("observe", "Observations (the explorer's own)",
     "They record and check nothing: a case file may not use them; `make explore` writes what they saw as "
     "the checking verbs above."),
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
    after: tuple = ()      # verbs one of which must come earlier on the same actor (else nothing to check)
    checks: bool = False   # it checks something of the programs (tests/selftest/test_checks_fail.py makes each fail)
    observes: bool = False  # it only records, for the explorer; case files may not use it
    refuse: object = None   # refuse(args, opts) -> why a step of it can check nothing, or None (at parse time)
    needs: tuple = ()       # kernel features it uses (hosts/kernel.py FEATURES): without one, its cases are skipped

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


def verb(name, signature, actor, doc, options="", required="", after="", checks=False, observes=False,
         refuse=None, needs=""):
    """Declare verb NAME with the decorated function as its handler:
    handler(run, step, deadline) -> the time of its event, or None (now).
    AFTER: verbs one of which an earlier step on the same actor must use,
    for a verb that checks what they saw (the case refuses otherwise).
    CHECKS: the verb checks the programs (it can fail), it does not only act.
    OBSERVES: it records what a program did and checks nothing (the explorer's own).
    REFUSE(args, opts): why a combination of its arguments has nothing to check (the case refuses it).
    NEEDS: the kernel features it uses, space separated (a case with it is skipped where one is absent)."""
    if actor not in ACTOR_KINDS:
        raise ValueError("unknown actor kind %r" % actor)

    def register(handler):
        opts = dict(w.split(":") for w in options.split())
        for kind in opts.values():
            if kind not in argtypes.TYPES:
                raise ValueError("unknown option type %r" % kind)
        VERBS[name] = Verb(name, parse_signature(signature), actor, doc, handler,
                           handler.__module__.rpartition(".")[2], opts, tuple(required.split()),
                           after=tuple(after.split()), checks=checks,
                           observes=observes, refuse=refuse, needs=tuple(needs.split()))
        return handler
    return register


def verbs():
    """VERBS, once sockconf.verbs has registered them."""
    if not VERBS:
        raise RuntimeError("no verbs are registered: import sockconf.verbs before reading cases")
    return VERBS


def markdown():
    """The verb tables of tests/cases/README.md."""
    verbs()
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
