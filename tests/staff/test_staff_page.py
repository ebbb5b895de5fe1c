"""The staff page in headless Chromium (Playwright for Python with the system's /usr/bin/chromium,
tests/support/browser.py: a missing one fails here): log in with the token, search the knowledge,
open the passages, open a transcript with a hand-off, take the hand-off, see the unanswered
questions. Screenshots go to tests/artifacts/."""
import re

import pytest

from tests.support.browser import expect
from tests.support.servers import LOGS

pytestmark = [pytest.mark.servers, pytest.mark.model, pytest.mark.system]


@pytest.fixture
def page(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.set_default_timeout(20_000)
    yield page
    context.close()
    # 401/403 answers to the wrong-token attempt show up as console errors; nothing else may
    assert not [e for e in errors if "401" not in e and "403" not in e], errors


def test_the_staff_page(page, sqlite_seed, console_for):
    console = console_for(sqlite_seed)
    LOGS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{console.url}/staff")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#tabs")).to_be_hidden()

    # a wrong token is refused and nothing is shown
    page.fill("#token", "wrong-token")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("令牌不正确")
    expect(page.locator("#tabs")).to_be_hidden()

    # the right token opens the console and stays in sessionStorage (a reload keeps the session)
    page.fill("#token", console.token)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#knowledge")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('staffToken')") == console.token
    assert page.evaluate("localStorage.length") == 0
    page.reload()
    expect(page.locator("#knowledge")).to_be_visible()

    # knowledge search: the fact, its section and the verbatim quote; the passages one click away
    page.fill("#q", "AWD 仓储费")
    page.click("#search-form button[type=submit]")
    first = page.locator(".hit").first
    expect(first.locator(".answer")).to_contain_text("0.48")
    expect(first.locator(".answer")).to_contain_text("0.38")
    expect(first.locator(".section")).to_contain_text("1.4.1")
    expect(first.locator(".quote").first).to_contain_text("仓储费仅需")
    first.locator("button.link").click()
    expect(first.locator(".passage").first).to_be_visible()
    expect(first.locator(".passage mark", has_text="0.48").first).to_contain_text("0.38")
    page.screenshot(path=str(LOGS / "staff-console-search.png"), full_page=True)

    # conversations: find the WeChat-style one by its OpenID, open the transcript, see the hand-off
    page.click("#tabs button[data-tab=conversations]")
    page.fill("#sender", sqlite_seed.handoff_sender)
    page.click("#conversation-form button[type=submit]")
    row = page.locator(f"#conversation-list tbody tr[data-sender='{sqlite_seed.handoff_sender}']")
    expect(row).to_contain_text("转人工")
    row.click()
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text(sqlite_seed.handoff_sender)
    handoff_turn = transcript.locator(".turn.handoff")
    expect(handoff_turn).to_contain_text("我要找人工客服")
    expect(handoff_turn).to_contain_text("request_human")
    expect(handoff_turn).to_contain_text("卖家请求转人工")
    expect(handoff_turn).to_contain_text("action_respond")
    expect(handoff_turn.locator(".confidence")).to_have_text(re.compile(r"^(0\.\d\d|1\.00)$"))
    page.screenshot(path=str(LOGS / "staff-console-transcript.png"), full_page=True)

    # the hand-off queue: the request is there; take it
    page.fill("#staff-name", "小王")
    page.locator("#staff-name").dispatch_event("change")
    page.click("#tabs button[data-tab=handoffs]")
    item = page.locator(f"#handoff-list tbody tr[data-sender='{sqlite_seed.handoff_sender}']")
    expect(item).to_contain_text("我要找人工客服")
    item.get_by_role("button", name="接手").click()
    expect(item.locator(".badge")).to_have_text("处理中")
    expect(item).to_contain_text("小王")
    page.screenshot(path=str(LOGS / "staff-console-handoffs.png"), full_page=True)

    # unanswered questions, grouped
    page.click("#tabs button[data-tab=unanswered]")
    expect(page.locator("#unanswered-list tbody tr").first).to_be_visible()
    expect(page.locator("#unanswered-list")).to_contain_text("今天天气怎么样")
    with page.expect_download() as download:
        page.click("#export-csv")
    path = LOGS / "staff-unanswered.csv"
    download.value.save_as(str(path))
    assert path.read_text(encoding="utf-8").startswith("group,group_text,group_count,text")
    page.screenshot(path=str(LOGS / "staff-console-unanswered.png"), full_page=True)

    # log out: the token is gone
    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('staffToken')") is None
