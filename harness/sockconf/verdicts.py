"""The outcome of one case run, defined once and spelled the same from the
run to JUnit, the run's results, results.json, grades.csv and the pages.

  pass       every step held
  fail       a step did not hold (a tutorial or listing case, or a spec case under STRICT=1), or the case was not
             run because its implementation had used up its budget of case runs (run/budget.py)
  spec-fail  a spec case did not hold for an implementation; counted apart without STRICT=1
  skipped    not run: a program under test is not provided, or the kernel lacks a feature the case
             needs (hosts/kernel.py; the reason names it)
  error      not run: the harness could not do its part (stage the programs, build the topology, start
             a daemon); blamed on no program and never counted against an implementation's grade
"""
import enum

# What defines a check, from the narrowest (tests/SPEC.md "The rule"):
#   tutorial  what the tutorial's console captures show
#   listing   what the listings' code determines on an input no capture shows; the listings as printed pass it
#   spec      what the listings leave undefined, or where this project departs from them (SPEC.md says why)
SCOPES = ("tutorial", "listing", "spec")
# The scopes whose failures fail a run of IMPL without STRICT=1 (a spec failure is a spec-fail then).
COUNTED_SCOPES = ("tutorial", "listing")


def scopes_up_to(widest):
    """The scopes from the narrowest to WIDEST, which count at WIDEST (CHECKS=listing: tutorial and listing)."""
    return SCOPES[:SCOPES.index(widest) + 1]


SCOPE_MEANINGS = {"tutorial": "cases of what the tutorial's captures show",
                  "listing": "cases of what the listings' code defines where no capture shows it",
                  "spec": "cases of tests/SPEC.md's decisions, where the listings leave it undefined"}


class Verdict(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    SPEC_FAIL = "spec-fail"
    SKIPPED = "skipped"
    ERROR = "error"

    def __str__(self):
        return self.value

    @property
    def ran(self):
        """The run says something of the program: not skipped, and not a run the harness could not make."""
        return self not in (Verdict.SKIPPED, Verdict.ERROR)

    @property
    def wrong(self):
        """Something to read: a failure, a spec failure, or a run the harness could not make."""
        return self in (Verdict.FAIL, Verdict.SPEC_FAIL, Verdict.ERROR)


# The verdicts a program is blamed for.
FAILURES = (Verdict.FAIL, Verdict.SPEC_FAIL)
# From the worst: a case's verdict over its variants is the first of these among them (pages, interop).
WORST_FIRST = (Verdict.FAIL, Verdict.ERROR, Verdict.SPEC_FAIL, Verdict.SKIPPED, Verdict.PASS)
# How pytest's junitxml marks a spec case that failed (pytest.xfail).
XFAIL_TYPE = "pytest.xfail"


def of_pytest(report):
    """The verdict of a pytest TestReport of a case run (its call phase, or a setup that did not pass)."""
    if report.passed:
        return Verdict.PASS
    if report.skipped:
        return Verdict.SPEC_FAIL if hasattr(report, "wasxfail") else Verdict.SKIPPED
    return Verdict.FAIL if report.when == "call" else Verdict.ERROR


def of_junit(testcase):
    """The verdict of a JUnit <testcase> element that pytest wrote."""
    if testcase.find("failure") is not None:
        return Verdict.FAIL
    if testcase.find("error") is not None:
        return Verdict.ERROR
    skipped = testcase.find("skipped")
    if skipped is not None:
        return Verdict.SPEC_FAIL if skipped.get("type") == XFAIL_TYPE else Verdict.SKIPPED
    return Verdict.PASS
