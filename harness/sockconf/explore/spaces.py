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

from sockconf.language.notation import quote

PAUSE = 0.2            # seconds between the pieces of one message
SILENCE = 0.6          # seconds a client may wait before it sends: a person typing waits longer, so it is inside
                       # the tutorial, and long enough for a receive timeout a program should not have
QUIET = 0.8            # seconds an observation waits for more (verbs/observe.py for=): what did not come by then
                       # is "nothing", also on a loaded machine
ALPHABET = [bytes([c]) for c in range(ord("a"), ord("z") + 1)] + [
    bytes([c]) for c in range(0x20, 0x7f) if not chr(c).islower()] + [b"\0"]
TYPED = [c for c in ALPHABET if c != b"\0"]            # a terminal line: printable only
PEER_PORT = 40001      # a scripted UDP peer's own port, so what a program prints of it is fixed
ENDINGS = ("wait", "close", "reset")                   # what a TCP peer does after sending
LISTENING = (True, True, True, False)                  # a client's server listens, or (one time in four) not


def content(size, alphabet=ALPHABET):
    return st.lists(st.sampled_from(alphabet), min_size=size, max_size=size).map(b"".join)


@st.composite
def message(draw, most, least=0, alphabet=ALPHABET):
    """Bytes of a length on both sides of the buffer sizes, up to MOST."""
    size = draw(st.one_of(st.integers(least, most), st.sampled_from([s for s in (1, 99, 100, 101) if least <= s <= most])))
    return draw(content(size, alphabet))


@st.composite
def pieces(draw, data):
    """DATA cut into one to three pieces."""
    if len(data) < 2:
        return [data]
    cuts = sorted(set(draw(st.lists(st.integers(1, len(data) - 1), max_size=2))))
    bounds = [0] + cuts + [len(data)]
    return [data[i:j] for i, j in zip(bounds, bounds[1:])]


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


def has_nul(data, within):
    return b"\0" in data[:within]


UNKNOWN_NAME = "nowhere"   # a server name no host file lists (and no route leads to a name server)
WORDS = ["x", "1", "-v", "198.18.0.2", "0", "--", "%{a}", "bakawali"]


def extra_arguments():
    """Arguments the tutorial never passes: none, or one to two words."""
    return st.lists(st.sampled_from(WORDS), max_size=2)


@st.composite
def server_arguments(draw, default=True):
    """A client's command line: the server's address or name, then maybe words the tutorial never passes
    (DEFAULT: no argument at all is in the space too)."""
    first = draw(st.sampled_from(["%{a}", "bakawali"] + ([None] if default else []) + [UNKNOWN_NAME]))
    return ([first] + draw(extra_arguments())) if first else []


@st.composite
def tcpserver(draw):
    """One client: a request of 1 to 130 bytes in pieces, then it waits, closes or resets."""
    args = draw(extra_arguments())
    data = draw(message(130, least=1))
    parts = draw(pieces(data))
    ending = draw(st.sampled_from(ENDINGS))
    silent = draw(st.booleans())
    steps = ["srv  start a tcpserver" + "".join(" " + a for a in args), "net  tcp-state a 3111 LISTEN",
             "srv  waiting", "srv  sockets", "cli  tcp-connect b a 3111", "cli  take for=%g" % PAUSE, "srv  waiting"]
    steps += silence_steps("cli", silent, "srv")
    steps += send_steps("cli", parts, "srv") + ["cli  take for=%g" % QUIET, "srv  waiting"]
    steps += end_steps("cli", ending)
    steps.append("srv  ending for=%g" % QUIET)
    tutorial = not args and len(data) == 100 and has_nul(data, 100) and ending == "wait"
    return ("tutorial" if tutorial else "spec",
            "tcpserver: %s%d bytes in %d pieces, then the client %ss%s" % (
                "silence, then " if silent else "", len(data), len(parts), ending,
                ", arguments %s" % " ".join(args) if args else ""), steps)


@st.composite
def tcpclient(draw):
    """The client's argument; the server's reply: any length, in pieces, then it closes, resets or waits."""
    args = draw(server_arguments())
    reply = draw(message(130))
    parts = draw(pieces(reply)) if reply else []
    ending = draw(st.sampled_from(ENDINGS))
    listening = draw(st.sampled_from(LISTENING))
    steps = (["srv  tcp-listen a 3111"] if listening else []) + ["cli  start b tcpclient" + "".join(" " + a for a in args)]
    if listening and args and args[0] != UNKNOWN_NAME:    # without one it looks up its compiled-in name: nowhere
        steps += ["srv  accept", "srv  take for=%g" % QUIET, "cli  waiting"] + send_steps("srv", parts, "cli")
        steps += ["srv  take for=%g" % PAUSE, "cli  waiting"] + end_steps("srv", ending)
    steps.append("cli  ending for=%g" % (QUIET * 2))
    tutorial = (len(args) == 1 and args[0] != UNKNOWN_NAME and listening and len(reply) == 100
                and has_nul(reply, 100) and ending == "close")
    what = ("the name resolves nowhere" if args[:1] in ([], [UNKNOWN_NAME]) else "nobody listens" if not listening
            else "a %d-byte reply in %d pieces, then the server %ss" % (len(reply), len(parts), ending))
    return ("tutorial" if tutorial else "spec", "tcpclient %s: %s" % (" ".join(args) or "(no argument)", what), steps)


@st.composite
def udpserver(draw):
    """One or two requests of 1 to 150 bytes from a fixed port."""
    args = draw(extra_arguments())
    requests = draw(st.lists(message(150, least=1), min_size=1, max_size=2))
    steps = ["srv  start a udpserver" + "".join(" " + a for a in args), "p    udp-bind b %d" % PEER_PORT,
             "srv  waiting", "srv  sockets"]
    for data in requests:
        steps += ["p    udp-send %%{a} 3333 %s" % quote(data), "p    take-datagrams for=%g" % QUIET]
    steps.append("srv  ending for=%g" % QUIET)
    tutorial = not args and len(requests) == 1 and has_nul(requests[0], 100)
    return ("tutorial" if tutorial else "spec",
            "udpserver: requests of %s bytes%s" % (", ".join(str(len(r)) for r in requests),
                                                  ", arguments %s" % " ".join(args) if args else ""), steps)


@st.composite
def udpclient(draw):
    """The client's argument; the reply: any length, or none."""
    args = draw(server_arguments())
    reply = draw(st.one_of(st.none(), message(150, least=1)))
    via = draw(st.sampled_from(REPLY_SOURCES))
    steps = ["srv  udp-bind a 3333", "cli  start b udpclient" + "".join(" " + a for a in args),
             "srv  take-datagrams for=%g" % QUIET, "cli  waiting", "cli  sockets"]
    if args[:1] == [UNKNOWN_NAME]:
        reply = None               # nothing was sent: nothing to reply to
    if reply is not None:
        if via != "server":        # a second socket answers: another port on the server's host, or the client's host
            steps.append("q    udp-bind %s %d" % ("a" if via == "another port" else "b", PEER_PORT + 1))
        steps.append("srv  udp-reply %s%s" % (quote(reply), "" if via == "server" else " via=q"))
    steps.append("cli  ending for=%g" % QUIET)
    tutorial = len(args) <= 1 and reply is not None and len(reply) == 100 and has_nul(reply, 100) and via == "server"
    return ("tutorial" if tutorial else "spec",
            "udpclient %s: %s" % (" ".join(args) or "(no argument)", "no reply" if reply is None else
                                  "a %d-byte reply%s" % (len(reply), "" if via == "server" else " from " + via)), steps)


REPLY_SOURCES = ("server", "server", "another port", "another address")    # where udpclient's reply comes from


@st.composite
def iserver(draw):
    """Its count argument; clients one after another, each sending 1 to 120 bytes in one piece."""
    count = draw(st.one_of(st.none(), st.integers(1, 3).map(str), st.sampled_from(["0", "-1", "x", "2x", "1 2"])))
    first = count.split()[0] if count else None
    valid = first is None or (first.isdigit() and int(first) > 0)     # else a usage line and exit
    served = int(first) if first and valid else 1
    # One recv() of up to 100 bytes: a request in one piece (a second piece would race the
    # server's close); a longer one is echoed cut to 100 bytes, then the stream is reset.
    clients = draw(st.lists(message(120, least=1), min_size=1, max_size=min(served, 3)))
    silent = [draw(st.booleans()) for _ in clients]       # a client that waits before it sends, as a typist does
    steps = ["srv  start a iserver" + (" " + count if count else "")]
    if not valid:
        steps.append("srv  ending for=0.2")
    else:
        steps += ["net  tcp-state a 12345 LISTEN", "srv  waiting", "srv  sockets"]
        for i, data in enumerate(clients):
            steps += ["c%d   tcp-connect b a 12345" % i] + silence_steps("c%d" % i, silent[i], "srv")
            steps += ["c%d   send %s" % (i, quote(data)), "c%d   take for=%g" % (i, QUIET), "srv  waiting"]
        steps.append("srv  ending for=%g" % QUIET)
    tutorial = count in (None, "1", "2", "3") and all(has_nul(d, 100) for d in clients)
    return ("tutorial" if tutorial else "spec",
            "iserver %s: %d clients, %d silent at first" % (count or "(no argument)", len(clients), sum(silent)),
            steps)


@st.composite
def comclient(draw):
    """Its host and argument; the typed line; the server's echo: the same bytes, others of that length, or another length."""
    on = draw(st.sampled_from(["a", "b"]))
    args = draw(server_arguments(default=False))
    line = draw(message(110, alphabet=TYPED))
    echo_kind = draw(st.sampled_from(["same", "other", "length"]))
    sent = line + b"\0"
    echo = {"same": st.just(sent), "other": content(len(sent)), "length": message(120)}[echo_kind]
    echo = draw(echo)
    listening = draw(st.sampled_from(LISTENING))
    steps = (["srv  tcp-listen a 12345"] if listening else []) + ["cli  start %s comclient %s" % (on, " ".join(args))]
    connects = len(args) == 1 and args[0] != UNKNOWN_NAME and listening      # else it exits before its prompt
    if connects:
        # typed after the prompt: the terminal echoes a line when it is typed, and typed at once that echo
        # would race the program's first lines
        steps += ['cli  expect "Enter message to be sent to server:"', "cli  type %s" % quote(line + b"\n")]
    parts = [echo]
    if connects and len(line) < 100:
        parts = draw(pieces(echo)) if echo else []
        steps += ["srv  accept", "srv  take for=%g" % QUIET, "cli  waiting"] + send_steps("srv", parts, "cli")
        steps.append("srv  close")
    steps.append("cli  ending for=%g" % (QUIET * 2))
    # the listing takes the echo with one recv(): an echo in pieces is a spec input (its reply is cut short)
    tutorial = on == "a" and connects and len(line) < 100 and echo == sent and len(parts) == 1
    return ("tutorial" if tutorial else "spec",
            "comclient on %s %s: %s" % (on, " ".join(args), "a %d-character line, echo %s" % (len(line), echo_kind)
                                        if connects else "it does not connect"), steps)


@st.composite
def select(draw):
    """One to three clients (hosts b, c, d) connect one after another, then a generated order of lines
    sent (1 to 1100 bytes: one recv() takes at most 1024) and departures (close or reset)."""
    count = draw(st.integers(1, 3))
    clients = ["b", "c", "d"][:count]
    steps = ["srv  start a select", "net  tcp-state a 2020 LISTEN", "srv  sockets"]
    for host in clients:
        # each connection accepted before the next arrives: one select() wake-up each
        steps += ["%s    tcp-connect %s a 2020" % (host, host), "%s    take for=%g" % (host, PAUSE)]
    steps.append("srv  waiting")
    present, resets, longest = list(clients), False, 0
    for _ in range(draw(st.integers(1, 5))):
        if not present:
            break
        who = draw(st.sampled_from(present))
        act = draw(st.sampled_from(["send", "send", "send", "close", "reset"]))
        if act == "send":
            data = draw(message(1100, least=1))
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
    return ("tutorial" if tutorial else "spec",
            "select: %d clients, %d steps" % (count, len(steps)), steps)


MCAST_ARGUMENTS = [[], ["%{b}"], ["x"], ["198.18.0.9"], ["%{b}", "x"]]     # valid: the first two only


@st.composite
def mcastclient(draw):
    """Its interface argument; one datagram to the group of 1 to 1100 bytes (its buffer is 1024)."""
    args = draw(st.sampled_from(MCAST_ARGUMENTS))
    data = draw(message(1100, least=1))
    steps = ["rcv  start b mcastclient" + "".join(" " + a for a in args)]
    if args in ([], ["%{b}"]):
        steps += ['rcv  expect "Adding multicast group...OK."', "rcv  waiting", "rcv  sockets",
                  "snd  mcast-send a 226.1.1.1 4321 %s ttl=1" % quote(data)]
    steps.append("rcv  ending for=%g" % QUIET)
    tutorial = not args and len(data) <= 1024 and has_nul(data, 1024)
    return ("tutorial" if tutorial else "spec",
            "mcastclient %s: a %d-byte datagram" % (" ".join(args) or "(no argument)", len(data)), steps)


@st.composite
def mcastserver(draw):
    """Its interface argument; one to three receivers: on other hosts, and on its own (loopback)."""
    args = draw(st.sampled_from(MCAST_ARGUMENTS[:1] + [["%{a}"]] + MCAST_ARGUMENTS[2:]))
    hosts = draw(st.lists(st.sampled_from(["b", "c", "a"]), min_size=1, max_size=3, unique=True))
    steps = ["r%d   mcast-join %s 226.1.1.1 4321" % (i, h) for i, h in enumerate(hosts)]
    steps += ["srv  start a mcastserver" + "".join(" " + a for a in args), "srv  ending for=%g" % QUIET]
    steps += ["r%d   take-datagrams for=%g" % (i, QUIET) for i in range(len(hosts))]
    return ("tutorial" if not args else "spec",
            "mcastserver %s: receivers on %s" % (" ".join(args) or "(no argument)", " ".join(hosts)), steps)


# The design servers' command lines, the valid ones first (tests/SPEC.md "Server designs"): (arguments, valid?)
DESIGN_ARGUMENTS = {
    "spawnserver": [([], True), (["0"], True), (["1"], True), (["2"], True), (["3"], True),
                    (["x"], False), (["-1"], False), (["1", "2"], False)],
    "sendmsgserver": [(["1"], True), (["2"], True), (["3"], True), (["1", "2"], True), (["2", "1"], True),
                      (["3", "3"], True), ([], False), (["0"], False), (["x"], False), (["1", "x"], False),
                      (["1", "2", "3"], False)],
    "acceptserver": [(["1"], True), (["2"], True), (["3"], True), ([], False), (["0"], False), (["x"], False),
                     (["2", "3"], False)],
}


def connection_limit(program, args):
    """How many connections PROGRAM serves before it exits (None: until it is stopped): spawnserver's first
    argument, sendmsgserver's second; 0 or none means no limit, and acceptserver has none."""
    position = {"spawnserver": 0, "sendmsgserver": 1}.get(program)
    count = args[position] if position is not None and len(args) > position else "0"
    return int(count) or None


def design(program):
    """A design server's space: its command line; clients one after another (each echoed and gone before
    the next connects, so which worker serves whom never shows), each sending 1 to 120 bytes in one piece."""
    @st.composite
    def space(draw):
        args, valid = draw(st.sampled_from(DESIGN_ARGUMENTS[program]))
        limit = connection_limit(program, args) if valid else 0
        clients = draw(st.lists(message(120, least=1), min_size=1, max_size=min(limit or 3, 3))) if valid else []
        steps = ["srv  start a %s%s" % (program, "".join(" " + a for a in args))]
        if not valid:
            steps.append("srv  ending for=0.2")
        else:
            # no `waiting`: the reference's servers wait in ppoll(), a choice of its own, not a call to compare
            steps += ["net  tcp-state a 12345 LISTEN", "srv  sockets"]
            for i, data in enumerate(clients):
                steps += ["c%d   tcp-connect b a 12345" % i, "c%d   send %s" % (i, quote(data)),
                          "c%d   take for=%g" % (i, QUIET)]
            steps.append("srv  ending for=%g" % QUIET)
        return ("spec", "%s %s: %d clients" % (program, " ".join(args) or "(no argument)", len(clients)), steps)
    return space


# What may stand in a program's way: its port held by a socket of the harness before it starts (bind()
# fails): (host, protocol, port); or what it sends dropped on its own host's way out (nftables: its
# sendto() fails): (host, nft match).
TAKEN = {"tcpserver": ("a", "tcp", 3111), "select": ("a", "tcp", 2020), "iserver": ("a", "tcp", 12345),
         "udpserver": ("a", "udp", 3333), "mcastclient": ("b", "udp", 4321),
         **{program: ("a", "tcp", 12345) for program in DESIGN_ARGUMENTS}}
DROPPED = {"udpserver": ("a", "udp sport 3333"), "udpclient": ("b", "udp dport 3333"),
           "mcastserver": ("a", "ip daddr 226.1.1.1")}
UNHINDERED = 4         # a hindrance is drawn one time in UNHINDERED + its kinds


def hindered(program, space):
    """SPACE, and sometimes the same scenario with a hindrance: PROGRAM's port taken (then the scenario is
    the start alone and how the program ends), or what it sends dropped; such a scenario is `spec`."""
    kinds = ["taken"] * (program in TAKEN) + ["dropped"] * (program in DROPPED)

    @st.composite
    def wrapped(draw):
        checks, title, steps = draw(space())
        kind = draw(st.sampled_from([None] * UNHINDERED + kinds))
        if kind is None:
            return checks, title, steps
        if kind == "taken":
            host, protocol, port = TAKEN[program]
            start = next(step for step in steps if step.split()[1] == "start")
            hold = "hold  %s %s %d" % ("tcp-listen" if protocol == "tcp" else "udp-bind", host, port)
            command = " ".join(start.split()[3:])
            return "spec", command + ": its port taken", [hold, start, "%s  ending for=%g" % (start.split()[0], QUIET)]
        host, match = DROPPED[program]
        kept = [step for step in steps if step.split()[1] != "udp-reply"]     # nothing arrived to reply to
        title = title if len(kept) == len(steps) else title.split(":")[0] + ": no reply"
        return "spec", title + ", what it sends dropped", ['net  nft-drop %s "%s" hook=output' % (host, match)] + kept
    return wrapped if kinds else space


# program -> (its scenario space, the topology its scenarios run on)
SPACES = {program: (hindered(program, space), topology) for program, (space, topology) in {
    "tcpserver": (tcpserver, "pair"), "tcpclient": (tcpclient, "pair"), "udpserver": (udpserver, "pair"),
    "udpclient": (udpclient, "pair"), "iserver": (iserver, "pair"), "comclient": (comclient, "pair"),
    "mcastserver": (mcastserver, "lan"), "mcastclient": (mcastclient, "lan"), "select": (select, "lan"),
    **{program: (design(program), "pair") for program in DESIGN_ARGUMENTS}}.items()}
