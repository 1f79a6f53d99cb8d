"""What an observation step saw (verbs/observe.py records them in run.observations, in step order), one
type per kind; the explorer writes each as the checking steps that say the same (explore/scenario.py)."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Observation:
    line: int                  # the case file's line of the step
    actor: str


@dataclass(frozen=True)
class Take(Observation):
    """A peer's stream received until it ended."""
    data: bytes
    ending: str                # eof, reset, or open (quiet for QUIET seconds)
    quiet: float


@dataclass(frozen=True)
class Datagram:
    data: bytes
    src: tuple                 # (address, port)
    ttl: int
    dst: str                   # the address it was sent to (a group, or the host's)


@dataclass(frozen=True)
class TakeDatagrams(Observation):
    """A peer's datagrams, until none came for QUIET seconds."""
    datagrams: list            # of Datagram
    quiet: float


@dataclass(frozen=True)
class Waiting(Observation):
    """The call a program waits in once settled: a call a case names (argtypes.CALL_NAMES), else None."""
    call: str = None
    size: int = None           # recv: the most bytes it takes


@dataclass(frozen=True)
class Ending(Observation):
    """How a program ended: its exit status within WAIT seconds, or None when it ran on (then what it
    waited in, before it was killed); AFTER: seconds from mark SINCE to its exit."""
    status: int
    wait: float
    since: str = None
    after: float = None
    call: str = None
    size: int = None


@dataclass(frozen=True)
class Bound:
    """A socket a program waits for peers on."""
    protocol: str              # tcp (listening) or udp
    port: int
    options: dict
    backlogs: list = field(default_factory=list)     # a listening one's (sock_diag)


@dataclass(frozen=True)
class Sockets(Observation):
    host: str
    sockets: list              # of Bound


@dataclass(frozen=True)
class Processes(Observation):
    count: int                 # processes of its tree, zombies not counted (None: never settled)
