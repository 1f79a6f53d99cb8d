"""Verbs of programs under test: start one on a host's terminal, read what
it prints, type to it, signal it, wait for its exit."""
import os
import time

from sockconf.hosts import procfs
from sockconf.catalogue import WORKERS
from sockconf.run.program import Program
from sockconf.language.registry import verb
from sockconf.run.stepfail import StepFailed, nothing_for

EXIT_AFTER_EOF = 1.0   # seconds from the end of a program's output to its exit status, at most
CTRL_D = b"\x04"


def unrunnable(path):
    """Why PATH cannot be run as a program, or None."""
    if not os.path.exists(path):
        return "not provided"
    if not os.path.isfile(path):
        return "not a regular file"
    if not os.access(path, os.X_OK):
        return "not executable"
    with open(path, "rb") as f:
        head = f.read(4)
    if head != b"\x7fELF" and not head.startswith(b"#!"):
        return "neither an ELF program nor a script with #!"
    return None


def why_not_runnable(directory, program):
    problem = unrunnable(os.path.join(directory, program))
    worker = WORKERS.get(program)
    if not problem and worker and unrunnable(os.path.join(directory, worker)):
        problem = "its worker program %s: %s" % (worker, unrunnable(os.path.join(directory, worker)))
    return problem


@verb("start", "HOST:host PROGRAM:program [ARG:word...]", "starts",
      "run `./PROGRAM ARGS` in HOST's namespace on a terminal, from its own folder")
def start(run, step, deadline):
    directory, origin = run.dirs[step.a.program]
    problem = why_not_runnable(directory, step.a.program)
    if problem:
        raise StepFailed("%s (%s) cannot run: %s" % (os.path.join(directory, step.a.program), origin, problem))
    argv = ["./" + step.a.program] + [run.word(a) for a in step.a.arg]
    proc = Program(run.timeline, step.actor, step.a.host, run.topo.ns(step.a.host), argv, directory, run.env,
                   launcher=run.sandbox.command if run.sandbox else None, origin=origin)
    run.actors[step.actor] = proc
    proc.start()
    return proc.start_time


@verb("expect", "LINE:line", "program", "wait until X prints this whole line (after the previous expected one)", checks=True)
def expect(run, step, deadline):
    proc = run.actor(step)
    line = run.subst(step.a.line)
    when = proc.wait_line(line, deadline)
    if when is None:
        if proc.reader_done:       # its output ended: let its exit status arrive (bounded)
            proc.wait_exit(time.monotonic() + EXIT_AFTER_EOF)
        state = "it ended: %s" % proc.ending() if proc.status is not None else "still running"
        raise StepFailed("line not printed in time (%s)" % state, expected=line)
    return when


@verb("type", "BYTES:bytes...", "program", "type on X's terminal (the terminal echoes it into the transcript)")
def type_(run, step, deadline):
    run.actor(step).type(run.data(step.a.bytes))


@verb("eof", "", "program", "Ctrl-D on X's terminal")
def eof(run, step, deadline):
    run.actor(step).type(CTRL_D)


@verb("exit", "STATUS:status", "program", "wait for X to exit with STATUS", checks=True)
def exit_(run, step, deadline):
    proc = run.actor(step)
    got = proc.wait_exit(deadline)
    if got is None:
        raise StepFailed("did not exit in time", expected="exit %d" % step.a.status, actual="still running")
    status, when = got
    proc.drain()
    if status != step.a.status:
        actual = "exit %d" % status if status >= 0 else "killed by signal %d" % -status
        raise StepFailed("wrong exit status", expected="exit %d" % step.a.status, actual=actual)
    return when


@verb("running", "", "program", "X must still be running S seconds later", options="for:seconds", required="for", checks=True)
def running(run, step, deadline):
    seconds = step.opts["for"]
    nothing_for(seconds, run.actor(step).wait_exit, "exited while it should still run",
                "running after %.1f s" % seconds, lambda got: "exit %s at %.3f s" % got)


@verb("signal", "SIGNAL:signal", "program", "send a signal to X")
def signal_(run, step, deadline):
    run.actor(step).signal(step.a.signal)


@verb("stopped", "", "program",
      "X is stopped (state T in /proc): Ctrl-Z is `signal STOP`, `stopped`, then `bg` is `signal CONT`", checks=True)
def stopped(run, step, deadline):
    pid = run.actor(step).proc.pid
    state = run.poll(deadline, lambda: None if procfs.process_state(pid) == "T"
                     else procfs.process_state(pid) or "gone")
    if state is not None:
        raise StepFailed("%s is not stopped" % step.actor, expected="state T (stopped)", actual="state %s" % state)

