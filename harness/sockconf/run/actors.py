"""What a case's actors share: the timeline their events go on, and the
shape of an actor (a program under test, program.Program, or a scripted
peer of the harness, peer.Peer)."""
import enum
import threading
import time
from dataclasses import dataclass, fields


class Kind(str, enum.Enum):
    """What an event is: its one spelling on the timeline, in result.json and on the charts."""
    START = "start"          # a program started
    OUT = "out"              # a line it printed
    STDIN = "stdin"          # what was typed to it
    EXIT = "exit"            # it ended: its status or signal
    SIGNAL = "signal"        # a signal sent to it (or to a worker of it)
    NOTE = "note"            # the harness's remark on it (its output cap reached)
    CONNECT = "connect"      # a peer connected, or was refused
    LISTEN = "listen"
    ACCEPT = "accept"
    SEND = "send"
    RECV = "recv"            # bytes received, or how the stream ended
    CLOSE = "close"
    RESET = "reset"
    BIND = "bind"            # a UDP peer's socket bound
    JOIN = "join"            # ... and joined to a group
    SENDTO = "sendto"
    RECVFROM = "recvfrom"
    STEP = "step"            # a step began
    FAILED = "failed"        # a step failed
    TOPOLOGY = "topology"    # the hosts are up
    NFT = "nft"              # a drop rule and what it dropped
    TCP = "tcp"              # TCP states and backlogs seen on a host
    TREE = "tree"            # a program's process tree
    BURST = "burst"          # connections at once (design servers)
    SOCKET = "socket"        # a socket option read from outside

    def __str__(self):
        return self.value


STEP_KINDS = (Kind.STEP, Kind.FAILED)     # the harness's events of a step: it began, it failed


@dataclass
class Event:
    """One thing that happened in a case run.  TEXT is for a person; the
    other fields are for every view that draws or checks events."""
    t: float                 # seconds from the case's start
    actor: str               # a program, a peer, or "harness"
    kind: Kind
    text: str
    step: str = None         # FILE:LINE of the step that was running
    size: int = None         # bytes sent or received
    remote: str = None       # ADDRESS:PORT of the other end of a message
    local: str = None        # ADDRESS:PORT it went to on this end (a datagram's destination)

    def as_dict(self):
        out = {"t": round(self.t, 4), "actor": self.actor, "kind": self.kind.value, "text": self.text}
        out.update((name, getattr(self, name)) for name in OPTIONAL_FIELDS if getattr(self, name) is not None)
        return out


OPTIONAL_FIELDS = tuple(f.name for f in fields(Event) if f.default is None)    # as_dict leaves them out when unset


class Timeline:
    """Events of one case, with times from the case's start."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.events = []
        self.step = None         # FILE:LINE of the step running now (the engine sets it)
        self.lock = threading.Lock()

    def now(self):
        return time.monotonic() - self.t0

    def add(self, actor, kind, text, at=None, **fields):
        """Record an event of KIND (a Kind, or its value: another is refused) with FIELDS (size, remote, local,
        step); returns its time."""
        t = self.now() if at is None else at
        fields.setdefault("step", self.step)
        event = Event(t, actor, Kind(kind), text, **fields)
        with self.lock:
            self.events.append(event)
        return t

    def sorted_events(self):
        with self.lock:
            return sorted(self.events, key=lambda e: e.t)

    def render(self):
        """timeline.txt: an event a line; a step's lines name it by FILE:LINE."""
        return "".join("%9.4f  %-6s %-8s %s%s\n" % (e.t, e.actor, e.kind, e.step + ": " if e.kind in STEP_KINDS else "",
                                                   e.text) for e in self.sorted_events())


class Actor:
    """One actor of a case, on HOST (network namespace NS); a context
    manager that stops it on leaving."""
    kind = "actor"

    def __init__(self, timeline, name, host, ns):
        self.timeline = timeline
        self.name = name
        self.host = host
        self.ns = ns

    def note(self, kind, text, at=None, **fields):
        return self.timeline.add(self.name, kind, text, at, **fields)

    def describe(self):
        """One line for a report: who this is and where it runs."""
        raise NotImplementedError

    def summary(self):
        """One line for a report: what it did."""
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
