"""A scenario is a case whose steps observe instead of check (verbs/observe.py).
Run on the reference, what it saw becomes a case that checks exactly that:
the programs' transcripts and exits, every byte a peer received and how the
stream ended, each datagram with its source (to a group: its TTL), the
call a program waits in and how many bytes it asks for, the sockets it
waits for peers on with their backlog and options.  That case runs on any
implementation as it stands (make conformance CASES=DIR)."""
import hashlib
import os
from dataclasses import dataclass

from sockconf.hosts.sockopts import ephemeral_ports
from sockconf.language.notation import mark_line, open_line, quote
from sockconf.language.steps import step_line as step
from sockconf.run.observations import Ending, Processes, Sockets, Take, TakeDatagrams, Waiting

TIME_TOLERANCE = 1.0   # seconds: when a timed ending may differ from the reference's (a 15 s timeout is not one of 13.5)
CASE_FORMAT = 3        # how concrete_case() writes what the reference did: a new one is not read from an old cache


@dataclass(frozen=True)
class Scenario:
    program: str          # the program the scenario explores
    checks: str           # its scope (verdicts.SCOPES): what the captures show, what the listing defines, or spec
    title: str
    steps: tuple          # step lines of the case language; observation verbs where the reference is watched
    topology: str = "pair"
    open_lines: tuple = ()   # the beginnings of transcript lines whose rest the listing leaves undefined

    def header(self, title):
        return ("title    %s\nchecks   %s\npassage  make explore: %s (tests/SPEC.md \"Explored\")\n"
                "topology %s\n" % (title, self.checks, self.program, self.topology))

    def text(self):
        """The scenario as the explorer's own case file (observations, no transcripts)."""
        return self.header(self.title) + "\n[steps]\n" + "".join(s + "\n" for s in self.steps)

    def key(self, reference_hash):
        """The cache key of what the reference does in it."""
        return hashlib.sha256(("%d;%s%s;%s" % (CASE_FORMAT, self.text(), reference_hash, "|".join(self.open_lines))
                               ).encode()).hexdigest()[:24]


def source(address, port):
    """A datagram's source as a step checks it: the port too, unless the kernel picked it (it differs each run)."""
    return address if port in ephemeral_ports() else "%s:%d" % (address, port)


def datagram_step(actor, datagram):
    """The step that checks one Datagram: its bytes and source; sent to a group, its IP TTL too."""
    if datagram.dst is not None and 224 <= int(datagram.dst.split(".")[0]) <= 239:
        return step(actor, "mcast-recv %s src=%s ttl=%d" % (quote(datagram.data), source(*datagram.src), datagram.ttl))
    return step(actor, "udp-recv %s src=%s" % (quote(datagram.data), source(*datagram.src)))


def blocked_in_steps(seen):
    """The step that checks the call a program was seen waiting in (a Waiting or an Ending), if any."""
    if seen.call is None:
        return []
    size = "" if seen.size is None else " size=%d" % seen.size
    return [step(seen.actor, "blocked-in %s%s" % (seen.call, size))]


def take_steps(seen):
    out = [step(seen.actor, "recv %s" % quote(seen.data))] if seen.data else []
    ending = {"eof": "recv-eof", "reset": "recv-reset", "open": "recv-nothing for=%g" % seen.quiet}[seen.ending]
    return out + [step(seen.actor, ending)]


def datagrams_steps(seen):
    return [datagram_step(seen.actor, d) for d in seen.datagrams] + [step(seen.actor, "udp-nothing for=%g" % seen.quiet)]


def sockets_steps(seen):
    out = []
    for bound in seen.sockets:
        picked = bound.port in ephemeral_ports()      # by the kernel: another number each run, written 0
        out += [step("net", "backlog %s %d %d" % (seen.host, bound.port, n)) for n in bound.backlogs if not picked]
        out += [step(seen.actor, "sockopt %s %d %s %d" % (bound.protocol, 0 if picked else bound.port, name, value))
                for name, value in sorted(bound.options.items())]
    return out


def ending_steps(seen):
    if seen.status is None:      # settled in a call first: what it printed is all there when killed
        return [step(seen.actor, "running for=%g" % seen.wait)] + blocked_in_steps(seen) + [
            step(seen.actor, "signal KILL"), step(seen.actor, "exit -9")]
    timed = "" if seen.after is None else " at=%.1f+-%g from=%s" % (seen.after, TIME_TOLERANCE, seen.since)
    return [step(seen.actor, "exit %d%s" % (seen.status, timed))]


# each kind of observation (run/observations.py) -> the checking steps that say what it saw
STEPS_OF = {Take: take_steps, TakeDatagrams: datagrams_steps, Waiting: blocked_in_steps, Sockets: sockets_steps,
            Processes: lambda seen: [step(seen.actor, "tree %d" % seen.count)], Ending: ending_steps}


def concrete_steps(observation):
    """The checking steps that say what one observation step saw."""
    steps_of = STEPS_OF.get(type(observation))
    if steps_of is None:
        raise ValueError("unknown observation %r" % (observation,))
    return steps_of(observation)


def transcript(output, open_lines=()):
    """A program's output as a [transcript] body, or None when the case
    notation cannot say it exactly (a line ending without a newline, or
    trailing empty lines).  A line that begins with one of OPEN_LINES is
    checked up to there, its rest open."""
    if output == "":
        return ""
    if not output.endswith("\n") or output.endswith("\n\n"):
        return None
    return "".join(written_line(line, open_lines) + "\n" for line in output[:-1].split("\n"))


def written_line(line, open_lines):
    """LINE as a transcript writes it: open after the first of OPEN_LINES it begins with, if any."""
    prefix = next((p for p in open_lines if line.startswith(p)), None)
    return mark_line(line) if prefix is None else open_line(prefix)


def concrete_case(scenario, observations, outputs, title=None, comments=()):
    """The case that checks what the reference did: SCENARIO's steps with
    each observation step replaced, and every program's transcript; None
    when an output cannot be written exactly."""
    by_line = {o.line: o for o in observations}
    first_step_line = scenario.text().split("\n").index("[steps]") + 2     # 1-based
    steps = []
    for i, written in enumerate(scenario.steps):
        observed = by_line.get(first_step_line + i)
        steps += concrete_steps(observed) if observed else [written]
    sections = []
    for actor, output in sorted(outputs.items()):
        body = transcript(output, scenario.open_lines)
        if body is None:
            return None
        sections.append("\n[transcript %s]\n%s" % (actor, body))
    top = "".join("# %s\n" % line for line in comments) + ("\n" if comments else "")
    return top + scenario.header(title or scenario.title) + "\n[steps]\n" + "".join(
        s + "\n" for s in steps) + "".join(sections)


def write(path, text):
    """Write TEXT to PATH whole (a new file renamed over it: explorers at once never see half of one)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = "%s.%d.part" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)
