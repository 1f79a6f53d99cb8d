"""The ways one case is run: with the reference alone (variant `ref`), or
for IMPL with all its programs (`impl`) and, in a case of several programs,
each of them beside the reference (`PROGRAM-impl`); and which of them
CASE= patterns select."""
import fnmatch


def variants(case, cfg):
    """(id, {program: (dir, origin)}) for each way to run CASE."""
    progs = case.programs()
    if cfg.impl is None:
        return [("ref", {p: (cfg.ref, "ref") for p in progs})]
    out = [("impl", {p: (cfg.impl, "impl") for p in progs})]
    if len(progs) > 1:
        for mine in progs:
            out.append(("%s-impl" % mine, {p: (cfg.impl if p == mine else cfg.ref,
                                               "impl" if p == mine else "ref") for p in progs}))
    return out


def variant_id(case, vid):
    """The test id: CASE, or CASE/VARIANT for runs of an implementation."""
    return case.name if vid == "ref" else "%s/%s" % (case.name, vid)


def selected(name, tid, patterns):
    """CASE= patterns: one with a / matches a test id (case/variant), others the case's name."""
    return not patterns or any(fnmatch.fnmatchcase(tid if "/" in p else name, p) for p in patterns)


def planned(cases, cfg):
    """(case, variant id, dirs) of every run CFG selects, in order."""
    return [(case, vid, dirs) for case in cases for vid, dirs in variants(case, cfg)
            if selected(case.name, variant_id(case, vid), cfg.cases)]
