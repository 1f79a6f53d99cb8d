"""make explore: generated scenarios, run on the reference and on an
implementation in identical topologies, every observable compared.

  spaces/      the scenario space of each program, a table {situation: Hypothesis
               strategy}, by family: what varies, and where the space stops
               (tests/SPEC.md "Explored")
  scenario.py  a scenario: a case of observation steps; what the reference did
               in it, written as a case that checks all of it
  explorer.py  the search: Hypothesis generates and shrinks, the reference's
               cases are cached, a difference is written as a case file
"""
