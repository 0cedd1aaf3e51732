"""The public portal (no sign-in) after the demo: the public challenge, its whole list entry and
guide, its notices, the feed — and never anything of the restricted challenge (R-SCOPE) or a
classified project (R-PUBLICITY), in a page, a link, a count or the feed."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

from fastapi.testclient import TestClient

from jiebang_es.sample import key_challenge_content
from jiebang_es.service import JiebangApp
from tests.web.conftest import Demo

PORTAL_PAGES = ("/portal", "/portal/notices", "/portal/draws", "/portal/feed.atom", "/sitemap.xml")


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_r_scope_portal_lists_the_public_challenge_never_the_restricted_one(
    web: TestClient, demo: Demo
) -> None:
    listing = web.get("/portal")
    assert listing.status_code == 200
    assert demo.public_name in listing.text
    assert f"/portal/challenges/{demo.public_id}" in _links(listing.text)
    assert "共 1 项" in listing.text
    for path in PORTAL_PAGES:
        text = web.get(path).text
        assert demo.restricted_name not in text, path
        assert demo.restricted_id not in text, path
        assert demo.restricted_draw_id not in text, path


def test_r_scope_restricted_challenge_page_answers_404_as_the_json_route(
    web: TestClient, demo: Demo
) -> None:
    assert web.get(f"/v1/public/challenges/{demo.restricted_id}").status_code == 404
    page = web.get(f"/portal/challenges/{demo.restricted_id}")
    assert page.status_code == 404
    assert demo.restricted_name not in page.text
    assert web.get(f"/portal/challenges/{demo.restricted_id}/guide.txt").status_code == 404


def test_r_content_challenge_page_shows_the_whole_list_entry_and_its_guide(
    web: TestClient, demo: Demo
) -> None:
    app = JiebangApp(demo.settings)
    try:
        content = app.challenge(demo.public_id).content  # as published, after the demo's revisions
    finally:
        app.close()
    page = web.get(f"/portal/challenges/{demo.public_id}")
    assert page.status_code == 200
    for text in (content.chokepoint, content.industry_effect, content.benchmarking):
        assert text in page.text
    for indicator in content.indicators:
        assert indicator.name in page.text
    for milestone in content.milestones:
        assert milestone.name in page.text
    guide = web.get(f"/portal/challenges/{demo.public_id}/guide.txt")
    assert guide.status_code == 200
    assert "attachment" in guide.headers["content-disposition"]
    # saved under the name its reader recognises: 申报指南-<challenge name>.txt (RFC 8187)
    saved = quote(f"申报指南-{demo.public_name}.txt", safe="")
    assert f"filename*=UTF-8''{saved}" in guide.headers["content-disposition"]
    # the guide document kept with the publication (R-EVIDENCE), for anyone to download
    documents = [x for x in _links(page.text) if x.startswith("/v1/public/documents/")]
    assert documents
    for link in documents:
        answer = web.get(link)
        assert answer.status_code == 200
        assert link.rsplit("/", 1)[1] in page.text  # its digest is printed beside it
        assert "attachment" in answer.headers["content-disposition"]


def test_portal_filters_by_industry_category_year_and_state(web: TestClient, demo: Demo) -> None:
    content = key_challenge_content()
    assert demo.public_name in web.get("/portal", params={"industry": content.industry}).text
    assert demo.public_name not in web.get("/portal", params={"industry": "绿色低碳"}).text
    assert demo.public_name in web.get("/portal", params={"category": "key"}).text
    assert demo.public_name not in web.get("/portal", params={"category": "major"}).text
    assert demo.public_name not in web.get("/portal", params={"year": "1999"}).text
    assert demo.public_name in web.get("/portal", params={"q": demo.public_name[:4]}).text
    # The demo's year is over: its window is closed.
    assert demo.public_name in web.get("/portal", params={"state": "closed"}).text
    assert demo.public_name not in web.get("/portal", params={"state": "open"}).text


def test_r_publicity_notices_say_the_period_and_how_to_object(web: TestClient, demo: Demo) -> None:
    notices = web.get("/portal/notices")
    assert notices.status_code == 200
    links = [x for x in _links(notices.text) if x.startswith("/portal/notices/")]
    assert links
    for link in links:
        page = web.get(link)
        assert page.status_code == 200
        assert "如何提出异议" in page.text
        assert "公示期" in page.text
        # the channel the notice recorded, once, and no other instruction beside it
        assert page.text.count("逾期或匿名异议不予受理") == 1
        assert "匿名异议不予受理。" not in page.text.replace("逾期或匿名异议不予受理。", "")
        assert demo.restricted_name not in page.text
        assert demo.restricted_id not in page.text
        # every field under a Chinese label, no field left under its code
        labels = re.findall(r"<dt>([^<]*)</dt>", page.text)
        assert "发布范围" in labels
        assert not [x for x in labels if re.search("[a-z_]", x)], labels
        assert "True" not in page.text
        assert "False" not in page.text


def test_atom_feed_is_valid_and_holds_only_public_entries(web: TestClient, demo: Demo) -> None:
    answer = web.get("/portal/feed.atom")
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)  # noqa: S314 - our own document
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    titles = [e.findtext("a:title", namespaces=ns) or "" for e in entries]
    assert any(demo.public_name in t for t in titles)
    assert all(demo.restricted_name not in t for t in titles)
    for entry in entries:
        link = entry.find("a:link", ns)
        assert link is not None
        href = link.get("href", "")
        assert web.get(href.replace("http://testserver", "")).status_code == 200
    # the summaries say money and times as the pages do: yuan with separators, Beijing minutes
    summaries = [e.findtext("a:summary", namespaces=ns) or "" for e in entries]
    challenge = next(s for s in summaries if "申报时间" in s)
    assert re.search(r"资助 [\d,]+\.\d\d 元", challenge), challenge
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d 至", challenge), challenge
    assert "T" not in challenge.split("申报时间", 1)[1]


def test_pages_carry_a_content_security_policy_and_chinese(web: TestClient) -> None:
    page = web.get("/portal")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert '<html lang="zh-CN">' in page.text
    assert web.get("/", follow_redirects=False).headers["location"] == "/portal"


def test_a_malformed_page_address_gets_a_page_and_the_api_keeps_its_problems(
    web: TestClient,
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for path in ("/portal/challenges/not-a-uuid", "/portal/notices/xyz", "/nonexistent-page"):
        answer = web.get(path, headers=browser)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "未找到" in answer.text
    bad_year = web.get("/portal", params={"year": "99999"}, headers=browser)
    assert bad_year.status_code == 400
    assert bad_year.headers["content-type"].startswith("text/html")
    assert "地址中的年度取值无效" in bad_year.text  # named as the form labels it
    assert "请求无效" in bad_year.text
    # a filter the form cannot give is refused, never an empty list that looks like an answer
    for name, value, said in (
        ("year", "abc", "年度"),
        ("year", "-1", "年度"),
        ("category", "foo", "类别"),
        ("state", "foo", "申报状态"),
    ):
        refused = web.get("/portal", params={name: value}, headers=browser)
        assert refused.status_code == 400, (name, value)
        assert f"地址中的{said}取值无效" in refused.text
    # the API's requests, and a client that does not ask for HTML, keep problem+json
    assert web.get("/v1/challenges/not-a-uuid").headers["content-type"] == (
        "application/problem+json"
    )
    assert web.get("/v1/nowhere", headers=browser).headers["content-type"] == (
        "application/problem+json"
    )
    assert web.get("/nonexistent-page").headers["content-type"] == "application/problem+json"


def test_r_guide_window_state_before_inside_and_after_the_window() -> None:
    from datetime import datetime

    from api.web.portal import window_state
    from projections.queries import PublicChallenge

    c = PublicChallenge(
        challenge_id="c",
        name="n",
        industry="智能科技",
        category="key",
        year=2026,
        end_user_name="e",
        funding=None,
        period_months=None,
        solver_conditions="",
        guide="g",
        window_opens="2026-04-10T09:00:00+08:00",
        window_closes="2026-05-10T17:00:00+08:00",
        published_at="2026-04-01T10:00:00+08:00",
        status="published",
    )
    assert window_state(c, datetime.fromisoformat("2026-04-01T00:00:00+08:00")) == "upcoming"
    assert window_state(c, datetime.fromisoformat("2026-04-10T09:00:00+08:00")) == "open"
    assert window_state(c, datetime.fromisoformat("2026-05-10T17:00:00+08:00")) == "closed"


def test_r_draw_published_record_of_a_public_challenges_draw(web: TestClient, demo: Demo) -> None:
    record = web.get(f"/v1/public/draws/{demo.public_draw_id}").json()
    listing = web.get("/portal/draws")
    assert f"/portal/draws/{demo.public_draw_id}" in _links(listing.text)
    challenge = web.get(f"/portal/challenges/{demo.public_id}")
    assert f"/portal/draws/{demo.public_draw_id}" in _links(challenge.text)
    page = web.get(f"/portal/draws/{demo.public_draw_id}")
    assert page.status_code == 200
    for value in (
        record["commitment"],
        record["randomness_source"],
        record["public_value"],
        record["seed"],
        record["candidates_digest"],
        record["algorithm"],
    ):
        assert value in page.text
    for ranking in record["rankings"]:
        for place, expert_id in enumerate(ranking["ranked"], start=1):
            assert f"<tr><td>{place}</td><td><code>{expert_id}</code></td>" in page.text
    assert f"jiebang audit verify-draw {demo.public_draw_id}" in page.text
    assert f"/v1/public/draws/{demo.public_draw_id}" in _links(page.text)


def test_r_draw_no_personal_data_of_an_expert_in_a_draw_record(web: TestClient, demo: Demo) -> None:
    app = JiebangApp(demo.settings)
    try:
        draw = app.draw(demo.public_draw_id)
        experts = [app.expert(c.expert_id) for c in draw.candidates]
    finally:
        app.close()
    page = web.get(f"/portal/draws/{demo.public_draw_id}").text
    assert experts
    for expert in experts:
        assert str(expert.name) not in page
        assert expert.org_code not in page


def test_r_draw_public_record_counts_the_exclusions_and_never_says_who_or_why(
    web: TestClient, demo: Demo
) -> None:
    """The route answers the public schema (tests/integration/test_draws.py checks it on a draw
    that excludes three members, one suspended for a reason of their own)."""
    app = JiebangApp(demo.settings)
    try:
        draw = app.draw(demo.public_draw_id)
    finally:
        app.close()
    record = web.get(f"/v1/public/draws/{demo.public_draw_id}").json()
    assert "exclusions" not in record
    assert record["excluded"] == len(draw.exclusions)
    said = json.dumps(record, ensure_ascii=False)
    for x in draw.exclusions:
        assert x.expert_id not in said
        assert x.reason not in said


def test_r_draw_the_seed_is_checked_against_its_commitment_as_the_page_says(
    web: TestClient, demo: Demo
) -> None:
    record = web.get(f"/v1/public/draws/{demo.public_draw_id}").json()
    page = web.get(f"/portal/draws/{demo.public_draw_id}").text
    # The page's own recipe, followed by someone who has only the page and the record:
    assert 'hashlib.sha256(b"jiebang-draw-seed\\x00" + 种子.encode())' in page
    recomputed = hashlib.sha256(b"jiebang-draw-seed\x00" + record["seed"].encode()).hexdigest()
    assert recomputed == record["commitment"]


def test_r_scope_restricted_challenges_draw_is_never_published(web: TestClient, demo: Demo) -> None:
    assert web.get(f"/v1/public/draws/{demo.restricted_draw_id}").status_code == 404
    page = web.get(f"/portal/draws/{demo.restricted_draw_id}")
    assert page.status_code == 404
    assert demo.restricted_name not in page.text


def test_r_scope_sitemap_lists_the_public_pages_only(web: TestClient, demo: Demo) -> None:
    answer = web.get("/sitemap.xml")
    assert answer.headers["content-type"].startswith("application/xml")
    urlset = ET.fromstring(answer.content)  # noqa: S314 - our own document
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [u.findtext("s:loc", namespaces=ns) or "" for u in urlset.findall("s:url", ns)]
    paths = [loc.replace("http://testserver", "") for loc in locs]
    assert f"/portal/challenges/{demo.public_id}" in paths
    assert f"/portal/draws/{demo.public_draw_id}" in paths
    assert any(p.startswith("/portal/notices/") for p in paths)
    for path in paths:
        assert path.startswith("/portal"), path
        assert web.get(path).status_code == 200, path
    robots = web.get("/robots.txt")
    assert "Sitemap: http://testserver/sitemap.xml" in robots.text
    assert "Disallow: /console" in robots.text


def test_portal_pages_answer_head_with_the_get_headers_and_no_body(web: TestClient) -> None:
    """Link checkers, crawlers and caches ask a page's headers alone (HEAD, as for GET); a
    method a page does not take is still a 405 naming those it does."""
    for path in PORTAL_PAGES:
        got, head = web.get(path), web.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.content == b"", path
    refused = web.post("/portal")
    assert refused.status_code == 405
    assert set(refused.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
