"""Runs: a run id whose lock marks it alive, and removing everything of a
run when it ends, when it is signalled (terminate_run) or when a later run
finds it dead (sweep)."""
import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import string

from sockconf.hosts import procfs
from sockconf.hosts import uids
from sockconf.hosts.netns import ETC_NETNS, NAME_RE, NETNS_DIR, STATE_DIR, delete_namespaces, kill_namespace_pids

RUN_ID_LENGTH = 6          # sc + 6 characters + '-' starts every name of a run (netns.NAME_RE)
TERMINATE_GRACE = 3.0      # seconds terminate_run spends killing descendants
PR_SET_CHILD_SUBREAPER = 36    # <linux/prctl.h>

_run_locks = {}    # run id -> descriptor holding its lock


def begin_run():
    """A new run id (sc + 6 characters) whose lock this process holds: while
    it lives, sweep() leaves the run's namespaces alone.  The lock file is
    locked before it is linked into place, so no sweep ever sees it free; the
    lock is not inherited, so a killed owner frees it even if its children linger."""
    os.makedirs(STATE_DIR, exist_ok=True)
    for _ in range(100):
        rid = "".join(uids.UNSEEDED.choice(string.ascii_lowercase + string.digits) for _ in range(RUN_ID_LENGTH))
        fd = uids.create_whole(os.path.join(STATE_DIR, rid + ".lock"),
                                  lambda fd: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB))
        if fd is None:
            continue
        _run_locks[rid] = fd
        return rid
    raise OSError(errno.EEXIST, "link(%s): 100 run ids in a row were taken" % STATE_DIR)


def end_run(rid):
    """Remove everything of run RID and release its lock."""
    sweep(run_ids=[rid], only_dead=False)
    fd = _run_locks.pop(rid, None)
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def owned_run():
    """begin_run() ... end_run(), also on an exception."""
    rid = begin_run()
    try:
        yield rid
    finally:
        end_run(rid)


def run_alive(run_id):
    """True when the run that owns RUN_ID still holds its lock."""
    path = os.path.join(STATE_DIR, run_id + ".lock")
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)
    return False


def sweep(run_ids=None, only_dead=True):
    """Remove namespaces, per-host /etc dirs and temp dirs of sockconf runs.

    With RUN_IDS, only those runs; with ONLY_DEAD, only runs whose lock is
    free (their owner was killed).  Only names of this project's pattern
    (sc + 6 characters + '-') are ever touched.  Returns what was removed.
    """
    names = os.listdir(NETNS_DIR) if os.path.isdir(NETNS_DIR) else []    # what `ip netns list` lists
    if os.path.isdir(ETC_NETNS):
        names += [n for n in os.listdir(ETC_NETNS) if n not in names]
    doomed = {}
    for name in names:
        match = NAME_RE.match(name)
        if not match:
            continue
        rid = match.group(1)
        if run_ids is not None and rid not in run_ids:
            continue
        if only_dead and run_alive(rid):
            continue
        doomed.setdefault(rid, []).append(name)
    for rid, nss in doomed.items():
        kill_namespace_pids(nss)         # both skip a name that is only an /etc folder
        delete_namespaces(nss)
        for n in nss:
            shutil.rmtree(os.path.join(ETC_NETNS, n), ignore_errors=True)
    if run_ids is not None or not only_dead:
        _remove_run_files(list(run_ids or []))
    elif os.path.isdir(STATE_DIR):
        uids.remove_dead_asides(STATE_DIR)      # the uid folder's: release_uids()
        _remove_run_files([lock[:-5] for lock in os.listdir(STATE_DIR)
                           if lock.endswith(".lock") and lock[:-5] and not run_alive(lock[:-5])])
    return doomed


def _remove_run_files(rids):
    """Release the uids of runs RIDS and of every dead run (and kill the processes of uids no run holds),
    in one pass; then remove the runs' state and locks."""
    uids.release_uids(lambda owner: owner not in rids and run_alive(owner))
    for rid in rids:
        _remove_run_state(rid)


def _remove_run_state(rid):
    shutil.rmtree(os.path.join(STATE_DIR, rid), ignore_errors=True)     # its staging, scratch and state
    try:
        os.unlink(os.path.join(STATE_DIR, rid + ".lock"))
    except FileNotFoundError:
        pass


def reap_children():
    """Reap this process's children that have ended (it is ending: they are all its own to reap)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def terminate_run(signum, frame=None):
    """SIGTERM handler of the process that owns a run (the driver, or pytest
    started by hand): kill every descendant (the xdist workers, an `ip` still
    building a topology, the programs under test), then remove everything of
    the run (namespaces, files) and exit 128 + SIGNUM.  Unwinding through
    pytest and xdist instead can wait for a 15 s case.

    It first becomes its descendants' subreaper: a process that forks while its
    parent is being killed leaves a child no enumeration saw, which would go to
    init, out of reach, and live on; now it comes here and the next round kills it."""
    me = os.getpid()
    _become_subreaper()
    procfs.kill_until_gone(lambda: procfs.descendants(me), TERMINATE_GRACE, before_each=reap_children)
    rids = owned_run_ids(os.environ)
    sweep(run_ids=rids, only_dead=False)
    os.write(2, ("sockconf: stopped by signal %d; everything of run %s removed\n" % (signum, " ".join(rids))).encode())
    os._exit(128 + signum)


def _become_subreaper():
    """prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants become this process's children.  Only while a
    run ends: in a running run, a program's orphans it never reaps would count against its uid's nproc."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        os.write(2, ("sockconf: prctl(PR_SET_CHILD_SUBREAPER): %s\n" % os.strerror(ctypes.get_errno())).encode())


def owned_run_ids(env):
    """Every run id the run of environment ENV owns (read anew: a signal handler's view): its own and
    its class members'."""
    own = [env.get("SOCKCONF_RUN") or ""] + [m["run"] for m in json.loads(env.get("SOCKCONF_CLASS") or "[]")]
    return [rid for rid in dict.fromkeys(own) if rid]
