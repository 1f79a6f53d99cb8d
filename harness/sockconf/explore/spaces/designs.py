"""The spaces of the three design servers, spawnserver, sendmsgserver and
acceptserver (tests/SPEC.md "Server designs", "Explored").  The tutorial
describes them in prose only: every scenario is `spec`."""
from hypothesis import strategies as st

from sockconf.catalogue import PORTS
from sockconf.explore.spaces.common import PAUSE, QUIET, Space, ending, message, port_taken, refused_lines, start, step, take
from sockconf.language.notation import quote

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


def refused_arguments(program):
    """Each command line PROGRAM refuses, one after another."""
    return st.just(("spec", "%s: each command line it refuses" % program, refused_lines(
        "a", program, [a for a, valid in DESIGN_ARGUMENTS[program] if not valid])))


@st.composite
def design_scenario(draw, program, killed=False, terminated=False, busy=False):
    """PROGRAM's command line; clients one after another (each echoed and gone before the next connects, so
    which worker serves whom never shows), each sending 1 to 120 bytes in one piece; the process tree and
    its zombies after each client the server outlives; (KILLED) a worker killed before a client: the server
    must start another; (TERMINATED) SIGTERM at the end: nothing of its tree may be left, also (BUSY) with
    a client connected and silent; else SIGKILL ends it."""
    port = PORTS[program]
    valid_lines = [a for a, valid in DESIGN_ARGUMENTS[program] if valid]
    if terminated:     # a server still serving after its clients (busy: any number)
        valid_lines = [a for a in valid_lines if connection_limit(program, a) in ((None,) if busy else (None, 2, 3))]
    args = draw(st.sampled_from(valid_lines))
    limit = connection_limit(program, args)
    most = min(limit - 1 if terminated and not busy and limit else limit or 3, 3)
    clients = draw(st.lists(message(120, least=1), min_size=1, max_size=most))
    kills = [killed and (i == 0 or draw(st.booleans())) for i in range(len(clients))]
    outlives = limit is None or len(clients) < limit         # still serving after the last client
    # no `waiting`: the reference's servers wait in ppoll(), a choice of its own, not a call to compare
    steps = [start("srv", "a", program, args), step("net", "tcp-state a %d LISTEN" % port), step("srv", "sockets"),
             step("srv", "processes")]
    for i, data in enumerate(clients):
        client = "c%d" % i
        steps += [step("srv", "kill-worker"), step("srv", "processes")] if kills[i] else []
        steps += [step(client, "tcp-connect b a %d" % port), step(client, "send %s" % quote(data)), take(client, QUIET)]
        if i + 1 < len(clients) or outlives:
            steps += [step("srv", "processes"), step("srv", "zombies")]
    # busy: a client still connected when SIGTERM comes, silent: a worker waits for its request
    if busy:
        steps += [step("cw", "tcp-connect b a %d" % port), take("cw", PAUSE), step("srv", "processes")]
    steps += [step("srv", "signal TERM"), ending("srv", QUIET), step("srv", "gone")] if terminated else [
        ending("srv", QUIET)]
    if busy:
        steps.append(take("cw", QUIET))          # how its stream ends when the server stops
    return ("spec", "%s %s: %d clients%s%s%s" % (
        program, " ".join(args) or "(no argument)", len(clients),
        ", %d workers killed" % sum(kills) if any(kills) else "",
        ", then SIGTERM" if terminated else "",
        " with a client connected" if busy else ""), steps)


def design_space(program, killed):
    """PROGRAM's space; KILLED: it has workers to kill between clients (spawnserver starts one per client)."""
    first_line = " ".join([program] + DESIGN_ARGUMENTS[program][0][0])
    shares = (("exchange", 2),) + ((("killed", 1),) if killed else ()) + (
        ("terminated", 1), ("busy", 1), ("arguments", 1), ("taken", 1))
    builders = {"exchange": design_scenario(program), "terminated": design_scenario(program, terminated=True),
                "busy": design_scenario(program, terminated=True, busy=True),
                "arguments": refused_arguments(program), "taken": port_taken("a", "tcp", PORTS[program], first_line,
                                                                             listed=False)}
    if killed:
        builders["killed"] = design_scenario(program, killed=True)
    return Space(program, "pair", shares, builders, listed=False)


SPAWNSERVER = design_space("spawnserver", killed=False)
SENDMSGSERVER = design_space("sendmsgserver", killed=True)
ACCEPTSERVER = design_space("acceptserver", killed=True)
