"""What every program's space is built of: the timing of a scenario's steps,
the bytes it sends, step lines, command lines, scopes, and Space, the table
of one program's situations."""
from dataclasses import dataclass

from hypothesis import strategies as st

from sockconf.language.notation import quote
from sockconf.language.steps import step_line as step
from sockconf.verdicts import SCOPES

PAUSE = 0.2            # seconds between the pieces of one message
SILENCE = 0.6          # seconds a client may wait before it sends: a person typing waits longer, so it is inside
                       # the tutorial, and long enough for a receive timeout a program should not have
QUIET = 0.8            # seconds an observation waits for more (verbs/observe.py for=): what did not come by then
                       # is "nothing", also on a loaded machine
ALPHABET = [bytes([c]) for c in range(ord("a"), ord("z") + 1)] + [
    bytes([c]) for c in range(0x20, 0x7f) if not chr(c).islower()] + [b"\0"]
TYPED = [c for c in ALPHABET if c != b"\0"]            # a terminal line: printable only
PEER_PORT = 40001      # a scripted UDP peer's own port, so what a program prints of it is fixed
UNKNOWN_NAME = "nowhere"   # a server name no host file lists (and no route leads to a name server)
LONG_NAME = "n" * 300      # longer than a host name may be (the listing's strcpy() would overflow: spec)
WORDS = ["x", "1", "-v", "198.18.0.2", "0", "--", "%{a}", "bakawali"]


@dataclass(frozen=True)
class Space:
    """One program's space: the topology its scenarios run on, its situations in the order they are searched
    with their shares of the budget (SHARES: (situation, entries), the exchange first), and BUILDERS, the
    strategy of each situation's (checks, title, steps).  A situation without a builder, or a builder without
    a share, refuses at import.  LISTED: the tutorial lists the program (the design servers are prose);
    OPEN_LINES: the beginnings of its transcript lines whose rest its listing leaves undefined."""
    program: str
    topology: str
    shares: tuple
    builders: dict
    listed: bool = True
    open_lines: tuple = ()

    def __post_init__(self):
        named = [situation for situation, _ in self.shares]
        problems = ["situation %s has no builder" % s for s in named if s not in self.builders]
        problems += ["builder %s has no share" % s for s in self.builders if s not in named]
        problems += ["%s has %d entries" % (s, n) for s, n in self.shares if n < 1]
        problems += ["its first situation is %s, not the exchange" % named[0]] if named[:1] != ["exchange"] else []
        if problems or len(set(named)) != len(named):
            raise ValueError("the space of %s: %s" % (self.program, "; ".join(problems) or "a situation twice"))

    def entries(self):
        """The situations, each as many times as its entries (shares() shares the budget by them)."""
        return tuple(s for s, n in self.shares for _ in range(n))


def content(size, alphabet=ALPHABET):
    return st.lists(st.sampled_from(alphabet), min_size=size, max_size=size).map(b"".join)


@st.composite
def message(draw, most, least=0, alphabet=ALPHABET, buffer=100, empty=False):
    """Bytes of LEAST to MOST, half the time of a length at an edge: the program's BUFFER size (a read of
    100 bytes, a line of 99 characters and its NUL), one on either side of it, nothing (with EMPTY: a
    typed line), or 1.  The buffer size comes first: Hypothesis tries first entries first and shrinks
    towards them."""
    edges = [size for size in (buffer, buffer - 1, buffer + 1) + ((0,) if empty else ()) + (1,)
             if least <= size <= most]
    size = draw(st.one_of(st.sampled_from(edges), st.integers(least, most)))
    return draw(content(size, alphabet))


@st.composite
def pieces(draw, data):
    """DATA cut into one to three pieces."""
    if len(data) < 2:
        return [data]
    cuts = sorted(set(draw(st.lists(st.integers(1, len(data) - 1), max_size=2))))
    bounds = [0] + cuts + [len(data)]
    return [data[i:j] for i, j in zip(bounds, bounds[1:])]


def read_until(parts, wanted):
    """PARTS up to the one that brings their total to WANTED bytes, with the rest joined to that one: a
    reader that stops there has closed its socket before a later piece, which would race its exit."""
    total = 0
    for i, part in enumerate(parts):
        total += len(part)
        if total >= wanted:
            return parts[:i] + [b"".join(parts[i:])]
    return parts


def has_nul(data, within):
    return b"\0" in data[:within]


def take(actor, seconds):
    """ACTOR observes what it receives for SECONDS."""
    return step(actor, "take for=%g" % seconds)


def ending(actor, seconds):
    """How program ACTOR ends, watched for SECONDS."""
    return step(actor, "ending for=%g" % seconds)


def send_steps(actor, parts, watched=None):
    """Send PARTS, PAUSE apart; what comes back meanwhile is observed, and what program WATCHED waits in."""
    out = []
    for i, part in enumerate(parts):
        if i:
            out += [take(actor, PAUSE)] + waiting_steps(watched)
        out.append(step(actor, "send %s" % quote(part)))
    return out


def silence_steps(actor, silent, watched):
    """When SILENT, ACTOR says nothing for SILENCE seconds (what arrives meanwhile is observed), and what
    program WATCHED waits in then."""
    return [take(actor, SILENCE)] + waiting_steps(watched) if silent else []


def waiting_steps(program):
    """Observe what PROGRAM waits in, and for how many bytes (a read() of 100 is not one of 1024)."""
    return [step(program, "waiting")] if program else []


def end_steps(actor, how):
    """Close or reset (after a take: what was sent has left, so a reset does not race it), or wait."""
    return [] if how == "wait" else [step(actor, how)]


def start(actor, host, program, args=()):
    """ACTOR starts PROGRAM on HOST with the arguments ARGS."""
    return step(actor, "start %s %s" % (host, " ".join([program] + list(args))))


def refused_lines(host, command, lines, wait=0.2):
    """Steps that start COMMAND on HOST with each of LINES (argument lists it must refuse) in turn, each
    one's ending observed before the next starts: every line in one scenario, the same at any seed (a line
    drawn from a few met some of them at some seeds only)."""
    steps = []
    for i, args in enumerate(lines):
        steps += [start("p%d" % i, host, command, args), ending("p%d" % i, wait)]
    return steps


def scope(tutorial, listing):
    """A scenario's scope (verdicts.SCOPES, tests/SPEC.md "The rule"): TUTORIAL when it is inside what the
    captures show, else LISTING when the listing's code defines what happens in it, else spec."""
    return "tutorial" if tutorial else "listing" if listing else "spec"


def at_least(checks, widest):
    """CHECKS widened to WIDEST where it is narrower: a situation beyond the captures is not tutorial."""
    return max(checks, widest, key=SCOPES.index)


def shown(args):
    """A command line as a title shows it: the long name as n*300."""
    return " ".join("n*%d" % len(a) if a == LONG_NAME else a for a in args)


def with_arguments(args):
    """A title's mention of extra ARGS, if any."""
    return ", arguments %s" % " ".join(args) if args else ""


def extra_arguments():
    """Arguments the tutorial never passes: none, or one to two words."""
    return st.lists(st.sampled_from(WORDS), max_size=2)


@st.composite
def client_arguments(draw, unresolved=False, default=True):
    """A client's command line: the server's address or name (with UNRESOLVED one that resolves nowhere;
    DEFAULT: none at all, for its compiled-in name, is in the space too), then maybe words the tutorial
    never passes."""
    if unresolved:
        first = draw(st.sampled_from([UNKNOWN_NAME, LONG_NAME]))
    else:
        first = draw(st.sampled_from(["%{a}", "bakawali"] + ([None] if default else [])))
    return ([first] + draw(extra_arguments())) if first else []


def port_taken(host, protocol, port, command, listed=True):
    """The `taken` situation: COMMAND started on HOST while a socket of the harness holds its PORT (PROTOCOL
    tcp or udp).  A listing's bind() fails and it says so (LISTED: `listing`); a design server's ending is
    this project's (`spec`)."""
    hold = step("hold", "%s %s %d" % ("tcp-listen" if protocol == "tcp" else "udp-bind", host, port))
    return st.just((scope(False, listed), "%s: its port taken" % command,
                    [hold, step("srv", "start %s %s" % (host, command)), ending("srv", QUIET)]))


def sends_dropped(builder, host, match, widest="listing"):
    """The `dropped` situation: BUILDER's scenario with what the program sends dropped on its HOST's way out
    (nftables rule MATCH): its sendto() fails.  The listing says so (WIDEST `listing`), or departs from
    this project there (`spec`)."""
    rule = step("net", 'nft-drop %s "%s" hook=output' % (host, match))
    return builder.map(lambda drawn: (at_least(drawn[0], widest), drawn[1] + ", what it sends dropped",
                                      [rule] + drawn[2]))


def bare(builder):
    """The `bare` situation: BUILDER's scenario where no host carries the listings' interface 203.106.93.94
    (topology pair): the listing's setsockopt() with that interface fails and it says so."""
    return builder.map(lambda drawn: (at_least(drawn[0], "listing"),
                                      drawn[1] + ", where no host carries the listings' interface", drawn[2]))
