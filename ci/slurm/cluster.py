#!/usr/bin/python3
"""A one-node Slurm cluster on this machine, from Debian's slurm-wlm and
munge, for checking ci/slurm/grade.sbatch for real.  Everything lives in
one temporary folder (key, sockets, state, logs, slurm.conf), named after
this process's pid; the daemons are this process's children and stop with it
(a context manager), and end when it dies, also by SIGKILL (their
parent-death signal).  The folder of a cluster whose process was killed is
removed by the next cluster's start (sweep_dead).

  with Cluster(user) as cluster:
      job = cluster.sbatch(["--array=1-2", ...], script, env)
      cluster.wait(job, timeout)
"""
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time

FOLDER_PREFIX = "sockconf-slurm-"   # then the pid of the process that owns the cluster, and a dash
DAEMON_START = 30.0        # seconds for munged, slurmctld and slurmd to be ready
SLURM_CONF = """ClusterName=sockconf
SlurmctldHost={host}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={dir}/munge.socket
CredType=cred/munge
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
KillWait=5
MaxArraySize=100
NodeName={host} CPUs={cpus} State=UNKNOWN
PartitionName=check Nodes={host} Default=YES MaxTime=60 State=UP
"""


class ClusterError(Exception):
    pass


def sweep_dead(parent=None):
    """Remove the cluster folders under PARENT (the temporary folder) whose owning process has ended; the
    folders of live ones stay.  [the folders removed]"""
    parent = parent or tempfile.gettempdir()
    removed = []
    for name in os.listdir(parent):
        owner = re.match(re.escape(FOLDER_PREFIX) + r"(\d+)-", name)
        if owner and not os.path.exists("/proc/%s" % owner.group(1)):
            folder = os.path.join(parent, name)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, user):
        self.user = user
        self.dir = None
        self.daemons = []
        self.env = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        for tool in ("munged", "slurmctld", "slurmd", "sbatch"):
            if shutil.which(tool) is None:
                raise ClusterError("`%s` is missing: install slurm-wlm and munge (make deps does)" % tool)
        sweep_dead()
        self.dir = tempfile.mkdtemp(prefix="%s%d-" % (FOLDER_PREFIX, os.getpid()))
        os.chmod(self.dir, 0o755)
        for sub in ("state", "spool"):
            os.mkdir(os.path.join(self.dir, sub))
        host = socket.gethostname()
        conf = os.path.join(self.dir, "slurm.conf")
        with open(conf, "w") as f:
            f.write(SLURM_CONF.format(host=host, dir=self.dir, ctld_port=free_port(), slurmd_port=free_port(),
                                      cpus=os.cpu_count() or 1))
        os.chmod(conf, 0o644)
        self.env = dict(os.environ, SLURM_CONF=conf)
        self._start_munge()
        self._spawn(["slurmctld", "-D", "-f", conf])
        self._spawn(["slurmd", "-D", "-f", conf])
        self._wait_idle(host)

    def _start_munge(self):
        key = os.path.join(self.dir, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        self._spawn(["munged", "--foreground", "--force", "--key-file", key,
                     "--socket", os.path.join(self.dir, "munge.socket"),
                     "--pid-file", os.path.join(self.dir, "munged.pid"),
                     "--log-file", os.path.join(self.dir, "munged.log"),
                     "--seed-file", os.path.join(self.dir, "munged.seed")])
        self._until(lambda: os.path.exists(os.path.join(self.dir, "munge.socket")), "munged's socket")

    def _spawn(self, argv):
        """Start a daemon in the foreground; it gets SIGTERM when this process dies, whatever kills it."""
        log = open(os.path.join(self.dir, os.path.basename(argv[0]) + ".console"), "w")
        self.daemons.append(subprocess.Popen(["setpriv", "--pdeathsig", "TERM", "--"] + argv, env=self.env,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        log.close()

    def _until(self, ready, what, timeout=DAEMON_START):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in self.daemons:
                if proc.poll() is not None:
                    raise ClusterError("%s exited with %s while waiting for %s; logs in %s" % (
                        proc.args[0], proc.returncode, what, self.dir))
            if ready():
                return
            time.sleep(0.2)
        raise ClusterError("no %s after %.0f s; logs in %s" % (what, timeout, self.dir))

    def _wait_idle(self, host):
        def idle():
            out = self.run(["sinfo", "-h", "-N", "-o", "%T"], check=False).stdout
            return out.strip() in ("idle", "idle*".rstrip("*"))
        self._until(idle, "idle node %s" % host)

    def run(self, argv, check=True, as_user=False, timeout=60):
        if as_user:
            argv = ["setpriv", "--reuid=%s" % self.user, "--regid=%s" % pwd.getpwnam(self.user).pw_gid,
                    "--init-groups", "--"] + argv
        proc = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise ClusterError("%s failed: %s" % (" ".join(argv), proc.stderr.strip()))
        return proc

    def sbatch(self, args, cwd, env):
        """Submit as the cluster's user; the job id."""
        user = pwd.getpwnam(self.user)
        proc = subprocess.run(["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid, "--init-groups",
                               "--", "sbatch", "--parsable"] + args, cwd=cwd,
                              env=dict(self.env, HOME=user.pw_dir, USER=self.user, LOGNAME=self.user, **env),
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise ClusterError("sbatch failed: %s" % proc.stderr.strip())
        return re.match(r"^(\d+)", proc.stdout.strip()).group(1)

    def wait(self, job, timeout):
        """Wait (bounded) until no task of JOB is pending or running; the tasks' final states."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = self.run(["squeue", "-h", "-j", job, "-o", "%T"], check=False).stdout.split()
            if not left:
                return self.states(job)
            time.sleep(1)
        self.run(["scancel", job], check=False)
        raise ClusterError("job %s still running after %.0f s (cancelled)" % (job, timeout))

    def states(self, job):
        out = self.run(["scontrol", "-o", "show", "job", job], check=False).stdout
        return re.findall(r"JobState=(\S+)", out)

    def stop(self):
        for proc in reversed(self.daemons):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.daemons):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.daemons = []
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
