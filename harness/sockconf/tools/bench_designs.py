"""make bench, part two: connections per second of the four server designs.

Each design serves on host a of a fresh `pair` topology; the project's load
generator (src/bench/loadgen.c) runs on host b with 1, 4 and 16 concurrent
clients, each looping connect, send a 16-byte line plus NUL, read the echo,
close; once with clients that send at once (`bare`) and once with clients
that wait 1 ms between connect and send (`slow1ms`).  Each point is the
median of 3 one-second runs, with min and max.  Two anchors run the same
way: socat (fork+exec of cat per connection) and a ceiling server (one
SO_REUSEPORT epoll loop per core).  Writes build/bench/designs.csv and
build/bench/designs.png and checks the ratios the design issue targets.
"""
import csv
import os
import signal
import statistics
import subprocess
import tempfile
import time

from sockconf.catalogue import PORTS
from sockconf.hosts import netns
from sockconf.hosts import procfs
from sockconf.language.topofile import parse_spec
from sockconf.hosts.topology import Topology

from sockconf.paths import ROOT
BIN = os.path.join(ROOT, "build", "bin")
TOOLS = os.path.join(ROOT, "build", "bench", "bin")
OUT = os.path.join(ROOT, "build", "bench")
PORT = PORTS["iserver"]     # every design listens where iserver does
CLIENTS = (1, 4, 16)
LINKS = {"bare": 0, "slow1ms": 1000}
REPS = 3
SECONDS = 1
WORKERS = 16
DESIGNS = {
    "iterative": [os.path.join(BIN, "iserver"), "1000000"],     # its largest count
    "spawn": [os.path.join(BIN, "spawnserver")],
    "sendmsg": [os.path.join(BIN, "sendmsgserver"), str(WORKERS)],
    "accept": [os.path.join(BIN, "acceptserver"), str(WORKERS)],
    "socat": ["socat", "TCP-LISTEN:%d,fork,reuseaddr,backlog=128" % PORT, "EXEC:cat"],
    "ceiling": [os.path.join(TOOLS, "ceiling"), str(PORT), str(os.cpu_count() or 2)],
}


def wait_listening(proc, timeout=5.0):
    """Poll the server's /proc/PID/net/tcp for a LISTEN socket on PORT."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            if any(s.local_port == PORT and s.state == "LISTEN"
                   for s in procfs.tcp_sockets("/proc/%d/net/tcp" % proc.pid)):
                return
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError("server not listening after %.0f s" % timeout)


def measure(topo, clients, delay_us):
    out = subprocess.run(["ip", "netns", "exec", topo.ns("b"), os.path.join(TOOLS, "loadgen"),
                          topo.address("a"), str(PORT), str(clients), str(SECONDS), str(delay_us)],
                         capture_output=True, text=True, timeout=SECONDS + 30).stdout
    fields = dict(kv.split("=") for kv in out.split())
    return float(fields["cps"]), int(fields["errors"])


def bench_design(rid, design, link, seq):
    rows = []
    with tempfile.TemporaryDirectory(prefix="sockconf-bench-") as tmp:
        topo = Topology(parse_spec("pair"), "sc%s-d%02d" % (rid, seq), tmp)
        topo.up()
        try:
            for host in ("a", "b"):
                netns.in_netns(topo.ns(host), netns.write_file, "/proc/sys/net/ipv4/ip_local_port_range", "1024 65535")
                netns.in_netns(topo.ns(host), netns.write_file, "/proc/sys/net/ipv4/tcp_tw_reuse", "1")
            server = subprocess.Popen(["ip", "netns", "exec", topo.ns("a")] + DESIGNS[design],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                wait_listening(server)
                for clients in CLIENTS:
                    runs = [measure(topo, clients, LINKS[link]) for _ in range(REPS)]
                    cps = [r[0] for r in runs]
                    rows.append({"design": design, "link": link, "clients": clients,
                                 "median_cps": round(statistics.median(cps), 1),
                                 "min_cps": round(min(cps), 1), "max_cps": round(max(cps), 1),
                                 "errors": sum(r[1] for r in runs)})
                    print("  %-9s %-8s %2d clients: %9.0f conn/s (min %.0f, max %.0f)%s" % (
                        design, link, clients, rows[-1]["median_cps"], min(cps), max(cps),
                        "  errors %d" % rows[-1]["errors"] if rows[-1]["errors"] else ""), flush=True)
            finally:
                if server.poll() is None:
                    os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait(5)
        finally:
            topo.down()
    return rows


def value(rows, design, link, clients):
    return next(r["median_cps"] for r in rows if (r["design"], r["link"], r["clients"]) == (design, link, clients))


def verdicts(rows):
    """The design issue's targets, as ratios within this run (16 clients)."""
    v = lambda d, l="bare": value(rows, d, l, 16)  # noqa: E731
    checks = [
        ("accept >= 0.9 x ceiling (bare, 16)", v("accept") / v("ceiling"), 0.9),
        ("accept >= 3.5 x spawn (bare, 16)", v("accept") / v("spawn"), 3.5),
        ("accept >= 30 x socat (bare, 16)", v("accept") / v("socat"), 30.0),
        ("sendmsg >= 0.7 x ceiling (bare, 16)", v("sendmsg") / v("ceiling"), 0.7),
    ]
    for d in ("spawn", "sendmsg", "accept"):
        checks.append(("%s >= 5 x iterative (slow1ms, 16)" % d, v(d, "slow1ms") / v("iterative", "slow1ms"), 5.0))
    return checks


def chart(csv_path, png_path):
    """Connections/s against clients, one line per design, a panel per link (gnuplot)."""
    designs = " ".join(DESIGNS)
    panels = ""
    for link, title in (("bare", "clients send at once"), ("slow1ms", "clients wait 1 ms before sending")):
        panels += ("set title '%s'\n"
                   "plot for [d in '%s'] sprintf(\"< grep '^%%s,%s,' %s\", d) "
                   "using 3:4 with linespoints lw 2 pt 7 title d\n") % (title, designs, link, csv_path)
    script = """set terminal pngcairo size 1200,500 font ",10"
set output '%s'
set datafile separator ','
set multiplot layout 1,2 title 'sockconf: connections per second by server design (2 cores, veth pair)'
set logscale xy
set xtics (1, 4, 16)
set xrange [0.8:20]
set xlabel 'concurrent clients'
set ylabel 'connections/s (median of 3)'
set key left top
set grid
%sunset multiplot
""" % (png_path, panels)
    subprocess.run(["gnuplot"], input=script, text=True, check=True, timeout=60)


def main(rid):
    os.makedirs(OUT, exist_ok=True)
    rows, seq = [], 0
    for link in LINKS:
        for design in DESIGNS:
            seq += 1
            rows += bench_design(rid, design, link, seq)
    csv_path = os.path.join(OUT, "designs.csv")
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["design", "link", "clients", "median_cps", "min_cps", "max_cps"],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    png_path = os.path.join(OUT, "designs.png")
    chart(csv_path, png_path)
    print("\n%-10s %-8s %10s %10s %10s" % ("design", "link", "1 client", "4 clients", "16 clients"))
    for link in LINKS:
        for design in DESIGNS:
            print("%-10s %-8s %10.0f %10.0f %10.0f" % ((design, link) + tuple(value(rows, design, link, c) for c in CLIENTS)))
    print("\ntargets (ratios within this run):")
    failed = 0
    for name, ratio, target in verdicts(rows):
        ok = ratio >= target
        failed += not ok
        print("  %-40s %6.2f  %s" % (name, ratio, "ok" if ok else "BELOW TARGET"))
    designs = ("iterative", "spawn", "sendmsg", "accept")
    best = {link: max(designs, key=lambda d: value(rows, d, link, 16)) for link in LINKS}
    holds = all(b == "accept" for b in best.values())
    print("\nverdict on the tutorial's claim (multiple accept() performs best, at 16 clients): %s (best: %s)" % (
        "holds" if holds else "does not hold", ", ".join("%s %s" % (l, b) for l, b in best.items())))
    sat = value(rows, "ceiling", "bare", 4) / value(rows, "ceiling", "bare", 16)
    print("  ceiling at 4 clients / at 16 clients: %.2f (near 1: the machine, not the client count, is the limit)" % sat)
    print("\nwritten: %s, %s" % (os.path.relpath(csv_path, ROOT), os.path.relpath(png_path, ROOT)))
    return failed
