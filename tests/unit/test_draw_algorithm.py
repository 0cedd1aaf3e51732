"""R-DRAW: the draw is a pure function of its record; any change to an input is named."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from jiebang_es.draws import algorithm
from jiebang_es.draws.algorithm import Candidate, DrawRecord

SEED = "5" * 64
PUBLIC = "2026-140期 03 08 15 22 27 31 + 09"


def _candidates(n: int = 12) -> tuple[Candidate, ...]:
    kinds = ("management", "front_line", "peer_inside")
    return algorithm.canonical_candidates(
        Candidate(expert_id=f"expert-{i:02d}", kind=kinds[i % 3]) for i in range(n)
    )


def _record(**changes: object) -> DrawRecord:
    candidates = _candidates()
    needs = {"management": 2, "front_line": 1, "peer_inside": 2}
    record = DrawRecord(
        candidates=candidates,
        candidates_digest=algorithm.candidates_digest(candidates),
        needs=needs,
        commitment=algorithm.commitment_of(SEED),
        seed=SEED,
        public_value=PUBLIC,
        rankings=algorithm.perform(candidates, needs, SEED, PUBLIC),
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def test_r_draw_reproducible_from_its_record_alone():
    record = _record()
    assert algorithm.verify(record) == []
    again = algorithm.perform(record.candidates, record.needs, SEED, PUBLIC)
    assert again == record.rankings
    assert [r.taken for r in again] == [1, 2, 2]  # front_line, management, peer_inside


def test_r_draw_a_changed_candidate_is_named():
    record = _record()
    swapped = (*record.candidates[:-1], Candidate("expert-99", record.candidates[-1].kind))
    problems = algorithm.verify(dataclasses.replace(record, candidates=swapped))
    assert any(p.startswith("candidates: the list's digest") for p in problems)


def test_r_draw_a_changed_seed_is_named():
    problems = algorithm.verify(_record(seed="6" * 64))
    assert "seed: does not match the commitment" in problems[0]


def test_r_draw_a_changed_public_value_changes_the_result_and_is_named():
    problems = algorithm.verify(_record(public_value="2026-140期 03 08 15 22 27 31 + 10"))
    assert problems
    assert all(p.startswith("kind ") for p in problems)
    assert any("place 1" in p or "place 2" in p or "place 3" in p for p in problems)


def test_r_draw_white_space_in_the_public_value_does_not_change_the_draw():
    assert algorithm.verify(_record(public_value=f"  {PUBLIC.replace(' ', '   ')} ")) == []


def test_r_draw_a_reordered_result_is_named():
    record = _record()
    first = record.rankings[1]
    reordered = dataclasses.replace(
        first, ranked=(first.ranked[1], first.ranked[0], *first.ranked[2:])
    )
    problems = algorithm.verify(
        dataclasses.replace(record, rankings=(record.rankings[0], reordered, record.rankings[2]))
    )
    assert problems == [
        f"kind management, place 1: recorded {first.ranked[1]}, recomputed {first.ranked[0]}"
    ]


def test_r_draw_an_unknown_algorithm_is_not_verified_as_this_one():
    assert algorithm.verify(_record(algorithm="other-v9"))[0].startswith("algorithm:")


def test_r_draw_parts_are_length_prefixed():
    # ("ab", "c") and ("a", "bc") must not give the same place.
    assert algorithm.rank_key("ab", "c", "x") != algorithm.rank_key("a", "bc", "x")


def test_r_draw_ranking_is_uniform_over_20000_draws():
    """20,000 draws of 5 out of 30 candidates: each candidate sits at the expected rate (1/6),
    within five standard deviations, and the first place is uniform (chi-square, 29 degrees)."""
    draws, n, take = 20_000, 30, 5
    candidates = tuple(Candidate(f"c{i:02d}", "peer_inside") for i in range(n))
    seated: Counter[str] = Counter()
    first: Counter[str] = Counter()
    for d in range(draws):
        (ranking,) = algorithm.perform(candidates, {"peer_inside": take}, f"seed-{d}", "public")
        seated.update(ranking.selected)
        first[ranking.ranked[0]] += 1
    p = take / n
    expected, sd = draws * p, (draws * p * (1 - p)) ** 0.5
    assert all(abs(seated[c.expert_id] - expected) < 5 * sd for c in candidates), seated
    e1 = draws / n
    chi2 = sum((first[c.expert_id] - e1) ** 2 / e1 for c in candidates)
    assert chi2 < 66.6  # the 99.99th percentile of chi-square with 29 degrees of freedom


@pytest.mark.parametrize("seed", ["", "x", "种子"])
def test_r_draw_commitment_binds_the_seed(seed: str):
    assert algorithm.commitment_of(seed) != algorithm.commitment_of(seed + " ")
    assert len(algorithm.commitment_of(seed)) == 64
