"""/metrics on the running servers: Rasa (the session's assistant, and one with METRICS_TOKEN and
LOG_FORMAT=json), the action server and the web server. Each parses with prometheus_client's parser;
N REST messages raise the REST reply counter and the latency histogram's count by exactly N; a
fallback raises the fallback counter; another address is refused without the token and let in with
it; the JSON log has one line per reply."""
import json
import secrets
import socket
import urllib.request
import uuid

import pytest

from tests.support.metrics import fetch, scrape, total
from tests.support.servers import LOGS, start_assistant

pytestmark = [pytest.mark.servers, pytest.mark.model]

QUESTIONS = ["AWD仓储费多少？", "send空运到日本最快几天", "我该用AGL还是SEND？", "那FBA呢", "谢谢"]


def _actions_url(assistant) -> str:
    return f"http://localhost:{assistant.actions_port}/metrics"


def _outside_address() -> str | None:
    """This machine's address on its network (not loopback), or None when it has none."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("203.0.113.1", 9))  # UDP: nothing is sent, the route picks the source address
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_n_rest_messages_raise_the_reply_counter_and_histogram_by_n(assistant):
    before = scrape(f"{assistant.url}/metrics")
    actions_before = scrape(_actions_url(assistant))
    sender = uuid.uuid4().hex
    for text in QUESTIONS:
        assert assistant.reply(text, sender)
    after = scrape(f"{assistant.url}/metrics")
    actions_after = scrape(_actions_url(assistant))
    n = len(QUESTIONS)
    assert total(after, "assistant_replies_total", channel="rest") - \
        total(before, "assistant_replies_total", channel="rest") == n
    assert total(after, "assistant_reply_seconds_count", channel="rest") - \
        total(before, "assistant_reply_seconds_count", channel="rest") == n
    assert total(after, "assistant_reply_seconds_bucket", channel="rest", le="+Inf") - \
        total(before, "assistant_reply_seconds_bucket", channel="rest", le="+Inf") == n
    # one retrieve and at least one save of the tracker per message
    assert total(after, "assistant_tracker_store_seconds_count", operation="retrieve") - \
        total(before, "assistant_tracker_store_seconds_count", operation="retrieve") >= n
    assert total(actions_after, "assistant_action_requests_total", action="action_respond", status="200") - \
        total(actions_before, "assistant_action_requests_total", action="action_respond", status="200") == n
    assert total(actions_after, "assistant_action_seconds_count", action="action_respond") - \
        total(actions_before, "assistant_action_seconds_count", action="action_respond") == n
    assert total(after, "assistant_build_info", server="rasa") == 1
    assert total(actions_after, "assistant_build_info", server="actions") == 1
    assert total(after, "process_resident_memory_bytes") > 0  # the process' own metrics are there too


def test_a_fallback_message_raises_the_fallback_counter(assistant):
    before = scrape(f"{assistant.url}/metrics")
    assistant.reply("今天天气怎么样", uuid.uuid4().hex)
    after = scrape(f"{assistant.url}/metrics")
    assert total(after, "assistant_fallbacks_total", channel="rest") - \
        total(before, "assistant_fallbacks_total", channel="rest") == 1
    read_as = sum(total(after, "assistant_replies_total", channel="rest", intent=kind) -
                  total(before, "assistant_replies_total", channel="rest", intent=kind)
                  for kind in ("nlu_fallback", "out_of_scope"))
    assert read_as == 1


def test_a_hand_off_is_counted(assistant):
    before = scrape(f"{assistant.url}/metrics")
    assistant.reply("/request_human", uuid.uuid4().hex)  # the button's payload: intent request_human
    after = scrape(f"{assistant.url}/metrics")
    assert total(after, "assistant_handoffs_total", channel="rest") - \
        total(before, "assistant_handoffs_total", channel="rest") == 1


def test_another_address_is_refused(assistant):
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    port = assistant.url.rsplit(":", 1)[1]
    # Rasa (the action server listens on localhost only; the guarded one below listens everywhere)
    for url in (f"http://{address}:{port}/metrics",):
        status, body = fetch(url)
        assert status == 403 and "assistant_" not in body, url
        status, _ = fetch(url, {"Authorization": "Bearer anything"})  # no METRICS_TOKEN: no token works
        assert status == 403
        assert fetch(url.replace(address, "127.0.0.1"))[0] == 200


@pytest.fixture(scope="module")
def guarded():
    """An assistant with METRICS_TOKEN and the JSON reply log."""
    token = secrets.token_urlsafe(16)
    # ACTIONS_HOST: the action server reachable from another address, to check its /metrics there
    bot = start_assistant(extra_env={"METRICS_TOKEN": token, "LOG_FORMAT": "json", "ACTIONS_HOST": "0.0.0.0"})
    yield bot, token
    bot.stop()


def test_with_metrics_token_another_address_needs_the_token(guarded):
    bot, token = guarded
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    port = bot.url.rsplit(":", 1)[1]
    for url in (f"http://{address}:{port}/metrics", f"http://{address}:{bot.actions_port}/metrics"):
        assert fetch(url)[0] == 403
        assert fetch(url, {"Authorization": "Bearer not-the-token"})[0] == 403
        assert fetch(url, {"X-Forwarded-For": "127.0.0.1"})[0] == 403
        parsed = scrape(url, {"Authorization": f"Bearer {token}"})
        assert any(name.startswith("assistant_") for name, _ in parsed)


def test_the_json_log_has_one_line_per_reply(guarded):
    bot, _ = guarded
    sender = "seller-" + uuid.uuid4().hex
    request_ids = [f"req-{uuid.uuid4().hex[:8]}" for _ in QUESTIONS[:3]]
    for text, request_id in zip(QUESTIONS[:3], request_ids, strict=True):
        request = urllib.request.Request(f"{bot.url}/webhooks/rest/webhook",
                                         data=json.dumps({"sender": sender, "message": text}).encode(),
                                         headers={"Content-Type": "application/json", "X-Request-ID": request_id})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)
    bot.reply("今天天气怎么样", sender)  # no X-Request-ID: Rasa's message id
    log = (LOGS / f"rasa-{bot.tag}.log").read_text(encoding="utf-8")
    assert sender not in log  # never the raw id
    from addons.metrics.replylog import sender_hash
    from addons.metrics.version import knowledge_version

    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    mine = [r for r in records if r.get("sender") == sender_hash(sender)]
    assert len(mine) == 4
    assert [r["request_id"] for r in mine[:3]] == request_ids
    assert mine[3]["request_id"] == mine[3]["message_id"] and len(mine[3]["message_id"]) == 32
    for record in mine:
        assert record["event"] == "reply" and record["channel"] == "rest" and record["ok"] is True
        assert record["action"] == "action_respond" and record["knowledge_version"] == knowledge_version()
        assert isinstance(record["latency_ms"], float) and 0 <= record["confidence"] <= 1
    assert mine[0]["intent"] == "ask_service" and not mine[0]["fallback"]
    assert mine[3]["fallback"] is True


@pytest.mark.servers
def test_the_web_servers_metrics_parse_and_count_its_requests(assistant):
    from tests.support.staff import start_web

    console = start_web({"TRACKER_DB_URL": assistant.env["TRACKER_DB_URL"]}, f"metrics-{assistant.tag}")
    try:
        before = scrape(f"{console.url}/metrics")
        for _ in range(3):
            assert console.request("/staff", token=None)[0] == 200
        assert console.request("/no/such/page", token=None)[0] == 404
        after = scrape(f"{console.url}/metrics")
        assert total(after, "assistant_web_requests_total", route="/staff", method="GET", status="200") - \
            total(before, "assistant_web_requests_total", route="/staff", method="GET", status="200") == 3
        assert total(after, "assistant_web_requests_total", route="unmatched", status="404") - \
            total(before, "assistant_web_requests_total", route="unmatched", status="404") == 1
        assert total(after, "assistant_web_request_seconds_count", route="/staff") - \
            total(before, "assistant_web_request_seconds_count", route="/staff") == 3
        assert total(after, "assistant_build_info", server="web") == 1
    finally:
        console.stop()
