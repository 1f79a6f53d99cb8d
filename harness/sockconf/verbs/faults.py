"""Verbs of network faults, made with nftables in a host's own namespace
(this kernel has no netem)."""
import os
import re
import subprocess

from sockconf.hosts.netns import NETNS_DIR
from sockconf.language.registry import verb
from sockconf.run.stepfail import StepFailed

NFT_TABLE = "sockconf"     # the table of inet family each fault goes in
NFT_TIMEOUT = 10.0


def nft(run, host, args, script=None):
    # in the host's namespace from its start: util-linux's nsenter execs it there
    proc = subprocess.run(["nsenter", "--net=" + os.path.join(NETNS_DIR, run.topo.ns(host)), "nft"] + args, input=script,
                          capture_output=True, text=True, timeout=NFT_TIMEOUT)
    if proc.returncode != 0:
        raise StepFailed("nft failed on host %s: %s" % (host, proc.stderr.strip()))
    return proc.stdout


@verb("nft-drop", "HOST:host MATCH:nft", "label",
      "drop, and count, what HOST receives (`hook=output`: sends) that matches the nft expression",
      options="hook:hook", needs="nftables")
def nft_drop(run, step, deadline):
    hook = step.opts.get("hook", "input")
    nft(run, step.a.host, ["-f", "-"], "table inet %s {\n chain %s {\n  type filter hook %s priority 0;\n"
                                       "  %s counter drop\n }\n}\n" % (NFT_TABLE, hook, hook, step.a.match))
    run.timeline.add("harness", "nft", "host %s drops (%s): %s" % (step.a.host, hook, step.a.match))


@verb("nft-dropped", "HOST:host N:count", "label", "exactly N packets were dropped on HOST so far (polled)", checks=True, needs="nftables")
def nft_dropped(run, step, deadline):
    def count():
        listing = nft(run, step.a.host, ["list", "table", "inet", NFT_TABLE])
        return sum(int(n) for n in re.findall(r"counter packets (\d+)", listing))
    got = run.poll(deadline, lambda: None if count() == step.a.n else count())
    run.timeline.add("harness", "nft", "host %s dropped %d packets" % (step.a.host, step.a.n if got is None else got))
    if got is not None:
        raise StepFailed("wrong number of dropped packets on host %s" % step.a.host,
                         expected="%d packets" % step.a.n, actual="%d packets" % got)
