"""PCAP=1: every link of a case's topology recorded with tcpdump, one pcap
file per link beside the case's artifacts (pcap/LINK.pcap, readable by
Wireshark).  A link is recorded on one of its ends: a veth pair carries the
same packets on both."""
import os
import signal
import subprocess
import time

from sockconf.hosts import procfs

START_TIMEOUT = 5.0        # seconds for tcpdump to say it is listening
STOP_TIMEOUT = 5.0


class PcapError(Exception):
    pass


def links(spec):
    """(file name, host, interface, what it is) for every link of SPEC."""
    out = []
    for left, right in spec.links:
        out.append(("%s-%s--%s-%s" % (left.host, left.ifname, right.host, right.ifname), left.host, left.ifname,
                    "link %s %s - %s %s" % (left.host, left.ifname, right.host, right.ifname)))
    for port in spec.ports:
        out.append(("%s-%s--%s" % (port.host, port.ifname, port.switch.replace("/", "-")), port.host, port.ifname,
                    "host %s %s on switch %s" % (port.host, port.ifname, port.switch)))
    return out


class Capture:
    """tcpdump on every link of TOPO into DIRECTORY/pcap; a context manager."""

    def __init__(self, topo, directory):
        self.topo = topo
        self.directory = os.path.join(directory, "pcap")
        self.procs = []
        self.files = []            # (path, what it is)

    def __enter__(self):
        os.makedirs(self.directory, exist_ok=True)
        for name, host, ifname, what in links(self.topo.spec):
            path = os.path.join(self.directory, name + ".pcap")
            try:
                self._start(self.topo.ns(host), ifname, path)
            except BaseException:      # the ones already started stop too
                self.stop()
                raise
            self.files.append((path, what))
        return self

    def __exit__(self, *exc):
        self.stop()

    def _start(self, ns, ifname, path):
        with procfs.signals_deferred():      # recorded before an interrupt unwinds the capture
            proc = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", ifname, "--immediate-mode", "-U", "-s",
                                     "0", "-n", "-Z", "root", "-w", path], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, start_new_session=True)
            self.procs.append(proc)
        deadline = time.monotonic() + START_TIMEOUT
        line = b""
        os.set_blocking(proc.stderr.fileno(), False)
        while b"listening on" not in line:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise PcapError("tcpdump on %s in %s did not start: %s" % (ifname, ns, line.decode(errors="replace")))
            line += proc.stderr.read() or b""
            time.sleep(0.01)

    def stop(self):
        """Stop every tcpdump (SIGINT: it writes what it holds) and reap it."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=STOP_TIMEOUT)
            proc.stderr.close()
        self.procs = []
