"""sockconf: the conformance suite's harness, a package laid out by the way
a case goes through it.

  language/  the case language: notation, argument types, the verb registry,
             steps, case and topology files, variants (no run, no hosts)
  verbs/     the verbs by family (and the explorer's observations); importing
             the package registers them
  run/       one case run: engine, actors (programs under test, scripted
             peers), pcap, the failure report
  hosts/     what runs run on: namespaces, topologies, the sandbox, rootless
             mode, run ownership and sweep, /proc
  reports/   a run's summary, JUnit, results.json and its schema, blame,
             HTML pages and sequence charts
  explore/   make explore: generated scenarios, the reference's behaviour as cases
  grading/   make grade: many implementations, one results.json
  plugin/    the pytest plugin (-p sockconf.plugin) and its one test
  tools/     mutants, soak, bench
  catalogue.py, verdicts.py, paths.py, settings.py, cli.py (python3 -m sockconf)

The layering rule, checked by tests/selftest/test_layout.py: the case
language imports nothing of the run, the hosts, the verbs or the reports.
"""
