"""python3 -m sockconf ...: the command line (cli.py); harness/ must be on the path."""
import os

from sockconf import paths

# Children started as paths.SELF (sub-runs, xdist workers, rootless re-entry) find the package too.
os.environ.update(paths.child_environ())

from sockconf.cli import main  # noqa: E402

main()
