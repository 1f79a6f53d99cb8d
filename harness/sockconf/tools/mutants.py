"""The suite tests itself: build each mutant of tests/mutants/mutants.list
(a reference program with one behaviour changed by one sed expression), run
the suite against it with STRICT=1, and require that some case fails.

A mutant's IMPL directory holds only the mutated program, so only the cases
of that program run, alone against scripted peers and paired with the
reference's other programs.  Prints the score; exits 1 when a mutant
survives, a case rejects no mutant, or a mutant cannot be built.
"""
import concurrent.futures
import enum
import os
import re
import subprocess
import time
from typing import NamedTuple

from sockconf.paths import REPORTS, ROOT, SELF
from sockconf.grading import pool
from sockconf.tools.mutant_build import BUILD, built, make, mutated_sources
from sockconf.verdicts import SCOPES, Verdict
class Outcome(str, enum.Enum):
    """What became of one mutant, spelled once."""
    REJECTED = "rejected"                                   # a case (or a CUnit test) failed on it
    EXPLORATION_ONLY = "rejected (exploration only)"        # no case, but its exploration found it
    SURVIVED = "SURVIVED"                                   # nothing failed on it
    SURVIVED_EXPLORATION = "SURVIVED exploration"           # a case rejects it; its exploration did not
    ERROR = "error"                                         # it could not be built or run

    def __str__(self):
        return self.value

    @property
    def rejected(self):
        return self in (Outcome.REJECTED, Outcome.EXPLORATION_ONLY)


class Judged(NamedTuple):
    """One mutant judged: its outcome, what to read about it, the cases that rejected it, seconds spent."""
    name: str
    outcome: Outcome
    detail: str
    killers: set
    seconds: float


LIST = os.path.join(ROOT, "tests", "mutants", "mutants.list")
JOBS = 32         # cases at once in the mutants' class (measured on 2 cores with the skipped variants still
                  # in it: 24 and 32 workers both 142 s; without them, 32 workers: 97 s)


def parse_list(path=LIST):
    """[(name, program, file, sed expression, what is wrong)]."""
    mutants = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            m = re.match(r"^(\S+)\s+(\S+)\s+'([^']*)'\s+--\s+(.*)$", line.rstrip("\n"))
            if not m:
                raise SystemExit("%s:%d: expected NAME PROGRAM[:FILE] 'SED' -- WHAT IS WRONG" % (path, lineno))
            name, target, sed, what = m.groups()
            program, _, source = target.partition(":")
            mutants.append((name, program, source or program + ".c", sed, what))
    return mutants


EXPLORED = os.path.join(ROOT, "tests", "mutants", "explored.list")


def parse_explored(path=EXPLORED):
    """{mutant name: (seed, scenarios)}: the mutants exploration must reject too."""
    explored = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            m = re.match(r"^(\S+)\s+(\d+)\s+(\d+)\s*$", line)
            if not m:
                raise SystemExit("%s:%d: expected NAME SEED SCENARIOS" % (path, lineno))
            explored[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return explored


def explore(name, program, bindir, seed, scenarios):
    """Run the explorer on the mutant's PROGRAM: (rejected?, detail)."""
    findings = os.path.join(BUILD, name, "findings")
    log = os.path.join(BUILD, name, "explore.log")
    with open(log, "w") as out:
        proc = subprocess.run([*SELF, "explore", "--impl", bindir, "--programs", program, "--seed", str(seed),
                               "--examples", str(scenarios), "--findings", findings],
                              stdout=out, stderr=subprocess.STDOUT, timeout=900)
    found = sorted(os.listdir(findings)) if os.path.isdir(findings) else []
    if proc.returncode == 1 and found:
        return True, "exploration: %s" % os.path.relpath(os.path.join(findings, found[0]), ROOT)
    return False, "exploration found nothing (exit %d, log %s)" % (proc.returncode, os.path.relpath(log, ROOT))


def run_unit(name, source, sed):
    """Build the CUnit tests against a mutated helper: they must fail."""
    try:
        top = mutated_sources(name, source, sed)
    except RuntimeError as exc:
        return Outcome.ERROR, str(exc), set()
    binary = os.path.join(top, "build", "unit", "test_sockutil")
    cc = make(top, ["build/unit/test_sockutil"])
    if cc.returncode != 0:
        return Outcome.ERROR, "does not compile:\n" + cc.stdout + cc.stderr, set()
    proc = subprocess.run(["unshare", "--net", binary], capture_output=True, text=True, timeout=60)
    failed = sorted(set(re.findall(r"Test: (.*?) \.\.\.FAILED", proc.stdout)))
    if proc.returncode != 0:
        return Outcome.REJECTED, "", {"unit: " + (", ".join(failed) or "crashed (status %d)" % proc.returncode)}
    return Outcome.SURVIVED, "the unit tests still pass", set()


SPEC = os.path.join(ROOT, "tests", "SPEC.md")


def spec_table_problems(killers):
    """Rows of SPEC.md's line-by-line tables whose named mutants no named
    case rejected: the table must say what the suite really does."""
    problems = []
    with open(SPEC) as f:
        lines = f.read().split("\n")
    start = lines.index("## The listings line by line")
    for lineno, line in enumerate(lines[start:], start + 1):
        if line.startswith("## ") and lineno > start + 1:
            break
        cells = line.split(" | ")
        if len(cells) != 3 or not line.startswith("| "):
            continue
        cases = set(re.findall(r"\b([a-z0-9]+(?:-[a-z0-9]+)+)\b", cells[1]))
        for mutant in re.findall(r"\b([a-z0-9]+(?:-[a-z0-9]+)+)\b", cells[2]):
            if mutant in killers and not killers[mutant] & cases:
                problems.append("line %d: %s is rejected by %s, none of %s" % (
                    lineno, mutant, " ".join(sorted(killers[mutant])) or "no case", " ".join(sorted(cases))))
            elif mutant not in killers:
                problems.append("line %d: no mutant named %s" % (lineno, mutant))
    return problems


def judged(entry, rows):
    """(Outcome, detail, killers) of one mutant from its class member's ENTRY and ROWS (pool.run_class)."""
    if entry["status"] != "ran":
        return Outcome.ERROR, entry["error"], set()
    killers = {r["case"] for r in rows if r["verdict"] == Verdict.FAIL}
    errors = [r for r in rows if r["verdict"] == Verdict.ERROR]
    detail = "its cases: %s" % os.path.relpath(pages_of(entry), ROOT)
    if killers:
        return Outcome.REJECTED, detail, killers
    if errors:
        return Outcome.ERROR, "%s: %s; %s" % (errors[0]["case"], errors[0]["reason"], detail), set()
    return Outcome.SURVIVED, detail, set()


def pages_of(entry):
    """The Markdown summary of a mutant's run (its label is its name: mutant-NAME)."""
    return os.path.join(REPORTS, "mutant-%s.md" % entry["name"])


def runs_of(program, cases):
    """CASE= of a mutant of PROGRAM (its folder holds PROGRAM alone): the variant of each of PROGRAM's
    cases with it under test beside the reference, not the variants that would be skipped (another
    program of the case not provided)."""
    return " ".join("%s/%s" % (c.name, "impl" if c.programs() == [program] else program + "-impl")
                    for c in cases if program in c.programs())


def run_all(mutants, explored, cases):
    """Every mutant judged: the unit ones by the CUnit tests, the others built, then all run as one class
    (pool.run_class, STRICT=1) while the explored ones are explored.  [Judged], in the list's order."""
    outcomes = {}
    with concurrent.futures.ThreadPoolExecutor(pool.cores() + 1) as builders:
        for mutant, (outcome, detail, killers), secs in builders.map(unit_outcome, [m for m in mutants if m[1] == "unit"]):
            outcomes[mutant[0]] = Judged(mutant[0], outcome, detail, killers, secs)
        bindirs = {}
        for name, bindir, why in builders.map(built, [m for m in mutants if m[1] != "unit"]):
            if bindir:
                bindirs[name] = bindir
            else:
                outcomes[name] = Judged(name, Outcome.ERROR, why, set(), 0.0)
    program_of = {m[0]: m[1] for m in mutants}
    # The explorations (a minute each) run beside the class, not after it.
    with concurrent.futures.ThreadPoolExecutor(pool.explore_jobs()) as explorers:
        explorations = [explorers.submit(explored_outcome, n, program_of[n], bindirs[n], explored[n])
                        for n in bindirs if n in explored]
        if bindirs:
            graded = pool.run_class([{"name": name, "impl": bindir, "label": "mutant-" + name,
                                      "case": runs_of(program_of[name], cases)}
                                     for name, bindir in bindirs.items()], "mutants", BUILD,
                                    JOBS, extra=["--strict"])
            for name, (entry, rows) in graded.items():
                outcomes[name] = Judged(name, *judged(entry, rows), entry["wall_seconds"])
        for exploration in explorations:
            name, found, detail, secs = exploration.result()
            before = outcomes[name]
            outcome = before.outcome
            if not found:
                outcome = Outcome.SURVIVED_EXPLORATION if outcome == Outcome.REJECTED else outcome
            elif outcome != Outcome.REJECTED:
                outcome = Outcome.EXPLORATION_ONLY
            outcomes[name] = Judged(name, outcome, detail, before.killers, before.seconds + secs)
    return [outcomes[m[0]] for m in mutants]


def unit_outcome(mutant):
    started = time.monotonic()
    name, _, source, sed, _ = mutant
    return mutant, run_unit(name, source, sed), time.monotonic() - started


def explored_outcome(name, program, bindir, seed_and_scenarios):
    """(name, did exploration reject it, detail, seconds)."""
    started = time.monotonic()
    found, detail = explore(name, program, bindir, *seed_and_scenarios)
    return name, found, detail, time.monotonic() - started


def narrowest_scope(outcome, killers, scope_of):
    """The narrowest scope that rejects a mutant: the scope of one of its KILLERS (case names; SCOPE_OF:
    case -> scope) first in SCOPES, 'unit' for the CUnit tests, 'exploration' when only exploration did;
    None when it was not rejected."""
    if outcome == Outcome.EXPLORATION_ONLY:
        return "exploration"
    if not Outcome(outcome).rejected:
        return None
    if any(k.startswith("unit: ") for k in killers):
        return "unit"
    return min((scope_of[k] for k in killers if k in scope_of), key=SCOPES.index, default=None)


SPEC_NOTE_RE = re.compile(r"\[spec: (.+)\]\s*$")


def scope_problems(narrowest, whats):
    """Mutants (NARROWEST: name -> the narrowest scope rejecting it; WHATS: name -> its line's WHAT IS WRONG)
    that only a spec case rejects and whose line does not say why ([spec: WHY]), or that say so while a
    narrower scope rejects them."""
    problems = []
    for name, scope in narrowest.items():
        noted = SPEC_NOTE_RE.search(whats[name])
        if scope == "spec" and not noted:
            problems.append("%s is rejected only by spec cases: its line must say why the listings do not define "
                            "it ([spec: WHY]), or a tutorial or listing case must reject it" % name)
        elif noted and scope in ("tutorial", "listing"):
            problems.append("%s says [spec: ...] but a %s case rejects it: the note is stale" % (name, scope))
    return problems


def main(only=None):
    import sockconf.verbs  # noqa: F401  (registers the verbs)
    from sockconf.language.cases import load_all
    mutants = [m for m in parse_list() if not only or re.fullmatch(only.replace("*", ".*"), m[0])]
    started = time.monotonic()
    results = []
    explored = parse_explored()
    unknown = sorted(set(explored) - {m[0] for m in parse_list()})
    if unknown:
        raise SystemExit("%s names no mutant of mutants.list: %s" % (EXPLORED, " ".join(unknown)))
    cases = load_all()
    scope_of = {c.name: c.checks for c in cases}
    narrowest = {}
    for result in run_all(mutants, explored, cases):
        name, outcome, detail, killers, secs = result
        what = next(m[4] for m in mutants if m[0] == name)
        print("%-34s %-9s %5.1fs  %s" % (name, outcome, secs, what))
        narrowest[name] = narrowest_scope(outcome, killers, scope_of)
        if not outcome.rejected:
            print("    %s" % detail)
        else:
            print("    rejected at %s by: %s" % (narrowest[name], " ".join(sorted(killers)) or "no case"))
            if name in explored:
                print("    and by %s" % detail)
        results.append(result)
    rejected = sum(1 for r in results if r.outcome.rejected)
    by_exploration_only = sum(1 for r in results if r.outcome == Outcome.EXPLORATION_ONLY)
    status = 0 if rejected == len(results) else 1
    print("\nmutation score: %d/%d mutants rejected (%.0f %%) in %.0f s; %d by exploration only, %d explored" % (
        rejected, len(results), 100.0 * rejected / max(1, len(results)), time.monotonic() - started,
        by_exploration_only, sum(1 for r in results if r.name in explored)))
    print("the narrowest scope that rejects each: %s" % ", ".join(
        "%s %d" % (scope, sum(1 for v in narrowest.values() if v == scope))
        for scope in ("unit",) + SCOPES + ("exploration",)))
    if not only:
        problems = ["tests/SPEC.md: %s" % p for p in spec_table_problems({r.name: r.killers for r in results})]
        problems += ["%s: %s" % (os.path.relpath(LIST, ROOT), p)
                     for p in scope_problems(narrowest, {m[0]: m[4] for m in mutants})]
        for problem in problems:
            print(problem)
        if problems:
            status = 1
        killed_by_any = set().union(*(r.killers for r in results)) if results else set()
        idle = [c.name for c in cases if c.name not in killed_by_any]
        if idle:
            print("cases that reject no mutant (add a mutant they catch): %s" % " ".join(idle))
            status = 1
        else:
            print("every case rejects at least one mutant")
    print("%d passed, %d failed" % (rejected, len(results) - rejected))
    return status
