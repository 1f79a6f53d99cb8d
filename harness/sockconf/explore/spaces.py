"""The scenario space of each program, as Hypothesis strategies: what
varies, and only inside defined behaviour (tests/SPEC.md "Explored").

Scenarios run on topology pair (hosts a, b), multicast ones on lan (a to d,
each also carrying the listings' interface 203.106.93.94).  Bytes are printable
ASCII and NUL: no byte a terminal would interpret, and a NUL where a listing
prints a buffer with %s (else it reads past what it received: undefined).
Pieces of one message are sent PAUSE apart, long enough that a blocked
reader returns each piece alone: a defined order, not a race.  A peer's
UDP socket has a fixed port, so what a program prints of it is the same in
every run."""
from hypothesis import strategies as st

from sockconf.hosts import kernel
from sockconf.verdicts import SCOPES
from sockconf.language.notation import quote
from sockconf.language.topofile import parse_spec

PAUSE = 0.2            # seconds between the pieces of one message
SILENCE = 0.6          # seconds a client may wait before it sends: a person typing waits longer, so it is inside
                       # the tutorial, and long enough for a receive timeout a program should not have
QUIET = 0.8            # seconds an observation waits for more (verbs/observe.py for=): what did not come by then
                       # is "nothing", also on a loaded machine
ALPHABET = [bytes([c]) for c in range(ord("a"), ord("z") + 1)] + [
    bytes([c]) for c in range(0x20, 0x7f) if not chr(c).islower()] + [b"\0"]
TYPED = [c for c in ALPHABET if c != b"\0"]            # a terminal line: printable only
PEER_PORT = 40001      # a scripted UDP peer's own port, so what a program prints of it is fixed
ENDINGS = ("wait", "close", "reset")    # what a TCP peer does after sending, the tutorial's client's first
SERVER_ENDINGS = ("close", "wait", "reset")   # the same, the tutorial's server's first (it closes after its echo)


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


def send_steps(actor, parts, watched=None):
    """Send PARTS, PAUSE apart; what comes back meanwhile is observed, and what program WATCHED waits in."""
    out = []
    for i, part in enumerate(parts):
        if i:
            out += ["%s  take for=%g" % (actor, PAUSE)] + waiting_steps(watched)
        out.append("%s  send %s" % (actor, quote(part)))
    return out


def silence_steps(actor, silent, watched):
    """When SILENT, ACTOR says nothing for SILENCE seconds (what arrives meanwhile is observed), and what
    program WATCHED waits in then."""
    return ["%s  take for=%g" % (actor, SILENCE)] + waiting_steps(watched) if silent else []


def waiting_steps(program):
    """Observe what PROGRAM waits in, and for how many bytes (a read() of 100 is not one of 1024)."""
    return ["%s  waiting" % program] if program else []


def end_steps(actor, ending):
    """Close or reset (after a take: what was sent has left, so a reset does not race it), or wait."""
    return [] if ending == "wait" else ["%s  %s" % (actor, ending)]


def refused_lines(host, command, lines, wait=0.2):
    """Steps that start COMMAND on HOST with each of LINES (argument lists it must refuse) in turn, each
    one's ending observed before the next starts: every line in one scenario, the same at any seed (a line
    drawn from a few met some of them at some seeds only)."""
    steps = []
    for i, args in enumerate(lines):
        steps += ["p%d   start %s %s%s" % (i, host, command, "".join(" " + a for a in args)),
                  "p%d   ending for=%g" % (i, wait)]
    return steps


def has_nul(data, within):
    return b"\0" in data[:within]


def scope(tutorial, listing):
    """A scenario's scope (verdicts.SCOPES, tests/SPEC.md "The rule"): TUTORIAL when it is inside what the
    captures show, else LISTING when the listing's code defines what happens in it, else spec."""
    return "tutorial" if tutorial else "listing" if listing else "spec"


def at_least(checks, widest):
    """CHECKS widened to WIDEST where it is narrower: a situation beyond the captures is not tutorial."""
    return max(checks, widest, key=SCOPES.index)


UNKNOWN_NAME = "nowhere"   # a server name no host file lists (and no route leads to a name server)
LONG_NAME = "n" * 300      # longer than a host name may be (the listing's strcpy() would overflow: spec)
WORDS = ["x", "1", "-v", "198.18.0.2", "0", "--", "%{a}", "bakawali"]

# Each situation of a program is searched on its own (explorer.py), in this order, with its share of the
# budget: its entries in the list over all entries (shares()).  So every situation is met whatever the
# seed (with a budget of at least one scenario per situation), and a finding shrinks within it.  The ordinary exchange comes first
# (a tutorial difference is not hidden behind a spec one) and is listed more than once: most of the
# space is there (three or four times where `cut` and other situations take some of what it would be given).
#   exchange    the tutorial's run, with generated bytes, pieces, silences and endings
#   arguments   every command line of the program's list it must refuse, one after another (refused_lines())
#   taken       the program's port held by a socket of the harness before it starts (bind() fails)
#   dropped     what the program sends dropped on its own host's way out (nftables: sendto() fails)
#   refused     a client whose server does not listen
#   unresolved  a client whose server name resolves nowhere (UNKNOWN_NAME, LONG_NAME)
#   stopped     Ctrl-Z and bg (SIGSTOP, SIGCONT) while tcpserver waits in accept() for its client (select:
#               while clients send and reset)
#   stopped-connected  the same once tcpserver's client is connected, while it sends, then resets or closes
#   turnover    a select client leaves and a new one comes
#   altered     comclient's echo is not what it sent: other bytes of that length first, or another length
#   cut         the peer closes before the whole message: tcpserver's client after 1 to 99 of its 100
#               bytes, tcpclient's server after 1 to 99 of its echo, comclient's server after part of it
#   timeout     a client that connects and says nothing until the server gives up
#   eof         end of input where comclient reads its line
#   overlong    a typed line longer than the 99 characters comclient sends (with its NUL: send_buf[100])
#   killed      a worker of a design server killed between clients
#   terminated  a design server ended with SIGTERM between clients: nothing of its tree may be left
#   busy        the same with a client connected and silent: its worker must not outlive the server
#   elsewhere   udpclient's reply from another port of the server's host or from another address
#   bare        no host carries the listings' interface 203.106.93.94 (topology pair, not lan)
SITUATIONS = {
    "tcpserver": ("exchange", "exchange", "exchange", "exchange", "cut", "stopped", "stopped-connected", "taken",
                  "timeout"),       # a timeout takes 15 s: last
    "tcpclient": ("exchange", "exchange", "exchange", "cut", "refused", "unresolved"),
    "udpserver": ("exchange", "exchange", "taken", "dropped"),
    "udpclient": ("exchange", "exchange", "elsewhere", "dropped", "unresolved"),
    "iserver": ("exchange", "exchange", "arguments", "taken"),
    "comclient": ("exchange", "exchange", "exchange", "exchange", "altered", "cut", "overlong", "eof", "refused",
                  "unresolved", "arguments"),
    "mcastserver": ("exchange", "exchange", "dropped", "arguments", "bare"),
    "mcastclient": ("exchange", "exchange", "taken", "arguments", "bare"),
    "select": ("exchange", "exchange", "turnover", "stopped", "taken"),
    "spawnserver": ("exchange", "exchange", "terminated", "busy", "arguments", "taken"),
    "sendmsgserver": ("exchange", "exchange", "killed", "terminated", "busy", "arguments", "taken"),
    "acceptserver": ("exchange", "exchange", "killed", "terminated", "busy", "arguments", "taken"),
}


# the situations whose scenarios run on another topology than their space's
TOPOLOGIES = {"bare": "pair"}


def shown(args):
    """A command line as a title shows it: the long name as n*300."""
    return " ".join("n*%d" % len(a) if a == LONG_NAME else a for a in args)


def extra_arguments():
    """Arguments the tutorial never passes: none, or one to two words."""
    return st.lists(st.sampled_from(WORDS), max_size=2)


@st.composite
def client_arguments(draw, situation, default=True):
    """A client's command line: the server's address or name (one that resolves nowhere when UNRESOLVED;
    DEFAULT: none at all, for its compiled-in name, is in the space too), then maybe words the tutorial
    never passes."""
    if situation == "unresolved":
        first = draw(st.sampled_from([UNKNOWN_NAME, LONG_NAME]))
    else:
        first = draw(st.sampled_from(["%{a}", "bakawali"] + ([None] if default else [])))
    return ([first] + draw(extra_arguments())) if first else []


TIMEOUT = 15.0         # seconds tcpserver's select() waits for a request (tests/SPEC.md "tcpserver")
LATE = 2.0             # seconds a late client comes after the server is ready


def timeout_scenario(draw, args, steps):
    """A client, maybe late, that connects and says nothing: when tcpserver gives up, timed from the
    connection (scenario.TIME_TOLERANCE), and how the client's stream ends.  The late client comes first
    (Hypothesis tries first entries first): it alone tells a timeout counted from the server's start."""
    late = draw(st.sampled_from([True, False]))
    steps = steps + (["srv  running for=%g" % LATE] if late else []) + [
        "cli  tcp-connect b a 3111 mark=connected", "cli  take for=%g" % PAUSE, "srv  waiting",
        "srv  ending for=%g since=connected" % (TIMEOUT + 3), "cli  take for=%g" % QUIET]
    return (scope(not args, True),               # the listing's main() takes no arguments
            "tcpserver: a %sclient that says nothing%s" % ("late " if late else "",
                                                         ", arguments %s" % " ".join(args) if args else ""), steps)


# How a connected client's data and ending reach a stopped tcpserver's host: each ending is waited for by
# what shows it there (a close: the server's side in CLOSE_WAIT; a reset: its connection gone), a reset
# only after the data has left.
ARRIVED = {"close": ["cli  close", "net  tcp-state a 3111 CLOSE_WAIT"],
           "reset": ["cli  take for=%g" % PAUSE, "cli  reset", "net  tcp-state a 3111 ESTABLISHED count=0"]}


def stopped_connected(draw, args, steps):
    """Ctrl-Z once the client is connected; meanwhile it sends 1 to 130 bytes, then resets or closes; once
    that has reached the server's host, bg: what the server reads, and how its echo fares (a reset before
    it: the write fails, and the listing prints the SO_ERROR line too; so the reset and 100 bytes come
    first).  A client that waits meets the ordinary exchange."""
    data = draw(message(130, least=1))
    ending = draw(st.sampled_from(["reset", "close"]))
    steps = steps + ["cli  tcp-connect b a 3111", "cli  take for=%g" % PAUSE, "srv  waiting", "srv  signal STOP",
                     "srv  stopped", "cli  send %s" % quote(data)] + ARRIVED[ending]
    steps += ["srv  signal CONT", "srv  ending for=%g" % QUIET]
    # a reset may make the echo's write() fail, and the listing's getsockopt(SO_ERROR) then writes an int
    # into a char: undefined
    defined = ending == "close" and (len(data) < 100 or has_nul(data, 100))
    return (scope(False, defined), "tcpserver: stopped with its client connected, %d bytes, then the client %ss%s" % (
        len(data), ending, ", arguments %s" % " ".join(args) if args else ""), steps)


@st.composite
def tcpserver(draw, situation):
    """One client, maybe silent for a while, then a request of 1 to 130 bytes in pieces; then it waits,
    closes or resets; or (cut) 1 to 99 bytes, then it closes; or (timeout) it says nothing; or Ctrl-Z and bg
    before it comes (stopped) or while it is connected (stopped-connected)."""
    # a timeout scenario takes 15 s or more: its space is kept to four (late or not, one extra word or none)
    args = draw(st.sampled_from([[], ["x"]]) if situation == "timeout" else extra_arguments())
    steps = ["srv  start a tcpserver" + "".join(" " + a for a in args), "net  tcp-state a 3111 LISTEN",
             "srv  waiting", "srv  sockets"]
    if situation == "timeout":
        return timeout_scenario(draw, args, steps)
    if situation == "stopped-connected":
        return stopped_connected(draw, args, steps)
    cut = situation == "cut"
    data = draw(message(99 if cut else 130, least=1))
    parts = draw(pieces(data))
    ending = "close" if cut else draw(st.sampled_from(ENDINGS))
    silent = draw(st.booleans())
    stopped = situation == "stopped"
    if stopped:
        steps += ["srv  signal STOP", "srv  stopped", "srv  signal CONT", "srv  waiting"]
    steps += ["cli  tcp-connect b a 3111", "cli  take for=%g" % PAUSE, "srv  waiting"]
    steps += silence_steps("cli", silent, "srv")
    steps += send_steps("cli", parts, "srv") + ["cli  take for=%g" % QUIET, "srv  waiting"]
    steps += end_steps("cli", ending)
    steps.append("srv  ending for=%g" % QUIET)
    tutorial = not args and not stopped and len(data) == 100 and has_nul(data, 100) and ending == "wait"
    # it reads exactly 100 bytes and prints them with %s: defined when a NUL is among them; fewer, it
    # reads on until the client's ending; arguments it never looks at
    return (scope(tutorial, len(data) < 100 or has_nul(data, 100)),
            "tcpserver: %s%s%d bytes in %d pieces, then the client %ss%s" % (
                "stopped and continued, " if stopped else "", "silence, then " if silent else "", len(data),
                len(parts), ending, ", arguments %s" % " ".join(args) if args else ""), steps)


@st.composite
def tcpclient(draw, situation):
    """The client's argument; the server's reply: any length, in pieces, then it closes, resets or waits;
    or (cut) 1 to 99 bytes, then it closes; or nobody listens, or the name resolves nowhere."""
    cut = situation == "cut"
    args = draw(client_arguments(situation, default=not cut))
    listening = situation != "refused"
    connects = listening and bool(args) and situation != "unresolved"    # no argument: its compiled-in name
    steps = (["srv  tcp-listen a 3111"] if listening else []) + ["cli  start b tcpclient" + "".join(" " + a for a in args)]
    reply, parts, ending = b"", [], "close"
    if connects:
        reply = draw(message(99 if cut else 130, least=1 if cut else 0))
        parts = read_until(draw(pieces(reply)), 100) if reply else []       # it reads 100 bytes, then exits
        ending = "close" if cut else draw(st.sampled_from(SERVER_ENDINGS))
        steps += ["srv  accept", "srv  take for=%g" % QUIET, "cli  waiting"] + send_steps("srv", parts, "cli")
        steps += ["srv  take for=%g" % PAUSE, "cli  waiting"] + end_steps("srv", ending)
    steps.append("cli  ending for=%g" % (QUIET * 2))
    tutorial = connects and len(args) == 1 and len(reply) == 100 and has_nul(reply, 100) and ending == "close"
    # strcpy() of its first argument into server[255]; it reads exactly 100 bytes and prints them with %s
    listing = LONG_NAME not in args and (len(reply) < 100 or has_nul(reply, 100))
    what = ("a %d-byte reply in %d pieces, then the server %ss" % (len(reply), len(parts), ending) if connects
            else "nobody listens" if not listening else "the name resolves nowhere")
    return scope(tutorial, listing), "tcpclient %s: %s" % (shown(args) or "(no argument)", what), steps


@st.composite
def udpserver(draw, situation):
    """One or two requests of 1 to 150 bytes from a fixed port: of 100 or more first (its listing replies
    with its whole 100-byte buffer, defined only when the request fills it)."""
    args = draw(extra_arguments())
    requests = draw(st.lists(st.one_of(message(150, least=100), message(99, least=1)), min_size=1, max_size=2))
    steps = ["srv  start a udpserver" + "".join(" " + a for a in args), "p    udp-bind b %d" % PEER_PORT,
             "srv  waiting", "srv  sockets"]
    for data in requests:
        steps += ["p    udp-send %%{a} 3333 %s" % quote(data), "p    take-datagrams for=%g" % QUIET]
    steps.append("srv  ending for=%g" % QUIET)
    # it replies with its whole 100-byte buffer, uninitialised beyond a shorter request, and prints the
    # request with %s; it exits after the first, and never looks at its arguments
    defined = len(requests[0]) >= 100 and has_nul(requests[0], 100)
    return (scope(defined and not args and len(requests) == 1, defined),
            "udpserver: requests of %s bytes%s" % (", ".join(str(len(r)) for r in requests),
                                                  ", arguments %s" % " ".join(args) if args else ""), steps)


ELSEWHERE = ("another port", "another address")    # where else udpclient's reply may come from than the server's socket


@st.composite
def udpclient(draw, situation):
    """The client's argument; the reply: any length, or none, from the server's socket or (elsewhere) from
    another; or the name resolves nowhere; or (dropped) its request never leaves."""
    args = draw(client_arguments(situation))
    if situation == "elsewhere":
        reply, via = draw(message(150, least=1)), draw(st.sampled_from(ELSEWHERE))
    else:
        reply = draw(st.one_of(st.none(), message(150, least=1))) if situation == "exchange" else None
        via = "server"
    steps = ["srv  udp-bind a 3333", "cli  start b udpclient" + "".join(" " + a for a in args),
             "srv  take-datagrams for=%g" % QUIET, "cli  waiting", "cli  sockets"]
    if reply is not None:
        if via != "server":        # a second socket answers: another port on the server's host, or the client's host
            steps.append("q    udp-bind %s %d" % ("a" if via == "another port" else "b", PEER_PORT + 1))
        steps.append("srv  udp-reply %s%s" % (quote(reply), "" if via == "server" else " via=q"))
    steps.append("cli  ending for=%g" % QUIET)
    tutorial = len(args) <= 1 and reply is not None and len(reply) == 100 and has_nul(reply, 100) and via == "server"
    # strcpy() of its first argument into server[255]; the reply is read into its 100-byte buffer over the
    # request, which holds a NUL from byte 36 on, and printed with %s
    listing = LONG_NAME not in args and (reply is None or len(reply) < 100 or has_nul(reply, 100))
    return (scope(tutorial, listing),
            "udpclient %s: %s" % (shown(args) or "(no argument)", "no reply" if reply is None else
                                  "a %d-byte reply%s" % (len(reply), "" if via == "server" else " from " + via)), steps)


ISERVER_REFUSED = [["0"], ["-1"], ["x"], ["2x"], ["1", "2"]]     # counts iserver refuses; a second argument it ignores


@st.composite
def iserver(draw, situation):
    """Its count argument; clients one after another, each maybe silent for a while, then sending 1 to 120
    bytes in one piece or closing without a word."""
    if situation == "arguments":
        # the listing takes whatever atoi() makes of them; this project refuses them (tests/SPEC.md)
        return "spec", "iserver: each count it refuses", refused_lines("a", "iserver", ISERVER_REFUSED)
    count = draw(st.one_of(st.none(), st.integers(1, 3).map(str)))
    served = int(count) if count else 1
    # One recv() of up to 100 bytes: a request in one piece (a second piece would race the
    # server's close); a longer one is echoed cut to 100 bytes, then the stream is reset.
    # A client may also close without sending (None).
    clients = draw(st.lists(st.sampled_from([True, True, True, False]).flatmap(
        lambda speaks: message(120, least=1) if speaks else st.none()), min_size=1, max_size=min(served, 3)))
    if None in clients:            # the listing gives up on a client that closes without a word: the last one
        clients = clients[:clients.index(None) + 1]
    silent = [draw(st.booleans()) for _ in clients]       # a client that waits before it sends, as a typist does
    steps = ["srv  start a iserver" + (" " + count if count else ""), "net  tcp-state a 12345 LISTEN",
             "srv  waiting", "srv  sockets"]
    for i, data in enumerate(clients):
        steps += ["c%d   tcp-connect b a 12345" % i] + silence_steps("c%d" % i, silent[i], "srv")
        if data is None:
            steps += ["c%d   close" % i, "srv  waiting"]
        else:
            steps += ["c%d   send %s" % (i, quote(data)), "c%d   take for=%g" % (i, QUIET), "srv  waiting"]
    steps.append("srv  ending for=%g" % QUIET)
    tutorial = all(d is not None and has_nul(d, 100) for d in clients)
    # one recv() of up to 100 bytes into an uninitialised buffer, printed with %s; a client that closes
    # without a word: its `if(rc <= 0)` branch (the errno text perror() prints then is open: OPEN_LINES)
    listing = all(d is None or has_nul(d, 100) for d in clients)
    return (scope(tutorial, listing),
            "iserver %s: %d clients, %d silent at first, %d close without a word" % (
                count or "(no argument)", len(clients), sum(silent), clients.count(None)), steps)


COMCLIENT_ARGUMENTS = [[], ["%{a}", "x"], ["%{a}", "1", "-v"]]    # not one argument: a usage line


@st.composite
def comclient(draw, situation):
    """Its host and argument; the typed line (or end of input); the server's echo: the same bytes, others
    of that length, or another length (altered: not the same bytes); or (cut) the first part of what it sent, then the server closes; or
    (overlong) a line of 100 to 130 characters, which it refuses; or nobody listens, the name resolves
    nowhere, or a command line it refuses."""
    on = draw(st.sampled_from(["a", "b"]))
    if situation == "arguments":              # each exits with its usage line, before its prompt
        # its usage line comes before any socket: on any host
        return "listing", "comclient on %s: each command line it refuses" % on, ["srv  tcp-listen a 12345"] + refused_lines(
            on, "comclient", COMCLIENT_ARGUMENTS, QUIET * 2)
    args = [draw(client_arguments(situation, default=False))[0]]
    listening = situation != "refused"
    steps = (["srv  tcp-listen a 12345"] if listening else []) + ["cli  start %s comclient %s" % (on, " ".join(args))]
    if situation in ("refused", "unresolved"):     # it exits before its prompt
        steps.append("cli  ending for=%g" % (QUIET * 2))
        # the listing connects to INADDR_ANY, its own host, and never looks its argument up: it is refused
        # on the server's host as named; elsewhere, or unresolved, this project departs (tests/SPEC.md)
        return scope(False, on == "a" and situation == "refused"), "comclient on %s %s: it does not connect (%s)" % (on, shown(args), situation), steps
    steps.append('cli  expect "Enter message to be sent to server:"')
    if situation == "eof":
        steps += ["cli  eof", "srv  accept", "srv  take for=%g" % QUIET, "cli  ending for=%g" % QUIET]
        return "spec", "comclient on %s %s: end of input instead of a line" % (on, shown(args)), steps
    if situation == "overlong":     # it gives up before it sends: its server's stream ends with nothing
        line = draw(message(130, least=100, alphabet=TYPED, buffer=100))
        steps += ["cli  type %s" % quote(line + b"\n"), "srv  accept", "srv  take for=%g" % QUIET,
                  "cli  ending for=%g" % QUIET]
        return "spec", "comclient on %s %s: a %d-character line, longer than it sends" % (
            on, shown(args), len(line)), steps
    cut = situation == "cut"       # the server closes after part of the echo: the line must reach it
    line = draw(message(98, least=1, alphabet=TYPED, buffer=99) if cut     # the line and its NUL fill send_buf[100]
                else message(110, alphabet=TYPED, buffer=99, empty=True))
    echo_kind = "cut" if cut else draw(st.sampled_from(["other", "length"] if situation == "altered" else
                                                      ["same", "other", "length"]))
    sent = line + b"\0"
    echo = draw({"same": st.just(sent), "other": content(len(sent)), "length": message(120),
                 "cut": st.integers(1, len(sent) - 1).map(lambda k: sent[:k])}[echo_kind])
    # typed after the prompt: the terminal echoes a line when it is typed, and typed at once that echo
    # would race the program's first lines
    steps.append("cli  type %s" % quote(line + b"\n"))
    parts = [echo]
    if len(line) < 100:
        parts = read_until(draw(pieces(echo)), len(sent)) if echo else []
        steps += ["srv  accept", "srv  take for=%g" % QUIET, "cli  waiting"] + send_steps("srv", parts, "cli")
        steps.append("srv  close")
    steps.append("cli  ending for=%g" % (QUIET * 2))
    # the listing takes the echo with one recv(): an echo in pieces is a spec input (its reply is cut short)
    tutorial = on == "a" and len(line) < 100 and echo == sent and len(parts) == 1
    # on the server's host (the listing connects to INADDR_ANY), a line that fits send_buf[100], the echo in
    # one piece: one recv() of up to 100 bytes; as many as it sent, it prints them with %s (defined with a
    # NUL among them); fewer or more, its recv() error line (its errno text open: OPEN_LINES)
    received = echo[:100]
    listing = on == "a" and len(line) < 100 and len(parts) <= 1 and (
        len(received) != len(sent) or has_nul(received, 100))
    return (scope(tutorial, listing),
            "comclient on %s %s: a %d-character line, echo %s" % (on, shown(args), len(line), echo_kind), steps)


@st.composite
def select(draw, situation):
    """One to three clients (hosts b, c, d) connect one after another, then a generated order of lines
    sent (1 to 1100 bytes: one recv() takes at most 1024), departures (close or reset) and later arrivals."""
    count = draw(st.integers(2 if situation == "stopped" else 1, 3))
    clients = ["b", "c", "d"][:count]
    steps = ["srv  start a select", "net  tcp-state a 2020 LISTEN", "srv  sockets"]
    for host in clients:
        # each connection accepted before the next arrives: one select() wake-up each
        steps += ["%s    tcp-connect %s a 2020" % (host, host), "%s    take for=%g" % (host, PAUSE)]
    steps.append("srv  waiting")
    if situation == "stopped":
        return select_stopped(draw, clients, steps)
    if situation == "turnover":
        return select_turnover(draw, clients, steps)
    present, resets, longest, unused = list(clients), False, 0, ["b", "c", "d"][count:]
    for _ in range(draw(st.integers(1, 5))):
        if not present:
            break
        who = draw(st.sampled_from(present))
        act = draw(st.sampled_from(["send", "send", "send", "close", "reset"] + ["join"] * bool(unused)))
        if act == "join":          # a client comes later: the socket it gets tells whether a departed one was closed
            who = unused.pop(0)
            present.append(who)
            steps += ["%s    tcp-connect %s a 2020" % (who, who)]
        elif act == "send":
            data = draw(message(1100, least=1, buffer=1024))
            longest = max(longest, len(data))
            steps.append("%s    send %s" % (who, quote(data)))
        else:
            present.remove(who)
            resets |= act == "reset"
            steps.append("%s    %s" % (who, act))
        # everyone still there: what was relayed to them, then quiet
        steps += ["%s    take for=%g" % (other, PAUSE) for other in present]
    steps.append("srv  ending for=%g" % QUIET)
    tutorial = not resets and longest <= 1024
    # a reset: its recv() fails with ECONNRESET; a longer line: two recv()s, relayed in turn
    return (scope(tutorial, True),
            "select: %d clients, %d steps" % (count, len(steps)), steps)


def select_stopped(draw, clients, steps):
    """Ctrl-Z: while the server is stopped one client sends a line and another resets; once the reset has
    arrived, bg.  select() then finds both sockets ready and serves them in descriptor order: relaying the
    line to the reset client fails, or the hang-up comes first (as select-send-fails does by hand)."""
    sender = draw(st.sampled_from(clients))
    resetter = draw(st.sampled_from([c for c in clients if c != sender]))
    data = draw(message(200, least=1))
    steps = steps + ["srv  signal STOP", "srv  stopped", "%s    send %s" % (sender, quote(data)),
                     "%s    reset" % resetter, "net  tcp-state a 2020 ESTABLISHED count=%d" % (len(clients) - 1),
                     "srv  signal CONT"]
    steps += ["%s    take for=%g" % (c, PAUSE) for c in clients if c != resetter]
    steps.append("srv  ending for=%g" % QUIET)
    return ("listing", "select: %d clients, stopped while %s sends and %s resets" % (len(clients), sender, resetter),
            steps)


def select_turnover(draw, clients, steps):
    """A client leaves (close or reset) and a new one comes: the socket number it is given shows whether
    the departed one was closed; then it sends a line to those still there."""
    leaver = draw(st.sampled_from(clients))
    how = draw(st.sampled_from(["close", "reset"]))
    newcomer = ["b", "c", "d", "e"][len(clients)]
    host = newcomer if newcomer != "e" else "b"          # a fourth client shares host b with the first
    present = [c for c in clients if c != leaver] + [newcomer]
    data = draw(message(200, least=1))
    steps = steps + ["%s    %s" % (leaver, how), "srv  waiting", "%s    tcp-connect %s a 2020" % (newcomer, host)]
    steps += ["%s    take for=%g" % (c, PAUSE) for c in present]
    steps.append("%s    send %s" % (newcomer, quote(data)))
    steps += ["%s    take for=%g" % (c, PAUSE) for c in present]
    steps.append("srv  ending for=%g" % QUIET)
    return (scope(how == "close", True),          # the exchange's rule: no reset, a line of <= 1024
            "select: %d clients, %s %ss, %s comes" % (len(clients), leaver, how, newcomer), steps)


MCAST_REFUSED = [["x"], ["198.18.0.9"], ["%{host}", "x"]]     # an interface argument it refuses (%{host}: its own)


def mcast_arguments(draw, host):
    """mcastclient's or mcastserver's command line on HOST: none, or its own interface."""
    return draw(st.sampled_from([[], ["%%{%s}" % host]]))


def mcast_refused(host):
    """The interface arguments mcastclient and mcastserver refuse, on HOST."""
    return [[a.replace("%{host}", "%%{%s}" % host) for a in args] for args in MCAST_REFUSED]


@st.composite
def mcastclient(draw, situation):
    """Its interface argument; one datagram to the group of 1 to 1100 bytes (its buffer is 1024); or (bare)
    no argument where no host carries the listings' interface."""
    if situation == "arguments":
        # the listings take no argument: the interface argument is this project's (tests/SPEC.md)
        return "spec", "mcastclient: each interface argument it refuses", refused_lines("b", "mcastclient", mcast_refused("b"))
    args = [] if situation == "bare" else mcast_arguments(draw, "b")
    data = draw(message(1100, least=1, buffer=1024))
    steps = ["rcv  start b mcastclient" + "".join(" " + a for a in args)]
    if situation == "exchange":
        steps += ['rcv  expect "Adding multicast group...OK."', "rcv  waiting", "rcv  sockets",
                  "snd  mcast-send a 226.1.1.1 4321 %s ttl=1" % quote(data)]
    steps.append("rcv  ending for=%g" % QUIET)
    tutorial = not args and len(data) <= 1024 and has_nul(data, 1024)
    # one read() of up to 1024 bytes into a global buffer (zeros beyond a shorter datagram), printed with %s
    listing = not args and (situation != "exchange" or len(data) < 1024 or has_nul(data, 1024))
    return (scope(tutorial, listing),
            "mcastclient %s: a %d-byte datagram" % (" ".join(args) or "(no argument)", len(data)), steps)


@st.composite
def mcastserver(draw, situation):
    """Its interface argument; one to three receivers: on other hosts, and on its own (loopback); or (bare)
    no argument where no host carries the listings' interface (topology pair: hosts a and b)."""
    candidates = ["b", "a"] if situation == "bare" else ["b", "c", "a"]
    hosts = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=len(candidates), unique=True))
    steps = ["r%d   mcast-join %s 226.1.1.1 4321" % (i, h) for i, h in enumerate(hosts)]
    if situation == "arguments":        # it sends nothing to the receivers
        steps += refused_lines("a", "mcastserver", mcast_refused("a"), QUIET)
        checks, title = "spec", "mcastserver: each interface argument it refuses, receivers on %s" % " ".join(hosts)
    else:
        args = [] if situation == "bare" else mcast_arguments(draw, "a")
        steps += ["srv  start a mcastserver" + "".join(" " + a for a in args), "srv  ending for=%g" % QUIET]
        checks, title = (scope(not args, False),
                         "mcastserver %s: receivers on %s" % (" ".join(args) or "(no argument)", " ".join(hosts)))
    steps += ["r%d   take-datagrams for=%g" % (i, QUIET) for i in range(len(hosts))]
    return checks, title, steps


# The design servers' command lines, the valid ones first (tests/SPEC.md "Server designs"): (arguments, valid?)
DESIGN_ARGUMENTS = {
    "spawnserver": [([], True), (["0"], True), (["1"], True), (["2"], True), (["3"], True),
                    (["x"], False), (["2x"], False), (["-1"], False), (["1", "2"], False)],
    "sendmsgserver": [(["1"], True), (["2"], True), (["3"], True), (["1", "2"], True), (["2", "1"], True),
                      (["3", "3"], True), ([], False), (["0"], False), (["x"], False), (["1", "x"], False),
                      (["2", "2x"], False), (["1", "2", "3"], False)],
    "acceptserver": [(["1"], True), (["2"], True), (["3"], True), ([], False), (["0"], False), (["x"], False),
                     (["2x"], False), (["2", "3"], False)],
}


def connection_limit(program, args):
    """How many connections PROGRAM serves before it exits (None: until it is stopped): spawnserver's first
    argument, sendmsgserver's second; 0 or none means no limit, and acceptserver has none."""
    position = {"spawnserver": 0, "sendmsgserver": 1}.get(program)
    count = args[position] if position is not None and len(args) > position else "0"
    return int(count) or None


def design(program):
    """A design server's space: its command line; clients one after another (each echoed and gone before
    the next connects, so which worker serves whom never shows), each sending 1 to 120 bytes in one piece;
    the process tree and its zombies after each client the server outlives; (killed) a worker killed
    before a client: the server must start another; (terminated) SIGTERM at the end: nothing of its tree
    may be left; else SIGKILL ends it."""
    @st.composite
    def space(draw, situation):
        if situation == "arguments":
            return "spec", "%s: each command line it refuses" % program, refused_lines(
                "a", program, [a for a, valid in DESIGN_ARGUMENTS[program] if not valid])
        valid_lines = [a for a, valid in DESIGN_ARGUMENTS[program] if valid]
        if situation in ("terminated", "busy"):     # a server still serving after its clients (busy: any number)
            valid_lines = [a for a in valid_lines
                           if connection_limit(program, a) in ((None,) if situation == "busy" else (None, 2, 3))]
        args = draw(st.sampled_from(valid_lines))
        command = "srv  start a %s%s" % (program, "".join(" " + a for a in args))
        limit = connection_limit(program, args)
        most = min(limit - 1 if situation == "terminated" and limit else limit or 3, 3)
        clients = draw(st.lists(message(120, least=1), min_size=1, max_size=most))
        kills = [situation == "killed" and (i == 0 or draw(st.booleans())) for i in range(len(clients))]
        outlives = limit is None or len(clients) < limit         # still serving after the last client
        # no `waiting`: the reference's servers wait in ppoll(), a choice of its own, not a call to compare
        steps = [command, "net  tcp-state a 12345 LISTEN", "srv  sockets", "srv  processes"]
        for i, data in enumerate(clients):
            steps += ["srv  kill-worker", "srv  processes"] if kills[i] else []
            steps += ["c%d   tcp-connect b a 12345" % i, "c%d   send %s" % (i, quote(data)),
                      "c%d   take for=%g" % (i, QUIET)]
            if i + 1 < len(clients) or outlives:
                steps += ["srv  processes", "srv  zombies"]
        # busy: a client still connected when SIGTERM comes, silent: a worker waits for its request
        lingering = situation == "busy"
        if lingering:
            steps += ["cw   tcp-connect b a 12345", "cw   take for=%g" % PAUSE, "srv  processes"]
        terminated = situation in ("terminated", "busy")
        steps += ["srv  signal TERM", "srv  ending for=%g" % QUIET, "srv  gone"] if terminated else [
            "srv  ending for=%g" % QUIET]
        if lingering:
            steps.append("cw   take for=%g" % QUIET)          # how its stream ends when the server stops
        return ("spec", "%s %s: %d clients%s%s%s" % (
            program, " ".join(args) or "(no argument)", len(clients),
            ", %d workers killed" % sum(kills) if any(kills) else "",
            ", then SIGTERM" if terminated else "",
            " with a client connected" if lingering else ""), steps)
    return space


# taken: (host, protocol, port, the program's tutorial command line); dropped: (host, nft match)
TAKEN = {"tcpserver": ("a", "tcp", 3111, "tcpserver"), "select": ("a", "tcp", 2020, "select"),
         "iserver": ("a", "tcp", 12345, "iserver"), "udpserver": ("a", "udp", 3333, "udpserver"),
         "mcastclient": ("b", "udp", 4321, "mcastclient"),
         **{program: ("a", "tcp", 12345, " ".join([program] + lines[0][0]))
            for program, lines in DESIGN_ARGUMENTS.items()}}
DROPPED = {"udpserver": ("a", "udp sport 3333"), "udpclient": ("b", "udp dport 3333"),
           "mcastserver": ("a", "ip daddr 226.1.1.1")}


def taken(program):
    """PROGRAM started while a socket of the harness holds its port: how it ends (a listing's bind() fails
    and it says so: defined; a design server's ending is this project's)."""
    host, protocol, port, command = TAKEN[program]
    hold = "hold  %s %s %d" % ("tcp-listen" if protocol == "tcp" else "udp-bind", host, port)
    return scope(False, program in LISTED), "%s: its port taken" % command, [hold, "srv  start %s %s" % (host, command),
                                                     "srv  ending for=%g" % QUIET]


def shares(program, examples, among=None):
    """[(situation, scenarios)]: EXAMPLES shared over PROGRAM's situations (those AMONG, default all) in
    proportion to their entries in SITUATIONS (largest remainders; a tie goes to the one listed first), in
    their order, the exchange first; a situation whose share is 0 (a budget below the number of
    situations) is left out."""
    entries = [s for s in SITUATIONS[program] if among is None or s in among]
    if not entries or examples < 1:
        return []
    distinct = list(dict.fromkeys(entries))
    exact = {s: examples * entries.count(s) / len(entries) for s in distinct}
    counts = {s: int(exact[s]) for s in distinct}
    by_remainder = sorted(distinct, key=lambda s: (-(exact[s] - counts[s]), distinct.index(s)))
    for s in by_remainder[:examples - sum(counts.values())]:
        counts[s] += 1
    return [(s, counts[s]) for s in distinct if counts[s]]


def situated(program, space, topology):
    """PROGRAM's space in one situation (SITUATIONS): the scenario SPACE draws in it; taken and dropped
    are the same for every program (a dropped scenario is the exchange with its sends dropped), and
    `spec`.  Draws (checks, title, steps, topology)."""
    @st.composite
    def scenario(draw, situation):
        placed = TOPOLOGIES.get(situation, topology)
        if situation == "taken":
            return taken(program) + (placed,)
        checks, title, steps = draw(space(situation))
        if situation == "bare":      # the listing's setsockopt() with the interface it names fails
            return at_least(checks, "listing"), title + ", where no host carries the listings' interface", steps, placed
        if situation != "dropped":
            return checks, title, steps, placed
        host, match = DROPPED[program]
        # its sendto() fails and the listing says so; mcastserver's listing then returns 0, where this
        # project exits 1 (tests/SPEC.md "mcast-send-fails")
        return (at_least(checks, "listing" if program != "mcastserver" else "spec"), title + ", what it sends dropped", ['net  nft-drop %s "%s" hook=output' % (host, match)] + steps,
                placed)
    return scenario


# The programs the tutorial lists (the design servers are prose: everything of theirs is `spec`), and the
# transcript lines of each whose rest its listing leaves undefined: perror() after a call that set no errno
# (iserver's recv() that returns 0, comclient's that returns fewer bytes than it sent).  In a `listing`
# scenario the rest of such a line is open (%{any}); a `spec` scenario checks this project's text.
LISTED = ("select", "tcpserver", "tcpclient", "udpserver", "udpclient", "iserver", "comclient", "mcastserver",
          "mcastclient")
OPEN_LINES = {"iserver": ("Iserver - recv() error: ",), "comclient": ("client - recv() error: ",)}

# program -> its scenario space and the topology its scenarios run on unless a situation says otherwise
# (TOPOLOGIES)
HOMES = {"tcpserver": (tcpserver, "pair"), "tcpclient": (tcpclient, "pair"), "udpserver": (udpserver, "pair"),
         "udpclient": (udpclient, "pair"), "iserver": (iserver, "pair"), "comclient": (comclient, "pair"),
         "mcastserver": (mcastserver, "lan"), "mcastclient": (mcastclient, "lan"), "select": (select, "lan"),
         **{program: (design(program), "pair") for program in DESIGN_ARGUMENTS}}
# program -> its scenario space, a strategy of one situation (situated)
SPACES = {program: situated(program, space, topology) for program, (space, topology) in HOMES.items()}
assert all(set(SITUATIONS[p]) >= {"exchange"} for p in SPACES) and set(SITUATIONS) == set(SPACES)

# The kernel features (hosts/kernel.py) every scenario observes with (`waiting`, `sockets`), and those of
# one situation beyond its topology's.
EVERY_SCENARIO_NEEDS = ("proc_syscall", "pidfd_getfd")
SITUATION_NEEDS = {"dropped": ("nftables",)}


def situation_needs(program, situation):
    """The kernel features PROGRAM's scenarios in SITUATION need: their topology's and the situation's own."""
    topology = TOPOLOGIES.get(situation, HOMES[program][1])
    return parse_spec(topology).needs() + list(SITUATION_NEEDS.get(situation, ()))


def left_out(program, answer):
    """{situation: what the kernel lacks for it} of PROGRAM's situations that ANSWER (kernel.Answer) rules
    out; the explorer searches the others."""
    out = {}
    for situation in dict.fromkeys(SITUATIONS[program]):
        lacking = kernel.missing(situation_needs(program, situation), answer)
        if lacking:
            out[situation] = kernel.skip_reason(lacking)
    return out
