"""The harness's pure rules, checked in-process (no namespace, no program, no pytest run): whom a
failure blames, what a score counts, the points a case is worth, the ways a case is run and which
CASE= selects, how the explorer shares its examples, the steps an observation becomes, which port a
bound socket matches, which scopes CHECKS= takes in.  Each test fails when its rule is inverted."""
from types import SimpleNamespace

import pytest

from sockconf.explore import spaces
from sockconf.explore.scenario import concrete_steps
from sockconf.hosts.sockopts import ephemeral_ports, on_port
from sockconf.language import variants
from sockconf.run.observations import Bound, Observation, Sockets, Take
from sockconf.reports import blame, gradescope, results
from sockconf.verdicts import FAILURES, WORST_FIRST, Verdict, scopes_up_to


def row(case, programs, verdict, checks="tutorial", variant="impl"):
    return {"case": case, "programs": programs, "verdict": verdict, "checks": checks, "variant": variant,
            "title": case, "reason": ""}


# --- blame -----------------------------------------------------------------------------------------
def test_a_pair_failure_is_blamed_on_the_program_that_also_failed_alone():
    rows = blame.annotate([row("tcp-echo", ["tcpclient", "tcpserver"], Verdict.FAIL),
                           row("tcp-echo", ["tcpclient"], Verdict.FAIL, variant="tcpclient-impl"),
                           row("tcp-echo", ["tcpserver"], Verdict.PASS, variant="tcpserver-impl")])
    assert [(r["blamed"], r["pair_only"]) for r in rows] == [(["tcpclient"], False), (["tcpclient"], False),
                                                            ([], False)]


def test_a_pair_failure_no_program_alone_explains_is_the_pair_s():
    rows = blame.annotate([row("tcp-echo", ["tcpclient", "tcpserver"], Verdict.SPEC_FAIL),
                           row("tcp-echo", ["tcpclient"], Verdict.PASS, variant="tcpclient-impl"),
                           row("tcp-echo", ["tcpserver"], Verdict.SKIPPED, variant="tcpserver-impl")])
    assert (rows[0]["blamed"], rows[0]["pair_only"]) == ([], True)
    assert blame.pair_mark(rows[0]) == "spec-fail (the pair)"


def test_neither_a_pass_nor_a_harness_error_blames_anyone():
    rows = blame.annotate([row("a", ["tcpclient"], Verdict.PASS), row("b", ["tcpserver"], Verdict.ERROR)])
    assert [r["blamed"] for r in rows] == [[], []]
    assert Verdict.ERROR not in FAILURES and Verdict.SKIPPED not in FAILURES


# --- scores and points ------------------------------------------------------------------------------
def test_a_case_scores_only_when_every_variant_passed_and_an_error_counts_in_neither_figure():
    records = [row("a", ["p"], Verdict.PASS), row("a", ["q"], Verdict.PASS, variant="q-impl"),
               row("b", ["p"], Verdict.PASS), row("b", ["q"], Verdict.FAIL, variant="q-impl"),
               row("c", ["p"], Verdict.SKIPPED),
               row("d", ["p"], Verdict.ERROR),
               row("e", ["p"], Verdict.FAIL, checks="spec")]
    assert results.score(records, "tutorial") == "1/3"     # a passes; b and c (skipped) do not; d is in neither
    assert results.score(records, "spec") == "0/1"
    assert results.fraction(records[:4]) == "3/4"
    assert results.fraction([records[4], records[5]]) == "-"


def test_the_first_weights_rule_that_matches_gives_the_points_else_the_scope_s_default():
    rules = [("tcp-*", 3.0), ("tcp-echo", 10.0)]
    assert gradescope.points("tcp-echo", "tutorial", rules) == 3.0
    assert gradescope.points("udp-echo", "listing", rules) == 1.0
    assert gradescope.points("udp-echo", "spec", rules) == 0.0


def test_a_case_the_harness_could_not_run_is_worth_nothing_either_way():
    test = gradescope.test_of("a", [row("a", ["p"], Verdict.ERROR)], [])
    assert (test["score"], test["max_score"], test["status"]) == (0.0, 0.0, "failed")
    passed = gradescope.test_of("b", [row("b", ["p"], Verdict.PASS)], [("b", 2.5)])
    assert (passed["score"], passed["max_score"]) == (2.5, 2.5)


def test_the_worst_verdict_of_a_case_is_a_failure_and_a_pass_the_best():
    assert WORST_FIRST[0] == Verdict.FAIL and WORST_FIRST[-1] == Verdict.PASS
    assert [v for v in Verdict if v.ran] == [Verdict.PASS, Verdict.FAIL, Verdict.SPEC_FAIL]


def test_checks_takes_in_every_narrower_scope():
    assert scopes_up_to("tutorial") == ("tutorial",)
    assert scopes_up_to("listing") == ("tutorial", "listing")
    assert scopes_up_to("spec") == ("tutorial", "listing", "spec")


# --- variants and CASE= -----------------------------------------------------------------------------
def case_of(name, programs):
    return SimpleNamespace(name=name, programs=lambda: programs)


def test_the_reference_runs_a_case_once_and_an_implementation_once_together_and_once_per_program():
    pair = case_of("tcp-echo", ["tcpclient", "tcpserver"])
    ref = SimpleNamespace(impl=None, ref="/ref", cases=())
    assert [(vid, dirs) for vid, dirs in variants.variants(pair, ref)] == [
        ("ref", {"tcpclient": ("/ref", "ref"), "tcpserver": ("/ref", "ref")})]
    impl = SimpleNamespace(impl="/mine", ref="/ref", cases=())
    assert [(vid, dirs) for vid, dirs in variants.variants(pair, impl)] == [
        ("impl", {"tcpclient": ("/mine", "impl"), "tcpserver": ("/mine", "impl")}),
        ("tcpclient-impl", {"tcpclient": ("/mine", "impl"), "tcpserver": ("/ref", "ref")}),
        ("tcpserver-impl", {"tcpclient": ("/ref", "ref"), "tcpserver": ("/mine", "impl")})]
    assert [vid for vid, _ in variants.variants(case_of("udp-x", ["udpserver"]), impl)] == ["impl"]


def test_a_case_pattern_with_a_slash_selects_variants_and_one_without_selects_cases():
    pair = case_of("tcp-echo", ["tcpclient", "tcpserver"])
    impl = SimpleNamespace(impl="/mine", ref="/ref", cases=("tcp-echo/tcpserver-impl",))
    assert [vid for _, vid, _ in variants.planned([pair], impl)] == ["tcpserver-impl"]
    impl.cases = ("tcp-*",)
    assert [vid for _, vid, _ in variants.planned([pair], impl)] == ["impl", "tcpclient-impl", "tcpserver-impl"]
    impl.cases = ("tcp-echo/x*",)
    assert variants.planned([pair], impl) == []
    assert variants.variant_id(pair, "ref") == "tcp-echo" and variants.variant_id(pair, "impl") == "tcp-echo/impl"


# --- exploration's shares and concrete steps --------------------------------------------------------
def test_examples_are_shared_by_entries_with_largest_remainders_the_exchange_first():
    program = "tcpserver"
    entries = spaces.SITUATIONS[program]
    got = spaces.shares(program, 100)
    assert sum(n for _, n in got) == 100
    assert got[0][0] == entries[0] == "exchange"
    for situation, n in got:
        assert abs(n - 100 * entries.count(situation) / len(entries)) < 1, (situation, n)
    for budget in range(1, 30):          # who gets one more than its whole share: the largest remainders
        for name in spaces.SITUATIONS:
            entries = spaces.SITUATIONS[name]
            exact = {s: budget * entries.count(s) / len(entries) for s in entries}
            given = dict(spaces.shares(name, budget))
            raised = [s for s in exact if given.get(s, 0) > int(exact[s])]
            kept = [s for s in exact if given.get(s, 0) == int(exact[s])]
            assert all(exact[r] % 1 >= exact[k] % 1 for r in raised for k in kept), (name, budget, given)
    few = spaces.shares(program, 2)
    assert sum(n for _, n in few) == 2 and all(n > 0 for _, n in few)
    assert spaces.shares(program, 0) == [] and spaces.shares(program, 5, among=["no-such"]) == []


def test_a_port_the_kernel_picked_is_written_0_and_its_backlog_left_out():
    picked = next(iter(ephemeral_ports()))
    observation = Sockets(9, "srv", "a", [Bound("tcp", 3111, {"SO_REUSEADDR": 1}, [5]),
                                          Bound("udp", picked, {"SO_BROADCAST": 0}, [7])])
    steps = [s.split(None, 1)[1].strip() for s in concrete_steps(observation)]
    assert steps == ["backlog a 3111 5", "sockopt tcp 3111 SO_REUSEADDR 1", "sockopt udp 0 SO_BROADCAST 0"]


def test_what_a_peer_took_becomes_its_recv_and_how_it_ended():
    steps = [s.split(None, 1)[1].strip() for s in concrete_steps(Take(9, "c1", b"hi\n", "eof", 0.5))]
    assert steps == ['recv "hi\\n"', "recv-eof"]
    with pytest.raises(ValueError):
        concrete_steps(Observation(9, "c1"))


def test_port_0_matches_only_a_port_the_kernel_picks():
    picked = next(iter(ephemeral_ports()))
    assert on_port(3111, 3111) and not on_port(3112, 3111)
    assert on_port(picked, 0) and not on_port(3111, 0)
