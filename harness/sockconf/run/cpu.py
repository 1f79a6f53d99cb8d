"""The CPU one case run costs, part by part: getrusage() of the process that runs it (a worker runs one
case at a time), its own threads and apart the children it reaped meanwhile.  The children are the
harness's tools (ip, smcrouted, the uid's killer) and the programs under test, whose CPU is counted when
they are reaped: in the part that stops them."""
import resource

# The parts of a case run, in order (once.run_case and engine.CaseRun mark them).
PARTS = ("stage", "sandbox", "topology up", "steps", "stop", "verdict", "topology down", "sandbox end")


class CpuMeter:
    """CPU seconds since the previous lap, added to the part a lap names."""

    def __init__(self):
        self.parts = {}
        self._last = self._now()

    @staticmethod
    def _now():
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime

    def lap(self, part):
        assert part in PARTS, part
        now = self._now()
        own, children = self.parts.get(part, (0.0, 0.0))
        self.parts[part] = (own + now[0] - self._last[0], children + now[1] - self._last[1])
        self._last = now

    def record(self):
        """{part: {"harness_ms", "children_ms"}} for result.json."""
        return {part: {"harness_ms": round(1000 * own, 3), "children_ms": round(1000 * children, 3)}
                for part, (own, children) in self.parts.items()}
