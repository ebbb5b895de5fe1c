"""The Rasa SDK adapters: a tracker in, messages and slot events out."""
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.actions import turn_from


def tracker(intent, text, entities=(), slots=None):
    return Tracker(
        sender_id="t", slots=slots or {}, latest_message={
            "intent": {"name": intent, "confidence": 0.99}, "text": text, "entities": list(entities),
            "intent_ranking": [{"name": intent, "confidence": 0.99}]},
        events=[], paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen")


def run(name, t):
    executor = ActionExecutor()
    executor.register_package("actions")
    dispatcher = CollectingDispatcher()
    events = executor.actions[name](dispatcher, t, {})
    return dispatcher.messages, events


def test_every_domain_action_is_registered():
    import yaml

    from tests.support import ROOT
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain["actions"]) == set(executor.actions)


def focus_of(events):
    return next(e["value"] for e in events if e["event"] == "slot" and e["name"] == "focus")


def test_a_service_answer_sends_text_buttons_and_the_focus():
    t = tracker("ask_service", "AWD仓储费多少", [
        {"entity": "service", "value": "AWD", "start": 0, "end": 3},
        {"entity": "attribute", "value": "fee", "start": 3, "end": 6}])
    messages, events = run("action_respond", t)
    assert "0.48" in messages[0]["text"] and "「来源：1.4.1」" in messages[0]["text"]
    assert {"title": "查看原文", "payload": "/show_source"} in messages[0]["buttons"]
    focus = focus_of(events)
    assert focus["services"] == ["AWD"] and focus["attribute"] == "fee" and focus["source"] == ["fact", "AWD", "fee"]


def test_slots_already_holding_a_value_are_not_set_again():
    t = tracker("ask_service", "仓储费呢", [{"entity": "attribute", "value": "fee", "start": 0, "end": 3}],
                slots={"focus": {"topic": "service", "services": ["AWD"], "current": "AWD", "attribute": "fee",
                                 "section": "1.4.1", "source": ["fact", "AWD", "fee"],
                                 "said": "仓储费呢", "said_intent": "ask_service"}})
    messages, events = run("action_respond", t)
    assert "0.48" in messages[0]["text"] and events == []


def test_the_advisor_stores_its_question():
    messages, events = run("action_respond", tracker("ask_recommendation", "头程怎么选"))
    assert "从哪里发" in messages[0]["text"] and SlotSet("pending_question", "origin") in events


def test_turn_from_tolerates_an_empty_tracker():
    turn = turn_from(Tracker("t", {}, {}, [], False, None, {}, "action_listen"))
    assert turn.intent == "" and turn.text == "" and turn.entities == []


def test_the_queue_place_is_read_once_then_refreshed_off_the_event_loop():
    """The first request for a human reads the queue; later ones count from that reading while a
    worker thread reads it again every couple of seconds (a slow read never holds a reply up)."""
    import threading
    import time

    from actions.actions import QueueView

    readings = [["a", "b"], ["a", "b", "c"]]
    started, release = threading.Event(), threading.Event()
    reads = []

    def read():
        reads.append(threading.current_thread().name)
        if len(reads) > 1:  # the refresh: slow
            started.set()
            release.wait(5)
        return readings[min(len(reads), 2) - 1]

    view = QueueView(read)
    view.REFRESH_SECONDS = 0.0
    assert view.ahead("b") == 1 and reads == [threading.current_thread().name]
    time.sleep(0.01)
    # the old reading while the refresh runs elsewhere (run here, it would have returned the new one)
    assert view.ahead("new") == 2
    assert started.wait(5) and reads[1] != threading.current_thread().name
    assert view.ahead("new") == 2  # one refresh at a time
    release.set()
    for _ in range(100):
        if view.ahead("new") == 3:
            break
        time.sleep(0.01)
    assert view.ahead("new") == 3 and len(reads) >= 2
