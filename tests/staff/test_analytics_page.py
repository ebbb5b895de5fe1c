"""The dashboard (数据看板) and the feedback triage (反馈) tabs in headless Chromium (Playwright with
the system's /usr/bin/chromium, tests/support/browser.py), on the synthetic conversations of
tests/support/staff.py write_analytics: every chart drawn by ECharts (served from
/staff/static/vendor/, `make echarts`) on a canvas of non-zero size, the figures and each metric's
definition beside its chart, the CSV export, no console error and no CSP violation under the page's
strict policy; a 👎 listed with its question, answer and reason and marked handled. Screenshots go to
tests/artifacts/analytics-dashboard.png and analytics-feedback.png."""
from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.support.browser import expect
from tests.support.servers import LOGS, ROOT
from tests.support.staff import ANALYTICS_DATES, start_web, write_analytics

pytestmark = [pytest.mark.servers, pytest.mark.model, pytest.mark.system]

BUNDLE = ROOT / "web" / "staff" / "vendor" / "echarts.min.js"
CHARTS = ("volume", "answered", "containment", "handoffs", "feedback", "reasons", "services", "intents")
# Collects what the page's CSP refuses (Playwright's init scripts run outside the page's policy).
CSP_WATCH = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "(e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: run `make echarts`")
    LOGS.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp_path_factory.mktemp('analytics-page') / 'tracker.db'}"
    scenario = write_analytics(url)
    console = start_web({"TRACKER_DB_URL": url}, f"analytics-page-{uuid.uuid4().hex[:6]}")
    yield console, scenario
    console.stop()


@pytest.fixture
def page(chromium_browser, site):
    console, _ = site
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.set_default_timeout(20_000)
    page.goto(f"{console.url}/staff")
    page.fill("#token", console.token)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#knowledge")).to_be_visible()
    yield page
    violations = page.evaluate("window.__csp")
    context.close()
    assert not errors, errors
    assert not violations, violations


def test_the_dashboard_draws_every_chart(page, site):
    console, _ = site
    status, headers, _ = console.request("/staff", token=None)
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]

    page.click("#tabs button[data-tab=dashboard]")
    expect(page.locator("#dashboard")).to_be_visible()
    expect(page.locator("#d-since")).not_to_have_value("")  # the last 7 days by default
    page.fill("#d-since", ANALYTICS_DATES[0])
    page.fill("#d-until", ANALYTICS_DATES[-1])
    page.click("#dashboard-form button[type=submit]")
    expect(page.locator("#dashboard-status")).to_contain_text("8 个会话，15 条卖家消息")

    kpis = page.locator("#kpis")
    for text in ("会话", "8", "回答率", "66.7%", "自助解决率", "62.5%", "转人工", "3", "已接入 2", "3 分 30 秒", "25.0%"):
        expect(kpis).to_contain_text(text)
    for name in CHARTS:
        card = page.locator(f"#chart-{name}")
        expect(card.locator("canvas")).to_have_count(1)
        box = card.locator("canvas").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, (name, box)
        size = card.locator("canvas").evaluate("(c) => [c.width, c.height]")
        assert size[0] > 0 and size[1] > 0, (name, size)
        definition = page.locator(f"#chart-{name} ~ .definition")
        expect(definition).not_to_be_empty()
    expect(page.locator("[data-definition=answered]")).to_contain_text("nlu_fallback")
    expect(page.locator("[data-definition=containment]")).to_contain_text("request_human")
    assert page.evaluate("typeof window.echarts.getInstanceByDom") == "function"
    drawn = page.evaluate("[...document.querySelectorAll('#dashboard .chart')]"
                          ".map((n) => window.echarts.getInstanceByDom(n).getOption().series.length)")
    assert len(drawn) == len(CHARTS) and all(n >= 1 for n in drawn)

    rows = page.locator("#channel-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#channel-table tbody tr[data-channel=socketio]")).to_contain_text("网页聊天")
    groups = page.locator("#unanswered-groups tbody tr")
    expect(groups).to_have_count(4)
    expect(groups.first).to_contain_text("这个怎么退税")
    page.screenshot(path=str(LOGS / "analytics-dashboard.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#export-analytics")
    path = LOGS / "analytics.csv"
    download.value.save_as(str(path))
    rows_csv = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows_csv) == 9 and sum(int(r["messages"]) for r in rows_csv) == 15

    page.select_option("#d-channel", "wechat")
    expect(page.locator("#dashboard-status")).to_contain_text("2 个会话，4 条卖家消息")


def test_the_triage_tab_lists_a_thumbs_down_and_marks_it_handled(page, site):
    console, scenario = site
    page.fill("#staff-name", "小王")
    page.locator("#staff-name").dispatch_event("change")
    expect(page.locator("#feedback-count")).to_have_text("3")
    page.click("#tabs button[data-tab=feedback]")
    row = page.locator(f"#feedback-list tbody tr[data-feedback='{scenario.feedback_ids['c6']}']")
    expect(row).to_contain_text("这个怎么退税")
    expect(row).to_contain_text("资料里没有退税的说明")
    expect(row).to_contain_text("信息不对")
    expect(row).to_contain_text("价格不对")
    expect(row).to_contain_text("微信")
    expect(page.locator("#feedback-list tbody tr")).to_have_count(3)
    page.screenshot(path=str(LOGS / "analytics-feedback.png"), full_page=True)
    row.get_by_role("button", name="标记已处理").click()
    expect(page.locator("#feedback-status")).to_contain_text("已标记为已处理")
    expect(row).to_have_count(0)  # the list shows the open ones
    expect(page.locator("#feedback-count")).to_have_text("2")
    page.select_option("#f-handled", "true")
    handled = page.locator(f"#feedback-list tbody tr[data-feedback='{scenario.feedback_ids['c6']}']")
    expect(handled.locator(".badge")).to_have_text("已处理 · 小王")
    listed = console.get("/staff/api/feedback", handled="true")["feedback"]
    assert [(r["id"], r["handled_by"]) for r in listed] == [(scenario.feedback_ids["c6"], "小王")]

    with page.expect_download() as download:
        page.click("#export-gaps")
    page.select_option("#f-handled", "all")
    with page.expect_download() as training:
        page.click("#export-training")
    path = LOGS / "feedback-training.csv"
    training.value.save_as(str(path))
    assert path.read_text(encoding="utf-8").startswith("group,group_text,group_count,text")
    assert "FBA怎么收费" in path.read_text(encoding="utf-8")
    assert download.value.suggested_filename == "feedback-gap.csv"
