"""What a case's actors share: the timeline their events go on, and the
shape of an actor (a program under test, program.Program, or a scripted
peer of the harness, peer.Peer)."""
import threading
import time


class Timeline:
    """Events of one case, with times from the case's start."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.events = []
        self.lock = threading.Lock()

    def now(self):
        return time.monotonic() - self.t0

    def add(self, actor, kind, text, at=None):
        t = self.now() if at is None else at
        with self.lock:
            self.events.append((t, actor, kind, text))
        return t

    def sorted_events(self):
        with self.lock:
            return sorted(self.events, key=lambda e: e[0])

    def render(self):
        return "".join("%9.4f  %-6s %-8s %s\n" % e for e in self.sorted_events())


class Actor:
    """One actor of a case, on HOST (network namespace NS); a context
    manager that stops it on leaving."""
    kind = "actor"

    def __init__(self, timeline, name, host, ns):
        self.timeline = timeline
        self.name = name
        self.host = host
        self.ns = ns

    def note(self, kind, text, at=None):
        return self.timeline.add(self.name, kind, text, at)

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
