"""A case run that failed: its transcripts compared, and a failure
report that reads like a bug report (the step that failed, expected vs
actual as a unified diff, each process's host, command line and ending,
where the artifacts are, the command that reruns exactly it)."""
import difflib
import os
import re

from sockconf.language.notation import OPEN_PART, PORT_PART, mark_line, quote
from sockconf.run.stepfail import StepFailed

DIFF_LINE_LIMIT = 300      # characters of one diff line in a report (a flood would fill the screen)
DIFF_LINES_LIMIT = 200
SHOWN_CHARS = 160          # characters of a value a report shows
CONTEXT_BYTES = 20         # bytes shown before the first difference


class CaseFailed(Exception):
    pass


def match_open_parts(expected, actual):
    """Lines with %{PORT} (an ephemeral port the harness cannot know) or ending in %{any} (a rest the
    listing leaves undefined) take the actual line at the same place when it matches: a port number
    1..65535 there, any characters but a newline for the open rest.  A line that does not match keeps its
    notation, which the diff shows."""
    if PORT_PART not in expected and OPEN_PART not in expected:
        return expected
    exp_lines, act_lines = expected.split("\n"), actual.split("\n")
    for i, line in enumerate(exp_lines):
        if (PORT_PART not in line and OPEN_PART not in line) or i >= len(act_lines):
            continue
        defined, is_open, _ = line.partition(OPEN_PART)
        regex = "^" + "([1-9][0-9]{0,4})".join(re.escape(p) for p in defined.split(PORT_PART)) + \
            ("[^\n]*" if is_open else "") + "$"
        m = re.match(regex, act_lines[i])
        if m and all(1 <= int(g) <= 65535 for g in m.groups()):
            exp_lines[i] = act_lines[i]
    return "\n".join(exp_lines)


def compare_transcripts(run):
    """[(actor, line of its transcript, diff lines)] for every transcript that differs."""
    diffs = []
    for actor, (lineno, text) in run.case.transcripts.items():
        proc = run.actors.get(actor)
        actual = bytes(proc.output).decode("utf-8", "replace") if proc else ""
        try:
            expected = run.subst(text)
        except StepFailed as exc:
            expected = "(cannot expand: %s)\n" % exc
        expected = match_open_parts(expected, actual)
        if actual != expected:
            diffs.append((actor, lineno, unified(expected, actual, actor)))
    return diffs


def shorten(text, limit=SHOWN_CHARS):
    return text if len(text) <= limit else text[:limit] + "... (%d characters in all)" % len(text)


def show(value, other=None):
    """A value for the report; bytes in step notation, from a little before
    their first difference from OTHER."""
    if value is None:
        return "-"
    if not isinstance(value, bytes):
        return str(value)
    start = 0
    if isinstance(other, bytes):
        start = next((i for i, (x, y) in enumerate(zip(value, other)) if x != y), min(len(value), len(other)))
        start = max(0, start - CONTEXT_BYTES)
    where = " from offset %d" % start if start else ""
    return "%d bytes%s: %s" % (len(value), where, quote(value[start:], SHOWN_CHARS))


def unified(expected, actual, actor):
    """A unified diff of two transcripts, each line in transcript notation."""
    exp = [mark_line(line) for line in expected.split("\n")]
    act = [mark_line(line) for line in actual.split("\n")]
    diff = difflib.unified_diff(exp, act, "expected/" + actor, "actual/" + actor, lineterm="", n=3)
    lines = [shorten(line, DIFF_LINE_LIMIT) for line in diff]
    if len(lines) > DIFF_LINES_LIMIT:
        lines = lines[:DIFF_LINES_LIMIT] + ["... (%d more lines of diff; the whole output is in the artifacts)" % (
            len(lines) - DIFF_LINES_LIMIT)]
    return lines


def one_line(details):
    """A failure in one line, from its data (failure.failure_details): the failing step and what went
    wrong, or the first program whose transcript differs."""
    if details["line"] is not None:
        return "line %d: %s: %s" % (details["line"], details["source"], details["message"])
    return "transcript of %s differs" % details["transcripts"][0]["actor"]


def failure_report(run, failure, diffs):
    case = run.case
    lines = ["%s: %s FAILED (checks: %s)" % (case.relpath, case.name, case.checks),
             "  title:   %s" % case.title,
             "  passage: %s" % case.passage]
    if failure:
        step, exc = failure
        lines.append("  step %s: %s" % (step.where(case), step.source))
        lines.append("    %s" % exc)
        if exc.expected is not None or exc.actual is not None:
            lines.append("    expected: %s" % show(exc.expected, exc.actual))
            lines.append("    actual:   %s" % show(exc.actual, exc.expected))
    for actor, lineno, diff in diffs:
        lines.append("  transcript of %s differs (%s:%d, - expected, + actual):" % (actor, case.relpath, lineno))
        lines.extend("    " + line for line in diff)
    lines.append("  processes:")
    for actor in run.actors.values():
        lines.append("    " + actor.describe())
        lines.append("      " + actor.summary())
    lines.append("  artifacts: %s" % os.path.relpath(run.artifacts))
    if run.capture:
        lines.extend("  packets:   %s (%s)" % (os.path.relpath(path), what) for path, what in run.capture.files)
    lines.append("  rerun:     %s" % run.rerun)
    if not run.capture:
        lines.append("             (with PCAP=1 it also records every link's packets, a pcap file each)")
    return "\n".join(lines)


def failure_details(run, failure, diffs):
    """The failure as data: the step (file:line), message, expected and actual
    as the report shows them, and each transcript's diff."""
    out = {"step": None, "line": None, "source": None, "message": None, "expected": None, "actual": None,
           "transcripts": [{"actor": actor, "line": lineno, "diff": diff} for actor, lineno, diff in diffs]}
    if failure:
        step, exc = failure
        out.update(step=step.where(run.case), line=step.lineno, source=step.source, message=str(exc))
        if exc.expected is not None or exc.actual is not None:
            out.update(expected=show(exc.expected, exc.actual), actual=show(exc.actual, exc.expected))
    return out


def save_artifacts(run, report):
    """Each program's output, the interleaved timeline and the report."""
    os.makedirs(run.artifacts, exist_ok=True)
    for name, actor in run.actors.items():
        if actor.kind == "program":
            with open(os.path.join(run.artifacts, name + ".out"), "wb") as f:
                f.write(bytes(actor.output))
    with open(os.path.join(run.artifacts, "timeline.txt"), "w") as f:
        f.write(run.timeline.render())
    with open(os.path.join(run.artifacts, "report.txt"), "w") as f:
        f.write(report + "\n")
