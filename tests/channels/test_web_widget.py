"""The sellers' chat page (web/chat/, served by web/server.py) in headless Chromium, talking to Rasa's
socket.io channel (addons/channels/socketio.py) of the shared running assistant (tests/conftest.py),
whose socket.io accepts only the page's origin.

Needs: the widget bundle (`make webchat`), Playwright and Debian's chromium (tests/support/browser.py);
`make test` provides all three, and a missing one fails here. Nothing here reaches beyond localhost:
the test fails if the page asks any other host for anything. A screenshot of the conversation is saved
to tests/artifacts/web_widget.png. The channel's own tests: tests/channels/socketio/.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.support import browser
from tests.support.browser import expect
from tests.support.servers import LOGS, ROOT, wait_for

pytestmark = [pytest.mark.servers, pytest.mark.model, pytest.mark.system]

BUNDLE = ROOT / "web" / "chat" / "vendor" / "webchat.js"
SCREENSHOT = LOGS / "web_widget.png"
REPLY_TIMEOUT = 45_000  # ms; the first replies of a cold Rasa on a busy 2-core machine can be slow
GREETING = "你好！我是亚马逊跨境供应链服务助手"


# -- the page and Rasa, served for real -------------------------------------------------------------

@pytest.fixture(scope="module")
def servers(assistant):
    """The page's server on the port of the one origin the assistant's socket.io accepts."""
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: run `make webchat`")
    origin = assistant.web_origin
    web_port = urlsplit(origin).port
    web = subprocess.Popen(
        [sys.executable, "-m", "web.server", "--port", str(web_port), "--socket-url", assistant.url],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=open(LOGS / f"web-{web_port}.log", "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"{origin}/chat/config.json", timeout=30, process=web)
        yield {"page": origin, "rasa": assistant.url}
    finally:
        web.terminate()
        try:
            web.wait(timeout=10)
        except subprocess.TimeoutExpired:
            web.kill()


@pytest.fixture(scope="module")
def browser_log():
    return {"requests": [], "console": [], "dialogs": [], "websockets": [], "frames": []}


@pytest.fixture(scope="module")
def page(servers, browser_log):
    with browser.sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        context = chromium.new_context(viewport={"width": 900, "height": 1000}, locale="zh-CN")
        context.on("request", lambda request: browser_log["requests"].append(request.url))
        page = context.new_page()
        page.set_default_timeout(REPLY_TIMEOUT)
        page.on("console", lambda message: browser_log["console"].append(f"{message.type}: {message.text}"))

        def on_dialog(dialog):
            browser_log["dialogs"].append(dialog.message)
            dialog.dismiss()

        def on_websocket(ws):
            browser_log["websockets"].append(ws.url)
            ws.on("framereceived", lambda payload: browser_log["frames"].append(str(payload)))

        page.on("dialog", on_dialog)
        page.on("websocket", on_websocket)
        page.goto(servers["page"] + "/")
        try:
            yield page
        finally:
            LOGS.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(SCREENSHOT), full_page=True)
            except Exception:  # pragma: no cover - the screenshot is an artifact, not a check
                pass
            context.close()
            chromium.close()


BOT_MESSAGE = "#rw-messages .rw-message:not(.rw-typing-indication) .rw-response"  # not the "…" bubble


def bot_messages(page):
    return page.locator(BOT_MESSAGE)


def user_messages(page):
    return page.locator("#rw-messages .rw-client")


def send(page, text: str) -> int:
    """Types a message and presses Enter, as a seller would; returns the bot message count before."""
    before = bot_messages(page).count()
    box = page.locator("textarea.rw-new-message")
    box.fill(text)
    box.press("Enter")
    expect(user_messages(page).last).to_have_text(text)
    return before


def wait_for_reply(page, before: int, containing: str | None = None):
    page.wait_for_function("([selector, n]) => document.querySelectorAll(selector).length > n",
                           arg=[BOT_MESSAGE, before], timeout=REPLY_TIMEOUT)
    reply = bot_messages(page).last
    if containing:
        expect(reply).to_contain_text(containing, timeout=REPLY_TIMEOUT)
    return reply


def test_page_and_widget_bundle_are_served_locally(servers):
    with urllib.request.urlopen(servers["page"] + "/", timeout=10) as response:
        html = response.read().decode("utf-8")
        csp = response.headers["Content-Security-Policy"]
    assert "<title>亚马逊跨境供应链服务助手</title>" in html
    assert 'src="/chat/vendor/webchat.js"' in html and "cdn" not in html.lower()
    assert "script-src 'self'" in csp and urlsplit(servers["rasa"]).netloc in csp
    with urllib.request.urlopen(servers["page"] + "/chat/vendor/webchat.js", timeout=10) as response:
        bundle = response.read()
    assert len(bundle) > 500_000 and b"fonts.googleapis" not in bundle
    with urllib.request.urlopen(servers["page"] + "/chat/config.json", timeout=10) as response:
        assert json.load(response)["socketUrl"] == servers["rasa"]


def test_socketio_accepts_only_the_page_origin(servers):
    url = servers["rasa"] + "/socket.io/?EIO=4&transport=polling"
    request = urllib.request.Request(url, headers={"Origin": servers["page"]})
    with urllib.request.urlopen(request, timeout=10) as response:
        # exactly one header: Engine.IO answers CORS here, Sanic-CORS (`--cors`) stays out of it
        assert response.headers.get_all("Access-Control-Allow-Origin") == [servers["page"]]
    foreign = urllib.request.Request(url, headers={"Origin": "http://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(foreign, timeout=10)
    assert refused.value.code == 400


def test_greeting_arrives_with_example_question_buttons(page):
    expect(page).to_have_title("亚马逊跨境供应链服务助手")
    expect(page.locator(".rw-header .rw-title")).to_have_text("跨境物流助手")
    expect(page.locator(".rw-header")).to_contain_text("亚马逊跨境供应链服务")
    expect(page.locator("textarea.rw-new-message")).to_have_attribute("placeholder", re.compile("输入你的问题"))
    expect(bot_messages(page).first).to_contain_text(GREETING, timeout=REPLY_TIMEOUT)
    expect(page.locator("#chat-status")).to_be_hidden()  # "正在连接助手……" went away once connected
    expect(page.locator(".rw-reply", has_text="AWD每月仓储费是多少？")).to_be_visible()
    expect(page.locator(".rw-reply", has_text="帮我选服务")).to_be_visible()


def test_typed_question_gets_the_awd_storage_fee(page):
    expect(bot_messages(page).first).to_contain_text(GREETING, timeout=REPLY_TIMEOUT)
    before = send(page, "AWD仓储费多少")
    reply = wait_for_reply(page, before, containing="0.48")
    expect(reply).to_contain_text("「来源：1.4.1」")
    # the reply's newline is kept: the source line is on a line of its own
    assert "\n「来源：1.4.1」" in reply.inner_text()


def test_suggestion_button_sends_its_question_and_gets_the_answer(page):
    if "0.48" not in (bot_messages(page).last.inner_text() if bot_messages(page).count() else ""):
        wait_for_reply(page, send(page, "AWD仓储费多少"), containing="0.48")
    # the AWD fee answer comes with follow-up buttons about AWD (简介、覆盖站点、起运量 …)
    buttons = page.locator(".rw-message:not(.rw-typing-indication)").last.locator(".rw-replies .rw-reply")
    follow_up = buttons.filter(has_text="AWD").first
    expect(follow_up).to_be_visible()
    title = follow_up.inner_text().strip()
    before = bot_messages(page).count()
    follow_up.click()
    expect(user_messages(page).last).to_have_text(title)
    reply = wait_for_reply(page, before, containing="「来源：")
    expect(reply).to_contain_text("AWD")
    assert "0.48" not in reply.inner_text()  # a new answer, not the fee again
    page.screenshot(path=str(LOGS / "web_widget_answer.png"))


def test_conversation_survives_a_reload_and_continues(page):
    if bot_messages(page).count() < 2:
        wait_for_reply(page, send(page, "AWD仓储费多少"), containing="0.48")
    before_reload = bot_messages(page).all_inner_texts()
    session = page.evaluate("() => JSON.parse(localStorage.getItem('chat_session')).session_id")
    page.reload()
    expect(bot_messages(page)).to_have_count(len(before_reload), timeout=REPLY_TIMEOUT)
    assert bot_messages(page).all_inner_texts() == before_reload  # no second greeting, nothing lost
    expect(page.locator("#rw-messages")).to_contain_text("0.48")
    # the same session, and its replies reach the new socket (it joined the session's room)
    page.wait_for_function("id => JSON.parse(localStorage.getItem('chat_session')).session_id === id", arg=session)
    before = send(page, "SEND空运到日本几天？")
    wait_for_reply(page, before, containing="「来源")
    assert bot_messages(page).count() == len(before_reload) + 1


def test_html_in_a_message_is_shown_as_text_and_never_run(page, browser_log):
    expect(bot_messages(page).first).to_contain_text(GREETING, timeout=REPLY_TIMEOUT)
    scripts_before = page.evaluate("() => [...document.scripts].map(s => s.src)")
    for text in ("<script>alert(1)</script>", '<img src=x onerror="alert(2)">'):
        before = send(page, text)
        wait_for_reply(page, before)
        assert user_messages(page).last.inner_text() == text  # shown literally
    page.wait_for_timeout(500)
    assert browser_log["dialogs"] == []
    assert page.evaluate("() => [...document.scripts].map(s => s.src)") == scripts_before
    assert page.locator("#webchat script").count() == 0
    assert page.locator("#rw-messages img[src='x']").count() == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.locator("#rw-messages").inner_html()


def test_the_page_talks_only_to_localhost_over_a_websocket(page, servers, browser_log):
    expect(bot_messages(page).first).to_contain_text(GREETING, timeout=REPLY_TIMEOUT)
    hosts = {urlsplit(url).hostname for url in browser_log["requests"] if not url.startswith("data:")}
    assert hosts <= {"localhost", "127.0.0.1"}, hosts
    rasa_port = urlsplit(servers["rasa"]).port
    assert any(f"localhost:{rasa_port}/socket.io/" in url and "transport=websocket" in url
               for url in browser_log["websockets"]), browser_log["websockets"]
    assert any("bot_uttered" in frame for frame in browser_log["frames"]), "no reply came over the websocket"
    violations = [line for line in browser_log["console"] if "Content Security Policy" in line]
    assert violations == []


def test_the_quote_behind_an_answer_is_one_click_away(page):
    wait_for_reply(page, send(page, "AWD仓储费多少"), containing="0.48")
    buttons = page.locator(".rw-message:not(.rw-typing-indication)").last.locator(".rw-replies .rw-reply")
    source = buttons.filter(has_text="查看原文").first
    expect(source).to_be_visible()
    before = bot_messages(page).count()
    source.click()
    reply = wait_for_reply(page, before, containing="原文（1.4.1）")
    expect(reply).to_contain_text("仓储费仅需$0.48/立方英尺/月")
