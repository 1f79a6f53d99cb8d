"""The case language: how cases and topologies are written and checked,
before anything runs.  It imports nothing of the run or the hosts."""
