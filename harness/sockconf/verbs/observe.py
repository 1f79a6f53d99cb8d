"""Verbs of observation, the explorer's own: they record what a program did
(what a peer received, how a program ended) and check nothing.  The case
language refuses them in case files; the explorer (sockconf.explore) runs
them on the reference and writes what they saw as the checking verbs of a
case (recv, recv-eof, udp-recv, exit, ...)."""
import signal
import time

from sockconf.hosts import procfs, sockdiag, sockopts
from sockconf.hosts.netns import in_netns
from sockconf.language.argtypes import CALL_NAMES
from sockconf.language.registry import verb
from sockconf.run.observations import Bound, Datagram, Ending, Processes, Sockets, Take, TakeDatagrams, Waiting
from sockconf.verbs.proc import tree

QUIET_DEFAULT = 1.0
KILL_WAIT = 2.0        # seconds a SIGKILLed program may take to be reaped
SETTLE = 0.05          # seconds between two readings of what a program waits in
NOT_WAITING = (None, None)     # an observation's call and size: it waits in no call a case names


def settled(read, until, interval, running=lambda: True):
    """READ() again every INTERVAL seconds until two readings in a row agree (None never counts as one),
    UNTIL passes or RUNNING() turns false; the last reading."""
    seen = read()
    while time.monotonic() < until and running():
        time.sleep(interval)
        again = read()
        if again == seen and again is not None:
            break
        seen = again
    return seen


@verb("take", "", "peer", "receive until the stream ends, is reset, or `for=S` seconds pass without a byte",
      options="for:seconds", observes=True)
def take(run, step, deadline):
    data, ending = run.actor(step).take(step.opts.get("for", QUIET_DEFAULT), deadline)
    run.observations.append(Take(step.lineno, step.actor, data, ending, step.opts.get("for", QUIET_DEFAULT)))


@verb("take-datagrams", "", "peer", "receive datagrams until `for=S` seconds pass without one",
      options="for:seconds", observes=True)
def take_datagrams(run, step, deadline):
    peer, quiet = run.actor(step), step.opts.get("for", QUIET_DEFAULT)
    got = []
    while True:
        one = peer.udp_recv(min(deadline, time.monotonic() + quiet))
        if one is None:
            break
        data, src, ttl, dst = one
        got.append(Datagram(data, src, ttl, dst))
    run.observations.append(TakeDatagrams(step.lineno, step.actor, got, quiet))


@verb("ending", "", "program", "how X ends: its exit status within `for=S` seconds; if still running, what "
      "it waits in (as `waiting`), then SIGKILL (nothing it prints after the observation depends on how the "
      "run is torn down); with `since=MARK`, also when it ended after MARK", options="for:seconds since:mark",
      observes=True)
def ending(run, step, deadline):
    proc, wait = run.actor(step), step.opts.get("for", QUIET_DEFAULT)
    got = proc.wait_exit(time.monotonic() + wait)        # for= is the wait, also past the step's within=
    waited = NOT_WAITING
    if got is None:
        waited = waiting_call(proc, min(deadline, time.monotonic() + QUIET_DEFAULT))
        proc.signal(signal.SIGKILL)
        proc.wait_exit(time.monotonic() + KILL_WAIT)
    proc.drain()
    since = step.opts.get("since")
    run.observations.append(Ending(step.lineno, step.actor, None if got is None else got[0], wait, since,
                                   None if got is None or since is None else got[1] - run.marks[since], *waited))


def waiting_call(proc, until):
    """What PROC waits in once settled (before UNTIL), as an observation's (call, size): a call a case
    names, or NOT_WAITING."""
    seen = settled(lambda: procfs.waiting_in(proc.proc.pid), until, SETTLE,
                   running=lambda: not procfs.has_ended(proc.proc.pid))
    if seen is None or seen.call not in CALL_NAMES:
        return NOT_WAITING
    return seen.call, seen.size


@verb("waiting", "", "program", "what X waits in: /proc/PID/syscall read until two readings %g s apart " % SETTLE +
      "agree, for at most `for=S` seconds (none: it runs, ended, or waits in no call a case names)",
      options="for:seconds", observes=True, needs="proc_syscall")
def waiting(run, step, deadline):
    waited = waiting_call(run.actor(step), min(deadline, time.monotonic() + step.opts.get("for", QUIET_DEFAULT)))
    run.observations.append(Waiting(step.lineno, step.actor, *waited))


@verb("sockets", "", "program", "the sockets X waits for peers on (TCP listening, UDP bound): each one's "
      "protocol, port and options, and a listening one's backlog", observes=True, needs="pidfd_getfd")
def sockets(run, step, deadline):
    proc = run.actor(step)
    found = []
    for bound in sockopts.bound_sockets(proc.proc.pid):
        backlogs = in_netns(run.topo.ns(proc.host), sockdiag.listen_backlogs, bound.port) \
            if bound.protocol == "tcp" else []
        found.append(Bound(bound.protocol, bound.port, bound.options, backlogs))
    run.observations.append(Sockets(step.lineno, step.actor, proc.host, found))


@verb("processes", "", "program", "how many processes X's tree has (zombies not counted): read until two "
      "readings %g s apart agree, for at most `for=S` seconds" % (SETTLE * 4), options="for:seconds", observes=True)
def processes(run, step, deadline):
    proc = run.actor(step)
    until = min(deadline, time.monotonic() + step.opts.get("for", QUIET_DEFAULT))
    seen = settled(lambda: len(tree(proc)[0]), until, SETTLE * 4)
    run.observations.append(Processes(step.lineno, step.actor, seen))
