"""The metric definitions without servers: label values stay in their fixed sets, each recording
helper moves exactly its series, the knowledge version follows the files, the reply log line hides
the sender, and a tracker's turn is read as Rasa left it."""
import json
import logging

import pytest
import yaml

from addons.metrics import core, labels, replylog, version
from addons.metrics.exposition import answer
from tests.support.metrics import samples, total
from tests.support.servers import ROOT


def _now() -> dict:
    return samples(answer("127.0.0.1", None)[1].decode())


def test_the_channels_are_the_input_channels_names():
    from addons.channels.rest import GuardedRestInput
    from addons.channels.socketio import SocketIOInput
    from addons.channels.wechat.channel import WeChatInput

    assert set(labels.CHANNELS) == {GuardedRestInput.name(), SocketIOInput.name(), WeChatInput.name()}


def test_intents_and_actions_are_the_domains():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(labels.intents()) == {*domain["intents"], "nlu_fallback"}
    assert labels.actions() == tuple(domain["actions"])


def test_label_values_come_from_fixed_sets():
    assert labels.channel("rest") == "rest"
    assert labels.channel("telegram") == labels.channel(None) == "other"
    assert labels.intent("ask_service") == "ask_service"
    assert labels.intent("nlu_fallback") == "nlu_fallback"
    assert labels.intent("AWD仓储费多少") == "other"  # never a client's text
    assert labels.intent(None) == labels.intent("") == "none"
    assert labels.action("action_respond") == "action_respond"
    assert labels.action("action_x") == "other"


def test_a_reply_moves_its_counter_and_histogram_only():
    before = _now()
    core.reply("socketio", "ask_service", 0.012)
    core.reply("someone's channel", "a made-up intent", 0.3)
    after = _now()
    assert total(after, "assistant_replies_total", channel="socketio", intent="ask_service") == \
        total(before, "assistant_replies_total", channel="socketio", intent="ask_service") + 1
    assert total(after, "assistant_replies_total", channel="other", intent="other") == \
        total(before, "assistant_replies_total", channel="other", intent="other") + 1
    assert total(after, "assistant_replies_total") == total(before, "assistant_replies_total") + 2
    assert total(after, "assistant_reply_seconds_count", channel="socketio") == \
        total(before, "assistant_reply_seconds_count", channel="socketio") + 1
    # 0.012 s lies in the 0.025 bucket, not the 0.01 one
    assert total(after, "assistant_reply_seconds_bucket", channel="socketio", le="0.025") == \
        total(before, "assistant_reply_seconds_bucket", channel="socketio", le="0.025") + 1
    assert total(after, "assistant_reply_seconds_bucket", channel="socketio", le="0.01") == \
        total(before, "assistant_reply_seconds_bucket", channel="socketio", le="0.01")
    for name in ("assistant_fallbacks_total", "assistant_handoffs_total", "assistant_reply_failures_total"):
        assert total(after, name) == total(before, name), name


def test_fallbacks_handoffs_failures_and_action_failures_are_counted():
    before = _now()
    core.reply("rest", "nlu_fallback", 0.01)
    core.reply("rest", "out_of_scope", 0.01)
    core.reply("wechat", "request_human", 0.01, handoff=True)
    core.reply_failed("rest")
    core.action_failed("action_respond", timeout=True)
    core.action_failed("action_respond", timeout=False)
    after = _now()

    def rose(name, **labels_):
        return total(after, name, **labels_) - total(before, name, **labels_)

    assert rose("assistant_fallbacks_total", channel="rest", kind="nlu_fallback") == 1
    assert rose("assistant_fallbacks_total", channel="rest", kind="out_of_scope") == 1
    assert rose("assistant_fallbacks_total") == 2
    assert rose("assistant_handoffs_total", channel="wechat") == rose("assistant_handoffs_total") == 1
    assert rose("assistant_reply_failures_total", channel="rest") == 1
    assert rose("assistant_replies_total") == 3  # a failure is not a reply
    assert rose("assistant_action_failures_total", action="action_respond", reason="timeout") == 1
    assert rose("assistant_action_failures_total", action="action_respond", reason="error") == 1


def test_every_series_is_exported_from_the_start_without_created_samples():
    from addons.metrics import exposition

    exposition.describe_process("test")
    parsed = _now()
    for channel in labels.CHANNELS:
        for intent in labels.intents():
            assert ("assistant_replies_total", frozenset({("channel", channel), ("intent", intent)})) in parsed
    assert not any(name.endswith("_created") for name, _ in parsed)
    assert total(parsed, "assistant_build_info", knowledge_version=version.knowledge_version()) == 1


def test_the_reported_knowledge_version_is_the_one_in_service():
    """One definition of a version (knowledge.kb.version, tested in tests/knowledge/test_release.py):
    metrics report the version this process serves."""
    from knowledge import kb

    assert version.knowledge_version() == kb.serving_version() == kb.version(kb.directory())
    assert len(version.knowledge_version()) == 12 and int(version.knowledge_version(), 16) >= 0


def test_the_reply_log_line_hides_the_sender():
    line = replylog.line(sender_id="o6_bmjrPTlm6_2sgVt7hMZOPfL2M", channel="wechat", intent="ask_service",
                         confidence=0.912345, action="action_respond", seconds=0.00421, message_id="m1")
    record = json.loads(line)
    assert "o6_bmjrPTlm6_2sgVt7hMZOPfL2M" not in line
    assert record["sender"] == replylog.sender_hash("o6_bmjrPTlm6_2sgVt7hMZOPfL2M") and len(record["sender"]) == 16
    assert record["request_id"] == record["message_id"] == "m1"  # no X-Request-ID: Rasa's message id
    assert {k: record[k] for k in ("channel", "intent", "confidence", "action", "latency_ms", "ok")} == \
        {"channel": "wechat", "intent": "ask_service", "confidence": 0.9123, "action": "action_respond",
         "latency_ms": 4.2, "ok": True}
    assert record["knowledge_version"] == version.knowledge_version()
    assert record["time"].endswith("Z") and record["event"] == "reply"
    token = replylog.REQUEST_ID.set("req-7")
    try:
        assert json.loads(replylog.line(sender_id="s", channel="rest", intent=None, confidence=None, action=None,
                                        seconds=0, message_id="m2"))["request_id"] == "req-7"
    finally:
        replylog.REQUEST_ID.reset(token)


@pytest.mark.parametrize("value, kept", [("abc-123", True), ("x" * 128, True), ("x" * 129, False), ("", False),
                                         (None, False), ("a\nb", False), ("中文", False)])
def test_only_a_short_printable_request_id_is_taken(value, kept):
    assert replylog.clean_request_id(value) == (value if kept else None)


def test_the_reply_log_is_off_unless_log_format_is_json(capsys):
    assert not replylog.enabled({}) and not replylog.enabled({"LOG_FORMAT": "text"})
    assert replylog.enabled({"LOG_FORMAT": "json"}) and replylog.enabled({"LOG_FORMAT": " JSON "})
    logger = replylog.configure()
    assert replylog.configure() is logger and len(logger.handlers) == 1 and not logger.propagate
    logging.getLogger().warning("root")  # Rasa's root logger does not decorate the lines, nor they it
    logger.info('{"a": 1}')
    assert capsys.readouterr().err.splitlines()[-1] == '{"a": 1}'


def test_a_turn_is_read_from_this_turns_events_only():
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.patches.reply_metrics import read_turn

    tracker = DialogueStateTracker("s", [])
    assert read_turn(None) == (None, None, None, False)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("转人工", {"name": "request_human", "confidence": 0.8}))
    tracker.update(ActionExecuted("action_respond"))
    tracker.update(SlotSet("handoff", "requested"))
    tracker.update(ActionExecuted("action_listen"))
    assert read_turn(tracker) == ("request_human", 0.8, "action_respond", True)
    tracker.update(UserUttered("AWD呢", {"name": "ask_service", "confidence": 0.7}))
    tracker.update(ActionExecuted("action_respond"))
    tracker.update(BotUttered("答案"))
    assert read_turn(tracker) == ("ask_service", 0.7, "action_respond", False)  # the earlier request is not this turn's
    tracker.update(UserUttered("我要找人工", {"name": "inform", "confidence": 0.4}))
    tracker.update(SlotSet("handoff", "requested"))
    assert read_turn(tracker)[3] is True  # the conversation logic recognised the request
    tracker.update(UserUttered("好的", {"name": "affirm", "confidence": 0.9}))
    tracker.update(SlotSet("handoff", "taken"))  # the console's takeover is not the seller asking
    assert read_turn(tracker)[3] is False


def _defined_sample_names() -> tuple[set, set]:
    """(families, sample names) of every assistant_ metric the servers define."""
    from prometheus_client import REGISTRY

    from addons.metrics import action_server, exposition, web, wechat  # noqa: F401  (they register)

    exposition.describe_process("test")
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "info": ("_info",)}
    families, names = set(), set()
    for family in REGISTRY.collect():
        if family.name.startswith("assistant_"):
            families.add(family.name)
            names.update(family.name + suffix for suffix in suffixes[family.type])
    return families, names


def test_the_dashboard_and_the_docs_name_only_metrics_that_exist():
    import re

    families, names = _defined_sample_names()
    dashboard = json.loads((ROOT / "docs" / "grafana" / "assistant.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs and len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    used = {name for expr in exprs for name in re.findall(r"\bassistant_\w+", expr)}
    assert used <= names, used - names
    assert {"assistant_replies_total", "assistant_reply_seconds_bucket", "assistant_fallbacks_total",
            "assistant_handoffs_total", "assistant_action_failures_total"} <= used
    docs = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(assistant_\w+)`", docs))
    assert documented <= names | families, documented - (names | families)
    # every family is described (as its sample name: _total for counters, bare for histograms)
    undocumented = {f for f in families if not ({f, f + "_total", f + "_info"} & documented)}
    assert not undocumented, undocumented
