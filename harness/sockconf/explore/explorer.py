"""The search: for each program, Hypothesis draws scenarios from its space
(spaces/), the reference's behaviour in each is written as a checking case
(scenario.py, cached by scenario and reference build), and that case runs on
the implementation.  A difference is shrunk by Hypothesis to a minimal
scenario and written as a case file that `make conformance CASES=` runs as
it stands."""
import concurrent.futures
import hashlib
import os
import shutil
import signal
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Verbosity, assume, given, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import Flaky, Unsatisfiable

import sockconf.verbs  # noqa: F401  (registers the verbs scenarios use)
from sockconf.hosts import kernel
from sockconf.explore import spaces
from sockconf.explore.findings import CHECKS, FINDINGS, OUT, as_record, finding_name, finding_text, write_finding
from sockconf.explore.scenario import Scenario, concrete_case, write
from sockconf.hosts.sandbox import run_state_dir
from sockconf.language.cases import CaseErrors, parse_case
from sockconf.reports.results import program_hashes
from sockconf.run.failure import one_line
from sockconf.run.once import run_case
from sockconf.verdicts import scopes_up_to

DEFAULT_EXAMPLES = 25
OUTSIDE_MIN = 5           # scenarios the reference may fail to repeat before the search stops
SHRINK_SECONDS = 60.0     # a difference is shrunk this long at most (SHRINK=; 0: as long as Hypothesis goes on)
PROGRESS_EVERY = 10.0     # seconds between a program's progress lines on a terminal
ROUNDS = 4                # passes over the situations that yielded scenarios, while budget is left
ROUND_SEED_STEP = 1_000_003   # a later pass searches with SEED + its number times this (the first with SEED)


class ShrinkBound(BaseException):
    """Shrinking a difference used up its time: the smallest confirmed one stands.  A BaseException, so
    that Hypothesis, which takes an Exception as the test failing, lets it through."""


class Progress:
    """What a program's search is doing, a line at most every PROGRESS_EVERY seconds (on a terminal:
    ENABLED), and always when a difference is found and its shrinking ends."""

    def __init__(self, program, enabled):
        self.program, self.enabled = program, enabled
        self.started = time.monotonic()
        self.last = self.started - PROGRESS_EVERY       # the first line at once

    def say(self, text, always=False):
        now = time.monotonic()
        if always or (self.enabled and now - self.last >= PROGRESS_EVERY):
            self.last = now
            print("sockconf explore: %-13s %4.0f s  %s" % (self.program, now - self.started, text), flush=True)


class Difference(Exception):
    """The implementation did not do what the reference did in SCENARIO."""

    def __init__(self, scenario, concrete, failure, reason, named_as):
        super().__init__(reason)
        self.scenario, self.concrete, self.failure = scenario, concrete, failure
        self.reason = reason              # the failure in one line, from its data (failure.one_line)
        self.named_as = named_as          # the path the failure report gives the case, until it is written


@dataclass
class Outcome:
    """What exploring one program found."""
    program: str
    scenarios: int = 0            # scenarios run on the implementation
    outside: int = 0              # scenarios the reference did not do the same way twice (not counted)
    noise: int = 0                # differences that did not come back at once (timing under load, not counted)
    difference: dict = None       # the shrunk difference: title, checks, concrete (case text), failure
    flaky: bool = False           # a difference that did not come back when Hypothesis replayed it
    stopped: bool = False         # the reference did not repeat itself too often: the search stopped
    case_path: str = None
    notes: list = field(default_factory=list)


class Explorer:
    """Explores programs of IMPL (None: the reference itself) under the run
    settings CFG (run id, limits), as worker WORKER (staging, name prefixes)."""

    def __init__(self, cfg, worker, seed_value, findings=FINDINGS, checks=CHECKS, database=None,
                 shrink_seconds=SHRINK_SECONDS, progress=False):
        self.cfg, self.worker, self.seed, self.findings = cfg, worker, seed_value, findings
        self.shrink_seconds = shrink_seconds
        self.progress = progress      # progress lines (a terminal's): Progress
        self.checks = checks      # the widest scope explored: its scenarios and every narrower scope's
        self.scopes = scopes_up_to(checks)
        self.database = database or default_database(cfg.impl)
        self.reference_hash = "".join("%s=%s;" % kv for kv in sorted(program_hashes(cfg.ref).items()))
        # the run's own: removed with the run, also when a signal ends it before close()
        self.scratch = run_state_dir(cfg.run, "explore", worker)

    def close(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def parse(self, text, name, exploring):
        path = os.path.join(self.scratch, name + ".case")
        write(path, text)
        try:
            return parse_case(path, origin=self.scratch, exploring=exploring)
        except CaseErrors as exc:
            raise RuntimeError("the explorer wrote a case with errors (a harness bug):\n%s\n%s" % (exc, text))

    def run(self, case, directory, label):
        """(the CaseRun, its failure report or None) of CASE with the programs of DIRECTORY."""
        dirs = {p: (directory, "ref" if directory == self.cfg.ref else "impl") for p in case.programs()}
        artifacts = os.path.join(OUT, "artifacts", self.cfg.run + "-" + self.worker, label)
        return run_case(case, label, dirs, self.cfg, self.worker, artifacts, "make explore")

    def failure(self, case, directory, label):
        return self.run(case, directory, label)[1]

    def failed(self, case, directory, label):
        """(its failure report, the failure in one line) of CASE with the programs of DIRECTORY, or None."""
        run, report = self.run(case, directory, label)
        return (report, one_line(run.failure)) if report else None

    def reference(self, scenario):
        """The checking case of what the reference did in SCENARIO, or None
        when the reference does not do the same in it twice."""
        key = scenario.key(self.reference_hash)
        cache = os.path.join(OUT, "cache", key + ".case")
        if os.path.exists(cache):
            with open(cache) as f:
                text = f.read()
            return text or None
        run, failure = self.run(self.parse(scenario.text(), "scenario", exploring=True), self.cfg.ref, "observe")
        text, why = None, failure
        if failure is None:
            outputs = {name: bytes(actor.output).decode("utf-8", "replace") for name, actor in run.actors.items()
                       if actor.kind == "program"}
            text = concrete_case(scenario, run.observations, outputs)
            why = None if text is not None else "an output the case notation cannot write exactly"
        if text is not None:
            why = self.failure(self.parse(text, "reference", False), self.cfg.ref, "reference")
            text = None if why else text       # the reference itself does not repeat it: outside the space
        if why:
            write(os.path.join(OUT, "outside", key + ".txt"),
                  scenario.text() + "\n" + why + "\n")
        write(cache, text or "")
        return text

    def confirmed(self, candidate):
        """A difference counts when the implementation fails the case again and the reference passes it again."""
        return bool(self.failure(candidate, self.cfg.impl or self.cfg.ref, "candidate-again")) and \
            not self.failure(candidate, self.cfg.ref, "reference-again")

    def explore(self, program, examples):
        """Search PROGRAM's space one situation at a time, each with its share of EXAMPLES
        (spaces.shares), the exchange first (where the tutorial scenarios are, so a tutorial difference
        is not hidden behind a spec one), until a difference is found.  What a pass leaves unused (a
        situation with no scenario in the scopes explored, CHECKS=tutorial; a small space Hypothesis
        exhausts) is shared again over the situations that yielded scenarios, with another seed."""
        outcome = Outcome(program)
        self.said = Progress(program, self.progress)
        # every situation of the program the kernel allows (cmd_explore says which it leaves out)
        among = [s for s in spaces.SITUATIONS[program] if s not in spaces.left_out(program, kernel.current())]
        for number in range(ROUNDS):
            yielded = []
            for situation, share in spaces.shares(program, examples - outcome.scenarios, among):
                before = outcome.scenarios
                self.search(outcome, program, situation, share, max(OUTSIDE_MIN, examples),
                            self.seed + number * ROUND_SEED_STEP)
                if outcome.difference or outcome.flaky or outcome.stopped:
                    return outcome
                if outcome.scenarios > before:
                    yielded.append(situation)
            among = yielded
            if not among or outcome.scenarios >= examples:
                break
        return outcome

    def search(self, outcome, program, situation, examples, outside_limit, seed_value):
        """One Hypothesis search of EXAMPLES scenarios in SITUATION of PROGRAM's space, seeded with
        SEED_VALUE, its examples kept apart from every other situation's; what it finds goes into OUTCOME."""
        database = DirectoryBasedExampleDatabase(os.path.join(self.database, program, situation))
        confirmed = []          # every confirmed difference, the smallest last
        shrinking_since = []    # when the first was confirmed

        @settings(max_examples=examples, database=database, deadline=None, verbosity=Verbosity.quiet,
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)
        @seed(seed_value)
        @given(spaces.SPACES[program](situation))
        def check(drawn):
            if shrinking_since:
                spent = time.monotonic() - shrinking_since[0]
                if self.shrink_seconds and spent > self.shrink_seconds:
                    raise ShrinkBound()
                self.said.say("shrinking: %d smaller so far, %.0f s of %g" % (
                    len(confirmed) - 1, spent, self.shrink_seconds))
            else:
                self.said.say("%d scenarios, situation %s" % (outcome.scenarios, situation))
            checks, title, steps, topology = drawn
            assume(checks in self.scopes)
            scenario = Scenario(program, checks, title, tuple(steps), topology,
                                spaces.OPEN_LINES.get(program, ()) if checks == "listing" else ())
            assume(outcome.outside <= outside_limit)            # past it: no more runs, the search ends
            concrete = self.reference(scenario)
            if concrete is None:
                outcome.outside += 1
            assume(concrete is not None)
            outcome.scenarios += 1
            text = finding_text(program, self.seed, self.cfg.impl, self.findings, title, concrete, self.checks)
            candidate = self.parse(text, finding_name(program, self.seed), False)
            failure = self.failed(candidate, self.cfg.impl or self.cfg.ref, "candidate")
            if failure and not self.confirmed(candidate):
                outcome.noise += 1           # it did not fail twice, or the reference failed it too: timing, not a difference
                failure = None
            if failure:
                found = Difference(scenario, text, *failure, candidate.relpath)
                confirmed.append(found)
                if not shrinking_since:
                    shrinking_since.append(time.monotonic())
                    self.said.say("a %s difference in situation %s after %d scenarios; shrinking it (at most %s)" % (
                        checks, situation, outcome.scenarios, "%g s" % self.shrink_seconds if self.shrink_seconds
                        else "unbounded"), always=True)
                raise found

        try:
            check()
        except Unsatisfiable:
            pass        # the situation has no scenario in the scopes explored (CHECKS=tutorial: a port taken)
        except Difference as found:
            outcome.difference = as_record(found)
        except ShrinkBound:
            outcome.difference = as_record(confirmed[-1])
            outcome.notes.append("shrinking stopped at its bound of %g s (SHRINK= to change): %d smaller found" % (
                self.shrink_seconds, len(confirmed) - 1))
        except Flaky as exc:
            if confirmed:
                # A run on a loaded machine did not repeat while Hypothesis replayed: the last confirmed
                # difference (the implementation failed it twice, the reference passed it) stands.
                outcome.difference = as_record(confirmed[-1])
                outcome.notes.append("shrinking stopped early: a replay did not repeat (timing under load)")
            else:
                outcome.flaky = True
                outcome.notes.append("a difference that did not come back when replayed: %s" % str(exc).split("\n")[0])
        if outcome.outside > outside_limit:
            outcome.stopped = True
            outcome.notes.append("stopped: the reference did not repeat itself in %d scenarios (a harness bug)"
                                 % outcome.outside)


def default_database(impl):
    """Hypothesis' examples of IMPL (its failing ones are tried first next time), apart from every other's."""
    key = hashlib.sha256((impl or "reference").encode()).hexdigest()[:12]
    return os.path.join(OUT, "hypothesis", key)


def explore_one(cfg, program, examples, seed_value, worker, findings, checks, database, shrink_seconds, progress):
    # The parent owns the run: on Ctrl-C or SIGTERM it kills every worker and removes all of the run
    # (ownership.terminate_run); a worker neither unwinds on its own nor sweeps beside it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    explorer = Explorer(cfg, worker, seed_value, findings, checks, database, shrink_seconds, progress)
    try:
        return explorer.explore(program, examples)
    finally:
        explorer.close()


def explore_all(cfg, programs, examples, seed_value, findings=FINDINGS, checks=CHECKS, database=None,
                shrink_seconds=SHRINK_SECONDS, progress=False):
    """Explore PROGRAMS at once (a process each: they mostly wait), only scenarios of scope CHECKS or narrower,
    with Hypothesis' examples in DATABASE (default: IMPL's own), each difference shrunk SHRINK_SECONDS at
    most, with PROGRESS lines; their Outcomes in order."""
    with concurrent.futures.ProcessPoolExecutor(max_workers=len(programs)) as pool:
        futures = [pool.submit(explore_one, cfg, p, examples, seed_value, "e%d" % i, findings, checks, database,
                               shrink_seconds, progress)
                   for i, p in enumerate(programs)]
        outcomes = [f.result() for f in futures]
    for outcome in outcomes:
        if outcome.difference:
            write_finding(outcome, seed_value, findings)
    return outcomes
