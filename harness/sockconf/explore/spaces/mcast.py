"""The spaces of mcastserver and mcastclient (topology lan; tests/SPEC.md
"Explored")."""
from hypothesis import strategies as st

from sockconf.catalogue import GROUP, PORTS
from sockconf.explore.spaces.common import (
    QUIET, Space, bare, ending, has_nul, message, port_taken, refused_lines, scope, sends_dropped, start, step)
from sockconf.language.notation import quote

PORT = PORTS["mcastclient"]
MCAST_REFUSED = [["x"], ["198.18.0.9"], ["%{host}", "x"]]     # an interface argument it refuses (%{host}: its own)


def interface_arguments(host):
    """mcastclient's or mcastserver's command line on HOST: none, or its own interface."""
    return st.sampled_from([[], ["%%{%s}" % host]])


def refused(host):
    """The interface arguments mcastclient and mcastserver refuse, on HOST."""
    return [[a.replace("%{host}", "%%{%s}" % host) for a in args] for args in MCAST_REFUSED]


# the listings take no argument: the interface argument is this project's (tests/SPEC.md)
CLIENT_ARGUMENTS = st.just(("spec", "mcastclient: each interface argument it refuses",
                            refused_lines("b", "mcastclient", refused("b"))))


@st.composite
def client_scenario(draw, where=True):
    """Its interface argument; one datagram to the group of 1 to 1100 bytes (its buffer is 1024); without
    WHERE (topology pair: no host carries the listings' interface) no argument, and nothing is sent."""
    args = draw(interface_arguments("b")) if where else []
    data = draw(message(1100, least=1, buffer=1024))
    steps = [start("rcv", "b", "mcastclient", args)]
    if where:
        steps += [step("rcv", 'expect "Adding multicast group...OK."'), step("rcv", "waiting"), step("rcv", "sockets"),
                  step("snd", "mcast-send a %s %d %s ttl=1" % (GROUP, PORT, quote(data)))]
    steps.append(ending("rcv", QUIET))
    tutorial = not args and len(data) <= 1024 and has_nul(data, 1024)
    # one read() of up to 1024 bytes into a global buffer (zeros beyond a shorter datagram), printed with %s
    listing = not args and (not where or len(data) < 1024 or has_nul(data, 1024))
    return (scope(tutorial, listing),
            "mcastclient %s: a %d-byte datagram" % (" ".join(args) or "(no argument)", len(data)), steps)


def receivers(draw, candidates):
    """(hosts, steps): one to three receivers joined to the group, on hosts among CANDIDATES.  Drawn with the
    caller's DRAW (as chat.comclient_started())."""
    hosts = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=len(candidates), unique=True))
    return hosts, [step("r%d" % i, "mcast-join %s %s %d" % (h, GROUP, PORT)) for i, h in enumerate(hosts)]


def received(hosts):
    """What each receiver of HOSTS got, then quiet."""
    return [step("r%d" % i, "take-datagrams for=%g" % QUIET) for i in range(len(hosts))]


@st.composite
def server_arguments(draw):
    """Each interface argument it refuses, one after another: it sends nothing to the receivers."""
    hosts, steps = receivers(draw, ["b", "c", "a"])
    steps += refused_lines("a", "mcastserver", refused("a"), QUIET) + received(hosts)
    return "spec", "mcastserver: each interface argument it refuses, receivers on %s" % " ".join(hosts), steps


@st.composite
def server_scenario(draw, where=True):
    """Its interface argument; one to three receivers: on other hosts, and on its own (loopback); without
    WHERE no argument where no host carries the listings' interface (topology pair: hosts a and b)."""
    hosts, steps = receivers(draw, ["b", "c", "a"] if where else ["b", "a"])
    args = draw(interface_arguments("a")) if where else []
    steps += [start("srv", "a", "mcastserver", args), ending("srv", QUIET)] + received(hosts)
    return (scope(not args, False),
            "mcastserver %s: receivers on %s" % (" ".join(args) or "(no argument)", " ".join(hosts)), steps)


MCASTSERVER = Space("mcastserver", "lan", (("exchange", 2), ("dropped", 1), ("arguments", 1), ("bare", 1)),
                    {"exchange": server_scenario(), "arguments": server_arguments(), "bare": bare(server_scenario(False)),
                     # the listing returns 0 after a failed sendto(), where this project exits 1 (tests/SPEC.md)
                     "dropped": sends_dropped(server_scenario(), "a", "ip daddr %s" % GROUP, widest="spec")})
MCASTCLIENT = Space("mcastclient", "lan", (("exchange", 2), ("taken", 1), ("arguments", 1), ("bare", 1)),
                    {"exchange": client_scenario(), "taken": port_taken("b", "udp", PORT, "mcastclient"),
                     "arguments": CLIENT_ARGUMENTS, "bare": bare(client_scenario(False))})
