"""sockconf sweep, doctor and lab: what killed runs left, what the kernel
offers the suite, and a topology to run the programs in by hand."""
import os
import shlex
import signal
import sys
import time

from sockconf.commands import Command
from sockconf.commands.checks import kernel_answer, preflight
from sockconf.hosts import kernel, netns, ownership, sandbox
from sockconf.paths import ROOT
from sockconf.usage import die


def no_arguments(parser):
    pass


def cmd_sweep(args):
    removed = ownership.sweep()
    for rid, names in removed.items():
        print("sockconf: removed leftovers of run %s: %s" % (rid, " ".join(names)))


def cmd_doctor(args):
    """What the suite needs from the kernel, probed here: the table, exit 0, or 4 when no case can run."""
    answer = kernel_answer()
    sys.stdout.write(kernel.table(answer))
    sys.exit(kernel.NOT_POSSIBLE if answer.essential_missing() else 0)


def lab_arguments(parser):
    parser.add_argument("topology", nargs="?", default="pair", choices=("pair", "lan", "routed"))
    parser.add_argument("--minutes", type=int, default=60)


def cmd_lab(args):
    """Build a topology for running the programs by hand; remove it on Ctrl-C,
    SIGTERM or after --minutes."""
    preflight(None)
    from sockconf.language.topofile import TopologyError, parse_spec
    from sockconf.hosts.topology import Topology
    rid = ownership.begin_run()
    os.environ["SOCKCONF_RUN"] = rid
    signal.signal(signal.SIGTERM, ownership.terminate_run)
    tmp = sandbox.run_state_dir(rid, "tmp")
    spec = parse_spec(args.topology)
    lacking = kernel.missing(spec.needs(), kernel.current())
    if lacking:
        ownership.end_run(rid)
        die("TOPO=%s: %s (make doctor says more)" % (args.topology, kernel.skip_reason(lacking)), kernel.NOT_POSSIBLE)
    if spec.mroutes:
        print("sockconf lab: multicast forwarding: %s" % kernel.current().forwarding_text())
    topo = Topology(spec, "sc%s-lab" % rid, tmp)
    try:
        topo.up()
        bindir = os.path.join(ROOT, "build", "bin")
        print("sockconf lab: topology %s is up (names: %s)" % (args.topology, ", ".join(
            "%s -> %s" % kv for kv in sorted(topo.names.items()))))
        for host in topo.spec.hosts:
            print("  host %-2s %-14s  cd %s && %s ./PROGRAM" % (
                host, topo.address(host), os.path.relpath(bindir), lab_launcher(rid, host, topo.ns(host))))
        print("Ctrl-C (or %d minutes) removes it." % args.minutes)
        time.sleep(args.minutes * 60)
    except KeyboardInterrupt:
        pass
    except TopologyError as exc:
        print("sockconf lab: cannot build topology %s: %s" % (args.topology, exc), file=sys.stderr)
    finally:
        topo.down()
        ownership.end_run(rid)
        print("sockconf lab: removed")


def lab_launcher(rid, host, ns):
    """A script that runs its arguments on HOST as the suite does (its
    namespace, its own /etc files), for a person at a shell."""
    path = os.path.join(sandbox.run_state_dir(rid, "lab"), "on-" + host)
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in netns.host_command(ns, [])))
    os.chmod(path, 0o755)
    return path


COMMANDS = [Command("sweep", "remove what runs that were killed left behind", no_arguments, cmd_sweep),
            Command("doctor", "what the suite needs from the kernel, probed here, and what it does without each",
                    no_arguments, cmd_doctor),
            Command("lab", "namespaces to run the programs by hand; Ctrl-C removes them (make lab; as root)",
                    lab_arguments, cmd_lab)]
