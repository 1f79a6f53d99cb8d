"""Self-checks of the harness itself (run by `make check`).

Each test drives python3 -m sockconf the way a user does and checks what the
harness issue promises: CASE= selects, IMPL= blames exactly the broken
program, a program that cannot run fails only its own cases, bad set-ups are
refused before any case, and an interrupted or killed run leaves nothing
behind.
"""
import glob
import os
import random
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conftest import mutant_program
from sockconf.hosts import netns, ownership, procfs, sandbox, uids
from sockconf.paths import REFERENCE as REF
from sockconf.paths import SELF as SOCKCONF
from sockconf.reports import junit
from sockconf.reports import results as reports_results
from sockconf.verdicts import Verdict


def run(args, timeout=120, **kw):
    return subprocess.run(SOCKCONF + args, capture_output=True, text=True, timeout=timeout, **kw)


def results(label):
    """{test id: outcome} from the run's JUnit file."""
    return junit.verdicts(junit.path(label))


def assert_run_records_follow_their_schema(label):
    """Every result.json the run LABEL wrote follows run.schema.json, and its LABEL.results.json
    results.schema.json (runs write both unchecked)."""
    reports_results.read(reports_results.path(label))         # validates
    paths = glob.glob(os.path.join(ROOT, "build", "artifacts", label, "*", "result.json"))
    assert paths, "run %s wrote no result.json" % label
    for path in paths:
        reports_results.validate(reports_results.read_run(path), reports_results.RUN_SCHEMA)


# What a run can leave behind, counted only for runs that are over: other runs (a CI machine's, or this
# machine's own explorations) come and go meanwhile and must not fail these checks.
def ended(name):
    """True when NAME (a namespace or daemon ident, sc + run id + '-...') belongs to no live run."""
    m = netns.NAME_RE.match(name)
    return bool(m) and not ownership.run_alive(m.group(1))


def sockconf_namespaces():
    """Namespaces of sockconf runs, live or not."""
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=20).stdout.split()
    return {n for n in names if netns.NAME_RE.match(n)}


def our_namespaces():
    """Namespaces of sockconf runs that have ended, and still there once their run is seen ended: a run
    removes its namespaces before it frees its lock, so one listed while its run was alive and gone by
    the time its lock is seen free is no leftover (seen once in CI: a lan topology's, mid-teardown)."""
    return {n for n in sockconf_namespaces() if ended(n)} & sockconf_namespaces()


def case_user_processes():
    """Pids of processes of case users whose run has ended (the uid released, or its run gone)."""
    first, count = uids.case_uid_range()
    out = set()
    for pid, held in procfs.process_uids().items():
        holders = [uids.uid_holder(uid) for uid in held if first <= uid < first + count]
        if any(holder is None or not ownership.run_alive(holder) for holder in holders):
            out.add(pid)
    return out & set(procfs.process_uids())     # still there once its run is seen ended (as our_namespaces)


def programs_running():
    """Pids a run that has ended may have left: its case users' processes and its smcrouted daemons."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, timeout=20).stdout
    daemons = {int(l.split()[0]) for l in out.splitlines()
               if "smcrouted" in l and any(ended(w) for w in l.split())}
    return case_user_processes() | daemons


def described(pids):
    """PID: its command line and uids, for a failure's message."""
    out = []
    for pid in sorted(pids):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            held = procfs.process_uids().get(pid)
        except OSError:
            command, held = "(gone)", None
        out.append("%d [%s] uid %s" % (pid, command, sorted(held or [])))
    return "; ".join(out)


@pytest.fixture
def impl(tmp_path):
    """A copy of the reference programs to break one by one."""
    directory = tmp_path / "impl"
    shutil.copytree(REF, directory)
    return directory


def test_case_selects_only_the_named_cases():
    proc = run(["run", "--case", "tcp-client-no-argument udp-client-unknown-host", "--label", "self-case"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(results("self-case")) == {"tcp-client-no-argument", "udp-client-unknown-host"}


def test_case_pattern_matching_nothing_is_an_error():
    proc = run(["run", "--case", "no-such-case-*", "--label", "self-none"])
    assert proc.returncode == 5
    assert "no case matched" in proc.stderr


def test_impl_with_one_broken_program_fails_exactly_its_cases(impl):
    # The broken tcpclient writes 41 bytes instead of its 100-byte buffer.
    mutant_program("tcpclient-writes-strlen", impl)
    # (the fast tcp cases: the 15 s timeouts add nothing here)
    proc = run(["run", "--impl", str(impl), "--case", "tcp-client-* tcp-echo tcp-server-exact-bytes tcp-server-reset "
                "tcp-server-short-then-close", "--label", "self-impl"])
    assert proc.returncode == 1, proc.stdout
    got = results("self-impl")
    failed = {k for k, v in got.items() if v == Verdict.FAIL}
    assert failed, got
    # Every failure is a run in which tcpclient was the implementation's.
    for name in failed:
        case, _, variant = name.partition("/")
        assert variant in ("impl", "tcpclient-impl"), name
        assert case.startswith("tcp-client") or case == "tcp-echo", name
    # ...and the reference tcpclient with their server passes, as do their server's own cases.
    assert got.get("tcp-echo/tcpserver-impl") == Verdict.PASS
    assert got.get("tcp-server-exact-bytes/impl") == Verdict.PASS and got.get("tcp-server-reset/impl") == Verdict.PASS
    assert "tcp-echo/tcpclient-impl" in failed
    assert_run_records_follow_their_schema("self-impl")      # passed and failed runs


def test_a_program_that_cannot_run_fails_its_own_cases_and_the_run_goes_on(impl):
    os.chmod(impl / "udpclient", 0o644)                     # not executable
    (impl / "udpserver").write_text("not a program\n")      # not a program
    os.chmod(impl / "udpserver", 0o755)
    proc = run(["run", "--impl", str(impl), "--case", "udp-* tcp-client-no-argument", "--label", "self-unrunnable"])
    assert proc.returncode == 1
    assert "cannot run: not executable" in proc.stdout
    assert "cannot run: neither an ELF program nor a script" in proc.stdout
    got = results("self-unrunnable")
    assert got["tcp-client-no-argument/impl"] == Verdict.PASS
    assert got["udp-server-exact-bytes/impl"] == Verdict.FAIL
    assert got["udp-client-exact-bytes/impl"] == Verdict.FAIL
    assert got["udp-echo-address/udpserver-impl"] == Verdict.FAIL


def test_missing_program_is_skipped_as_not_provided(impl):
    os.unlink(impl / "mcastclient")
    proc = run(["run", "--impl", str(impl), "--case", "mcast-client-reads mcast-server-datagram",
                "--label", "self-missing"])
    assert proc.returncode == 0, proc.stdout
    assert "not provided (their cases are skipped): mcastclient" in proc.stdout
    got = results("self-missing")
    assert got == {"mcast-client-reads/impl": Verdict.SKIPPED, "mcast-server-datagram/impl": Verdict.PASS}


def test_one_failure_reads_in_at_most_60_lines(impl):
    """A learner's console: the failure in full, spec failures one line each, a line per program."""
    (impl / "tcpclient").write_text("#!/bin/sh\necho 'Client-socket() error: nope'\nexit 1\n")
    os.chmod(impl / "tcpclient", 0o755)
    proc = run(["run", "--impl", str(impl), "--case", "tcp-client-refused tcp-client-long-name "
                "udp-echo-address/udpclient-impl", "--label", "self-short"])        # and a spec case
    assert proc.returncode == 1, proc.stdout
    lines = proc.stdout.splitlines()
    assert len(lines) <= 60, proc.stdout
    assert "tcp-client-refused FAILED (checks: tutorial)" in proc.stdout and "expected: exit 255" in proc.stdout
    spec = [line for line in lines if line.startswith("  tcp-client-")]
    assert len(spec) == 1 and all(": line " in line or "transcript of" in line for line in spec), proc.stdout
    assert re.search(r"^tcpclient +FAILED +tutorial 0/1 passed, spec 0/1 passed$", proc.stdout, re.M), proc.stdout
    assert re.search(r"^udpclient +ok +tutorial 1/1 passed$", proc.stdout, re.M), proc.stdout
    assert "| case |" not in proc.stdout            # the matrix stays in build/reports


@pytest.mark.parametrize("args, message", [
    (["--impl", "/nonexistent/dir"], "no such directory"),
    (["--impl", "/tmp"], "holds none of the programs"),
    (["--case", "tcp-echo udp-echo-address", "--workers", "-1"], "--workers -1: 0 or more"),
    (["--case", "tcp-echo", "--budget", "-1"], "--budget -1.0: seconds, 0 or more"),
])
def test_bad_impl_or_option_is_refused_before_any_case(args, message):
    proc = run(["run"] + args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert "passed" not in proc.stdout, proc.stdout


def test_without_subordinate_ids_a_rootless_run_is_refused_in_one_line():
    # nobody has no block in /etc/subuid: the harness cannot make case users
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + SOCKCONF + ["run"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "sockconf: cannot run without root: /etc/subuid gives nobody no block" in proc.stderr, proc.stderr


@pytest.mark.parametrize("sysctl, value, says", [
    ("kernel/apparmor_restrict_unprivileged_userns", "1", "AppArmor restricts unprivileged user namespaces"),
    ("kernel/unprivileged_userns_clone", "0", "switched off"),
    ("user/max_user_namespaces", "0", "no user namespace is allowed"),
])
def test_a_kernel_that_restricts_user_namespaces_is_named_with_what_to_do(tmp_path, sysctl, value, says):
    # Ubuntu's AppArmor lets unshare make a user namespace without capabilities: the probe would pass
    # and the run fail later, so the sysctls are read first (the host's own are never changed here)
    from sockconf.hosts import rootless
    assert rootless.userns_restriction(str(tmp_path)) is None             # a kernel without these sysctls
    (tmp_path / sysctl).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / sysctl).write_text({"0": "1", "1": "0"}[value] + "\n")      # allowed
    assert rootless.userns_restriction(str(tmp_path)) is None
    (tmp_path / sysctl).write_text(value + "\n")
    reason = rootless.userns_restriction(str(tmp_path))
    assert reason.startswith(sysctl.replace("/", ".") + " = " + value + ": ") and says in reason, reason
    assert "sysctl -w" in reason and "\n" not in reason


@pytest.mark.xdist_group("host-state")
def test_a_user_who_is_not_root_gets_the_same_verdicts(unprivileged_user):
    name, tree = unprivileged_user
    before = host_state()
    as_user = ["runuser", "-u", name, "--", "env", "PYTHONPATH=" + os.path.join(tree, "harness"), *SOCKCONF, "run"]
    proc = subprocess.run(as_user + ["--label", "rootless"], capture_output=True, text=True, timeout=300, cwd=tree)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
    verdicts = junit.verdicts(os.path.join(tree, "build", "reports", "rootless.junit.xml"))
    assert verdicts and set(verdicts.values()) == {Verdict.PASS}, verdicts
    # a hostile program is contained the same way: kill -9 -1 reaches its case only
    hostile = run_hostile_as(as_user, tree, "kills-everything")
    assert hostile.returncode == 1, hostile.stdout + hostile.stderr
    assert "still here" in open(os.path.join(tree, "build", "artifacts", "rootless-hostile", "tcp-server-exact-bytes.impl",
                                             "srv.out")).read()
    after = host_state()
    for key in before:
        assert unchanged({key: before[key]}, {key: after[key]}), "%s changed:\nbefore %s\nafter  %s" % (
            key, before[key], after[key])


@pytest.mark.alone          # timed against a signal
def test_sigterm_to_the_self_checks_deletes_the_unprivileged_user_of_a_test(tmp_path):
    """A self-check's pytest SIGTERMed (a CI job's timeout) while a test holds unprivileged_user: the fixture
    still deletes its user and its copy of the suite (conftest.py turns SIGTERM into Ctrl-C's unwinding)."""
    (tmp_path / "test_holds_a_user.py").write_text("import time\n\ndef test_holds(unprivileged_user):\n"
                                                   "    print('holds', *unprivileged_user, flush=True)\n"
                                                   "    time.sleep(60)\n")
    selftest = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "harness"), selftest]))
    proc = subprocess.Popen(["/usr/bin/python3", "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "conftest",
                             "--rootdir", str(tmp_path), "--basetemp", str(tmp_path / "base"),
                             str(tmp_path / "test_holds_a_user.py")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, start_new_session=True)
    name, tree, said = None, None, ""
    try:
        deadline = time.monotonic() + 120
        while name is None and time.monotonic() < deadline and select.select([proc.stdout], [], [], 1)[0]:
            line = proc.stdout.readline()
            said += line
            if line.startswith("holds "):
                name, tree = line.split()[1:3]
            elif not line:
                break
        assert name, "the test never held its user: %s" % said
        proc.send_signal(signal.SIGTERM)
        said += proc.communicate(timeout=60)[0]
        assert subprocess.run(["id", name], capture_output=True, timeout=10).returncode != 0, "user %s left: %s" % (
            name, said)
        assert not os.path.exists(tree), said
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        if name:
            subprocess.run(["userdel", name], capture_output=True, timeout=30)
            shutil.rmtree(tree, ignore_errors=True)


def run_hostile_as(as_user, tree, name):
    return subprocess.run(as_user + ["--impl", os.path.join(tree, "tests", "hostile", name), "--case",
                                     "tcp-server-exact-bytes", "--strict", "--label", "rootless-hostile"],
                          capture_output=True, text=True, timeout=120, cwd=tree)


def test_program_path_puts_a_language_installed_elsewhere_on_the_path():
    # tcpserver is a script for an interpreter that lives outside the fixed PATH
    # (not under /tmp: programs under test see a private /tmp)
    top = tempfile.mkdtemp(prefix="sockconf-lang-", dir="/run")
    try:
        os.chmod(top, 0o755)
        lang, impl = os.path.join(top, "lang"), os.path.join(top, "impl")
        os.makedirs(lang)
        os.makedirs(impl)
        # the interpreter runs a copy of the reference kept beside it (the
        # checkout itself may be where case users cannot read, or under /tmp)
        shutil.copy(os.path.join(REF, "tcpserver"), os.path.join(lang, "tcpserver"))
        with open(os.path.join(lang, "sockconf-lang"), "w") as f:
            f.write("#!/bin/sh\nexec %s\n" % os.path.join(lang, "tcpserver"))
        with open(os.path.join(impl, "tcpserver"), "w") as f:
            f.write("#!/usr/bin/env sockconf-lang\n")
        for path in (os.path.join(lang, "sockconf-lang"), os.path.join(impl, "tcpserver")):
            os.chmod(path, 0o755)
        for d in (lang, impl):
            os.chmod(d, 0o755)
        args = ["run", "--impl", impl, "--case", "tcp-server-exact-bytes", "--label", "self-path"]
        without = run(args)
        assert without.returncode == 1 and "'sockconf-lang': No such file or directory" in without.stdout, without.stdout
        extended = run(args + ["--path", lang])
        assert extended.returncode == 0, extended.stdout + extended.stderr
        with open(os.path.join(ROOT, "build", "reports", "self-path.md")) as f:
            report = f.read()                        # what was tested, the programs' environment among it
        assert "`PATH=%s:/usr/sbin:/usr/bin:/sbin:/bin`" % lang in report, report
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_two_runs_of_impl_at_once_keep_their_reports_apart(impl):
    command = SOCKCONF + ["run", "--impl", str(impl), "--case", "tcp-echo udp-echo-address"]
    before = set(os.listdir(os.path.join(ROOT, "build", "reports")))
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [proc.communicate(timeout=120)[0] for proc in runs]
    assert [proc.returncode for proc in runs] == [0, 0], outputs
    labels = [re.findall(r"build/reports/(impl-[a-z0-9]+)\.md", out) for out in outputs]
    assert all(len(found) == 1 for found in labels) and labels[0] != labels[1], outputs
    new = set(os.listdir(os.path.join(ROOT, "build", "reports"))) - before    # other self-checks write here too
    for (label,) in labels:
        assert {label + ".md", label + ".junit.xml", label + ".results.json"} <= new, sorted(new)
        assert set(junit.verdicts(junit.path(label)).values()) == {Verdict.PASS}


@pytest.mark.alone
@pytest.mark.parametrize("delay", [2, 5, 9])
def test_ctrl_c_on_a_terminal_ends_the_run_within_5_s_leaving_nothing(delay):
    import pexpect
    before = host_state()
    child = pexpect.spawn(SOCKCONF[0], SOCKCONF[1:] + ["run", "--case", "tcp-server-timeout select-* mcast-* iserver-*",
                                                       "--label", "self-ctrl-c"], cwd=ROOT, timeout=30)
    time.sleep(delay)
    assert child.isalive(), "the run ended before Ctrl-C"
    child.sendintr()                  # the key: the terminal sends SIGINT to the foreground group
    pressed = time.monotonic()
    child.expect(pexpect.EOF, timeout=5)
    child.close()
    ended = time.monotonic() - pressed
    deadline = pressed + 5
    while not unchanged(before, host_state()) and time.monotonic() < deadline:
        time.sleep(0.05)
    after = host_state()
    for key in before:
        assert unchanged({key: before[key]}, {key: after[key]}), "%s left %.1f s after Ctrl-C:\nbefore %s\nafter  %s" % (
            key, time.monotonic() - pressed, before[key], after[key])
    assert ended < 5, "the run ended %.1f s after Ctrl-C" % ended


def signalled_leaves_nothing(args, delay, signum):
    """Start `sockconf ARGS`, send SIGNUM DELAY seconds in, and require that within 5 s no namespace and
    no process of a case user it made is left."""
    before_ns, before_procs = our_namespaces(), programs_running()
    proc = subprocess.Popen(SOCKCONF + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(delay)
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)   # Ctrl-C reaches the whole process group
    else:
        os.kill(proc.pid, signum)     # a supervisor's SIGTERM reaches the driver only
    sent = time.monotonic()
    deadline = sent + 5
    while time.monotonic() < deadline:
        if proc.poll() is not None and our_namespaces() <= before_ns and programs_running() <= before_procs:
            break
        time.sleep(0.05)
    left_ns = our_namespaces() - before_ns
    left_procs = programs_running() - before_procs
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    assert not left_ns, "namespaces left %.1f s after the signal: %s" % (time.monotonic() - sent, left_ns)
    assert not left_procs, "processes left: %s" % described(left_procs)


@pytest.mark.alone
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("delay", [0.4, 1.5, 3.0])
def test_signalled_run_leaves_nothing_behind(signum, delay):
    signalled_leaves_nothing(["run", "--case", "tcp-server-timeout select-* mcast-* iserver-*",
                              "--label", "self-interrupt"],
                             delay + random.random() * 0.3, signum)   # interrupt at an arbitrary moment of the run


@pytest.mark.alone
def test_signalled_class_leaves_nothing_behind(tmp_path):
    """SIGTERM to the driver of a class (make grade's pool): every member's run is removed, not only the
    driver's own."""
    class_file = tmp_path / "class.json"
    class_file.write_text('[{"label": "self-class-1", "impl": "%s"}, {"label": "self-class-2", "impl": "%s"}]'
                          % (REF, REF))
    signalled_leaves_nothing(["run", "--class", str(class_file), "--case", "tcp-server-timeout select-*",
                              "--label", "self-class-interrupt"], 2.0, signal.SIGTERM)


def test_a_run_leaves_nothing_in_its_temporary_folder(tmp_path):
    """A run of two workers writes nothing it leaves in TMPDIR: pytest's base folder of temporary paths,
    which xdist makes for its workers, is in the run's own state folder (it was one more /tmp/pytest-of-USER
    folder a run)."""
    env = dict(os.environ, TMPDIR=str(tmp_path))
    proc = subprocess.run(SOCKCONF + ["run", "--case", "tcp-echo udp-echo-address", "--workers", "2",
                                      "--label", "self-tmpdir"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    left = sorted(os.path.relpath(os.path.join(top, name), tmp_path)
                  for top, dirs, files in os.walk(tmp_path) for name in dirs + files)
    assert not left, "left in TMPDIR: %s" % left


@pytest.mark.alone          # another self-check's run would sweep the killed run first
def test_killed_run_is_swept_by_the_next():
    before = our_namespaces()
    seen = sockconf_namespaces()
    proc = subprocess.Popen(SOCKCONF + ["run", "--case", "tcp-server-timeout", "--label", "self-kill"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while not (sockconf_namespaces() - seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sockconf_namespaces() - seen, "the run never created its namespaces"
    os.kill(proc.pid, signal.SIGKILL)          # the driver dies; its lock goes with it
    proc.wait(5)
    assert our_namespaces() - before, "the killed run's namespaces are not counted as left by an ended run"
    sweep = run(["sweep"])
    assert sweep.returncode == 0
    deadline = time.monotonic() + 20           # the orphaned worker may still be tearing down
    while (our_namespaces() - before) and time.monotonic() < deadline:
        run(["sweep"])
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL) if _group_alive(proc.pid) else None
    assert not (our_namespaces() - before)
    left_etc = os.listdir(netns.ETC_NETNS) if os.path.isdir(netns.ETC_NETNS) else []
    assert not [n for n in left_etc if netns.NAME_RE.match(n)], left_etc


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_descriptor_passing_server_posing_as_multiple_accept_fails(tmp_path):
    # The sendmsg design with acceptserver's console lines: its workers hold
    # the connections (distinct holders, constant processes) as accept()
    # workers would, but the server accepts and hands descriptors on.  The
    # case must reject it at the step that looks at who waits in accept().
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "src"), src)
    # The per-connection lines: the shared serving loop's (design.c) and the hand-over's.
    for source, lines in (("design.c", ('printf("Iteration: #%ld\\n", i);', 'printf(" waiting on accept()\\n");',
                                        'printf("accept() is OK and completed successfully!\\n");')),
                          ("sendmsgserver.c", ('printf("Passed the descriptor to a worker\\n");',))):
        text = (src / source).read_text().replace('#define WHO "Sendmsgserver"', '#define WHO "Acceptserver"')
        for line in lines:
            assert line in text, line
            text = text.replace(line, ";")
        (src / source).write_text(text)
    impl = tmp_path / "impl"
    impl.mkdir()
    for name, source in (("acceptserver", "sendmsgserver.c"), ("recvmsgworker", "recvmsgworker.c")):
        subprocess.run(["gcc", "-std=c11", "-O2", "-w", "-o", str(impl / name), str(src / source),
                        str(src / "sockutil.c"), str(src / "design.c")], check=True)
    shutil.copy(os.path.join(REF, "acceptworker"), impl / "acceptworker")
    proc = run(["run", "--impl", str(impl), "--case", "design-accept-spreads", "--strict", "--label", "self-posing"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "srv  accepting 4" in proc.stdout, proc.stdout
    assert "the processes waiting in accept() are not 4 workers" in proc.stdout, proc.stdout


HOSTILE = os.path.join(ROOT, "tests", "hostile")
PROBES = ("/tmp/sockconf-hostile-probe", "/root/sockconf-hostile-probe", "/etc/sockconf-hostile-probe")


def host_state():
    """What a program under test must never change on the host."""
    def out(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout
    first, count = uids.case_uid_range()
    return {"links": out("ip", "-o", "link", "show"), "addresses": out("ip", "-o", "addr", "show"),
            "routes": out("ip", "route", "show", "table", "all"), "nftables": out("nft", "list", "ruleset"),
            "probe files": [p for p in PROBES if os.path.exists(p)],
            "case users' processes": sorted(case_user_processes()),
            "case users' files in /tmp": sorted(f for f in os.listdir("/tmp")
                                                if first <= _owner_of(os.path.join("/tmp", f)) < first + count),
            "namespaces": sorted(our_namespaces())}


def unchanged(before, after):
    """AFTER holds nothing BEFORE did not: the host's configuration is the same, and of what ended runs
    leave (lists) nothing is new; what another run left before may have gone meanwhile."""
    return all(set(after[k]) <= set(before[k]) if isinstance(before[k], list) else after[k] == before[k]
               for k in before)


def _owner_of(path):
    try:
        return os.lstat(path).st_uid
    except OSError:
        return -1



def hostile_evidence(path):
    """The "# shows: TEXT" lines of a hostile program: what its output or its
    report must show (the refusal it met, the reason the case failed)."""
    with open(path, "rb") as f:
        head = f.read(4096).decode(errors="replace")
    return [l[len("# shows: "):] for l in head.splitlines() if l.startswith("# shows: ")]


@pytest.mark.xdist_group("host-state")   # one after another: each compares the host's state before and after
@pytest.mark.parametrize("name", sorted(d for d in os.listdir(HOSTILE) if os.path.isdir(os.path.join(HOSTILE, d)))
                         + ["garbage"])
def test_hostile_program_is_contained(name, tmp_path):
    impl = tmp_path / "impl"
    if name == "garbage":
        impl.mkdir()
        (impl / "tcpserver").write_bytes(bytes(range(1, 256)) * 16)
        (impl / "tcpserver").chmod(0o755)
    else:
        shutil.copytree(os.path.join(HOSTILE, name), impl, symlinks=True)
    before = host_state()
    started = time.monotonic()
    proc = run(["run", "--impl", str(impl), "--case", "tcp-server-exact-bytes", "--strict",
                "--label", "self-hostile-" + name], timeout=120)
    took = time.monotonic() - started
    assert proc.returncode == 1, "the case must fail\n" + proc.stdout + proc.stderr
    assert "tcp-server-exact-bytes FAILED" in proc.stdout, proc.stdout
    assert took < 60, "the run took %.1f s" % took
    evidence = (["neither an ELF program nor a script with #!"] if name == "garbage"
                else hostile_evidence(impl / "tcpserver"))
    seen = "".join(open(os.path.join(dirpath, f), errors="replace").read()
                   for dirpath, _, files in os.walk(os.path.join(ROOT, "build", "artifacts", "self-hostile-" + name))
                   for f in files)
    for line in evidence:
        assert line in seen, "the artifacts do not show %r:\n%s" % (line, seen[-3000:])
    after = host_state()
    for key in before:
        assert unchanged({key: before[key]}, {key: after[key]}), "%s changed:\nbefore %s\nafter  %s" % (
            key, before[key], after[key])


def test_pcap_records_every_link_and_the_report_says_which(tmp_path):
    impl = tmp_path / "impl"
    shutil.copytree(os.path.join(HOSTILE, "wrong-port"), impl)
    proc = run(["run", "--impl", str(impl), "--case", "tcp-server-exact-bytes", "--strict", "--pcap",
                "--label", "self-pcap"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    pcap = os.path.join("build", "artifacts", "self-pcap", "tcp-server-exact-bytes.impl", "pcap", "a-eth0--b-eth0.pcap")
    assert "  packets:   %s (link a eth0 - b eth0)" % pcap in proc.stdout, proc.stdout
    assert "PCAP=1" in proc.stdout
    assert_run_records_follow_their_schema("self-pcap")      # with the pcap files' records
    with open(os.path.join(ROOT, pcap), "rb") as f:
        assert f.read(4) in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4")     # a pcap file Wireshark reads
    packets = subprocess.run(["tcpdump", "-n", "-r", os.path.join(ROOT, pcap)], capture_output=True, text=True,
                             timeout=30).stdout
    # the scripted client's SYN to 3111 and the refusal: nothing listens there
    assert re.search(r"198\.18\.0\.2\.\d+ > 198\.18\.0\.1\.3111: Flags \[S\]", packets), packets
    assert re.search(r"198\.18\.0\.1\.3111 > 198\.18\.0\.2\.\d+: Flags \[R\.\]", packets), packets
    plain = run(["run", "--impl", str(impl), "--case", "tcp-server-exact-bytes", "--strict", "--label", "self-pcap"])
    assert "(with PCAP=1 it also records every link's packets, a pcap file each)" in plain.stdout, plain.stdout


def test_lf_reruns_only_what_failed_and_markers_select(impl):
    # pytest's cache remembers a failure until it passes: start from none
    shutil.rmtree(os.path.join(ROOT, "build", "pytest-cache"), ignore_errors=True)
    os.chmod(impl / "udpclient", 0o644)                     # udpclient cannot run: its cases fail
    first = run(["run", "--impl", str(impl), "--case", "udp-client-* tcp-client-no-argument", "--label", "self-lf"])
    assert first.returncode == 1
    failed = {k for k, v in results("self-lf").items() if v == Verdict.FAIL}
    assert failed and all(k.startswith("udp-client-") for k in failed), failed
    again = subprocess.run(["make", "-s", "conformance", "NODEPS=1", "IMPL=%s" % impl, "LF=1"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 2, again.stdout + again.stderr     # make's status for a failed recipe
    label = re.search(r"build/reports/(impl-[a-z0-9]+)\.md", again.stdout).group(1)
    assert set(results(label)) == failed, (set(results(label)), failed)
    marked = run(["run", "--case", "udp-echo-* udp-server-exact-bytes tcp-echo", "--label", "self-marker", "--",
                  "-m", "udpclient and pair"])
    assert marked.returncode == 0, marked.stdout + marked.stderr
    assert set(results("self-marker")) == {"udp-echo-address", "udp-echo-default-name"}, results("self-marker")


def test_the_summary_blames_only_the_broken_program(impl):
    (impl / "tcpclient").write_text("#!/bin/sh\nexit 3\n")      # a tcpclient that does nothing
    proc = run(["run", "--impl", str(impl), "--case", "tcp-echo", "--label", "self-blame"])
    assert proc.returncode == 1
    row = next(l for l in open(os.path.join(ROOT, "build", "reports", "self-blame.md")) if l.startswith("| tcp-echo |"))
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    header = next(l for l in open(os.path.join(ROOT, "build", "reports", "self-blame.md")) if l.startswith("| case |"))
    names = [c.strip() for c in header.strip().strip("|").split("|")]
    column = dict(zip(names, cells))
    assert column["tcpserver"] == "pass" and column["tcpclient"] == "fail", column
    assert column["programs together"] == "tcpclient + tcpserver: fail (tcpclient)", column


@pytest.mark.parametrize("args, status, message", [
    ([], 2, "too few arguments"),
    (["ns", "/etc", "/tmp", "1234", "nproc=1"], 2, "too few arguments"),
    (["ns", "/etc", "/tmp", "1234", "x=1", "--", "/bin/true"], 2, "unknown limit"),
    (["ns", "/etc", "/tmp", "1234", "as=lots", "--", "/bin/true"], 2, "a whole number or unlimited"),
    (["ns", "/etc", "/tmp", "1234", "nproc=1", "/bin/true"], 2, "no PROGRAM after --"),
    (["../ns", "/etc", "/tmp", "1234", "--", "/bin/true"], 2, "NETNS is a name under /run/netns"),
    (["sc-no-such-ns", "/etc", "/tmp", "1234", "--", "/bin/true"], sandbox.LAUNCH_FAILED, "open(/run/netns/sc-no-such-ns)"),
])
def test_the_launcher_refuses_in_one_line_with_a_defined_status(args, status, message):
    from sockconf.paths import LAUNCHER
    proc = subprocess.run([LAUNCHER] + args, capture_output=True, text=True, timeout=10)
    assert proc.returncode == status and message in proc.stderr.splitlines()[0], (proc.returncode, proc.stderr)


def _hold_and_release(rounds, failures, shared_rid, barrier):
    """One of the racing processes: take a run id (or share SHARED_RID, as a run's workers do) and a
    uid, check they are ours, release them; each round begins at once in every racer (BARRIER)."""
    for _ in range(rounds):
        barrier.wait(10)
        random.seed(0)              # as Hypothesis seeds the random module alike for every example it runs
        rid = shared_rid or ownership.begin_run()
        uid = None
        try:
            uid = uids.allocate_uid(rid)
            if not ownership.run_alive(rid):
                failures.put("run %s counted dead while its owner lives" % rid)
            if uids.uid_holder(uid) != rid:
                failures.put("uid %d held by %r, not by its run %s" % (uid, uids.uid_holder(uid), rid))
            uids.release_uids(ownership.run_alive)       # what every ending run does
        except Exception as exc:                            # reported, not lost in the child
            failures.put("%s: %s" % (type(exc).__name__, exc))
        finally:
            if shared_rid and uid is not None:
                os.unlink(os.path.join(uids.UID_DIR, str(uid)))
            elif not shared_rid:
                ownership.end_run(rid)


@pytest.mark.parametrize("shared", [False, True], ids=["own-runs", "one-run-seeded-alike"])
def test_runs_starting_and_ending_at_once_never_take_each_others_ids(shared):
    # Runs start and end side by side (or one run's workers, their random module seeded alike, take
    # uids at once): none may see another's lock free, read a uid file half-made, or release one twice.
    import multiprocessing
    context = multiprocessing.get_context("fork")
    failures, barrier = context.Queue(), context.Barrier(3)
    with ownership.owned_run() as rid:
        racers = [context.Process(target=_hold_and_release, args=(150, failures, rid if shared else None, barrier))
                  for _ in range(3)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(120)
        alive = [r.pid for r in racers if r.is_alive()]
        for racer in racers:
            racer.kill() if racer.is_alive() else None
    found = []
    while not failures.empty():
        found.append(failures.get(timeout=1))
    assert not alive, "racers still running after 120 s: %s" % alive
    assert not found, found[:5]
    assert [r.exitcode for r in racers] == [0, 0, 0]


def test_a_sweep_removes_what_a_killed_process_left_aside_and_nothing_of_a_live_one():
    """create_whole() makes a file aside (.NAME.PID-THREAD) before linking it into place; a process
    killed in between leaves it.  A sweep removes it once that process is gone, never while it lives."""
    os.makedirs(uids.UID_DIR, exist_ok=True)
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = os.path.join(uids.UID_DIR, ".1.%d-1" % gone.pid)
    alive = os.path.join(uids.UID_DIR, ".1.%d-1" % os.getpid())
    for path in (dead, alive):
        with open(path, "w") as f:
            f.write("")
    try:
        proc = subprocess.run(SOCKCONF + ["sweep"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert not os.path.exists(dead) and os.path.exists(alive)
    finally:
        for path in (dead, alive):
            if os.path.exists(path):
                os.unlink(path)


@pytest.mark.alone       # its unheld process is what the other self-checks count as a run's leftover
def test_a_sweep_kills_the_processes_of_a_case_uid_no_run_holds_and_leaves_a_held_ones():
    """A program forked just before its case ended can become its case uid after the end killed the
    uid's processes and released it: a sweep kills it.  A uid a live run holds keeps its processes."""
    first, count = uids.case_uid_range()
    unheld, held = (first + uids.UNSEEDED.randrange(count) for _ in range(2))
    assert uids.uid_holder(unheld) is None and not procfs.uid_pids(unheld)
    with ownership.owned_run() as rid:
        with open(os.path.join(uids.UID_DIR, str(held)), "x") as f:
            f.write(rid)
        procs = [subprocess.Popen(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups", "sleep", "60"])
                 for uid in (unheld, held)]
        try:
            deadline = time.monotonic() + 10
            while not all(procfs.uid_pids(u) for u in (unheld, held)) and time.monotonic() < deadline:
                time.sleep(0.01)
            proc = subprocess.run(SOCKCONF + ["sweep"], capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0, proc.stderr
            assert procs[0].wait(10) == -signal.SIGKILL
            assert procs[1].poll() is None, "the sweep killed a process of a uid a live run holds"
        finally:
            for p in procs:
                p.kill()
                p.wait(10)
            os.unlink(os.path.join(uids.UID_DIR, str(held)))


def test_an_interrupt_while_a_child_is_started_is_delivered_once_it_is_recorded():
    """Ctrl-C or SIGTERM inside subprocess.Popen, after its fork, would unwind the case before the
    child's pid is kept, and nothing would end the child; signals_deferred() delivers them after."""
    assert threading.current_thread() is threading.main_thread(), "signal handlers run in the main thread only"
    def interrupt(signum, frame):
        raise KeyboardInterrupt(signum)
    previous = signal.signal(signal.SIGTERM, interrupt)
    recorded = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with procfs.signals_deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)             # the handler would have run by now
                recorded.append("child")
        assert recorded == ["child"]
        assert signal.getsignal(signal.SIGTERM) is interrupt
    finally:
        signal.signal(signal.SIGTERM, previous)


FORKING_OWNER = """
import os, signal, subprocess, sys, time
from sockconf.hosts import ownership
os.environ["SOCKCONF_RUN"] = ownership.begin_run()
signal.signal(signal.SIGTERM, ownership.terminate_run)
for _ in range(2):        # children forking all the time: some fork while the handler kills them
    subprocess.Popen(["sh", "-c", "while :; do sleep 30 & done"], stdout=subprocess.DEVNULL)
print(os.environ["SOCKCONF_RUN"], flush=True)
time.sleep(60)
"""


@pytest.mark.alone          # timed against a signal
def test_a_signalled_run_kills_what_its_descendants_fork_while_being_killed():
    """A descendant forking while terminate_run kills its parent leaves a child no enumeration saw; without
    the handler becoming its subreaper, the child goes to init and lives on (hundreds in 5 tries before)."""
    for attempt in range(3):
        owner = subprocess.Popen(["/usr/bin/python3", "-c", FORKING_OWNER], stdout=subprocess.PIPE, text=True,
                                 env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "harness")),
                                 start_new_session=True)
        try:
            owner.stdout.readline()
            time.sleep(1.0)
            owner.send_signal(signal.SIGTERM)
            owner.communicate(timeout=10)
            assert owner.returncode == 128 + signal.SIGTERM, owner.returncode
            left = subprocess.run(["pgrep", "-s", str(owner.pid)], capture_output=True, text=True).stdout.split()
            assert not left, "attempt %d: %d processes of the run left: %s" % (attempt, len(left), procfs.describe_pids(
                [int(p) for p in left[:5]]))
        finally:         # what a failed attempt left forks on: kill its session until nothing is left (bounded)
            procfs.kill_until_gone(lambda: [int(p) for p in subprocess.run(
                ["pgrep", "-s", str(owner.pid)], capture_output=True, text=True).stdout.split()], 5.0)


def test_a_tree_read_from_the_children_files_is_the_tree_a_scan_of_every_process_finds():
    """descendants() reads each process's children files when the kernel has them (a thread's children:
    here a child forked by a second thread, still alive, for a thread's children go to another thread
    when it ends); the scan of every process's stat is its fallback."""
    if not procfs.HAS_CHILDREN_FILES:
        pytest.skip("the kernel has no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN): only the scan is used")
    script = ("import subprocess, threading, time\n"
              "threading.Thread(target=lambda: (subprocess.Popen(['sleep', '30']), time.sleep(30))).start()\n"
              "subprocess.Popen(['sh', '-c', 'sleep 30 & sleep 30 & wait'])\n"
              "time.sleep(30)\n")
    proc = subprocess.Popen(["/usr/bin/python3", "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(procfs._descendants_scanned(proc.pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        scanned = sorted(procfs._descendants_scanned(proc.pid))
        assert len(scanned) == 4, scanned          # sleep, sh and its two sleeps
        assert sorted(procfs.descendants(proc.pid)) == scanned
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _kthreadd_children():
    """The kernel's threads as this test reads them: pid 2 and its children, when pid 2 has PF_KTHREAD."""
    fields = procfs.read_small("/proc/2/stat").rsplit(b")", 1)[1].split()
    if not int(fields[6]) & procfs.PF_KTHREAD:
        return set()
    return {2} | {int(p) for p in procfs.read_small("/proc/2/task/2/children", whole=True).split()}


def test_a_scan_of_every_process_leaves_out_the_kernels_threads_and_nothing_else():
    """pids() skips kthreadd and its children: reading each kernel thread's status was nine tenths of a
    scan of uids.  A process that names itself kthreadd is still listed."""
    if not procfs.HAS_CHILDREN_FILES or not _kthreadd_children():
        pytest.skip("pid 2 is not the kernel's kthreadd here, or the kernel has no children files: nothing is skipped")
    script = "import ctypes, time; ctypes.CDLL(None).prctl(15, b'kthreadd', 0, 0, 0); time.sleep(30)"
    proc = subprocess.Popen(["/usr/bin/python3", "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while procfs.read_small("/proc/%d/comm" % proc.pid) != b"kthreadd\n" and time.monotonic() < deadline:
            time.sleep(0.02)
        before = _kthreadd_children()
        listed = set(procfs.pids())
        after = _kthreadd_children()
        assert not listed & before & after, "kernel threads listed: %s" % sorted(listed & before & after)
        assert {proc.pid, os.getpid()} <= listed
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
