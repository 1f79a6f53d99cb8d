"""What the commands that run cases check before anything runs: the cases
(each problem as FILE:LINE), the folders of programs, the tools and the
kernel; each refusal is one line and a defined exit status."""
import os
import shutil
import sys

from sockconf.catalogue import PROGRAMS, WORKERS
from sockconf.hosts import kernel, sandbox
from sockconf.hosts.netns import NETNS_DIR
from sockconf.language.cases import CaseErrors, load_all
from sockconf.paths import FORWARDER, LAUNCHER
from sockconf.settings import programs_in
from sockconf.usage import die
import sockconf.verbs  # noqa: F401  (registers the verbs that cases are checked against)


def checked_cases(case_dirs):
    """Every case, or exit 2 with a FILE:LINE: line for each problem."""
    try:
        return load_all(case_dirs)
    except CaseErrors as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        die("%d problem%s in the cases; no case was run" % (len(exc.messages), "s" * (len(exc.messages) != 1)))


def case_dirs_of(text):
    return [os.path.abspath(d) for d in (text or "").split()]


def kernel_answer():
    """This run's kernel.Answer (probed once; its workers take it over), or exit 2 when SOCKCONF_ABSENT
    names no feature."""
    try:
        return kernel.current()
    except ValueError as exc:
        die(str(exc))


def kernel_preflight():
    """Stop when a feature every case needs is absent (exit 4); say in one line what is absent and what
    forwards multicast."""
    answer = kernel_answer()
    essential = answer.essential_missing()
    if essential:
        die("%s: no case can run here (make doctor says more)" % kernel.skip_reason(essential), kernel.NOT_POSSIBLE)
    if answer.absent:
        print("sockconf: %s; multicast forwarding: %s (make doctor says more)" % (
            kernel.skip_reason(sorted(answer.absent)), answer.forwarding_text()))
    return answer


def preflight(impl, limits=None, pcap=False):
    """Refuse to start, with a clear message, when the suite cannot work; the parsed LIMITS."""
    try:
        parsed_limits = sandbox.parse_limits(limits)
    except ValueError as exc:
        die("LIMITS=%s: %s" % (limits, exc))
    tools = [("ip", "iproute2"), ("smcrouted", "smcroute")]
    for program, what in ((LAUNCHER, "it starts every program under test"),
                          (FORWARDER, "it forwards multicast where the kernel cannot")):
        if not os.access(program, os.X_OK):
            die("%s is missing: `make` builds it (%s)" % (os.path.relpath(program), what))
    answer = kernel_preflight()
    if pcap:
        tools.append(("tcpdump", "tcpdump, which PCAP=1 records with"))
        if not answer.has("packet"):
            die("PCAP=1: %s: tcpdump cannot record" % kernel.skip_reason(["packet"]), kernel.NOT_POSSIBLE)
    for tool, package in tools:
        if shutil.which(tool) is None:
            die("`%s` is missing: install %s (make deps does)" % (tool, package))
    if not os.path.isdir(NETNS_DIR) and os.system("ip netns list >/dev/null 2>&1") != 0:
        die("`ip netns` does not work here")
    if impl is not None:
        say_programs(impl)
    return parsed_limits


def say_programs(impl):
    """Say which programs IMPL provides, which it does not, and a design server without its worker."""
    present = programs_in(impl, "IMPL")
    print("sockconf: programs under test in %s: %s" % (impl, " ".join(present)))
    missing = [p for p in PROGRAMS if p not in present]
    if missing:
        print("sockconf: not provided (their cases are skipped): %s" % " ".join(missing))
    for server, worker in WORKERS.items():
        if server in present and not os.path.exists(os.path.join(impl, worker)):
            print("sockconf: %s is there but its worker %s is not: its cases will fail" % (server, worker))
