"""An implementation's bound in a class's shared pool: the seconds of case
runs it may use (settings.budget), counted over every worker in a file of its
run's own.  A case that starts after its implementation used them up is not
run (verdict `error`), so one that hangs delays the others by its budget at most."""
import os

from sockconf.hosts.sandbox import run_state_dir


def _ledger(cfg):
    return os.path.join(run_state_dir(cfg.run), "spent-seconds")


def spent(cfg):
    """Seconds of case runs CFG's implementation has used so far."""
    try:
        with open(_ledger(cfg)) as f:
            return sum(float(line) for line in f if line.strip())
    except FileNotFoundError:
        return 0.0


def charge(cfg, seconds):
    """Count SECONDS of one case run (one short append: whole lines, from any worker)."""
    fd = os.open(_ledger(cfg), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, b"%.3f\n" % seconds)
    finally:
        os.close(fd)


def used_up(cfg):
    """Why CFG's next case is not run, or None (no budget, or some left)."""
    if cfg.budget and spent(cfg) >= cfg.budget:
        return "not run: this implementation used up its %g s of case runs" % cfg.budget
    return None
