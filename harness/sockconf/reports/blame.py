"""Who a failure is blamed on.  A case of two programs runs an
implementation's programs together (variant `impl`) and each alone beside
the reference (`PROGRAM-impl`).  A program is blamed for the runs where it
was the one under test; a failure of the programs together is blamed on
those that also failed alone, and otherwise only on the pair.

It reads and annotates results.json records (a run's own, and make grade's)."""
from sockconf.verdicts import FAILURES


def programs_of(row):
    return row["programs"]


def annotate(rows):
    """Set row["blamed"] (the programs blamed, [] when it passed) and
    row["pair_only"] (a failure no program alone explains) on every row."""
    alone = {(r["case"], programs_of(r)[0]): r["verdict"] for r in rows if len(programs_of(r)) == 1}
    for row in rows:
        failed = row["verdict"] in FAILURES
        progs = programs_of(row)
        if len(progs) == 1:
            row["blamed"], row["pair_only"] = (progs if failed else []), False
            continue
        culprits = [p for p in progs if alone.get((row["case"], p)) in FAILURES]
        row["blamed"] = culprits if failed else []
        row["pair_only"] = failed and not culprits
    return rows


def per_program(rows, program):
    """The rows that count for PROGRAM alone: it was the only program under test."""
    return [r for r in rows if programs_of(r) == [program]]


def together(rows):
    """The rows of several programs under test at once."""
    return [r for r in rows if len(programs_of(r)) > 1]


def pair_mark(row):
    """A cell for a row of programs together: its verdict, and whom it blames."""
    mark = str(row["verdict"])
    if row.get("pair_only"):
        return mark + " (the pair)"
    if row.get("blamed"):
        return mark + " (%s)" % " ".join(row["blamed"])
    return mark
