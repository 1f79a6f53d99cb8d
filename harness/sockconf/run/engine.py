"""Run one conformance case: build its topology, walk its steps (each verb's
handler is in the registry), compare the transcripts.

CaseRun.run() returns normally when the case passes and raises CaseFailed
with a report (failure.py) otherwise; either way CaseRun.record() is what
the run saw, for results.json and the sequence chart.
"""
import contextlib
import os
import time

from sockconf.run.actors import Timeline
from sockconf.run.cpu import CpuMeter
from sockconf.language.argtypes import ADDRESS_RE, REF_RE, Quoted
from sockconf.language.cases import DEFAULT_WITHIN
from sockconf.language.notation import OPEN_PART, PORT_PART, decode_bytes
from sockconf.run.pcap import Capture
from sockconf.run.peer import Peer, PeerError
from sockconf.run.program import Program
from sockconf.run.stepfail import StepFailed
from sockconf.hosts.sandbox import program_env
from sockconf.hosts.topology import Topology, TopologyError
from sockconf.run.failure import CaseFailed, compare_transcripts, failure_details, failure_report, save_artifacts

AT_GRACE = 1.0         # seconds an at= step waits beyond its tolerance (then it fails, late)
SETTLE_QUIET = 0.3     # a still-running program must be quiet this long before it is stopped
SETTLE_MAX = 2.0
POLL_INTERVAL = 0.01


class CaseRun:
    """One run of CASE with DIRS = {program: (directory, origin)}."""

    def __init__(self, case, dirs, prefix, tmpdir, artifacts, rerun, sandbox=None, env=None, pcap=False, cpu=None):
        self.case = case
        self.sandbox = sandbox          # Sandbox of the case: programs run as its user
        self.env = env or program_env()
        self.dirs = dirs
        self.prefix = prefix
        self.tmpdir = tmpdir
        self.artifacts = artifacts
        self.rerun = rerun
        self.timeline = Timeline()
        self.actors = {}          # name -> Program or Peer
        self.marks = {}
        self.topo = None
        self.pcap = pcap          # PCAP=1: record every link (pcap.Capture)
        self.capture = None
        self.timing = []          # every at= check: expected, tolerance, actual, margin
        self.observations = []    # what the explorer's observation steps saw (verbs/observe.py)
        self.failure = None       # failure.failure_details() of a failed run
        self.cpu = cpu or CpuMeter()   # the CPU of each part of the run

    # --- values a run alone knows ------------------------------------------
    def subst(self, text):
        """Replace %{host}, %{peer.port}, %{peer.addr} with what the harness knows."""
        def value(m):
            if m.group(0) in (PORT_PART, OPEN_PART):   # a transcript's port or open rest: failure.match_open_parts
                return m.group(0)
            actor, dot, attr = m.group(1).partition(".")
            if dot and actor not in self.actors:
                raise StepFailed("%%{%s}: %s was never placed (an earlier step failed)" % (m.group(1), actor))
            return str(getattr(self.actors[actor], attr)) if dot else self.topo.address(actor)
        return REF_RE.sub(value, text)

    def data(self, tokens):
        """Concatenate quoted arguments (each with its *N repeat) into bytes."""
        return b"".join(decode_bytes(self.subst(t.raw)) * t.repeat for t in tokens)

    def word(self, token):
        """A command-line word: bare, or quoted (escapes and *N repeat applied)."""
        if isinstance(token, Quoted):
            return self.data([token]).decode()
        return self.subst(token)

    def target(self, token):
        """A host name of the topology, or an address as written."""
        text = self.word(token)
        return text if ADDRESS_RE.match(text) else self.topo.address(text)

    # --- actors -------------------------------------------------------------
    def actor(self, step):
        """STEP's program or peer (steps.py made sure it is of the verb's kind)."""
        return self.actors[step.actor]

    def place_peer(self, step, host):
        """STEP's peer, placed on HOST now if it is new."""
        if step.actor not in self.actors:
            self.actors[step.actor] = Peer(self.timeline, step.actor, host, self.topo.ns(host))
        return self.actors[step.actor]

    @staticmethod
    def poll(deadline, check):
        """Call CHECK until it returns None (done) or the deadline; returns its last answer."""
        while True:
            problem = check()
            if problem is None or time.monotonic() >= deadline:
                return problem
            time.sleep(POLL_INTERVAL)

    # --- the run -------------------------------------------------------------
    def run(self):
        failure = None
        with contextlib.ExitStack() as stack:
            self.topo = stack.enter_context(Topology(self.case.spec, self.prefix, self.tmpdir, self.case.names))
            if self.pcap:
                self.capture = stack.enter_context(Capture(self.topo, self.artifacts))
            stack.callback(self._stop_all)
            self.timeline.add("harness", "topology", "%s up in %.1f ms" % (
                self.case.topology, 1000 * self.topo.timings["up"]))
            self.cpu.lap("topology up")
            failure = self._walk()
            self.cpu.lap("steps")
            self._settle()
            self._stop_all()
            self.cpu.lap("stop")
            diffs = compare_transcripts(self)
            self.cpu.lap("verdict")
        self.cpu.lap("topology down")
        if failure or diffs:
            report = failure_report(self, failure, diffs)
            self.failure = failure_details(self, failure, diffs)
            save_artifacts(self, report)
            self.cpu.lap("verdict")
            raise CaseFailed(report)

    def record(self):
        """What this run saw: its actors, every event, the at= margins, the failure."""
        return {"actors": [{"name": a.name, "kind": a.kind, "host": a.host, "describe": a.describe(),
                            "summary": a.summary()} for a in self.actors.values()],
                "hosts": {host: self.case.spec.address(host) for host in self.case.spec.hosts},
                "events": [e.as_dict() for e in self.timeline.sorted_events()],
                "timing": self.timing, "failure": self.failure, "cpu": self.cpu.record(),
                "pcap": [{"file": os.path.relpath(path, self.artifacts), "link": what}
                         for path, what in (self.capture.files if self.capture else [])]}

    def _walk(self):
        """Do every step in order; (step, StepFailed) of the first that fails, or None."""
        for step in self.case.steps:
            where = step.where(self.case)
            self.timeline.step = where
            self.timeline.add("harness", "step", step.source)
            try:
                self.do(step)
            except StepFailed as exc:
                return self._failed(step, exc)
            except (OSError, PeerError, TopologyError) as exc:
                return self._failed(step, StepFailed("%s: %s" % (type(exc).__name__, exc)))
        self.timeline.step = None
        return None

    def _failed(self, step, exc):
        """The failing step's event, at the moment it failed (not where its wait began)."""
        self.timeline.add("harness", "failed", "%s: %s" % (step.source, exc))
        self.timeline.step = None
        return step, exc

    def do(self, step):
        deadline = time.monotonic() + step.opts.get("within", DEFAULT_WITHIN)
        if "at" in step.opts:
            at, tolerance = step.opts["at"]
            deadline = self.timeline.t0 + self.marks[step.opts["from"]] + at + tolerance + AT_GRACE
        when = step.definition.handler(self, step, deadline)
        if when is None:
            when = self.timeline.now()
        if "at" in step.opts:
            self._check_at(step, when)
        if "mark" in step.opts:
            self.marks[step.opts["mark"]] = when

    def _check_at(self, step, when):
        at, tolerance = step.opts["at"]
        elapsed = when - self.marks[step.opts["from"]]
        self.timing.append({"step": step.where(self.case), "expected": at, "tolerance": tolerance,
                            "actual": round(elapsed, 4), "margin": round(tolerance - abs(elapsed - at), 4)})
        if abs(elapsed - at) > tolerance:
            raise StepFailed("happened %.3f s after %s; expected %.3f s +- %.3f s" % (
                elapsed, step.opts["from"], at, tolerance))

    def _settle(self):
        """Let running programs finish printing (bounded) before they are stopped."""
        deadline = time.monotonic() + SETTLE_MAX
        for actor in self.actors.values():
            if not isinstance(actor, Program) or actor.status is not None:
                continue
            seen = len(actor.output)
            quiet_since = time.monotonic()
            while time.monotonic() < deadline and time.monotonic() - quiet_since < SETTLE_QUIET:
                time.sleep(0.02)
                if len(actor.output) != seen:
                    seen, quiet_since = len(actor.output), time.monotonic()

    def _stop_all(self):
        for actor in self.actors.values():
            actor.stop()
