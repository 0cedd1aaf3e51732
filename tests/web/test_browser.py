"""The pages in a real browser: Debian's Chromium driven by Playwright (never a downloaded
browser), on `jiebang serve` over the demo's store. The portal shows the public challenge and
its notice and never the restricted one (text, links, feed); a supervisor signs in, opens a
timeline with field changes and runs a verification; an anonymous visitor of the console is
sent to sign in; a form posted without its CSRF token is refused; the published record of an
expert draw; the sitemap and feed name nothing restricted. axe-core checks every page type
against WCAG 2.1 A and AA, and the screenshots in docs/screenshots are taken here."""

from __future__ import annotations

import atexit
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest
from PIL import Image

from jiebang_es.domain.values import Role
from tests.e2e.conftest import start_server, stop_server
from tests.web.conftest import SECRET, SESSION_SECRET, Demo

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(str(files("axe_playwright_python") / "axe.min.js"))
AXE_SOURCE = AXE.read_text(encoding="utf-8") + "\n;undefined"
# The docs' screenshots are refreshed on request (JIEBANG_UPDATE_SCREENSHOTS=1, docs/web.md): the
# pages show the run's random ids and times, so writing them on every run would leave every
# checkout changed. Otherwise they are taken all the same, into a folder of the run.
if os.environ.get("JIEBANG_UPDATE_SCREENSHOTS") == "1":
    SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
else:
    SCREENSHOTS = Path(tempfile.mkdtemp(prefix="jiebang-screenshots-"))
    atexit.register(shutil.rmtree, SCREENSHOTS, ignore_errors=True)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI: /usr/bin/chromium is missing; ops/setup.sh installs it")
    pytest.skip(
        "no /usr/bin/chromium here (ops/setup.sh installs it as root)", allow_module_level=True
    )

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def base_url(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, server = start_server(
        demo.settings.database_url,
        tmp_path_factory.mktemp("browser-server"),
        JIEBANG_JWT_SECRET=SECRET,
        JIEBANG_SESSION_SECRET=SESSION_SECRET,
        JIEBANG_REQUEST_LOG_LEVEL="warning",
    )
    server.on(date(2026, 12, 1))  # business time after the demo's year: a consistent picture
    try:
        yield server.base_url
    finally:
        server.close()
        stop_server(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()


def accessibility_violations(tab: Page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, as ``rule: target`` lines."""
    # Evaluated through the driver, so the pages' own CSP (no inline script) stays in force.
    tab.evaluate(AXE_SOURCE)
    result = tab.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [f"{v['id']}: {node['target']}" for v in result["violations"] for node in v["nodes"]]


def shoot(tab: Page, name: str) -> None:
    """A small PNG of the visible page for the docs (256 colours: a third of the bytes)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(tab.screenshot(full_page=False))).convert("RGB")
    image.quantize(colors=256).save(SCREENSHOTS / f"{name}.png", optimize=True)


def sign_in(tab: Page, base_url: str, token: str, path: str) -> None:
    tab.goto(f"{base_url}{path}")
    assert "/sign-in" in tab.url
    tab.get_by_label("访问令牌").fill(token)
    tab.get_by_role("button", name="登录").click()
    tab.wait_for_url(f"{base_url}{path}")


def test_r_scope_portal_in_a_browser_shows_public_never_restricted(
    page: Page, base_url: str, demo: Demo
) -> None:
    page.goto(f"{base_url}/portal")
    assert demo.public_name in page.inner_text("main")
    assert accessibility_violations(page) == []
    shoot(page, "portal")
    page.get_by_role("link", name=demo.public_name).click()
    page.wait_for_url(re.compile(r".*/portal/challenges/.*"))
    assert page.get_by_role("heading", name="考核指标").is_visible()
    assert accessibility_violations(page) == []
    shoot(page, "challenge")
    page.goto(f"{base_url}/portal/notices")
    assert accessibility_violations(page) == []
    notice_links = page.locator("main a[href^='/portal/notices/']")
    assert notice_links.count() >= 1
    notice_links.first.click()
    page.wait_for_url(re.compile(r".*/portal/notices/.+"))
    assert "如何提出异议" in page.inner_text("main")
    assert accessibility_violations(page) == []
    shoot(page, "notice")
    public_pages = (
        "/portal",
        "/portal/notices",
        "/portal/draws",
        f"/portal/challenges/{demo.public_id}",
        f"/portal/draws/{demo.public_draw_id}",
    )
    for path in public_pages:
        page.goto(f"{base_url}{path}")
        text = page.inner_text("body")
        hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.href)")
        for secret in (demo.restricted_name, demo.restricted_id, demo.restricted_draw_id):
            assert secret not in text, path
            assert all(secret not in h for h in hrefs), path
    for path in ("/portal/feed.atom", "/sitemap.xml"):
        listing = page.request.get(f"{base_url}{path}").text()
        assert demo.public_id in listing, path
        for secret in (demo.restricted_name, demo.restricted_id, demo.restricted_draw_id):
            assert secret not in listing, path
    assert (
        f"/portal/draws/{demo.public_draw_id}" in page.request.get(f"{base_url}/sitemap.xml").text()
    )
    assert f"Sitemap: {base_url}/sitemap.xml" in page.request.get(f"{base_url}/robots.txt").text()
    assert page.request.get(f"{base_url}/portal/draws/{demo.restricted_draw_id}").status == 404


def test_r_draw_published_draw_record_in_a_browser(page: Page, base_url: str, demo: Demo) -> None:
    page.goto(f"{base_url}/portal/draws")
    assert accessibility_violations(page) == []
    page.locator(f"main a[href='/portal/draws/{demo.public_draw_id}']").click()
    page.wait_for_url(f"{base_url}/portal/draws/{demo.public_draw_id}")
    main = page.inner_text("main")
    for text in ("种子承诺值", "公开随机数来源", "候选名单摘要", "抽取结果（按顺位）", "如何复核"):
        assert text in main
    assert f"jiebang audit verify-draw {demo.public_draw_id}" in main
    assert accessibility_violations(page) == []
    shoot(page, "draw")


def test_r_audit_who_supervisor_signs_in_reads_a_timeline_and_verifies(
    page: Page, base_url: str, demo: Demo
) -> None:
    sign_in(page, base_url, demo.token(Role.SUPERVISOR), "/console")
    assert accessibility_violations(page) == []
    page.goto(f"{base_url}/console/aggregates/{demo.public_id}")
    assert page.locator("td.change-old").count() > 0
    assert page.locator("td.change-new").count() > 0
    assert "Challenge.Published" in page.inner_text("main")
    assert "Refused" not in page.inner_text("main")
    assert page.locator("table.documents a[href^='/console/documents/']").count() > 0
    assert accessibility_violations(page) == []
    shoot(page, "timeline")
    with page.expect_download() as download:
        page.locator("table.documents a[href^='/console/documents/']").first.click()
    assert download.value.suggested_filename
    page.goto(f"{base_url}/console/compliance")
    assert accessibility_violations(page) == []
    page.goto(f"{base_url}/console/activity?actor_id=bureau-li")
    assert accessibility_violations(page) == []
    page.goto(f"{base_url}/console/seal")
    page.get_by_role("button", name="立即校验").click()
    page.wait_for_load_state()
    assert "完整：未发现篡改" in page.inner_text("main")
    assert accessibility_violations(page) == []


def test_the_console_fits_a_phone(browser: Browser, base_url: str, demo: Demo) -> None:
    """At 375 px the timeline's changes and the console's form reflow into the screen's width:
    a wide table scrolls inside its own box, the page itself never sideways."""
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    tab = context.new_page()
    try:
        sign_in(tab, base_url, demo.token(Role.SUPERVISOR), "/console")
        for path in ("/console", f"/console/aggregates/{demo.public_id}"):
            tab.goto(f"{base_url}{path}")
            width = tab.evaluate("document.documentElement.scrollWidth")
            wide = tab.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => "
                "e.getBoundingClientRect().right > 376 && !e.closest('.scroll'))"
                ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
            )
            assert width <= 375, (path, width, wide)
    finally:
        context.close()


def test_analyst_dashboard_in_a_browser(page: Page, base_url: str, demo: Demo) -> None:
    sign_in(page, base_url, demo.token(Role.ANALYST), "/dashboard")
    assert page.locator("svg[role=img]").count() == 5
    co_investment = page.get_by_role("heading", name="各年度：区财政资助与最终用户投入（元）")
    assert co_investment.is_visible()
    assert accessibility_violations(page) == []
    shoot(page, "dashboard")
    co_investment.evaluate("h => h.scrollIntoView()")
    shoot(page, "co-investment")


def test_anonymous_console_visitor_is_sent_to_sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/console/compliance")
    assert page.url.startswith(f"{base_url}/sign-in?next=")
    assert page.get_by_label("访问令牌").is_visible()
    assert accessibility_violations(page) == []


def test_a_form_posted_without_its_csrf_token_is_refused(
    page: Page, base_url: str, demo: Demo
) -> None:
    sign_in(page, base_url, demo.token(Role.SUPERVISOR), "/console/seal")
    # the signed-in browser posts the verify form with its CSRF field removed
    page.eval_on_selector("form[action='/console/seal/verify'] input[name=csrf]", "e => e.remove()")
    with page.expect_response(re.compile(r".*/console/seal/verify$")) as answer:
        page.get_by_role("button", name="立即校验").click()
    assert answer.value.status == 403
    assert "防伪令牌" in page.inner_text("main")
