"""addons/stores/tracker_store.py: the kept tracker is reused only while the database still holds exactly
what it was saved with, and the rows written are the ones Rasa's own SQLTrackerStore writes."""
import asyncio

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.channels.wechat.channel import forget_conversation
from addons.stores.tracker_store import CachedSQLTrackerStore
from tests.support import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def turn(text: str, service: str) -> list:
    parse = {"text": text, "intent": {"name": "ask_service", "confidence": 0.93},
             "entities": [{"entity": "service", "value": service, "start": 0, "end": len(service)}]}
    return [UserUttered(text, parse["intent"], parse["entities"], parse_data=parse),
            SlotSet("focus", {"topic": "service", "services": [service]}), ActionExecuted("action_respond"),
            BotUttered(f"{service} 的答案「来源：1.4.1」", {"buttons": []}), ActionExecuted("action_listen")]


async def handle(store, sender: str, text: str, service: str) -> DialogueStateTracker:
    """What Rasa's processor does with one message: retrieve (or create), append, save."""
    tracker = await store.retrieve(sender)
    if tracker is None:
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(event)
    for event in turn(text, service):
        tracker.update(event)
    await store.save(tracker)
    return tracker


def rows(db) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(
            "SELECT sender_id, type_name, intent_name, action_name, data FROM events ORDER BY id"))]


def conversation(store) -> list[DialogueStateTracker]:
    async def run():
        return [await handle(store, "seller", f"第{i}个问题", service)
                for i, service in enumerate(["AWD", "AGL", "FBA", "MCF", "PCP"])]
    return asyncio.run(run())


@pytest.fixture
def stores(tmp_path):
    return (CachedSQLTrackerStore(DOMAIN, db=str(tmp_path / "cached.db")),
            SQLTrackerStore(DOMAIN, db=str(tmp_path / "stock.db")), tmp_path)


def strip_timestamps(stored: list[tuple]) -> list[tuple]:
    import json

    return [(*r[:4], {k: v for k, v in json.loads(r[4]).items() if k != "timestamp"}) for r in stored]


def test_writes_the_same_rows_as_rasas_store(stores):
    cached, stock, tmp = stores
    conversation(cached), conversation(stock)
    assert len(rows(tmp / "cached.db")) == 3 + 5 * 5
    assert strip_timestamps(rows(tmp / "cached.db")) == strip_timestamps(rows(tmp / "stock.db"))


def test_reuses_the_saved_tracker_and_it_equals_a_rebuilt_one(stores):
    cached, _, tmp = stores
    trackers = conversation(cached)
    assert all(t is trackers[0] for t in trackers)  # every message after the first reused it
    rebuilt = asyncio.run(SQLTrackerStore(DOMAIN, db=str(tmp / "cached.db")).retrieve("seller"))
    kept = asyncio.run(cached.retrieve("seller"))
    assert kept is trackers[4]
    assert [e.as_dict() for e in kept.events] == [e.as_dict() for e in rebuilt.events]
    assert kept.current_slot_values() == rebuilt.current_slot_values()


def test_another_replica_writing_the_conversation_is_seen(stores):
    cached, _, tmp = stores
    conversation(cached)
    other_replica = CachedSQLTrackerStore(DOMAIN, db=str(tmp / "cached.db"))
    asyncio.run(handle(other_replica, "seller", "另一个副本处理的问题", "MCD"))
    tracker = asyncio.run(handle(cached, "seller", "回到第一个副本", "AMS"))
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert texts[-2:] == ["另一个副本处理的问题", "回到第一个副本"]
    assert tracker.get_slot("focus")["services"] == ["AMS"]
    stored = [r for r in rows(tmp / "cached.db") if r[1] == "user"]
    assert len(stored) == 7  # nothing written twice, nothing lost


def test_a_deleted_conversation_is_not_brought_back(stores):
    cached, _, _ = stores
    conversation(cached)
    assert asyncio.run(forget_conversation(cached, "seller"))
    assert asyncio.run(cached.retrieve("seller")) is None


def test_events_added_but_never_saved_are_dropped(stores):
    cached, _, tmp = stores
    conversation(cached)
    tracker = asyncio.run(cached.retrieve("seller"))
    tracker.update(UserUttered("这条没有保存"))  # e.g. the message failed before Rasa saved it
    again = asyncio.run(cached.retrieve("seller"))
    assert "这条没有保存" not in [e.text for e in again.events if isinstance(e, UserUttered)]
    assert len(rows(tmp / "cached.db")) == 3 + 5 * 5


def test_a_new_session_is_rebuilt_as_rasa_would(stores):
    cached, _, tmp = stores
    conversation(cached)

    async def restart():
        tracker = await cached.retrieve("seller")
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(event)
        await cached.save(tracker)
        return tracker

    old = asyncio.run(restart())
    new = asyncio.run(cached.retrieve("seller"))
    assert new is old
    rebuilt = asyncio.run(SQLTrackerStore(DOMAIN, db=str(tmp / "cached.db")).retrieve("seller"))
    assert [e.as_dict() for e in new.events] == [e.as_dict() for e in rebuilt.events]
    assert new.events[0].type_name == "session_started" and len(new.events) == 2
    assert new.get_slot("service") is None
    assert len(rows(tmp / "cached.db")) == 3 + 5 * 5 + 3


def test_a_tracker_saved_twice_in_one_message_is_stored_once(stores):
    cached, _, tmp = stores
    conversation(cached)

    async def twice():
        tracker = await cached.retrieve("seller")
        for event in turn("保存两次", "AWD")[:2]:
            tracker.update(event)
        await cached.save(tracker)
        for event in turn("保存两次", "AWD")[2:]:
            tracker.update(event)
        await cached.save(tracker)

    asyncio.run(twice())
    assert len(rows(tmp / "cached.db")) == 3 + 6 * 5
    rebuilt = asyncio.run(SQLTrackerStore(DOMAIN, db=str(tmp / "cached.db")).retrieve("seller"))
    assert len([e for e in rebuilt.events if isinstance(e, UserUttered)]) == 6


def test_only_recent_conversations_are_kept(stores, monkeypatch):
    """The cache is bounded: the oldest conversation beyond the limit is rebuilt from the
    database (a new tracker object with the same events), the newer ones are reused."""
    import addons.stores.tracker_store as module

    cached, _, _ = stores
    monkeypatch.setattr(module, "KEPT_CONVERSATIONS", 3)

    async def run():
        first = {s: await handle(cached, s, "第一个问题", "AWD") for s in ["a", "b", "c", "d"]}
        return first, {s: await cached.retrieve(s) for s in ["d", "c", "b", "a"]}

    first, again = asyncio.run(run())
    assert [again[s] is first[s] for s in "abcd"] == [False, True, True, True]
    assert [e.as_dict() for e in again["a"].events] == [e.as_dict() for e in first["a"].events]
    assert len(cached._kept) <= 3 and len(cached._lent) <= 3


def test_idle_conversations_are_not_kept(stores, monkeypatch):
    import addons.stores.tracker_store as module

    cached, _, _ = stores
    clock = [1000.0]
    monkeypatch.setattr(module, "monotonic", lambda: clock[0])

    async def run():
        old = await handle(cached, "idle", "第一个问题", "AWD")
        clock[0] += module.KEPT_SECONDS + 1
        await handle(cached, "busy", "第一个问题", "AGL")  # keeping it drops the idle one
        return old, await cached.retrieve("idle")

    old, again = asyncio.run(run())
    assert again is not old and again.get_slot("focus")["services"] == ["AWD"]


def _unreachable() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT max(id)", {}, Exception("server closed the connection unexpectedly"))


def test_a_brief_outage_is_waited_out_and_the_turn_stored_once(stores, monkeypatch):
    cached, _, tmp_path = stores
    conversation(cached)
    before = rows(tmp_path / "cached.db")
    version, failures = cached._version, []

    def flaky(session, sender_id):
        if len(failures) < 2:  # the first two attempts find the database gone
            failures.append(sender_id)
            raise _unreachable()
        return version(session, sender_id)

    monkeypatch.setattr(cached, "_version", flaky)
    tracker = asyncio.run(handle(cached, "seller", "第5个问题", "AWD"))
    assert len(failures) == 2
    after = rows(tmp_path / "cached.db")
    assert after[:len(before)] == before
    assert [r[4] for r in after[len(before):] if r[1] == "user"] == [r[4] for r in after if r[1] == "user"][-1:]
    assert sum(1 for r in after if r[1] == "user") == 6 and len(tracker.events) >= 6


def test_an_outage_longer_than_the_budget_raises(stores, monkeypatch):
    cached, _, tmp_path = stores
    conversation(cached)
    stored = rows(tmp_path / "cached.db")
    cached.retry_seconds = 0.3

    def gone(session, sender_id):
        raise _unreachable()

    monkeypatch.setattr(cached, "_version", gone)
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(handle(cached, "seller", "第5个问题", "AWD"))
    assert rows(tmp_path / "cached.db") == stored


def test_a_stored_message_is_found_by_its_id_with_the_replies_stored_after_it(stores):
    cached, _, _ = stores

    async def run():
        tracker = DialogueStateTracker("seller", DOMAIN.slots)
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(event)
        for message_id, text, reply in (("req_1", "AWD仓储费多少？", "AWD 仓储费 $0.48"), ("req-2", "那FBA呢", "FBA 的答案")):
            tracker.update(UserUttered(text, {"name": "ask_service", "confidence": 0.9}, message_id=message_id))
            tracker.update(ActionExecuted("action_respond"))
            tracker.update(BotUttered(reply, {"buttons": [{"title": "看原文", "payload": "/show_source"}]}))
            tracker.update(ActionExecuted("action_listen"))
        await cached.save(tracker)
        return (await cached.stored_reply("seller", "req_1", "AWD仓储费多少？"),
                await cached.stored_reply("seller", "req-2", "那FBA呢"),
                await cached.stored_reply("seller", "req-2", "别的话"),  # the id reused for other words
                await cached.stored_reply("seller", "req%", "AWD仓储费多少？"),  # no wildcard matching
                await cached.stored_reply("seller", "reqx1", "AWD仓储费多少？"),
                await cached.stored_reply("other", "req_1", "AWD仓储费多少？"))

    first, second, other_words, wildcard, underscore, other_sender = asyncio.run(run())
    assert [b.text for b in first] == ["AWD 仓储费 $0.48"] and first[0].data["buttons"][0]["payload"] == "/show_source"
    assert [b.text for b in second] == ["FBA 的答案"]
    assert other_words is wildcard is underscore is other_sender is None
