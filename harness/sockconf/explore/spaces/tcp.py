"""The spaces of tcpserver and tcpclient (tests/SPEC.md "Explored")."""
from hypothesis import strategies as st

from sockconf.catalogue import PORTS
from sockconf.explore.spaces.common import (
    LONG_NAME, PAUSE, QUIET, Space, client_arguments, end_steps, ending, extra_arguments, has_nul, message,
    pieces, port_taken, read_until, scope, send_steps, shown, silence_steps, start, step, take, with_arguments)
from sockconf.language.notation import quote

PORT = PORTS["tcpserver"]
ENDINGS = ("wait", "close", "reset")    # what a TCP peer does after sending, the tutorial's client's first
SERVER_ENDINGS = ("close", "wait", "reset")   # the same, the tutorial's server's first (it closes after its echo)
TIMEOUT = 15.0         # seconds tcpserver's select() waits for a request (tests/SPEC.md "tcpserver")
LATE = 2.0             # seconds a late client comes after the server is ready


def server_started(args):
    """tcpserver started with ARGS on host a, listening, waiting, its socket observed."""
    return [start("srv", "a", "tcpserver", args), step("net", "tcp-state a %d LISTEN" % PORT),
            step("srv", "waiting"), step("srv", "sockets")]


def connected(mark=""):
    """The client connects from host b (MARK: a mark set at that moment)."""
    return step("cli", "tcp-connect b a %d%s" % (PORT, " mark=" + mark if mark else ""))


@st.composite
def server_exchange(draw, cut=False, stopped=False):
    """One client, maybe silent for a while, then a request of 1 to 130 bytes in pieces; then it waits,
    closes or resets; or (CUT) 1 to 99 bytes, then it closes; (STOPPED) Ctrl-Z and bg before it comes."""
    args = draw(extra_arguments())
    steps = server_started(args)
    data = draw(message(99 if cut else 130, least=1))
    parts = draw(pieces(data))
    how = "close" if cut else draw(st.sampled_from(ENDINGS))
    silent = draw(st.booleans())
    if stopped:
        steps += [step("srv", "signal STOP"), step("srv", "stopped"), step("srv", "signal CONT"),
                  step("srv", "waiting")]
    steps += [connected(), take("cli", PAUSE), step("srv", "waiting")]
    steps += silence_steps("cli", silent, "srv")
    steps += send_steps("cli", parts, "srv") + [take("cli", QUIET), step("srv", "waiting")]
    steps += end_steps("cli", how)
    steps.append(ending("srv", QUIET))
    tutorial = not args and not stopped and len(data) == 100 and has_nul(data, 100) and how == "wait"
    # it reads exactly 100 bytes and prints them with %s: defined when a NUL is among them; fewer, it
    # reads on until the client's ending; arguments it never looks at
    return (scope(tutorial, len(data) < 100 or has_nul(data, 100)),
            "tcpserver: %s%s%d bytes in %d pieces, then the client %ss%s" % (
                "stopped and continued, " if stopped else "", "silence, then " if silent else "", len(data),
                len(parts), how, with_arguments(args)), steps)


@st.composite
def server_timeout(draw):
    """A client, maybe late, that connects and says nothing: when tcpserver gives up, timed from the
    connection (scenario.TIME_TOLERANCE), and how the client's stream ends.  The late client comes first
    (Hypothesis tries first entries first): it alone tells a timeout counted from the server's start.  A
    timeout takes 15 s or more: its space is kept to four (late or not, one extra word or none)."""
    args = draw(st.sampled_from([[], ["x"]]))
    late = draw(st.sampled_from([True, False]))
    steps = server_started(args) + ([step("srv", "running for=%g" % LATE)] if late else []) + [
        connected("connected"), take("cli", PAUSE), step("srv", "waiting"),
        step("srv", "ending for=%g since=connected" % (TIMEOUT + 3)), take("cli", QUIET)]
    return (scope(not args, True),               # the listing's main() takes no arguments
            "tcpserver: a %sclient that says nothing%s" % ("late " if late else "", with_arguments(args)), steps)


# How a connected client's data and ending reach a stopped tcpserver's host: each ending is waited for by
# what shows it there (a close: the server's side in CLOSE_WAIT; a reset: its connection gone), a reset
# only after the data has left.
ARRIVED = {"close": [step("cli", "close"), step("net", "tcp-state a %d CLOSE_WAIT" % PORT)],
           "reset": [take("cli", PAUSE), step("cli", "reset"),
                     step("net", "tcp-state a %d ESTABLISHED count=0" % PORT)]}


@st.composite
def server_stopped_connected(draw):
    """Ctrl-Z once the client is connected; meanwhile it sends 1 to 130 bytes, then resets or closes; once
    that has reached the server's host, bg: what the server reads, and how its echo fares (a reset before
    it: the write fails, and the listing prints the SO_ERROR line too; so the reset and 100 bytes come
    first).  A client that waits meets the ordinary exchange."""
    args = draw(extra_arguments())
    data = draw(message(130, least=1))
    how = draw(st.sampled_from(["reset", "close"]))
    steps = server_started(args) + [connected(), take("cli", PAUSE), step("srv", "waiting"),
                                    step("srv", "signal STOP"), step("srv", "stopped"),
                                    step("cli", "send %s" % quote(data))] + ARRIVED[how]
    steps += [step("srv", "signal CONT"), ending("srv", QUIET)]
    # a reset may make the echo's write() fail, and the listing's getsockopt(SO_ERROR) then writes an int
    # into a char: undefined
    defined = how == "close" and (len(data) < 100 or has_nul(data, 100))
    return (scope(False, defined), "tcpserver: stopped with its client connected, %d bytes, then the client %ss%s" % (
        len(data), how, with_arguments(args)), steps)


@st.composite
def client_scenario(draw, cut=False, listening=True, unresolved=False):
    """The client's argument; the server's reply: any length, in pieces, then it closes, resets or waits;
    or (CUT) 1 to 99 bytes, then it closes; or nobody is LISTENING, or the name is UNRESOLVED."""
    args = draw(client_arguments(unresolved, default=not cut))
    connects = listening and bool(args) and not unresolved    # no argument: its compiled-in name
    steps = ([step("srv", "tcp-listen a %d" % PORT)] if listening else []) + [start("cli", "b", "tcpclient", args)]
    reply, parts, how = b"", [], "close"
    if connects:
        reply = draw(message(99 if cut else 130, least=1 if cut else 0))
        parts = read_until(draw(pieces(reply)), 100) if reply else []       # it reads 100 bytes, then exits
        how = "close" if cut else draw(st.sampled_from(SERVER_ENDINGS))
        steps += [step("srv", "accept"), take("srv", QUIET), step("cli", "waiting")] + send_steps("srv", parts, "cli")
        steps += [take("srv", PAUSE), step("cli", "waiting")] + end_steps("srv", how)
    steps.append(ending("cli", QUIET * 2))
    tutorial = connects and len(args) == 1 and len(reply) == 100 and has_nul(reply, 100) and how == "close"
    # strcpy() of its first argument into server[255]; it reads exactly 100 bytes and prints them with %s
    listing = LONG_NAME not in args and (len(reply) < 100 or has_nul(reply, 100))
    what = ("a %d-byte reply in %d pieces, then the server %ss" % (len(reply), len(parts), how) if connects
            else "nobody listens" if not listening else "the name resolves nowhere")
    return scope(tutorial, listing), "tcpclient %s: %s" % (shown(args) or "(no argument)", what), steps


TCPSERVER = Space("tcpserver", "pair",
                  (("exchange", 4), ("cut", 1), ("stopped", 1), ("stopped-connected", 1), ("taken", 1),
                   ("timeout", 1)),        # a timeout takes 15 s: last
                  {"exchange": server_exchange(), "cut": server_exchange(cut=True),
                   "stopped": server_exchange(stopped=True), "stopped-connected": server_stopped_connected(),
                   "taken": port_taken("a", "tcp", PORT, "tcpserver"), "timeout": server_timeout()})
TCPCLIENT = Space("tcpclient", "pair",
                  (("exchange", 3), ("cut", 1), ("refused", 1), ("unresolved", 1)),
                  {"exchange": client_scenario(), "cut": client_scenario(cut=True),
                   "refused": client_scenario(listening=False), "unresolved": client_scenario(unresolved=True)})
