"""A program under test: on a pseudo-terminal inside a host's namespace, as
a person at a terminal runs it.  Its stdout is a terminal, so default stdio
buffering is line buffering and every line is seen as it is printed; a
reader thread stamps each line on the case's timeline."""
import os
import pty
import signal
import subprocess
import termios
import threading
import time

from sockconf.hosts import procfs
from sockconf.run.actors import Actor
from sockconf.hosts.netns import host_command
from sockconf.language.notation import quote

OUTPUT_CAP = 1 << 20       # bytes kept per process; more is a failure
STOP_WAIT = 5.0            # seconds to reap a killed program
DRAIN_WAIT = 2.0           # seconds from its exit to the end of its output


def _raw_output_tty(fd):
    """A terminal that does not turn \\n into \\r\\n, echo kept as a terminal does."""
    attrs = termios.tcgetattr(fd)
    attrs[1] &= ~termios.ONLCR
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class Program(Actor):
    """A program under test running on a pty in namespace NS."""
    kind = "program"

    def __init__(self, timeline, name, host, ns, argv, cwd, env=None, launcher=None, origin=""):
        super().__init__(timeline, name, host, ns)
        self.origin = origin       # where it comes from: ref or impl, and its folder
        self.seen_pids = set()     # every pid ever seen in its tree (verbs/proc.py)
        self.argv = argv
        self.cwd = cwd
        self.env = env
        # launcher(ns, argv) -> the command that runs ARGV in NS (the case's sandbox)
        self.launcher = launcher or host_command
        self.output = bytearray()
        self.partial = b""
        self.cursor = 0            # offset after the last line an expect matched
        self.status = None         # exit status: code, or -signal
        self.exit_time = None
        self.start_time = None
        self.truncated = False
        self.cond = threading.Condition()
        self.proc = None
        self.master = None
        self.reader = None

    def describe(self):
        return "%s on host %s (%s): %s" % (self.name, self.host, self.ns, " ".join(self.argv))

    def summary(self):
        if self.status is None:
            ended = "still running at the end (stopped by the harness)"
        else:
            ended = "%s at %.3f s" % (self.ending(), self.exit_time)
        return "[%s] started at %.3f s, %s" % (self.origin, self.start_time or 0, ended)

    def ending(self):
        """How it ended: its exit status, or the signal and who sent it."""
        if self.status >= 0:
            return "exit %d" % self.status
        how = "killed by signal %d (%s)" % (-self.status, signal.Signals(-self.status).name)
        if self.truncated:
            how += ": the harness stopped it at its output cap of %d bytes" % OUTPUT_CAP
        elif -self.status == signal.SIGXCPU:
            how += ": its CPU time limit"
        return how

    def start(self):
        master, slave = pty.openpty()
        _raw_output_tty(slave)
        try:
            with procfs.signals_deferred():     # its pid recorded before an interrupt can unwind the case
                self.proc = subprocess.Popen(
                    self.launcher(self.ns, self.argv), cwd=self.cwd, env=self.env,
                    stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True)
        finally:
            os.close(slave)
        self.master = master
        self.start_time = self.note("start", "%s (host %s)" % (" ".join(self.argv), self.host))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        threading.Thread(target=self._wait, daemon=True).start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    if self.partial:
                        self.note("out", quote(self.partial) + "  (no newline)")
                        self.partial = b""
                    self.reader_done = True
                    self.cond.notify_all()
                    return
                self._take(chunk)
                self.cond.notify_all()

    def _take(self, chunk):
        room = OUTPUT_CAP - len(self.output)
        if len(chunk) > room:
            chunk = chunk[:max(room, 0)]
            if not self.truncated:
                self.truncated = True
                self.note("note", "output cap of %d bytes reached" % OUTPUT_CAP)
                self.signal(signal.SIGKILL, group=True)
        self.output += chunk
        data = self.partial + chunk
        *lines, self.partial = data.split(b"\n")
        for line in lines:
            self.note("out", quote(line))

    def _wait(self):
        code = self.proc.wait()
        with self.cond:
            self.exit_time = self.timeline.now()
            self.status = code
            what = "exit %d" % code if code >= 0 else "killed by signal %d" % -code
            self.note("exit", what, at=self.exit_time)
            self.cond.notify_all()

    reader_done = False

    # --- waits, all bounded -------------------------------------------------
    def wait_line(self, line, deadline):
        """Wait until a whole line equal to LINE is printed after the cursor."""
        target = line.encode() if isinstance(line, str) else line
        with self.cond:
            while True:
                if self._advance_to(target):
                    return self.timeline.now()
                left = deadline - time.monotonic()
                if self.reader_done or left <= 0:
                    return None
                self.cond.wait(left)

    def _advance_to(self, target):
        """Move the cursor past the first complete line equal to TARGET."""
        lines_end = len(self.output) - len(self.partial)
        offset = self.cursor
        while offset < lines_end:
            newline = self.output.find(b"\n", offset, lines_end)
            if newline < 0:        # the last line, ended by the exit, not by a newline
                return False
            if self.output[offset:newline] == target:
                self.cursor = newline + 1
                return True
            offset = newline + 1
        return False

    def wait_exit(self, deadline):
        """Wait for the exit; returns (status, time) or None at the deadline."""
        with self.cond:
            while self.status is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.status, self.exit_time

    def drain(self, timeout=DRAIN_WAIT):
        """After the exit, wait (bounded) until the reader saw end of output."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.reader_done and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())

    def type(self, data):
        os.write(self.master, data)
        self.note("stdin", quote(data))

    def signal(self, signum, group=False):
        """Send SIGNUM to the program (GROUP: to its whole process group)."""
        if self.proc and self.proc.poll() is None:
            try:
                (os.killpg if group else os.kill)(self.proc.pid, signum)
                self.note("signal", signal.Signals(signum).name)
            except ProcessLookupError:
                pass

    def stop(self):
        """Kill the process group and reap; close the terminal."""
        if self.proc is None:
            return
        self.signal(signal.SIGKILL, group=True)
        try:
            self.proc.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            pass
        self.drain(timeout=1.0)
        if self.master is not None:
            try:
                os.close(self.master)
            except OSError:
                pass
            self.master = None

    def pids(self):
        """This process and its descendants, from /proc."""
        if self.proc is None:
            return []
        return [self.proc.pid] + procfs.descendants(self.proc.pid)
