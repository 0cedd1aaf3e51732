"""The console names every event and aggregate of the domain in Chinese (the stored name
follows it for the auditor); a new event class without a label fails here."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator

from fastapi.testclient import TestClient

import jiebang_es.audit.queries as audit
import jiebang_es.domain
from jiebang_es.domain.base import JiebangAggregate
from jiebang_es.domain.values import Role
from jiebang_es.labels_zh import (
    AGGREGATE_ZH,
    CODE_ZH,
    EVENT_ZH,
    KEYED_MAPS_ZH,
    code_zh,
    event_zh,
    field_zh,
)
from jiebang_es.service import JiebangApp
from tests.web.conftest import Demo, sign_in


def _aggregates(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _aggregates(sub)


def domain_events() -> set[str]:
    """Every event class an aggregate of the domain defines, by its stored name."""
    for module in pkgutil.iter_modules(jiebang_es.domain.__path__):
        importlib.import_module(f"jiebang_es.domain.{module.name}")
    names = set()
    for aggregate in _aggregates(JiebangAggregate):
        for value in vars(aggregate).values():
            if (
                inspect.isclass(value)
                and issubclass(value, JiebangAggregate.Event)
                and value.__qualname__.startswith(f"{aggregate.__name__}.")
                and value.__qualname__.split(".")[-1] not in ("Event", "Created")
            ):
                names.add(value.__qualname__)
    return names


def test_r_audit_who_every_event_and_aggregate_has_a_chinese_name() -> None:
    events = domain_events()
    assert len(events) > 60
    assert events <= EVENT_ZH.keys(), sorted(events - EVENT_ZH.keys())
    assert {e.split(".")[0] for e in events} <= AGGREGATE_ZH.keys()
    assert EVENT_ZH.keys() <= events, sorted(EVENT_ZH.keys() - events)  # no stale label
    assert event_zh("Later.Added") == "Later.Added"


def test_timeline_and_activity_say_the_event_in_chinese_then_its_stored_name(
    web: TestClient, demo: Demo
) -> None:
    sign_in(web, demo.token(Role.SUPERVISOR))
    timeline = web.get(f"/console/aggregates/{demo.public_id}")
    assert timeline.status_code == 200
    assert '第 1 版：起草榜单 <code class="event-name">Challenge.Drafted</code>' in timeline.text
    assert "发布榜单" in timeline.text
    activity = web.get("/console/activity", params={"actor_id": "bureau-li"})
    assert activity.status_code == 200
    assert "征集需求" in activity.text
    assert "需求 第 1 版" in activity.text


def test_r_audit_who_every_field_the_demos_timelines_change_has_a_chinese_name(
    web: TestClient, demo: Demo
) -> None:
    app = JiebangApp(demo.settings)
    try:
        ids = {str(e.originator_id) for _, e in audit.log_events(app)}
        changes = [
            (entry.event, change)
            for aggregate_id in ids
            for entry in audit.history(app, aggregate_id)
            for change in entry.changes
        ]
    finally:
        app.close()
    paths = {change.field for _, change in changes}
    assert len(paths) > 50
    unnamed = sorted(p for p in paths if not field_zh(p))
    assert not unnamed, unnamed
    # every coded value of a field that holds codes is said in Chinese too
    coded = [
        (event, change.field, value)
        for event, change in changes
        for value in (change.old, change.new)
        if isinstance(value, str)
        and re.fullmatch("[a-z_]+", value)  # a code, not free text (a credit source, say)
        and (
            change.field.split(".")[-1] in (*CODE_ZH, "status")
            or change.field.split(".")[-2:-1] in ([m] for m in KEYED_MAPS_ZH)
        )
    ]
    assert len(coded) > 20
    unsaid = sorted({(f, v) for e, f, v in coded if not code_zh(v, f, e)})
    assert not unsaid, unsaid
    sign_in(web, demo.token(Role.SUPERVISOR))
    timeline = web.get(f"/console/aggregates/{demo.public_id}").text
    assert "资助金额 <code>content.funding</code>" in timeline
    assert "重点项目 <code>key</code>" in timeline


def test_a_name_is_said_as_its_aggregate_and_its_map_say_it() -> None:
    # the review panel (揭榜评审) is not the argumentation panel (论证)
    assert "评审" in event_zh("Challenge.ReviewPanelProposed")
    assert "论证" not in event_zh("Challenge.ReviewPanelConfirmed")
    # a draw's commitment is to its seed, a challenge's is the end user's
    assert field_zh("commitment", "Draw.DrawScheduled") == "种子承诺值"
    assert field_zh("content.commitment", "Challenge.Drafted") == "最终用户承诺"
    # an entry of a map keyed by a milestone's name or an objection's id, and its code
    assert field_zh("milestone_verdicts.样机", "Project.MilestoneAssessed") == "节点评估"
    assert code_zh("fail", "milestone_verdicts.样机", "Project.MilestoneAssessed") == "不通过"
    assert code_zh("dismissed", "objections.3f2a", "Project.ObjectionResolved") == "不成立"
    # the parts of a personal datum
    assert field_zh("name.kind", "Expert.Registered") == "个人信息类别"
    assert code_zh("name", "leader_name.kind", "Application.Applied") == "姓名"
