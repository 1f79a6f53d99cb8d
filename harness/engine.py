"""Run one conformance case: build its topology, play its steps, compare.

CaseRun.run() returns normally when the case passes and raises CaseFailed
with a report that reads like a bug report otherwise: the step that failed,
expected vs actual as a unified diff, exit statuses and timings, each
process's host and command line, and where the artifacts are.
"""
import contextlib
import difflib
import os
import platform
import re
import signal
import subprocess
import time

from cases import DEFAULT_WITHIN, WORKERS, Quoted, decode_bytes
from netns import Topology, TopologyError, in_netns, parse_spec
from runner import OUTPUT_CAP, Peer, PeerError, Program, Timeline, visible

PROGRAM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def program_env(extra_path=""):
    """The whole environment of a program under test: small and fixed, its
    PATH extended in front by PROGRAM_PATH= (a language under /usr/local)."""
    return {
        "PATH": (extra_path + ":" if extra_path else "") + PROGRAM_PATH,
        "LC_ALL": "C",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=99",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=98",
    }
TCP_STATES = {"ESTABLISHED": "01", "SYN_SENT": "02", "FIN_WAIT1": "04", "FIN_WAIT2": "05",
              "TIME_WAIT": "06", "CLOSE": "07", "CLOSE_WAIT": "08", "LAST_ACK": "09", "LISTEN": "0A"}
EXIT_AFTER_EOF = 1.0   # seconds from the end of a program's output to its exit status, at most
SETTLE_QUIET = 0.3     # a still-running program must be quiet this long before it is stopped
SETTLE_MAX = 2.0


class StepFailed(Exception):
    def __init__(self, message, expected=None, actual=None):
        super().__init__(message)
        self.expected = expected
        self.actual = actual


class CaseFailed(Exception):
    pass


class CaseRun:
    """One run of CASE with DIRS = {program: (directory, origin)}."""

    def __init__(self, case, dirs, prefix, tmpdir, artifacts, rerun, sandbox=None, env=None):
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

    # --- values --------------------------------------------------------------
    def subst(self, text):
        """Replace %{host}, %{actor.port}, %{actor.addr} with what the harness knows."""
        def value(m):
            key = m.group(1)
            if "." in key:
                actor, attr = key.split(".", 1)
                peer = self.actors.get(actor)
                if not isinstance(peer, Peer) or attr not in ("port", "addr"):
                    raise StepFailed("unknown value %%{%s}" % key)
                return str(getattr(peer, attr))
            return self.topo.address(key)
        return re.sub(r"%\{(?!PORT\})([A-Za-z0-9_.]+)\}", value, text)

    def data(self, args):
        """Concatenate quoted arguments (each with its *N repeat) into bytes."""
        out = b""
        for arg in args:
            if not isinstance(arg, Quoted):
                raise StepFailed("expected a quoted byte string, got %r" % arg)
            out += decode_bytes(self.subst(arg.raw)) * arg.repeat
        return out

    def word(self, arg):
        """A command-line word: bare, or quoted (escapes and *N repeat applied)."""
        if isinstance(arg, Quoted):
            return decode_bytes(self.subst(arg.raw)).decode() * arg.repeat
        return self.subst(arg)

    def target(self, arg):
        """A host name of the topology, or an address as written."""
        text = self.word(arg)
        return text if re.match(r"^\d+\.\d+\.\d+\.\d+$", text) else self.topo.address(text)

    # --- the run -------------------------------------------------------------
    def run(self):
        failure = None
        with contextlib.ExitStack() as stack:
            self.topo = Topology(parse_spec(self.case.topology), self.prefix, self.tmpdir, self.case.names)
            self.topo.up()
            stack.callback(self.topo.down)
            stack.callback(self._stop_all)
            self.timeline.add("harness", "topology", "%s up in %.1f ms" % (
                self.case.topology, 1000 * self.topo.timings["up"]))
            for step in self.case.steps:
                try:
                    self.timeline.add("harness", "step", "%s: %s" % (step.where(self.case), step.source))
                    self.do(step)
                except StepFailed as exc:
                    failure = (step, exc)
                    break
                except (OSError, PeerError, TopologyError) as exc:
                    failure = (step, StepFailed("%s: %s" % (type(exc).__name__, exc)))
                    break
            self._settle()
            self._stop_all()
            diffs = self._compare_transcripts()
        if failure or diffs:
            report = self._report(failure, diffs)
            self._save_artifacts(report)
            raise CaseFailed(report)

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

    # --- steps ---------------------------------------------------------------
    def do(self, step):
        within = float(step.opts.get("within", DEFAULT_WITHIN))
        deadline = time.monotonic() + within
        if "at" in step.opts:
            at, tol = self._at(step)
            deadline = self.timeline.t0 + self.marks[step.opts["from"]] + at + tol + 1.0
        handler = getattr(self, "step_" + step.verb.replace("-", "_"))
        when = handler(step, deadline, within)
        if when is None:
            when = self.timeline.now()
        if "at" in step.opts:
            self._check_at(step, when)
        if "mark" in step.opts:
            self.marks[step.opts["mark"]] = when

    def _at(self, step):
        m = re.match(r"^([\d.]+)\+-([\d.]+)$", step.opts["at"])
        if not m:
            raise StepFailed("at= is SECONDS+-TOLERANCE, e.g. at=15+-0.5")
        if step.opts["from"] not in self.marks:
            raise StepFailed("from=%s names no earlier mark" % step.opts["from"])
        return float(m.group(1)), float(m.group(2))

    def _check_at(self, step, when):
        at, tol = self._at(step)
        elapsed = when - self.marks[step.opts["from"]]
        if abs(elapsed - at) > tol:
            raise StepFailed("happened %.3f s after %s; expected %.3f s +- %.3f s" % (
                elapsed, step.opts["from"], at, tol))

    def program(self, step):
        actor = self.actors.get(step.actor)
        if not isinstance(actor, Program):
            raise StepFailed("%s is not a started program" % step.actor)
        return actor

    def peer(self, step, host=None):
        actor = self.actors.get(step.actor)
        if actor is None:
            if host is None:
                raise StepFailed("peer %s is used before it is placed on a host" % step.actor)
            actor = self.actors[step.actor] = Peer(self.timeline, step.actor, host, self.topo.ns(host))
        if not isinstance(actor, Peer):
            raise StepFailed("%s is a program, not a scripted peer" % step.actor)
        return actor

    # programs
    def step_start(self, step, deadline, within):
        host, program = step.args[0], step.args[1]
        directory, origin = self.dirs[program]
        path = os.path.join(directory, program)
        problem = unrunnable(path)
        if not problem and program in WORKERS and unrunnable(os.path.join(directory, WORKERS[program])):
            problem = "its worker program %s: %s" % (WORKERS[program], unrunnable(os.path.join(directory, WORKERS[program])))
        if problem:
            raise StepFailed("%s (%s) cannot run: %s" % (path, origin, problem))
        argv = ["./" + program] + [self.word(a) for a in step.args[2:]]
        proc = Program(self.timeline, step.actor, host, self.topo.ns(host), argv, directory, self.env,
                       launcher=self.sandbox.command if self.sandbox else None)
        self.actors[step.actor] = proc
        proc.origin = origin
        proc.seen_pids = set()
        proc.start()
        return proc.start_time

    def step_expect(self, step, deadline, within):
        proc = self.program(step)
        line = self.subst(step.args[0].raw)
        when = proc.wait_line(line, deadline)
        if when is None:
            if proc.reader_done:       # its output ended: let its exit status arrive (bounded)
                proc.wait_exit(time.monotonic() + EXIT_AFTER_EOF)
            state = "it ended: %s" % ending(proc) if proc.status is not None else "still running"
            raise StepFailed("line not printed in time (%s)" % state, expected=line)
        return when

    def step_type(self, step, deadline, within):
        self.program(step).type(self.data(step.args))

    def step_eof(self, step, deadline, within):
        self.program(step).type(b"\x04")

    def step_exit(self, step, deadline, within):
        proc = self.program(step)
        expected = int(step.args[0])
        got = proc.wait_exit(deadline)
        if got is None:
            raise StepFailed("did not exit in time", expected="exit %d" % expected, actual="still running")
        status, when = got
        proc.drain()
        if status != expected:
            actual = "exit %d" % status if status >= 0 else "killed by signal %d" % -status
            raise StepFailed("wrong exit status", expected="exit %d" % expected, actual=actual)
        return when

    def step_running(self, step, deadline, within):
        proc = self.program(step)
        seconds = float(step.opts["for"])
        got = proc.wait_exit(time.monotonic() + seconds)
        if got is not None:
            raise StepFailed("exited while it should still run", expected="running after %.1f s" % seconds,
                             actual="exit %s at %.3f s" % got)

    def step_signal(self, step, deadline, within):
        self.program(step).signal(getattr(signal, "SIG" + step.args[0]))

    def step_stopped(self, step, deadline, within):
        """X is stopped (state T in /proc), as after Ctrl-Z: polled until the deadline."""
        proc = self.program(step)
        state = self._poll(deadline, lambda: None if process_state(proc.proc.pid) == "T"
                           else process_state(proc.proc.pid) or "gone")
        if state is not None:
            raise StepFailed("%s is not stopped" % step.actor, expected="state T (stopped)", actual="state %s" % state)

    # process architecture, read from /proc
    def _tree(self, proc):
        """Live (non-zombie) pids and zombie pids of PROC's process tree."""
        live, zombies = [], []
        for pid in proc.pids():
            state = process_state(pid)
            if state is not None:
                (zombies if state == "Z" else live).append(pid)
        proc.seen_pids.update(live)
        return live, zombies

    def _poll(self, deadline, check):
        """Call CHECK until it returns None (done) or the deadline; returns its last answer."""
        while True:
            problem = check()
            if problem is None or time.monotonic() >= deadline:
                return problem
            time.sleep(0.01)

    def step_tree(self, step, deadline, within):
        proc, want = self.program(step), int(step.args[0])

        def check():
            live, _ = self._tree(proc)
            return None if len(live) == want else live
        live = self._poll(deadline, check)
        self.timeline.add(step.actor, "tree", "processes %s" % (live or "as expected"))
        if live is not None:
            raise StepFailed("wrong number of processes in %s's tree" % step.actor,
                             expected="%d processes" % want, actual="%d: %s" % (len(live), describe_pids(live)))

    def step_zombies(self, step, deadline, within):
        proc = self.program(step)
        zombies = self._poll(deadline, lambda: self._tree(proc)[1] or None)
        if zombies:
            raise StepFailed("children left unreaped", expected="no zombie", actual="zombies %s" % zombies)

    def step_gone(self, step, deadline, within):
        """Every process ever seen in the tree has ended (no orphans)."""
        proc = self.program(step)
        left = self._poll(deadline, lambda: [p for p in proc.seen_pids if os.path.exists("/proc/%d" % p)
                                            and not is_zombie(p)] or None)
        if left:
            raise StepFailed("processes of %s's tree outlived it" % step.actor, expected="none left",
                             actual=describe_pids(left))

    def step_kill_worker(self, step, deadline, within):
        proc = self.program(step)
        live, _ = self._tree(proc)
        workers = sorted(p for p in live if p != proc.proc.pid)
        if not workers:
            raise StepFailed("no worker to kill", expected="a worker process", actual="none")
        os.kill(workers[0], signal.SIGKILL)
        self.timeline.add(step.actor, "signal", "SIGKILL to worker %d" % workers[0])

    def _holders(self, proc, peer):
        """Pids of PROC's tree holding the server side of PEER's connection."""
        port = peer.port
        inode = None
        with open("/proc/%d/net/tcp" % proc.proc.pid) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if int(fields[2].split(":")[1], 16) == port and fields[3] != "0A" and fields[9] != "0":
                    inode = fields[9]
        if inode is None or inode == "0":
            return None
        target = "socket:[%s]" % inode
        holders = []
        for pid in self._tree(proc)[0]:
            try:
                fds = os.listdir("/proc/%d/fd" % pid)
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == target:
                        holders.append(pid)
                        break
                except OSError:
                    pass
        return holders

    def step_holds(self, step, deadline, within):
        """PEER's connection is held by exactly one process: a worker (by=worker) or the server."""
        proc = self.program(step)
        peer = self.actors.get(step.args[0])
        by = step.opts.get("by", "worker")

        def check():
            holders = self._holders(proc, peer)
            if holders is None or len(holders) != 1:
                return holders or []
            is_server = holders[0] == proc.proc.pid
            return None if is_server == (by == "server") else holders
        holders = self._poll(deadline, check)
        if holders is not None:
            raise StepFailed("the connection of %s is not held by exactly one %s" % (step.args[0], by),
                             expected="one %s process" % by,
                             actual="held by %s (server is %d)" % (describe_pids(holders) or "nobody", proc.proc.pid))

    def _in_accept(self, pid):
        """True when PID is blocked in accept() or accept4() on a listening TCP socket."""
        try:
            with open("/proc/%d/syscall" % pid) as f:
                fields = f.read().split()
        except OSError:
            return False
        if not fields or not fields[0].isdigit() or int(fields[0]) not in ACCEPT_SYSCALLS:
            return False
        try:
            target = os.readlink("/proc/%d/fd/%d" % (pid, int(fields[1], 16)))
        except OSError:
            return False
        return target in listening_sockets(pid)

    def step_accepting(self, step, deadline, within):
        """Exactly N workers of X (never X itself) wait in accept() on the listening socket."""
        proc, want = self.program(step), int(step.args[0])

        def check():
            live, _ = self._tree(proc)
            accepting = [p for p in live if self._in_accept(p)]
            ok = len(accepting) == want and proc.proc.pid not in accepting
            return None if ok else accepting
        accepting = self._poll(deadline, check)
        if accepting is not None:
            raise StepFailed("the processes waiting in accept() are not %d workers" % want,
                             expected="%d workers in accept(), the server not" % want,
                             actual="in accept(): %s (server is %d)" % (describe_pids(accepting) or "none",
                                                                        proc.proc.pid))

    def step_distinct_holders(self, step, deadline, within):
        proc = self.program(step)
        peers = [self.actors.get(name) for name in step.args]

        def check():
            held = [self._holders(proc, p) for p in peers]
            flat = [h[0] for h in held if h and len(h) == 1]
            return None if len(flat) == len(peers) and len(set(flat)) == len(flat) else held
        held = self._poll(deadline, check)
        if held is not None:
            raise StepFailed("the connections are not each held by a process of their own",
                             expected="%d distinct processes" % len(peers),
                             actual=", ".join("%s: %s" % (n, h) for n, h in zip(step.args, held)))

    def step_echo_burst(self, step, deadline, within):
        """COUNT connections in a row, each echoing BYTES; with tree=X, X's
        process set must stay the same all along (pre-started workers)."""
        host, target, port, count = step.args[0], self.target(step.args[1]), int(step.args[2]), int(step.args[3])
        data = self.data(step.args[4:])
        watch = self.actors.get(step.opts["tree"]) if "tree" in step.opts else None
        before = sorted(self._tree(watch)[0]) if watch else None
        for i in range(count):
            peer = Peer(self.timeline, "%s#%d" % (step.actor, i + 1), host, self.topo.ns(host))
            peer.quiet = i > 0
            peer.tcp_connect(target, port, deadline)
            peer.send(data)
            got = peer.recv_exact(len(data), deadline)
            peer.stop()
            if got != data:
                raise StepFailed("connection %d of %d: echo differs" % (i + 1, count), expected=data, actual=got)
            if watch:
                now = sorted(self._tree(watch)[0])
                if now != before:
                    raise StepFailed("after connection %d of %d the processes changed" % (i + 1, count),
                                     expected=describe_pids(before), actual=describe_pids(now))
        self.timeline.add(step.actor, "burst", "%d connections echoed %d bytes each" % (count, len(data)))

    # TCP peers
    def step_tcp_connect(self, step, deadline, within):
        peer = self.peer(step, step.args[0])
        try:
            peer.tcp_connect(self.target(step.args[1]), int(step.args[2]), deadline)
        except ConnectionRefusedError:
            raise StepFailed("connection refused", expected="connected", actual="refused")
        return self.timeline.now()

    def step_tcp_refused(self, step, deadline, within):
        peer = self.peer(step, step.args[0])
        try:
            peer.tcp_connect(self.target(step.args[1]), int(step.args[2]), deadline)
        except ConnectionRefusedError:
            return None
        raise StepFailed("connection accepted", expected="refused", actual="connected")

    def step_tcp_listen(self, step, deadline, within):
        self.peer(step, step.args[0]).tcp_listen(int(step.args[1]))

    def step_accept(self, step, deadline, within):
        self.peer(step).tcp_accept(deadline)

    def step_send(self, step, deadline, within):
        self.peer(step).send(self.data(step.args))

    def step_recv(self, step, deadline, within):
        expected = self.data(step.args)
        got = self.peer(step).recv_exact(len(expected), deadline)
        if got != expected:
            raise StepFailed("received bytes differ (%d expected, %d received)" % (len(expected), len(got)),
                             expected=expected, actual=got)

    STREAM_STATES = {"eof": "end of stream (the peer closed)", "reset": "connection reset by the peer",
                     "open": "connection open, nothing received", "data": "more data"}

    def _stream_end(self, step, deadline, want):
        state, data = self.peer(step).recv_state(deadline)
        if state != want:
            actual = self.STREAM_STATES[state]
            if state == "data":
                actual = "%d more bytes: %s" % (len(data), shorten(visible(data)))
            raise StepFailed("the connection is not in the expected state", expected=self.STREAM_STATES[want],
                             actual=actual)

    def step_recv_eof(self, step, deadline, within):
        self._stream_end(step, deadline, "eof")

    def step_recv_reset(self, step, deadline, within):
        self._stream_end(step, deadline, "reset")

    def step_recv_nothing(self, step, deadline, within):
        self._stream_end(step, time.monotonic() + float(step.opts["for"]), "open")

    def step_close(self, step, deadline, within):
        self.peer(step).close()

    def step_reset(self, step, deadline, within):
        self.peer(step).reset()

    def step_tcp_state(self, step, deadline, within):
        """A socket of local PORT on HOST reaches STATE (polled: a FIN in flight
        may still be moving it there), read from HOST's /proc/net/tcp; with
        count=N, exactly N sockets of that port are in STATE (N may be 0)."""
        host, port, state = step.args[0], int(step.args[1]), step.args[2]
        want = int(step.opts["count"]) if "count" in step.opts else None

        def satisfied(states):
            found = states.count(TCP_STATES[state])
            return found >= 1 if want is None else found == want

        def states_now():
            with open("/proc/thread-self/net/tcp") as f:
                lines = f.readlines()[1:]
            return [l.split()[3] for l in lines if int(l.split()[1].split(":")[1], 16) == port]
        states = []

        def check():
            states[:] = in_netns(self.topo.ns(host), states_now)
            return None if satisfied(states) else states
        self._poll(deadline, check)
        self.timeline.add("harness", "tcp", "host %s port %d states %s" % (host, port, states))
        if not satisfied(states):
            names = {v: k for k, v in TCP_STATES.items()}
            raise StepFailed("sockets of local port %d on host %s are not as expected" % (port, host),
                             expected=state if want is None else "%d in %s" % (want, state),
                             actual=" ".join(names.get(s, s) for s in states) or "none")

    def step_backlog(self, step, deadline, within):
        """The socket listening on PORT of HOST has the listen() backlog N (ss's Send-Q)."""
        host, port, want = step.args[0], int(step.args[1]), int(step.args[2])

        def backlogs():
            out = subprocess.run(["ip", "netns", "exec", self.topo.ns(host), "ss", "-Hltn", "sport = :%d" % port],
                                 capture_output=True, text=True, timeout=10).stdout
            return [int(line.split()[2]) for line in out.splitlines() if line.split()[:1] == ["LISTEN"]]
        found = []

        def check():
            found[:] = backlogs()
            return None if found else "none"
        self._poll(deadline, check)
        self.timeline.add("harness", "tcp", "host %s port %d listen backlogs %s" % (host, port, found))
        if found != [want]:
            raise StepFailed("wrong listen() backlog on port %d of host %s" % (port, host),
                             expected="backlog %d" % want, actual=" ".join("backlog %d" % b for b in found) or "not listening")

    # network faults with nftables (this kernel has no netem)
    def _nft(self, host, script):
        proc = subprocess.run(["ip", "netns", "exec", self.topo.ns(host), "nft", "-f", "-"], input=script,
                              capture_output=True, text=True, timeout=10)
        if proc.returncode != 0:
            raise StepFailed("nft failed on host %s: %s" % (host, proc.stderr.strip()))

    def step_nft_drop(self, step, deadline, within):
        """Drop the packets HOST receives (hook=output: sends) that match MATCH, counting them."""
        host, match = step.args[0], self.word(step.args[1])
        hook = step.opts.get("hook", "input")
        if hook not in ("input", "output"):
            raise StepFailed("hook= is input or output")
        self._nft(host, "table inet sockconf {\n chain %s {\n  type filter hook %s priority 0;\n"
                        "  %s counter drop\n }\n}\n" % (hook, hook, match))
        self.timeline.add("harness", "nft", "host %s drops (%s): %s" % (host, hook, match))

    def step_nft_dropped(self, step, deadline, within):
        """Exactly N packets were dropped on HOST (polled until the deadline)."""
        host, want = step.args[0], int(step.args[1])

        def count():
            out = subprocess.run(["ip", "netns", "exec", self.topo.ns(host), "nft", "list", "table", "inet",
                                  "sockconf"], capture_output=True, text=True, timeout=10).stdout
            return sum(int(n) for n in re.findall(r"counter packets (\d+)", out))
        got = self._poll(deadline, lambda: None if count() == want else count())
        self.timeline.add("harness", "nft", "host %s dropped %d packets" % (host, want if got is None else got))
        if got is not None:
            raise StepFailed("wrong number of dropped packets on host %s" % host,
                             expected="%d packets" % want, actual="%d packets" % got)

    # UDP and multicast peers
    def step_udp_bind(self, step, deadline, within):
        port = int(step.args[1]) if len(step.args) > 1 else 0
        self.peer(step, step.args[0]).udp_open(port)

    def step_udp_send(self, step, deadline, within):
        peer = self.peer(step)
        peer.udp_send(self.data(step.args[2:]), self.target(step.args[0]), int(step.args[1]))

    def step_udp_reply(self, step, deadline, within):
        peer = self.peer(step)
        if peer.last_src is None:
            raise StepFailed("udp-reply before any datagram was received")
        peer.udp_send(self.data(step.args), *peer.last_src)

    def step_mcast_join(self, step, deadline, within):
        host = step.args[0]
        self.peer(step, host).udp_open(int(step.args[2]), group=step.args[1], iface=self.topo.address(host))

    def step_mcast_send(self, step, deadline, within):
        host = step.args[0]
        peer = self.peer(step, host)
        peer.udp_send(self.data(step.args[3:]), step.args[1], int(step.args[2]),
                      ttl=int(step.opts.get("ttl", 1)), iface=self.topo.address(host))

    def step_udp_recv(self, step, deadline, within):
        expected = self.data(step.args)
        got = self.peer(step).udp_recv(deadline)
        if got is None:
            raise StepFailed("no datagram in time", expected="%d bytes" % len(expected), actual="nothing")
        data, src, ttl = got
        if "size" in step.opts:
            # size=N: N bytes that begin with BYTES; the rest is left open
            size = int(step.opts["size"])
            if len(data) != size or not data.startswith(expected):
                raise StepFailed("datagram is not %d bytes beginning with the expected ones (%d received)" % (
                    size, len(data)), expected=expected, actual=data[:len(expected)] if len(data) == size else data)
        elif data != expected:
            raise StepFailed("datagram differs (%d expected, %d received)" % (len(expected), len(data)),
                             expected=expected, actual=data)
        if "src" in step.opts:
            host, _, port = step.opts["src"].partition(":")
            want = (self.target(host), int(self.subst(port))) if port else None
            got_src = src if port else None
            if src[0] != self.target(host) or (port and got_src != want):
                raise StepFailed("datagram from the wrong source", expected=step.opts["src"],
                                 actual="%s:%d" % src)
        if "ttl" in step.opts and ttl != int(step.opts["ttl"]):
            raise StepFailed("datagram arrived with the wrong TTL", expected="ttl %s" % step.opts["ttl"],
                             actual="ttl %s" % ttl)

    step_mcast_recv = step_udp_recv

    def step_udp_nothing(self, step, deadline, within):
        got = self.peer(step).udp_recv(time.monotonic() + float(step.opts["for"]))
        if got is not None:
            raise StepFailed("a datagram arrived", expected="nothing for %s s" % step.opts["for"],
                             actual="%d bytes from %s:%d" % (len(got[0]), got[1][0], got[1][1]))

    # --- verdict ----------------------------------------------------------------
    def _compare_transcripts(self):
        diffs = []
        for actor, (lineno, text) in self.case.transcripts.items():
            proc = self.actors.get(actor)
            actual = bytes(proc.output).decode("utf-8", "replace") if proc else ""
            try:
                expected = self.subst(text)
            except StepFailed as exc:
                expected = "(cannot expand: %s)\n" % exc
            expected = match_ports(expected, actual)
            if actual != expected:
                diffs.append((actor, lineno, unified(expected, actual, actor)))
        return diffs

    def _report(self, failure, diffs):
        case = self.case
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
            lines.extend("    " + l for l in diff)
        lines.append("  processes:")
        for actor in self.actors.values():
            lines.append("    " + actor.describe())
            if isinstance(actor, Program):
                lines.append("      [%s] started at %.3f s, %s" % (actor.origin, actor.start_time or 0, exit_text(actor)))
            else:
                lines.append("      sent %d bytes, received %d bytes" % (actor.sent, actor.received))
        lines.append("  artifacts: %s" % os.path.relpath(self.artifacts))
        lines.append("  rerun:     %s" % self.rerun)
        return "\n".join(lines)

    def _save_artifacts(self, report):
        os.makedirs(self.artifacts, exist_ok=True)
        for name, actor in self.actors.items():
            if isinstance(actor, Program):
                with open(os.path.join(self.artifacts, name + ".out"), "wb") as f:
                    f.write(bytes(actor.output))
        with open(os.path.join(self.artifacts, "timeline.txt"), "w") as f:
            f.write(self.timeline.render())
        with open(os.path.join(self.artifacts, "report.txt"), "w") as f:
            f.write(report + "\n")


PORT_PATTERN = "%{PORT}"


def match_ports(expected, actual):
    """Lines with %{PORT} (an ephemeral port the harness cannot know) take the
    actual line when it matches with a port number 1..65535 there."""
    if PORT_PATTERN not in expected:
        return expected
    exp_lines, act_lines = expected.split("\n"), actual.split("\n")
    for i, line in enumerate(exp_lines):
        if PORT_PATTERN not in line or i >= len(act_lines):
            continue
        regex = "^" + "([1-9][0-9]{0,4})".join(re.escape(p) for p in line.split(PORT_PATTERN)) + "$"
        m = re.match(regex, act_lines[i])
        if m and all(1 <= int(g) <= 65535 for g in m.groups()):
            exp_lines[i] = act_lines[i]
    return "\n".join(exp_lines)


def exit_text(proc):
    if proc.status is None:
        return "still running at the end (stopped by the harness)"
    return "%s at %.3f s" % (ending(proc), proc.exit_time)


def ending(proc):
    """How PROC ended: its exit status, or the signal and who sent it."""
    if proc.status >= 0:
        return "exit %d" % proc.status
    how = "killed by signal %d (%s)" % (-proc.status, signal.Signals(-proc.status).name)
    if proc.truncated:
        how += ": the harness stopped it at its output cap of %d bytes" % OUTPUT_CAP
    elif -proc.status == signal.SIGXCPU:
        how += ": its CPU time limit"
    return how


DIFF_LINE_LIMIT = 300      # characters of one diff line in a report (a flood would fill the screen)
DIFF_LINES_LIMIT = 200


def shorten(text, limit=160):
    return text if len(text) <= limit else text[:limit] + "... (%d characters in all)" % len(text)


def show(value, other=None):
    """A value for the report; bytes around their first difference from OTHER."""
    if value is None:
        return "-"
    if isinstance(value, bytes):
        start = 0
        if isinstance(other, bytes):
            start = next((i for i, (x, y) in enumerate(zip(value, other)) if x != y), min(len(value), len(other)))
            start = max(0, start - 20)
        where = " from offset %d" % start if start else ""
        return "%d bytes%s: %s" % (len(value), where, shorten(visible(value[start:])))
    return value if isinstance(value, str) else str(value)


def mark_line(line):
    """A transcript line as the case file writes it: trailing spaces as %SP."""
    body = line.rstrip(" ")
    return (body + "%SP" * (len(line) - len(body))).replace("\r", "%CR").replace("\0", "%NUL")


def unified(expected, actual, actor):
    exp = [mark_line(l) for l in expected.split("\n")]
    act = [mark_line(l) for l in actual.split("\n")]
    diff = difflib.unified_diff(exp, act, "expected/" + actor, "actual/" + actor, lineterm="", n=3)
    lines = [shorten(line, DIFF_LINE_LIMIT) for line in diff]
    if len(lines) > DIFF_LINES_LIMIT:
        lines = lines[:DIFF_LINES_LIMIT] + ["... (%d more lines of diff; the whole output is in the artifacts)" % (
            len(lines) - DIFF_LINES_LIMIT)]
    return lines


# accept() and accept4() in /proc/PID/syscall, by machine
ACCEPT_SYSCALLS = {"x86_64": (43, 288), "aarch64": (202, 242)}.get(platform.machine(), ())


def listening_sockets(pid):
    """"socket:[INODE]" of every listening TCP socket in PID's network namespace."""
    with open("/proc/%d/net/tcp" % pid) as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return {"socket:[%s]" % r[9] for r in rows if r[3] == "0A"}


def process_state(pid):
    """The state letter of PID in /proc (R, S, T, Z, ...), or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def is_zombie(pid):
    return process_state(pid) == "Z"


def describe_pids(pids):
    """pid(name) for each pid, from /proc/PID/comm."""
    out = []
    for pid in pids:
        try:
            with open("/proc/%d/comm" % pid) as f:
                out.append("%d(%s)" % (pid, f.read().strip()))
        except OSError:
            out.append("%d(gone)" % pid)
    return " ".join(out)


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
