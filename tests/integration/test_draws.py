"""R-DRAW and R-CONFLICT: the expert pool, avoidance before the draw, and draws that anyone can
recompute — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from api.schemas.draws import DrawOut, PublicDrawOut
from jiebang_es.audit.checkpoints import generate_keys, take_checkpoint
from jiebang_es.cli import cli
from jiebang_es.config import Settings
from jiebang_es.domain.draw import Draw, DrawPurpose, DrawRanking
from jiebang_es.domain.expert import ExpertStatus, RelationKind
from jiebang_es.domain.values import Actor, ExpertKind, Role
from jiebang_es.draws.algorithm import commitment_of
from jiebang_es.draws.verify import verify_recorded_draw
from jiebang_es.errors import InvalidValueError, NotPermittedError
from jiebang_es.sample import END_USER_EQUIPMENT, INSTITUTE_WEST, actor, make_code
from jiebang_es.service import JiebangApp
from jiebang_es.service_base import CommandMeta
from tests.integration.rulecheck import refused
from tests.support import BUREAU_STAFF, Journey

SEED = "a1" * 32
SOURCE = "中国福利彩票双色球第2026030期开奖号码"
PUBLIC = "02 09 14 21 26 30 + 11"
NEEDS = {ExpertKind.MANAGEMENT: 1, ExpertKind.FRONT_LINE: 1, ExpertKind.PEER_INSIDE: 2}
KINDS = (ExpertKind.MANAGEMENT, ExpertKind.FRONT_LINE, ExpertKind.PEER_INSIDE)


def _pool(app, per_kind: int = 4) -> dict[str, str]:
    """A pool of experts from different units; person id → expert id."""
    ids = {}
    for k, kind in enumerate(KINDS):
        for i in range(per_kind):
            person = f"pool-{kind.value}-{i}"
            r = app.register_expert(
                BUREAU_STAFF,
                person_id=person,
                name=f"专家{k}{i}",
                org_code=make_code(f"1250010{k}{i}MB0000{k}{i}"[:17]),
                org_name=f"单位{k}{i}",
                kind=kind,
                speciality="智能制造",
                specialities=["智能科技", "智能制造"],
                region="500106",
            )
            ids[person] = r.aggregate_id
    return ids


def _schedule(app, clock, challenge_id, purpose=DrawPurpose.ARGUMENTATION, **kw):
    clock.on(date(2026, 3, 3))
    kw.setdefault("needs", NEEDS)
    kw.setdefault("commitment", commitment_of(SEED))
    kw.setdefault("randomness_source", SOURCE)
    kw.setdefault("randomness_date", date(2026, 3, 5))
    return app.schedule_draw(BUREAU_STAFF, challenge_id, purpose=purpose, **kw).aggregate_id


def _perform(app, clock, draw_id, seed=SEED, public_value=PUBLIC):
    clock.on(date(2026, 3, 5), 21)
    return app.perform_draw(BUREAU_STAFF, draw_id, seed=seed, public_value=public_value)


@pytest.fixture
def drafted(app, clock) -> Journey:
    return Journey(app, clock).draft()


def test_r_draw_performed_draw_seats_the_first_of_each_kind_and_verifies(app, clock, drafted):
    _pool(app)
    draw_id = _perform(app, clock, _schedule(app, clock, drafted.challenge_id)).aggregate_id
    draw = app.draw(draw_id)
    assert app.verify_draw(draw_id) == []
    seated = {m.kind: [] for m in draw.seated}
    for m in draw.seated:
        seated[m.kind].append(m.expert_id)
    assert {k: len(v) for k, v in seated.items()} == dict(NEEDS.items())
    for ranking in draw.rankings:
        assert list(ranking.ranked[: ranking.taken]) == seated[ranking.kind]
    # The seats count towards each expert's yearly cap.
    assert all(app.expert(m.expert_id).seats_in(2026) == 1 for m in draw.seated)


def test_r_draw_same_record_same_experts_on_a_second_app(app, make_app, clock, drafted):
    _pool(app)
    draw_id = _perform(app, clock, _schedule(app, clock, drafted.challenge_id)).aggregate_id
    other = make_app()
    assert other.draw(draw_id).seated == app.draw(draw_id).seated
    assert other.verify_draw(draw_id) == []


def test_r_draw_revealed_seed_not_matching_its_commitment_refused(app, clock, drafted):
    _pool(app)
    draw_id = _schedule(app, clock, drafted.challenge_id)
    clock.on(date(2026, 3, 5), 21)
    refused(
        app, "R-DRAW", app.perform_draw, BUREAU_STAFF, draw_id, seed="b2" * 32, public_value=PUBLIC
    )


def test_r_draw_public_value_already_known_when_scheduled_refused(app, clock, drafted):
    _pool(app)
    clock.on(date(2026, 3, 3))
    refused(
        app,
        "R-DRAW",
        app.schedule_draw,
        BUREAU_STAFF,
        drafted.challenge_id,
        purpose=DrawPurpose.ARGUMENTATION,
        needs=NEEDS,
        commitment=commitment_of(SEED),
        randomness_source=SOURCE,
        randomness_date=date(2026, 3, 3),
    )


def test_r_draw_performed_before_the_public_value_exists_refused(app, clock, drafted):
    _pool(app)
    draw_id = _schedule(app, clock, drafted.challenge_id)
    clock.on(date(2026, 3, 4))
    refused(app, "R-DRAW", app.perform_draw, BUREAU_STAFF, draw_id, seed=SEED, public_value=PUBLIC)


def test_r_draw_performed_twice_refused(app, clock, drafted):
    _pool(app)
    draw_id = _perform(app, clock, _schedule(app, clock, drafted.challenge_id)).aggregate_id
    refused(app, "R-DRAW", app.perform_draw, BUREAU_STAFF, draw_id, seed=SEED, public_value=PUBLIC)


def test_r_draw_only_the_bureau_draws(app, clock, drafted):
    _pool(app)
    clock.on(date(2026, 3, 3))
    eu = actor(Role.END_USER, END_USER_EQUIPMENT, "eu-wang")
    with pytest.raises(NotPermittedError) as caught:
        app.schedule_draw(
            eu,
            drafted.challenge_id,
            purpose=DrawPurpose.ARGUMENTATION,
            needs=NEEDS,
            commitment=commitment_of(SEED),
            randomness_source=SOURCE,
            randomness_date=date(2026, 3, 5),
        )
    assert getattr(caught.value, "rule_id", None) == "R-DRAW"


def test_r_draw_too_few_candidates_after_avoidance_refused(app, clock, drafted):
    _pool(app, per_kind=1)
    clock.on(date(2026, 3, 3))
    refused(
        app,
        "R-DRAW",
        app.schedule_draw,
        BUREAU_STAFF,
        drafted.challenge_id,
        purpose=DrawPurpose.ARGUMENTATION,
        needs={ExpertKind.PEER_INSIDE: 30},
        commitment=commitment_of(SEED),
        randomness_source=SOURCE,
        randomness_date=date(2026, 3, 5),
    )


def test_r_conflict_excluded_candidates_are_recorded_and_never_drawn(app, clock, drafted):
    ids = _pool(app)
    own = app.register_expert(
        BUREAU_STAFF,
        person_id="pool-eu-own",
        name="需求单位专家",
        org_code=END_USER_EQUIPMENT.credit_code,
        org_name=END_USER_EQUIPMENT.name,
        kind=ExpertKind.PEER_INSIDE,
        speciality="智能制造",
    ).aggregate_id
    tied = ids["pool-peer_inside-0"]
    app.declare_expert_relation(
        BUREAU_STAFF, tied, org_code=END_USER_EQUIPMENT.credit_code, kind=RelationKind.FAMILY_TIE
    )
    lapsed = ids["pool-peer_inside-1"]
    app.declare_expert_relation(
        BUREAU_STAFF,
        lapsed,
        org_code=END_USER_EQUIPMENT.credit_code,
        kind=RelationKind.FORMER_EMPLOYER,
        ended_on=date(2019, 6, 30),
    )
    suspended = ids["pool-management-0"]
    app.change_expert_status(
        BUREAU_STAFF,
        suspended,
        status=ExpertStatus.SUSPENDED,
        meta=CommandMeta(reason="违反评审纪律"),
    )
    draw_id = _perform(app, clock, _schedule(app, clock, drafted.challenge_id)).aggregate_id
    draw = app.draw(draw_id)
    reasons = {x.expert_id: x.reason for x in draw.exclusions}
    assert set(reasons) == {own, tied, suspended}
    assert "同单位" in reasons[own]
    assert "R-CONFLICT" in reasons[own]
    assert "亲属" in reasons[tied]
    assert "违反评审纪律" in reasons[suspended]
    candidates = {m.expert_id for m in draw.candidates}
    assert lapsed in candidates  # a former employer of seven years ago no longer excludes
    assert not candidates & set(reasons)
    assert not {m.expert_id for m in draw.seated} & set(reasons)
    # Published, the record counts the exclusions and never says who or why (the suspension's
    # reason may be personal); the bureau's and the supervisors' record keeps them.
    published = PublicDrawOut.of(draw).model_dump_json()
    assert json.loads(published)["excluded"] == 3
    for expert_id, reason in reasons.items():
        assert expert_id not in published
        assert reason not in published
    assert {x.expert_id for x in DrawOut.of(draw).exclusions} == set(reasons)


def test_r_conflict_review_draw_avoids_every_applicant_unit(app, clock):
    j = Journey(app, clock).to_published()
    ids = _pool(app)
    clock.on(date(2026, 4, 20))
    j.apply(lead=INSTITUTE_WEST)
    # an expert of the applicant's unit, registered after the application
    own = app.register_expert(
        BUREAU_STAFF,
        person_id="pool-applicant-own",
        name="申报单位专家",
        org_code=INSTITUTE_WEST.credit_code,
        org_name=INSTITUTE_WEST.name,
        kind=ExpertKind.FRONT_LINE,
        speciality="智能制造",
    ).aggregate_id
    clock.on(date(2026, 5, 11))
    draw_id = app.schedule_draw(
        BUREAU_STAFF,
        j.challenge_id,
        purpose=DrawPurpose.REVIEW,
        needs=NEEDS,
        commitment=commitment_of(SEED),
        randomness_source=SOURCE,
        randomness_date=date(2026, 5, 13),
    ).aggregate_id
    draw = app.draw(draw_id)
    assert own in {x.expert_id for x in draw.exclusions}
    assert own not in {m.expert_id for m in draw.candidates}
    assert set(ids.values()) <= {m.expert_id for m in draw.candidates}


def test_r_draw_yearly_cap_excludes_an_expert_who_sat_enough(app, make_app, clock, drafted):
    _pool(app)
    capped = make_app(expert_max_seats_per_year=1)
    first = _perform(capped, clock, _schedule(capped, clock, drafted.challenge_id)).aggregate_id
    sat = {m.expert_id for m in capped.draw(first).seated}
    clock.on(date(2026, 3, 6))
    second = capped.schedule_draw(
        BUREAU_STAFF,
        drafted.challenge_id,
        purpose=DrawPurpose.ARGUMENTATION,
        needs={ExpertKind.PEER_INSIDE: 1},
        commitment=commitment_of(SEED),
        randomness_source=SOURCE,
        randomness_date=date(2026, 3, 9),
        # drawn again for the same panel, the first draw unused: justified (R-DRAW); the
        # first draw's seats stay taken, so a redraw cannot bring back a capped expert
        exception_reason="首次抽取的专家未能组成专家组，经批准重新抽取",
    ).aggregate_id
    excluded = {x.expert_id: x.reason for x in capped.draw(second).exclusions}
    peers_who_sat = {e for e in sat if capped.expert(e).kind is ExpertKind.PEER_INSIDE}
    assert peers_who_sat
    assert peers_who_sat <= set(excluded)
    assert all("上限" in excluded[e] for e in peers_who_sat)


def test_r_draw_replacements_follow_the_recorded_order(app, clock, drafted):
    _pool(app)
    draw_id = _perform(app, clock, _schedule(app, clock, drafted.challenge_id)).aggregate_id
    draw = app.draw(draw_id)
    peers = draw.ranking_of(ExpertKind.PEER_INSIDE)
    clock.on(date(2026, 3, 6))
    app.draw_replacement(
        BUREAU_STAFF,
        draw_id,
        expert_id=peers.ranked[0],
        cause="refused",
        meta=CommandMeta(reason="出差无法参会"),
    )
    app.draw_replacement(
        BUREAU_STAFF,
        draw_id,
        expert_id=peers.ranked[1],
        cause="absent",
        meta=CommandMeta(reason="临时缺席"),
    )
    seated_peers = [
        m.expert_id for m in app.draw(draw_id).seated if m.kind is ExpertKind.PEER_INSIDE
    ]
    assert seated_peers == [peers.ranked[2], peers.ranked[3]]
    assert app.verify_draw(draw_id) == []
    # walk the rest of the order: each vacancy takes the next place, until none is left
    for place in range(5, len(peers.ranked) + 1):
        app.draw_replacement(
            BUREAU_STAFF,
            draw_id,
            expert_id=peers.ranked[place - 3],
            cause="recused",
            meta=CommandMeta(reason="回避"),
        )
        assert peers.ranked[place - 1] in {m.expert_id for m in app.draw(draw_id).seated}
    assert app.verify_draw(draw_id) == []
    refused(
        app,
        "R-DRAW",
        app.draw_replacement,
        BUREAU_STAFF,
        draw_id,
        expert_id=peers.ranked[-1],
        cause="recused",
        meta=CommandMeta(reason="回避"),
    )


def test_r_draw_replacement_of_someone_not_seated_is_invalid(app, clock, drafted):
    _pool(app)
    draw_id = _perform(app, clock, _schedule(app, clock, drafted.challenge_id)).aggregate_id
    peers = app.draw(draw_id).ranking_of(ExpertKind.PEER_INSIDE)
    outsider = peers.ranked[peers.taken]
    with pytest.raises(InvalidValueError, match="expert_id"):
        app.draw_replacement(
            BUREAU_STAFF, draw_id, expert_id=outsider, cause="absent", meta=CommandMeta(reason="x")
        )


def test_r_draw_verify_names_a_replacement_out_of_order(app, clock, drafted):
    _pool(app)
    draw_id = _perform(app, clock, _schedule(app, clock, drafted.challenge_id)).aggregate_id
    draw: Draw = app.draw(draw_id)
    peers = draw.ranking_of(ExpertKind.PEER_INSIDE)
    # what a forged history would show: the last reserve taken before the first
    draw.replacements = ((ExpertKind.PEER_INSIDE, len(peers.ranked), peers.ranked[-1]),)
    problems = verify_recorded_draw(draw)
    assert problems
    assert "the order gives place 3" in problems[0]


def test_r_draw_first_release_experts_join_the_pool_with_their_speciality(tmp_path):
    """Experts registered by the first release (one free-text speciality, no region) upcast:
    their speciality becomes their one speciality code, the region stays unknown."""
    store = tmp_path / "v1.sqlite"
    shutil.copy(Path(__file__).parents[1] / "fixtures/store_v1/demo-2026.sqlite", store)
    app = JiebangApp(Settings(database_url=f"sqlite:///{store}"))
    try:
        pool = app.experts_in_pool()
        assert len(pool) >= 5
        for expert in pool:
            assert expert.specialities == ((expert.speciality,) if expert.speciality else ())
            assert expert.region == ""
            assert expert.status is ExpertStatus.ACTIVE
            assert expert.seats_in(2026) == 0
    finally:
        app.close()


def test_r_draw_verify_draw_cli_names_a_tampered_public_value(tmp_path, clock):
    """`jiebang audit verify-draw` recomputes from the stored record alone: intact → exit 0;
    the stored public value edited in the database → exit 3 naming the places that moved."""
    url = f"sqlite:///{tmp_path}/store.db"
    app = JiebangApp(Settings(database_url=url), clock=clock)
    try:
        j = Journey(app, clock).draft()
        _pool(app)
        draw_id = _perform(app, clock, _schedule(app, clock, j.challenge_id)).aggregate_id
    finally:
        app.close()
    runner = CliRunner()
    env = {"JIEBANG_DATABASE_URL": url}
    intact = runner.invoke(cli, ["audit", "verify-draw", draw_id], env=env)
    assert intact.exit_code == 0, intact.output
    assert "matches its record" in intact.output

    with sqlite3.connect(tmp_path / "store.db") as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE topic LIKE '%DrawPerformed'"
        ).fetchone()
        forged = bytes(state).replace(PUBLIC.encode(), b"02 09 14 21 26 30 + 12")
        assert forged != bytes(state)
        db.execute(
            "UPDATE stored_events SET state = ? WHERE topic LIKE '%DrawPerformed'", (forged,)
        )
    damaged = runner.invoke(cli, ["audit", "verify-draw", draw_id], env=env)
    assert damaged.exit_code == 3
    assert "place" in damaged.output


def _bundle_store(tmp_path, clock, how: str):
    """A challenge with a draw in a SQLite store, checkpointed; the draw performed honestly,
    steered by someone writing past the guards (the store seals whatever it is given), or only
    scheduled."""
    keys = tmp_path / "keys"
    env = {
        "JIEBANG_DATABASE_URL": f"sqlite:///{tmp_path}/store.db",
        "JIEBANG_AUDIT_KEY_FILE": str(keys / "checkpoint.key"),
        "JIEBANG_AUDIT_PUBLIC_KEY_FILE": str(keys / "checkpoint.pub"),
        "JIEBANG_AUDIT_CHECKPOINT_FILE": str(keys / "checkpoints.jsonl"),
    }
    settings = Settings(**{k.removeprefix("JIEBANG_").lower(): v for k, v in env.items()})
    app = JiebangApp(settings, clock=clock)
    try:
        j = Journey(app, clock).draft()
        _pool(app)
        draw_id = _schedule(app, clock, j.challenge_id)
        if how == "steered":
            clock.on(date(2026, 3, 5), 21)
            draw = app.repository.get(UUID(draw_id))
            peers = [m.expert_id for m in draw.candidates if m.kind is ExpertKind.PEER_INSIDE]
            rankings = tuple(
                DrawRanking(
                    kind=n.kind,
                    ranked=tuple(m.expert_id for m in draw.candidates if m.kind is n.kind),
                    taken=n.count,
                )
                for n in draw.needs
            )
            assert peers
            draw.record_result(
                audit=app._audit(BUREAU_STAFF, CommandMeta()),
                seed=SEED,
                public_value=PUBLIC,
                rankings=rankings,  # the first candidates by id: chosen, not drawn
            )
            app.save(draw)
        elif how == "honest":
            _perform(app, clock, draw_id)
    finally:
        app.close()
    generate_keys(settings.audit_key_file, settings.audit_public_key_file)
    take_checkpoint(settings)
    return env, j.challenge_id, draw_id


@pytest.mark.parametrize("how", ["honest", "steered", "scheduled"])
def test_r_draw_recomputed_offline_from_an_exported_bundle(tmp_path, clock, how):
    env, challenge_id, draw_id = _bundle_store(tmp_path, clock, how)
    runner = CliRunner()
    bundle = tmp_path / "bundle.jsonl"
    exported = runner.invoke(
        cli, ["audit", "export", "--challenge", challenge_id, "--out", str(bundle)], env=env
    )
    assert exported.exit_code == 0, exported.output
    checked = runner.invoke(cli, ["audit", "verify", "--bundle", str(bundle)], env=env)
    if how == "steered":
        assert checked.exit_code == 3, checked.output
        assert "R-DRAW" in checked.output
        assert f"draw {draw_id}" in checked.output
    elif how == "honest":
        assert checked.exit_code == 0, checked.output
        assert f"draw {draw_id}: recomputes from its record" in checked.output
    else:  # a draw not performed yet is nothing to recompute, and no damage
        assert checked.exit_code == 0, checked.output
        assert draw_id not in checked.output
        only = runner.invoke(cli, ["audit", "verify-draw", draw_id], env=env)
        assert only.exit_code == 2, only.output
        assert "not been performed yet" in only.output


def test_r_conflict_review_draw_does_not_avoid_the_end_users_own_unit(app, clock):
    """Only applicants' units are avoided on a review panel: the end user's responsible person
    sits on it by the plan (R-REVIEW-PANEL), so its unit is no ground for exclusion there."""
    j = Journey(app, clock).to_published()
    _pool(app)
    clock.on(date(2026, 4, 20))
    j.apply(lead=INSTITUTE_WEST)
    own = app.register_expert(
        BUREAU_STAFF,
        person_id="pool-eu-peer",
        name="需求单位技术专家",
        org_code=END_USER_EQUIPMENT.credit_code,
        org_name=END_USER_EQUIPMENT.name,
        kind=ExpertKind.PEER_INSIDE,
        speciality="智能制造",
    ).aggregate_id
    clock.on(date(2026, 5, 11))
    draw_id = app.schedule_draw(
        BUREAU_STAFF,
        j.challenge_id,
        purpose=DrawPurpose.REVIEW,
        needs=NEEDS,
        commitment=commitment_of(SEED),
        randomness_source=SOURCE,
        randomness_date=date(2026, 5, 13),
    ).aggregate_id
    assert own in {m.expert_id for m in app.draw(draw_id).candidates}


def test_r_draw_specialities_are_screened_as_they_are_recorded(app, clock, drafted):
    pool = set(_pool(app).values())  # each of them has 智能制造 among its specialities
    draw = app.draw(_schedule(app, clock, drafted.challenge_id, specialities=[" 智能制造 ", ""]))
    assert draw.specialities == ("智能制造",)
    assert not pool & {x.expert_id for x in draw.exclusions}


def test_r_order_a_panel_is_drawn_only_at_the_step_it_sits(app, clock):
    j = Journey(app, clock).draft()
    _pool(app)
    refused(app, "R-ORDER", _schedule, app, clock, j.challenge_id, purpose=DrawPurpose.REVIEW)
    j.to_published()
    refused(app, "R-ORDER", _schedule, app, clock, j.challenge_id)  # argumentation is over


def test_r_conflict_a_tie_that_ended_exactly_the_years_before_no_longer_excludes(
    app, clock, drafted
):
    ids = _pool(app)
    expert_id = ids["pool-peer_inside-0"]
    app.declare_expert_relation(
        BUREAU_STAFF,
        expert_id,
        org_code=END_USER_EQUIPMENT.credit_code,
        kind=RelationKind.FORMER_EMPLOYER,
        ended_on=date(2023, 3, 3),  # three years to the day before the draw is scheduled
    )
    draw = app.draw(_schedule(app, clock, drafted.challenge_id))
    assert expert_id in {c.expert_id for c in draw.candidates}


def test_r_conflict_an_expert_declares_its_own_ties_and_no_one_elses(app, clock, drafted):
    ids = _pool(app)
    mine = app.expert(ids["pool-front_line-0"])
    me = Actor(id=mine.person_id, role=Role.EXPERT, org_code=mine.org_code)
    app.declare_expert_relation(
        me, ids["pool-front_line-0"], org_code=END_USER_EQUIPMENT.credit_code,
        kind=RelationKind.COLLABORATION, ended_on=date(2025, 1, 1),
    )  # fmt: skip
    error = refused(
        app, "R-CONFLICT", app.declare_expert_relation, me, ids["pool-front_line-1"],
        org_code=END_USER_EQUIPMENT.credit_code, kind=RelationKind.FAMILY_TIE,
    )  # fmt: skip
    assert isinstance(error, NotPermittedError)  # 403: not this person's to declare
