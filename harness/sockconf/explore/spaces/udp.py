"""The spaces of udpserver and udpclient (tests/SPEC.md "Explored")."""
from hypothesis import strategies as st

from sockconf.catalogue import PORTS
from sockconf.explore.spaces.common import (
    LONG_NAME, PEER_PORT, QUIET, Space, client_arguments, ending, extra_arguments, has_nul, message, port_taken,
    scope, sends_dropped, shown, start, step, with_arguments)
from sockconf.language.notation import quote

PORT = PORTS["udpserver"]
ELSEWHERE = ("another port", "another address")    # where else udpclient's reply may come from than the server's socket


@st.composite
def server_scenario(draw):
    """One or two requests of 1 to 150 bytes from a fixed port: of 100 or more first (its listing replies
    with its whole 100-byte buffer, defined only when the request fills it)."""
    args = draw(extra_arguments())
    requests = draw(st.lists(st.one_of(message(150, least=100), message(99, least=1)), min_size=1, max_size=2))
    steps = [start("srv", "a", "udpserver", args), step("p", "udp-bind b %d" % PEER_PORT),
             step("srv", "waiting"), step("srv", "sockets")]
    for data in requests:
        steps += [step("p", "udp-send %%{a} %d %s" % (PORT, quote(data))), step("p", "take-datagrams for=%g" % QUIET)]
    steps.append(ending("srv", QUIET))
    # it replies with its whole 100-byte buffer, uninitialised beyond a shorter request, and prints the
    # request with %s; it exits after the first, and never looks at its arguments
    defined = len(requests[0]) >= 100 and has_nul(requests[0], 100)
    return (scope(defined and not args and len(requests) == 1, defined),
            "udpserver: requests of %s bytes%s" % (", ".join(str(len(r)) for r in requests), with_arguments(args)),
            steps)


@st.composite
def client_scenario(draw, replies=True, elsewhere=False, unresolved=False):
    """The client's argument; the reply (REPLIES): any length, or none, from the server's socket or
    (ELSEWHERE) from another; or the name is UNRESOLVED; without REPLIES, none comes."""
    args = draw(client_arguments(unresolved))
    if elsewhere:
        reply, via = draw(message(150, least=1)), draw(st.sampled_from(ELSEWHERE))
    else:
        reply = draw(st.one_of(st.none(), message(150, least=1))) if replies else None
        via = "server"
    steps = [step("srv", "udp-bind a %d" % PORT), start("cli", "b", "udpclient", args),
             step("srv", "take-datagrams for=%g" % QUIET), step("cli", "waiting"), step("cli", "sockets")]
    if reply is not None:
        if via != "server":        # a second socket answers: another port on the server's host, or the client's host
            steps.append(step("q", "udp-bind %s %d" % ("a" if via == "another port" else "b", PEER_PORT + 1)))
        steps.append(step("srv", "udp-reply %s%s" % (quote(reply), "" if via == "server" else " via=q")))
    steps.append(ending("cli", QUIET))
    tutorial = len(args) <= 1 and reply is not None and len(reply) == 100 and has_nul(reply, 100) and via == "server"
    # strcpy() of its first argument into server[255]; the reply is read into its 100-byte buffer over the
    # request, which holds a NUL from byte 36 on, and printed with %s
    listing = LONG_NAME not in args and (reply is None or len(reply) < 100 or has_nul(reply, 100))
    return (scope(tutorial, listing),
            "udpclient %s: %s" % (shown(args) or "(no argument)", "no reply" if reply is None else
                                  "a %d-byte reply%s" % (len(reply), "" if via == "server" else " from " + via)), steps)


UDPSERVER = Space("udpserver", "pair", (("exchange", 2), ("taken", 1), ("dropped", 1)),
                  {"exchange": server_scenario(), "taken": port_taken("a", "udp", PORT, "udpserver"),
                   "dropped": sends_dropped(server_scenario(), "a", "udp sport %d" % PORT)})
UDPCLIENT = Space("udpclient", "pair", (("exchange", 2), ("elsewhere", 1), ("dropped", 1), ("unresolved", 1)),
                  {"exchange": client_scenario(), "elsewhere": client_scenario(elsewhere=True),
                   "dropped": sends_dropped(client_scenario(replies=False), "b", "udp dport %d" % PORT),
                   "unresolved": client_scenario(replies=False, unresolved=True)})
