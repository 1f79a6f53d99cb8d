"""The types of verb arguments and options: what each takes, checked when a
case is read, and the value a handler gets.  Values that only a run knows
(a peer's port, %{host} in bytes) stay as written and are expanded by the
run (engine.CaseRun.data, .word, .target)."""
import re
import signal
from dataclasses import dataclass

from sockconf.language.notation import NotationError, decode_bytes

# TCP states as /proc/net/tcp numbers them, from 01 (include/net/tcp_states.h); hosts/procfs reads them.
TCP_STATE_NAMES = ("ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
                   "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING")

# The calls a program can be seen waiting in (hosts/procfs maps them to system call numbers).  recv is
# read(), recv() or recvfrom(): the same wait for at most N bytes, not told apart.
CALL_NAMES = ("recv", "accept", "select")

# The socket options a case can check (hosts/sockopts maps them to getsockopt levels); the multicast
# ones only on UDP sockets.  rcvtimeo is SO_RCVTIMEO in milliseconds (0: a call waits for ever).
SOCKET_OPTIONS = ("reuseaddr", "rcvtimeo", "mcast-ttl", "mcast-loop")

REF_RE = re.compile(r"%\{([A-Za-z0-9_.]*)\}")
ADDRESS_RE = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")
LONGEST_WAIT = 300.0       # seconds: every wait is bounded, and by less than this


class ArgError(ValueError):
    pass


@dataclass
class Quoted:
    """A quoted string token: its raw text (escapes still in) and a repeat count."""
    raw: str
    repeat: int = 1


def check_refs(text, ctx):
    """Every %{...} in TEXT names a host of the topology or a placed peer's port/addr."""
    for key in REF_RE.findall(text):
        if key in ("PORT", "any"):
            raise ArgError("%%{%s} is for transcripts only" % key)
        actor, dot, attr = key.partition(".")
        if dot:
            if attr not in ("port", "addr"):
                raise ArgError("%%{%s}: a peer has .port and .addr" % key)
            if actor not in ctx.peers:
                raise ArgError("%%{%s}: %s is not a peer placed by an earlier step" % (key, actor))
        elif ctx.hosts is not None and key not in ctx.hosts:
            raise ArgError("%%{%s}: no host %r in topology %s (hosts: %s)" % (
                key, key, ctx.topology, " ".join(ctx.hosts)))


def bare(token, what):
    if isinstance(token, Quoted):
        raise ArgError("%s is a bare word, not a quoted string" % what)
    return token


def quoted(token, what):
    if not isinstance(token, Quoted):
        raise ArgError("%s is a quoted string, got %s" % (what, token))
    return token


def integer(token, what, low, high):
    text = bare(token, what)
    if not re.match(r"^-?\d+$", text) or not low <= int(text) <= high:
        raise ArgError("%s is a whole number from %d to %d, got %s" % (what, low, high, text))
    return int(text)


def address(text):
    m = ADDRESS_RE.match(text)
    return bool(m) and all(int(g) <= 255 for g in m.groups())


def check_host(token, ctx):
    text = bare(token, "HOST")
    if ctx.hosts is not None and text not in ctx.hosts:
        raise ArgError("no host %r in topology %s (hosts: %s)" % (text, ctx.topology, " ".join(ctx.hosts)))
    return text


def check_target(token, ctx):
    text = bare(token, "TARGET")
    if REF_RE.search(text):
        check_refs(text, ctx)
    elif not address(text) and ctx.hosts is not None and text not in ctx.hosts:
        raise ArgError("TARGET is a host of topology %s (%s) or an IPv4 address, got %s" % (
            ctx.topology, " ".join(ctx.hosts), text))
    return text


def check_source(token, ctx):
    host, colon, port = bare(token, "src").partition(":")
    check_target(host, ctx)
    if colon:
        if REF_RE.search(port):
            check_refs(port, ctx)
        else:
            integer(port, "the port of src=", 1, 65535)
    return token


def check_seconds(token, ctx):
    text = bare(token, "SECONDS")
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value <= LONGEST_WAIT:
        raise ArgError("SECONDS is a number above 0 and at most %g, got %s" % (LONGEST_WAIT, text))
    return value


def check_interval(token, ctx):
    m = re.match(r"^(\d+(?:\.\d+)?)\+-(\d+(?:\.\d+)?)$", bare(token, "at="))
    if not m:
        raise ArgError("at= is SECONDS+-TOLERANCE, e.g. at=15+-0.5, got %s" % token)
    return float(m.group(1)), float(m.group(2))


def check_signal(token, ctx):
    text = bare(token, "SIGNAL")
    if not hasattr(signal, "SIG" + text) or text.startswith("_"):
        raise ArgError("unknown signal %r (TERM, INT, KILL, STOP, CONT, ...)" % text)
    return getattr(signal, "SIG" + text)


def check_state(token, ctx):
    text = bare(token, "STATE")
    if text not in TCP_STATE_NAMES:
        raise ArgError("unknown TCP state %r (one of %s)" % (text, " ".join(TCP_STATE_NAMES)))
    return text


def check_program(token, ctx):
    text = bare(token, "PROGRAM")
    if text not in ctx.known_programs:
        raise ArgError("unknown program %r (one of %s)" % (text, " ".join(ctx.known_programs)))
    return text


def check_word(token, ctx):
    if isinstance(token, Quoted):
        return check_bytes(token, ctx)
    check_refs(token, ctx)
    return token


def check_bytes(token, ctx):
    quoted(token, "BYTES")
    check_refs(token.raw, ctx)
    try:
        decode_bytes(REF_RE.sub("", token.raw))
    except NotationError as exc:
        raise ArgError("in %s: %s" % ('"%s"' % token.raw, exc))
    return token


def check_line(token, ctx):
    check_refs(quoted(token, "LINE").raw, ctx)
    return token.raw


def check_peer(token, ctx):
    text = bare(token, "PEER")
    if text not in ctx.peers:
        raise ArgError("%s is not a peer placed by an earlier step" % text)
    return text


def check_started(token, ctx):
    text = bare(token, "X")
    if text not in ctx.programs:
        raise ArgError("%s is not a program started by an earlier step" % text)
    return text


def check_group(token, ctx):
    text = bare(token, "GROUP")
    if not address(text) or not 224 <= int(text.split(".")[0]) <= 239:
        raise ArgError("GROUP is a multicast address (224.0.0.0/4), got %s" % text)
    return text


def check_newmark(token, ctx):
    text = bare(token, "mark=")
    if not re.match(r"^[A-Za-z][A-Za-z0-9_-]*$", text):
        raise ArgError("a mark is a name (letters, digits, - and _), got %s" % text)
    return text


def check_mark(token, ctx):
    text = bare(token, "from=")
    if text not in ctx.marks:
        raise ArgError("from=%s names no mark set by an earlier step (set: %s)" % (
            text, " ".join(sorted(ctx.marks)) or "none"))
    return text


def choice(*allowed):
    def check(token, ctx):
        text = bare(token, "a choice")
        if text not in allowed:
            raise ArgError("%s is not one of %s" % (text, " ".join(allowed)))
        return text
    return check


@dataclass
class ArgType:
    shown: str         # how the usage line writes it
    doc: str
    check: object      # check(token, ctx) -> value
    listed: bool = True   # in the README's table of arguments


TYPES = {
    "host": ArgType("HOST", "a host of the case's topology (`a`, `b`, ...)", check_host),
    "target": ArgType("TARGET", "a host of the topology, an IPv4 address, or `%{host}`", check_target),
    "source": ArgType("HOST[:PORT]", "where a datagram comes from: a TARGET, with its port", check_source),
    "port": ArgType("PORT", "a port, 0 to 65535", lambda t, c: integer(t, "PORT", 0, 65535)),
    "count": ArgType("N", "a whole number, 0 or more", lambda t, c: integer(t, "N", 0, 1 << 20)),
    "status": ArgType("STATUS", "an exit status, 0 to 255 (`-N`: killed by signal N)",
                      lambda t, c: integer(t, "STATUS", -64, 255)),
    "seconds": ArgType("S", "seconds, above 0 and at most %g" % LONGEST_WAIT, check_seconds),
    "interval": ArgType("T+-TOL", "seconds after the mark of `from=`, with a tolerance", check_interval),
    "signal": ArgType("SIGNAL", "a signal's name without SIG: `TERM`, `INT`, `STOP`, `CONT`, ...", check_signal),
    "state": ArgType("STATE", "a TCP state as /proc/net/tcp has it: " + ", ".join(TCP_STATE_NAMES), check_state),
    "program": ArgType("PROGRAM", "one of the tutorial's programs (or a design server)", check_program),
    "word": ArgType("ARG", "a command-line word: bare, or quoted with escapes", check_word),
    "bytes": ArgType("BYTES", "quoted strings with C escapes and a repeat, concatenated (below)", check_bytes),
    "line": ArgType('"LINE"', "one quoted line of output, `%{host}` expanded", check_line),
    "peer": ArgType("PEER", "a scripted peer an earlier step placed", check_peer),
    "started": ArgType("X", "a program an earlier step started", check_started, listed=False),
    "group": ArgType("GROUP", "a multicast group, e.g. 226.1.1.1", check_group),
    "nft": ArgType('"MATCH"', "an nftables match expression", lambda t, c: quoted(t, "MATCH").raw),
    "newmark": ArgType("NAME", "a new mark: when this step's event happened", check_newmark),
    "mark": ArgType("MARK", "a mark an earlier step set", check_mark),
    "call": ArgType("CALL", "a call a program waits in: " + ", ".join(CALL_NAMES), choice(*CALL_NAMES)),
    "protocol": ArgType("PROTOCOL", "`tcp` (a listening socket) or `udp` (a bound one)", choice("tcp", "udp")),
    "option": ArgType("OPTION", "a socket option: " + ", ".join(SOCKET_OPTIONS) + " (getsockopt's value)",
                      choice(*SOCKET_OPTIONS)),
    "holder": ArgType("worker\\|server", "", choice("worker", "server"), listed=False),
    "hook": ArgType("input\\|output", "", choice("input", "output"), listed=False),
}
