"""The pieces that put metrics into Rasa and the action server, against their own results: Rasa's app
keeps every route and gains /metrics; a measured message returns what Rasa returns, raises what
Rasa raises, and is counted once; failed and slow actions, WeChat's API and the tracker store are
counted; the action server's app keeps rasa-sdk's routes and gains /metrics through its plugin hook."""
import asyncio
import json
import logging

import pytest
from rasa.core.agent import Agent

from addons import patches
from addons.metrics import replylog
from addons.metrics.exposition import answer
from addons.patches import reply_metrics
from tests.support.metrics import samples, total
from tests.support.servers import model_path

patches.apply()


def _now() -> dict:
    return samples(answer("127.0.0.1", None)[1].decode())


@pytest.fixture
def sanic_test_mode(monkeypatch):
    from sanic import Sanic

    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps of one name in one process


def _routes(app) -> set:
    return {(route.path, tuple(sorted(route.methods))) for route in app.router.routes}


@pytest.mark.parametrize("enable_api", [False, True])
def test_rasas_app_keeps_its_routes_and_gains_metrics(sanic_test_mode, enable_api):
    import rasa.core.run

    from addons.patches import metrics_route

    assert rasa.core.run.configure_app is metrics_route._configure_app_with_metrics
    rasas = metrics_route._configure_app_with_metrics.rasas(enable_api=enable_api)
    ours = rasa.core.run.configure_app(enable_api=enable_api)
    assert _routes(ours) == _routes(rasas) | {("metrics", ("GET",))}
    handler = next(r.handler for r in ours.router.routes if r.path == "metrics")
    assert handler.__module__ == "addons.metrics.exposition"


class _Message:
    input_channel, sender_id, message_id = "rest", "seller-1", "m-1"


def test_a_measured_message_passes_rasas_result_and_errors_through(monkeypatch):
    result = [{"recipient_id": "seller-1", "text": "答案"}]

    async def rasas(agent, message):
        return result

    monkeypatch.setattr(reply_metrics._handle_message_measured, "rasas", rasas)
    before = _now()
    assert asyncio.run(Agent.handle_message(object(), _Message())) is result

    async def failing(agent, message):
        raise LookupError("lock")

    monkeypatch.setattr(reply_metrics._handle_message_measured, "rasas", failing)
    with pytest.raises(LookupError, match="lock"):
        asyncio.run(Agent.handle_message(object(), _Message()))
    after = _now()
    assert total(after, "assistant_replies_total", channel="rest", intent="none") == \
        total(before, "assistant_replies_total", channel="rest", intent="none") + 1
    assert total(after, "assistant_reply_failures_total", channel="rest") == \
        total(before, "assistant_reply_failures_total", channel="rest") + 1


def test_recording_never_costs_the_reply(monkeypatch, caplog):
    async def rasas(agent, message):
        return "reply"

    def broken(*args, **kwargs):
        raise RuntimeError("metrics broken")

    monkeypatch.setattr(reply_metrics._handle_message_measured, "rasas", rasas)
    monkeypatch.setattr(reply_metrics.core, "reply", broken)
    with caplog.at_level(logging.ERROR):
        assert asyncio.run(Agent.handle_message(object(), _Message())) == "reply"
    assert "recording the metrics of a message failed" in caplog.text


@pytest.mark.model
def test_messages_through_the_trained_model_get_rasas_replies_and_are_counted_once(monkeypatch):
    """The same messages through Rasa's own Agent.handle_message and the measured one (no action
    server: each custom action fails and is apologised for) give the same replies and events;
    only the measured ones are counted, each once, with the intent Rasa stored, and logged."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    log = logging.getLogger("tests.metrics.replies")
    log.addHandler(Lines())
    log.propagate = False
    log.setLevel(logging.INFO)
    monkeypatch.setattr(reply_metrics, "_log", log)
    monkeypatch.setenv("ACTION_RETRY_SECONDS", "0")  # no action server at all: apologise at once
    agent = Agent.load(model_path())
    texts = ["AWD仓储费多少？", "今天天气怎么样", "转人工", "那FBA呢"]

    async def conversation(handle, sender):
        replies, intents = [], []
        for text in texts:
            output = CollectingOutputChannel()
            await handle(agent, UserMessage(text, output, sender, input_channel="socketio", message_id=f"{sender}{text}"))
            replies.append([m.get("text") for m in output.messages])
        tracker = await agent.tracker_store.retrieve(sender)
        intents = [e.intent_name for e in tracker.events if e.type_name == "user"]
        return replies, intents, [e.type_name for e in tracker.events]

    before = _now()
    rasas = asyncio.run(conversation(reply_metrics._handle_message_measured.rasas, "rasa"))
    middle = _now()
    ours = asyncio.run(conversation(Agent.handle_message, "ours"))
    after = _now()
    assert ours == rasas
    replies, intents, _ = ours
    assert total(middle, "assistant_replies_total") == total(before, "assistant_replies_total")
    assert total(after, "assistant_replies_total", channel="socketio") == \
        total(before, "assistant_replies_total", channel="socketio") + len(texts)
    for intent in set(intents):
        assert total(after, "assistant_replies_total", channel="socketio", intent=intent) - \
            total(before, "assistant_replies_total", channel="socketio", intent=intent) == intents.count(intent)
    assert total(after, "assistant_reply_seconds_count", channel="socketio") == \
        total(before, "assistant_reply_seconds_count", channel="socketio") + len(texts)
    fallbacks = sum(intents.count(kind) for kind in ("nlu_fallback", "out_of_scope"))
    assert fallbacks >= 1  # 今天天气怎么样
    assert total(after, "assistant_fallbacks_total") - total(before, "assistant_fallbacks_total") == fallbacks
    # every action failed (no action server), in both runs; counted as errors, not timeouts
    assert total(after, "assistant_action_failures_total", reason="error") - \
        total(before, "assistant_action_failures_total", reason="error") == 2 * len(texts)
    records = [json.loads(line) for line in lines]
    assert [r["intent"] for r in records] == intents
    assert all(r["channel"] == "socketio" and r["action"] == "action_respond" and r["ok"] for r in records)
    assert [r["request_id"] for r in records] == [f"ours{t}" for t in texts]  # Rasa's message ids
    assert {r["sender"] for r in records} == {replylog.sender_hash("ours")}  # hashed, never "ours"


def test_failed_and_slow_actions_are_apologised_for_and_counted(monkeypatch):
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.patches import action_failures

    async def slow(*args):
        await asyncio.sleep(5)

    async def broken(*args):
        raise RuntimeError("action server answered 500")

    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", "0.05")
    before = _now()
    for rasas in (slow, broken, broken):
        monkeypatch.setattr(action_failures._run_or_apologise, "rasas", rasas)
        events = asyncio.run(RemoteAction("action_respond", None).run(None, None, DialogueStateTracker("s", []), None))
        assert events[0].metadata == {"action_failed": "action_respond"}
    after = _now()
    assert total(after, "assistant_action_failures_total", action="action_respond", reason="timeout") - \
        total(before, "assistant_action_failures_total", action="action_respond", reason="timeout") == 1
    assert total(after, "assistant_action_failures_total", action="action_respond", reason="error") - \
        total(before, "assistant_action_failures_total", action="action_respond", reason="error") == 2


def test_the_tracker_store_is_timed(tmp_path):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.stores.tracker_store import CachedSQLTrackerStore
    from tests.support.servers import ROOT

    domain = Domain.load(str(ROOT / "domain.yml"))
    store = CachedSQLTrackerStore(domain, db=str(tmp_path / "t.db"))
    before = _now()

    async def run():  # what Rasa's processor does with each message: retrieve (or create), append, save
        for i in range(3):
            tracker = await store.retrieve("seller") or DialogueStateTracker("seller", domain.slots)
            for event in (UserUttered(f"第{i}个问题", {"name": "ask_service", "confidence": 0.9}),
                          ActionExecuted("action_respond"), BotUttered("答案"), ActionExecuted("action_listen")):
                tracker.update(event)
            await store.save(tracker)

    asyncio.run(run())
    after = _now()
    for operation in ("retrieve", "save"):
        assert total(after, "assistant_tracker_store_seconds_count", operation=operation) - \
            total(before, "assistant_tracker_store_seconds_count", operation=operation) == 3


def test_wechat_api_calls_and_failures_are_counted():
    """Against a stand-in WeChat API: a token, one message delivered, one refused (errcode), one
    answered with HTTP 500."""
    from aiohttp import web

    from addons.channels.wechat.customer_service import CustomerServiceClient, WeChatAPIError

    answers = iter([{"errcode": 0}, {"errcode": 45015, "errmsg": "response out of time limit"}, None])

    async def token(request):
        return web.json_response({"access_token": "T", "expires_in": 7200})

    async def send(request):
        body = next(answers)
        return web.json_response(body) if body is not None else web.Response(status=500)

    async def run():
        app = web.Application()
        app.router.add_get("/cgi-bin/token", token)
        app.router.add_post("/cgi-bin/message/custom/send", send)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        client = CustomerServiceClient(f"http://127.0.0.1:{port}", "wx1", "secret")
        try:
            await client.send_text("openid", "一")
            for _ in range(2):
                with pytest.raises(WeChatAPIError):
                    await client.send_text("openid", "二")
        finally:
            await runner.cleanup()

    before = _now()
    asyncio.run(run())
    after = _now()

    def rose(name, call):
        return total(after, name, call=call) - total(before, name, call=call)

    assert (rose("assistant_wechat_api_calls_total", "token"), rose("assistant_wechat_api_failures_total", "token")) == (1, 0)
    assert (rose("assistant_wechat_api_calls_total", "send"), rose("assistant_wechat_api_failures_total", "send")) == (3, 2)


def test_the_action_servers_app_keeps_its_routes_and_gains_metrics(sanic_test_mode):
    from rasa_sdk.endpoint import create_app
    from rasa_sdk.plugin import plugin_manager

    from addons.metrics import action_server

    theirs = create_app("actions")
    action_server.register()
    action_server.register()  # once only
    ours = create_app("actions")
    plugin_manager().hook.attach_sanic_app_extensions(app=ours)  # what rasa_sdk.endpoint.run calls
    assert _routes(ours) == _routes(theirs) | {("metrics", ("GET",))}
    assert len([p for p in plugin_manager().get_plugins() if p is action_server._plugin]) == 1


def test_the_action_servers_calls_are_timed_by_action_and_status():
    import zlib
    from types import SimpleNamespace

    from addons.metrics import action_server

    def request(body: dict, deflate: bool = False, path: str = "/webhook"):
        raw = json.dumps(body).encode()
        return SimpleNamespace(path=path, ctx=SimpleNamespace(), json=body,
                               body=zlib.compress(raw) if deflate else raw,
                               headers={"content-encoding": "deflate"} if deflate else {})

    calls = [(request({"next_action": "action_respond"}), 200),
             (request({"next_action": "action_respond"}, deflate=True), 200),
             (request({"next_action": "action_made_up"}), 404),
             (request({}), 500),
             (request({}, path="/health"), 200)]  # not an action call

    before = _now()

    async def run():
        for req, status in calls:
            await action_server._start_timer(req)
            await action_server._observe(req, SimpleNamespace(status=status))

    asyncio.run(run())
    after = _now()

    def rose(name, **labels):
        return total(after, name, **labels) - total(before, name, **labels)

    assert rose("assistant_action_requests_total", action="action_respond", status="200") == 2
    assert rose("assistant_action_requests_total", action="other", status="404") == 1
    assert rose("assistant_action_requests_total", action="other", status="500") == 1
    assert rose("assistant_action_requests_total") == 4
    assert rose("assistant_action_seconds_count") == 4


def test_the_metrics_patches_are_applied_once():
    import rasa.core.run
    from rasa.core.processor import MessageProcessor

    applied = (rasa.core.run.configure_app, Agent.handle_message, MessageProcessor.log_message)
    for patch in (patches.metrics_route, patches.reply_metrics):
        patch.apply()
    assert (rasa.core.run.configure_app, Agent.handle_message, MessageProcessor.log_message) == applied
    assert [f.__module__ for f in applied] == ["addons.patches.metrics_route"] + ["addons.patches.reply_metrics"] * 2
