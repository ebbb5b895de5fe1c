"""Faults and bad input at the REST entry point: a clear reply or a 4xx, never a 500, and the server
stays healthy; a failing action server gets the seller an apology, not silence."""
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.support.servers import start_assistant

pytestmark = [pytest.mark.servers, pytest.mark.model]


@pytest.fixture
def failing_actions():
    """An assistant of its own: the test stops its action server (and a failed restart must not leave
    the shared one without actions)."""
    bot = start_assistant(extra_env={"ACTION_TIMEOUT_SECONDS": "3"})
    yield bot
    bot.stop()


def post(assistant, body: bytes, content_type="application/json"):
    request = urllib.request.Request(f"{assistant.url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def healthy(assistant) -> bool:
    return "0.48" in assistant.reply("AWD仓储费多少？")


@pytest.mark.parametrize("message", ["", "   ", "\n\t ", "\u0000\u0007", None, 42, ["AWD"]])
def test_empty_or_non_text_messages_get_a_polite_reply(assistant, message):
    status, body = post(assistant, json.dumps({"sender": uuid.uuid4().hex, "message": message}).encode())
    assert status == 200
    assert "请用文字描述你的问题" in json.loads(body)[0]["text"]


def test_an_empty_message_changes_nothing(assistant):
    sender = uuid.uuid4().hex
    assistant.reply("AWD是什么", sender)
    post(assistant, json.dumps({"sender": sender, "message": "   "}).encode())
    assert "0.48" in assistant.reply("那它的仓储费呢？", sender)


def test_a_very_long_message_is_cut_with_a_note(assistant):
    messages = assistant.send("AWD仓储费多少？" + "啊" * 5000)
    texts = [m["text"] for m in messages]
    assert "只读了前500个字" in texts[0]
    assert any("0.48" in t for t in texts[1:])


@pytest.mark.parametrize("message", [
    "😀😀😀", "<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "'; DROP TABLE events; --",
    "{{7*7}} ${7*7} <%= 7*7 %>", "\u202eAWD\u202c", "ＡＷＤ仓储费？？？！！！",
])
def test_hostile_or_odd_text_gets_a_reply_and_is_never_echoed_as_markup(assistant, message):
    status, body = post(assistant, json.dumps({"sender": uuid.uuid4().hex, "message": message}).encode())
    assert status == 200
    texts = " ".join(m.get("text", "") for m in json.loads(body))
    assert texts and "<script" not in texts and "<img" not in texts and "49" not in texts


@pytest.mark.parametrize("body, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b'{"sender": "a", "message": "hi"}', "text/plain", 415),
    (json.dumps({"sender": "a", "message": "x" * 100000}).encode(), "application/json", 413),
    (json.dumps({"sender": "x" * 500, "message": "hi"}).encode(), "application/json", 400),
    (json.dumps({"sender": {"a": 1}, "message": "hi"}).encode(), "application/json", 400),
])
def test_malformed_requests_get_a_4xx_with_a_json_error(assistant, body, content_type, status):
    got, text = post(assistant, body, content_type)
    assert got == status and "error" in json.loads(text) and "Traceback" not in text


def test_the_server_stays_healthy_after_all_that(assistant):
    assert healthy(assistant)


def test_action_server_down_gets_an_apology_then_recovers(failing_actions):
    bot = failing_actions
    rasa, actions = bot.processes
    sender = uuid.uuid4().hex
    actions.terminate()
    actions.wait(timeout=20)
    started = time.perf_counter()
    reply = bot.reply("AWD仓储费多少？", sender)
    assert "抱歉" in reply and time.perf_counter() - started < 8
    bot.restart_actions()
    assert "0.48" in bot.reply("AWD仓储费多少？", sender)
