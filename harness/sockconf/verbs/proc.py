"""Verbs of process architecture, read from /proc and polled until the
step's deadline: how many processes a server is, which of them holds a
connection, which wait in accept(), and what is left when it ends."""
import os
import signal
import time

from sockconf.hosts import procfs, sockopts
from sockconf.language.cases import DEFAULT_WITHIN
from sockconf.run.peer import Peer
from sockconf.hosts.procfs import describe_pids
from sockconf.language.registry import verb
from sockconf.run.stepfail import StepFailed


def tree(proc):
    """Live (non-zombie) pids and zombie pids of PROC's process tree; the
    live ones are remembered in PROC.seen_pids (for `gone`)."""
    live, zombies = [], []
    for pid in proc.pids():
        state = procfs.process_state(pid)
        if state is not None:
            (zombies if state == "Z" else live).append(pid)
    proc.seen_pids.update(live)
    return live, zombies


def holders(proc, peer):
    """Pids of PROC's tree holding the server side of PEER's connection, or
    None while the server has no such socket."""
    sockets = procfs.tcp_sockets("/proc/%d/net/tcp" % proc.proc.pid)
    mine = [s for s in sockets if s.remote_port == peer.port and s.state != "LISTEN" and s.inode != "0"]
    if not mine:
        return None
    target = mine[-1].fd_target
    return [pid for pid in tree(proc)[0] if target in procfs.open_sockets(pid)]


@verb("tree", "N:count", "program",
      "X's process tree (X and its descendants, zombies not counted) has N processes", checks=True)
def tree_(run, step, deadline):
    proc, want = run.actor(step), step.a.n

    def check():
        live, _ = tree(proc)
        return None if len(live) == want else live
    live = run.poll(deadline, check)
    run.timeline.add(step.actor, "tree", "processes %s" % (live or "as expected"))
    if live is not None:
        raise StepFailed("wrong number of processes in %s's tree" % step.actor,
                         expected="%d processes" % want, actual="%d: %s" % (len(live), describe_pids(live)))


@verb("zombies", "", "program", "no child of X's tree is left unreaped", checks=True)
def zombies(run, step, deadline):
    proc = run.actor(step)
    left = run.poll(deadline, lambda: tree(proc)[1] or None)
    if left:
        raise StepFailed("children left unreaped", expected="no zombie", actual="zombies %s" % left)


@verb("gone", "", "program", "every process seen in X's tree by an earlier step has ended (no orphans)",
      after="tree zombies holds distinct-holders accepting kill-worker processes", checks=True)
def gone(run, step, deadline):
    proc = run.actor(step)
    left = run.poll(deadline, lambda: [p for p in proc.seen_pids if os.path.exists("/proc/%d" % p)
                                       and not procfs.is_zombie(p)] or None)
    if left:
        raise StepFailed("processes of %s's tree outlived it" % step.actor, expected="none left",
                         actual=describe_pids(left))


@verb("kill-worker", "", "program", "SIGKILL to one of X's workers (the lowest pid), and wait until it has "
      "ended (a zombie, or reaped): a dying worker still counts in X's tree, and may still take a client")
def kill_worker(run, step, deadline):
    proc = run.actor(step)
    workers = sorted(p for p in tree(proc)[0] if p != proc.proc.pid)
    if not workers:
        raise StepFailed("no worker to kill", expected="a worker process", actual="none")
    os.kill(workers[0], signal.SIGKILL)
    run.timeline.add(step.actor, "signal", "SIGKILL to worker %d" % workers[0])
    if run.poll(deadline, lambda: None if procfs.has_ended(workers[0]) else "running") is not None:
        raise StepFailed("worker %d did not end after SIGKILL" % workers[0], expected="ended",
                         actual="state %s" % procfs.process_state(workers[0]))


@verb("holds", "PEER:peer", "program",
      "the server side of PEER's connection is held by exactly one process: a worker (`by=server`: X itself)",
      options="by:holder", checks=True)
def holds(run, step, deadline):
    proc, peer = run.actor(step), run.actors[step.a.peer]
    by = step.opts.get("by", "worker")

    def check():
        found = holders(proc, peer)
        if found is None or len(found) != 1:
            return found or []
        return None if (found[0] == proc.proc.pid) == (by == "server") else found
    found = run.poll(deadline, check)
    if found is not None:
        raise StepFailed("the connection of %s is not held by exactly one %s" % (step.a.peer, by),
                         expected="one %s process" % by,
                         actual="held by %s (server is %d)" % (describe_pids(found) or "nobody", proc.proc.pid))


@verb("distinct-holders", "PEER:peer...", "program", "each of these connections sits in a process of its own", checks=True)
def distinct_holders(run, step, deadline):
    proc = run.actor(step)
    peers = [run.actors[name] for name in step.a.peer]

    def check():
        held = [holders(proc, p) for p in peers]
        flat = [h[0] for h in held if h and len(h) == 1]
        return None if len(flat) == len(peers) and len(set(flat)) == len(flat) else held
    held = run.poll(deadline, check)
    if held is not None:
        raise StepFailed("the connections are not each held by a process of their own",
                         expected="%d distinct processes" % len(peers),
                         actual=", ".join("%s: %s" % (n, h) for n, h in zip(step.a.peer, held)))


@verb("accepting", "N:count", "program",
      "exactly N processes of X's tree wait in `accept()` on the listening socket, and X itself does not", checks=True)
def accepting(run, step, deadline):
    proc, want = run.actor(step), step.a.n

    def check():
        waiting = [p for p in tree(proc)[0] if procfs.in_accept(p)]
        return None if len(waiting) == want and proc.proc.pid not in waiting else waiting
    waiting = run.poll(deadline, check)
    if waiting is not None:
        raise StepFailed("the processes waiting in accept() are not %d workers" % want,
                         expected="%d workers in accept(), the server not" % want,
                         actual="in accept(): %s (server is %d)" % (describe_pids(waiting) or "none", proc.proc.pid))


@verb("echo-burst", "HOST:host TARGET:target PORT:port COUNT:count BYTES:bytes...", "label",
      "COUNT connections in a row from HOST, each echoing BYTES within `within=` of its start; with `tree=X` "
      "X's processes must not change", options="tree:started", checks=True)
def echo_burst(run, step, deadline):
    target, data = run.target(step.a.target), run.data(step.a.bytes)
    watch = run.actors[step.opts["tree"]] if "tree" in step.opts else None
    before = sorted(tree(watch)[0]) if watch else None
    within = step.opts.get("within", DEFAULT_WITHIN)
    for i in range(step.a.count):
        deadline = time.monotonic() + within      # each connection's own bound
        with Peer(run.timeline, "%s#%d" % (step.actor, i + 1), step.a.host, run.topo.ns(step.a.host)) as peer:
            peer.quiet = i > 0
            peer.tcp_connect(target, step.a.port, deadline)
            peer.send(data)
            got = peer.recv_exact(len(data), deadline)
        if got != data:
            raise StepFailed("connection %d of %d: echo differs" % (i + 1, step.a.count), expected=data, actual=got)
        if watch and sorted(tree(watch)[0]) != before:
            raise StepFailed("after connection %d of %d the processes changed" % (i + 1, step.a.count),
                             expected=describe_pids(before), actual=describe_pids(sorted(tree(watch)[0])))
    run.timeline.add(step.actor, "burst", "%d connections echoed %d bytes each" % (step.a.count, len(data)))


@verb("blocked-in", "CALL:call", "program",
      "X waits in CALL (/proc/PID/syscall; recv is read(), recv() or recvfrom()); with `size=N` (recv) "
      "it takes at most N bytes: a read() of 100 bytes is not one of 1024", options="size:count", checks=True,
      refuse=lambda a, opts: "size= is for %s only" % " and ".join(procfs.SIZED_CALLS)
      if "size" in opts and a.call not in procfs.SIZED_CALLS else None, needs="proc_syscall")
def blocked_in(run, step, deadline):
    proc, call, size = run.actor(step), step.a.call, step.opts.get("size")

    def check():
        waiting = procfs.waiting_in(proc.proc.pid)
        matches = waiting is not None and waiting.call == call and size in (None, waiting.size)
        return None if matches else waiting or "not waiting in a call (running or ended)"
    seen = run.poll(deadline, check)
    if seen is not None:
        raise StepFailed("%s is not waiting in the expected call" % step.actor,
                         expected=call + ("" if size is None else " of %d bytes" % size), actual=str(seen))


@verb("sockopt", "PROTOCOL:protocol PORT:port OPTION:option N:count", "program",
      "X holds a socket bound to local PORT (0: a port the kernel picked; TCP: listening) whose OPTION has "
      "the value N, read with getsockopt() on a copy of its descriptor (pidfd_getfd)", checks=True,
      refuse=lambda a, opts: "%s is an option of UDP sockets only" % a.option
      if a.protocol == "tcp" and a.option not in sockopts.TCP_OPTIONS else None, needs="pidfd_getfd")
def sockopt(run, step, deadline):
    proc, want, option = run.actor(step), step.a.n, step.a.option
    seen = []

    def check():
        seen[:] = [s for s in sockopts.bound_sockets(proc.proc.pid)
                   if s.protocol == step.a.protocol and sockopts.on_port(s.port, step.a.port)]
        return None if [s.options[option] for s in seen] == [want] else "differs"
    wrong = run.poll(deadline, check)
    run.timeline.add(step.actor, "socket", "%s port %d: %s" % (
        step.a.protocol, step.a.port, "; ".join(str(s.options) for s in seen) or "none"))
    if wrong:
        raise StepFailed("%s's %s socket on port %d: wrong %s" % (step.actor, step.a.protocol, step.a.port, option),
                         expected="%s %d" % (option, want),
                         actual=" ".join("%s %d" % (option, s.options[option]) for s in seen) or "no such socket")
