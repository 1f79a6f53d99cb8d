"""The spaces of the programs that talk in lines and messages: iserver and
comclient, and the select chat server (tests/SPEC.md "Explored")."""
from hypothesis import strategies as st

from sockconf.catalogue import PORTS
from sockconf.explore.spaces.common import (
    PAUSE, QUIET, TYPED, Space, client_arguments, content, ending, has_nul, message, pieces, port_taken,
    read_until, refused_lines, scope, send_steps, shown, silence_steps, start, step, take)
from sockconf.language.notation import quote

ISERVER_PORT = PORTS["iserver"]
SELECT_PORT = PORTS["select"]
ISERVER_REFUSED = [["0"], ["-1"], ["x"], ["2x"], ["1", "2"]]     # counts iserver refuses; a second argument it ignores
COMCLIENT_ARGUMENTS = [[], ["%{a}", "x"], ["%{a}", "1", "-v"]]    # not one argument: a usage line
PROMPT = '"Enter message to be sent to server:"'


# the listing takes whatever atoi() makes of them; this project refuses them (tests/SPEC.md)
ISERVER_ARGUMENTS = st.just(("spec", "iserver: each count it refuses",
                             refused_lines("a", "iserver", ISERVER_REFUSED)))


@st.composite
def iserver_exchange(draw):
    """Its count argument; clients one after another, each maybe silent for a while, then sending 1 to 120
    bytes in one piece or closing without a word."""
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
    steps = [start("srv", "a", "iserver", [count] if count else []),
             step("net", "tcp-state a %d LISTEN" % ISERVER_PORT), step("srv", "waiting"), step("srv", "sockets")]
    for i, data in enumerate(clients):
        actor = "c%d" % i
        steps += [step(actor, "tcp-connect b a %d" % ISERVER_PORT)] + silence_steps(actor, silent[i], "srv")
        if data is None:
            steps += [step(actor, "close"), step("srv", "waiting")]
        else:
            steps += [step(actor, "send %s" % quote(data)), take(actor, QUIET), step("srv", "waiting")]
    steps.append(ending("srv", QUIET))
    tutorial = all(d is not None and has_nul(d, 100) for d in clients)
    # one recv() of up to 100 bytes into an uninitialised buffer, printed with %s; a client that closes
    # without a word: its `if(rc <= 0)` branch (the errno text perror() prints then is open: open_lines)
    listing = all(d is None or has_nul(d, 100) for d in clients)
    return (scope(tutorial, listing),
            "iserver %s: %d clients, %d silent at first, %d close without a word" % (
                count or "(no argument)", len(clients), sum(silent), clients.count(None)), steps)


def listening():
    return step("srv", "tcp-listen a %d" % ISERVER_PORT)


@st.composite
def comclient_arguments(draw):
    """Each command line it refuses, one after another on its host: each exits with its usage line, which
    comes before any socket (on any host: `listing`)."""
    on = draw(st.sampled_from(["a", "b"]))
    return "listing", "comclient on %s: each command line it refuses" % on, [listening()] + refused_lines(
        on, "comclient", COMCLIENT_ARGUMENTS, QUIET * 2)


def comclient_started(draw, listened=True, unresolved=False):
    """(host, arguments, steps): comclient started on host a or b with one argument, the server listening
    on a (LISTENED) or not, the name one that resolves nowhere (UNRESOLVED).  Drawn with the caller's DRAW,
    not as a strategy of its own: Hypothesis would mutate its draws apart, and a seed's scenarios change."""
    on = draw(st.sampled_from(["a", "b"]))
    args = [draw(client_arguments(unresolved, default=False))[0]]
    return on, args, ([listening()] if listened else []) + [start("cli", on, "comclient", args)]


@st.composite
def comclient_unconnected(draw, situation):
    """Nobody listens (SITUATION refused) or the name resolves nowhere (unresolved): it exits before its
    prompt.  The listing connects to INADDR_ANY, its own host, and never looks its argument up: it is
    refused on the server's host as named; elsewhere, or unresolved, this project departs (tests/SPEC.md)."""
    on, args, steps = comclient_started(draw, situation != "refused", situation == "unresolved")
    steps.append(ending("cli", QUIET * 2))
    return (scope(False, on == "a" and situation == "refused"),
            "comclient on %s %s: it does not connect (%s)" % (on, shown(args), situation), steps)


@st.composite
def comclient_eof(draw):
    """End of input where it reads its line (`gets()` then leaves its buffer as it was: spec)."""
    on, args, steps = comclient_started(draw)
    steps += [step("cli", "expect " + PROMPT), step("cli", "eof"), step("srv", "accept"), take("srv", QUIET),
              ending("cli", QUIET)]
    return "spec", "comclient on %s %s: end of input instead of a line" % (on, shown(args)), steps


@st.composite
def comclient_overlong(draw):
    """A line of 100 to 130 characters, which it refuses before it sends (`gets()` past send_buf: spec): its
    server's stream ends with nothing."""
    on, args, steps = comclient_started(draw)
    line = draw(message(130, least=100, alphabet=TYPED, buffer=100))
    steps += [step("cli", "expect " + PROMPT), step("cli", "type %s" % quote(line + b"\n")), step("srv", "accept"),
              take("srv", QUIET), ending("cli", QUIET)]
    return "spec", "comclient on %s %s: a %d-character line, longer than it sends" % (on, shown(args), len(line)), steps


@st.composite
def comclient_exchange(draw, altered=False, cut=False):
    """Its host and argument; the typed line; the server's echo: the same bytes, others of that length, or
    another length (ALTERED: not the same bytes); or (CUT) the first part of what it sent, then the server
    closes."""
    on, args, steps = comclient_started(draw)
    steps.append(step("cli", "expect " + PROMPT))
    line = draw(message(98, least=1, alphabet=TYPED, buffer=99) if cut     # the line and its NUL fill send_buf[100]
                else message(110, alphabet=TYPED, buffer=99, empty=True))
    echo_kind = "cut" if cut else draw(st.sampled_from(["other", "length"] if altered else
                                                      ["same", "other", "length"]))
    sent = line + b"\0"
    echo = draw({"same": st.just(sent), "other": content(len(sent)), "length": message(120),
                 "cut": st.integers(1, len(sent) - 1).map(lambda k: sent[:k])}[echo_kind])
    # typed after the prompt: the terminal echoes a line when it is typed, and typed at once that echo
    # would race the program's first lines
    steps.append(step("cli", "type %s" % quote(line + b"\n")))
    parts = [echo]
    if len(line) < 100:
        parts = read_until(draw(pieces(echo)), len(sent)) if echo else []
        steps += [step("srv", "accept"), take("srv", QUIET), step("cli", "waiting")] + send_steps("srv", parts, "cli")
        steps.append(step("srv", "close"))
    steps.append(ending("cli", QUIET * 2))
    # the listing takes the echo with one recv(): an echo in pieces is a spec input (its reply is cut short)
    tutorial = on == "a" and len(line) < 100 and echo == sent and len(parts) == 1
    # on the server's host (the listing connects to INADDR_ANY), a line that fits send_buf[100], the echo in
    # one piece: one recv() of up to 100 bytes; as many as it sent, it prints them with %s (defined with a
    # NUL among them); fewer or more, its recv() error line (its errno text open: open_lines)
    received = echo[:100]
    listing = on == "a" and len(line) < 100 and len(parts) <= 1 and (
        len(received) != len(sent) or has_nul(received, 100))
    return (scope(tutorial, listing),
            "comclient on %s %s: a %d-character line, echo %s" % (on, shown(args), len(line), echo_kind), steps)


def relayed(hosts):
    """Every client of HOSTS observes what was relayed to it, then quiet."""
    return [take(host, PAUSE) for host in hosts]


def select_connected(draw, least=1):
    """(clients, steps): select started, LEAST to three clients (hosts b, c, d) connected one after another,
    each accepted before the next arrives (one select() wake-up each).  Drawn with the caller's DRAW (as
    comclient_started())."""
    count = draw(st.integers(least, 3))
    clients = ["b", "c", "d"][:count]
    steps = [start("srv", "a", "select"), step("net", "tcp-state a %d LISTEN" % SELECT_PORT), step("srv", "sockets")]
    for host in clients:
        steps += [step(host, "tcp-connect %s a %d" % (host, SELECT_PORT)), take(host, PAUSE)]
    steps.append(step("srv", "waiting"))
    return clients, steps


@st.composite
def select_exchange(draw):
    """One to three clients, then a generated order of lines sent (1 to 1100 bytes: one recv() takes at
    most 1024), departures (close or reset) and later arrivals."""
    clients, steps = select_connected(draw)
    present, resets, longest, unused = list(clients), False, 0, ["b", "c", "d"][len(clients):]
    for _ in range(draw(st.integers(1, 5))):
        if not present:
            break
        who = draw(st.sampled_from(present))
        act = draw(st.sampled_from(["send", "send", "send", "close", "reset"] + ["join"] * bool(unused)))
        if act == "join":          # a client comes later: the socket it gets tells whether a departed one was closed
            who = unused.pop(0)
            present.append(who)
            steps += [step(who, "tcp-connect %s a %d" % (who, SELECT_PORT))]
        elif act == "send":
            data = draw(message(1100, least=1, buffer=1024))
            longest = max(longest, len(data))
            steps.append(step(who, "send %s" % quote(data)))
        else:
            present.remove(who)
            resets |= act == "reset"
            steps.append(step(who, act))
        steps += relayed(present)          # everyone still there
    steps.append(ending("srv", QUIET))
    tutorial = not resets and longest <= 1024
    # a reset: its recv() fails with ECONNRESET; a longer line: two recv()s, relayed in turn
    return (scope(tutorial, True),
            "select: %d clients, %d steps" % (len(clients), len(steps)), steps)


@st.composite
def select_stopped(draw):
    """Ctrl-Z: while the server is stopped one client sends a line and another resets; once the reset has
    arrived, bg.  select() then finds both sockets ready and serves them in descriptor order: relaying the
    line to the reset client fails, or the hang-up comes first (as select-send-fails does by hand)."""
    clients, steps = select_connected(draw, least=2)
    sender = draw(st.sampled_from(clients))
    resetter = draw(st.sampled_from([c for c in clients if c != sender]))
    data = draw(message(200, least=1))
    steps = steps + [step("srv", "signal STOP"), step("srv", "stopped"), step(sender, "send %s" % quote(data)),
                     step(resetter, "reset"),
                     step("net", "tcp-state a %d ESTABLISHED count=%d" % (SELECT_PORT, len(clients) - 1)),
                     step("srv", "signal CONT")]
    steps += relayed(c for c in clients if c != resetter)
    steps.append(ending("srv", QUIET))
    return ("listing", "select: %d clients, stopped while %s sends and %s resets" % (len(clients), sender, resetter),
            steps)


@st.composite
def select_turnover(draw):
    """A client leaves (close or reset) and a new one comes: the socket number it is given shows whether
    the departed one was closed; then it sends a line to those still there."""
    clients, steps = select_connected(draw)
    leaver = draw(st.sampled_from(clients))
    how = draw(st.sampled_from(["close", "reset"]))
    newcomer = ["b", "c", "d", "e"][len(clients)]
    host = newcomer if newcomer != "e" else "b"          # a fourth client shares host b with the first
    present = [c for c in clients if c != leaver] + [newcomer]
    data = draw(message(200, least=1))
    steps = steps + [step(leaver, how), step("srv", "waiting"),
                     step(newcomer, "tcp-connect %s a %d" % (host, SELECT_PORT))]
    steps += relayed(present)
    steps.append(step(newcomer, "send %s" % quote(data)))
    steps += relayed(present)
    steps.append(ending("srv", QUIET))
    return (scope(how == "close", True),          # the exchange's rule: no reset, a line of <= 1024
            "select: %d clients, %s %ss, %s comes" % (len(clients), leaver, how, newcomer), steps)


ISERVER = Space("iserver", "pair", (("exchange", 2), ("arguments", 1), ("taken", 1)),
                {"exchange": iserver_exchange(), "arguments": ISERVER_ARGUMENTS,
                 "taken": port_taken("a", "tcp", ISERVER_PORT, "iserver")},
                open_lines=("Iserver - recv() error: ",))
COMCLIENT = Space("comclient", "pair",
                  (("exchange", 4), ("altered", 1), ("cut", 1), ("overlong", 1), ("eof", 1), ("refused", 1),
                   ("unresolved", 1), ("arguments", 1)),
                  {"exchange": comclient_exchange(), "altered": comclient_exchange(altered=True),
                   "cut": comclient_exchange(cut=True), "overlong": comclient_overlong(), "eof": comclient_eof(),
                   "refused": comclient_unconnected("refused"), "unresolved": comclient_unconnected("unresolved"),
                   "arguments": comclient_arguments()},
                  open_lines=("client - recv() error: ",))
SELECT = Space("select", "lan", (("exchange", 2), ("turnover", 1), ("stopped", 1), ("taken", 1)),
               {"exchange": select_exchange(), "turnover": select_turnover(), "stopped": select_stopped(),
                "taken": port_taken("a", "tcp", SELECT_PORT, "select")})
