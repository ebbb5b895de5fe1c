"""The queue a seller joins when asking for a human (Store.waiting / queue_ahead, read by the action
server on every such request): open requests of the last day, the longest waiting first, read
through indexes rather than a scan of every event ever stored (bench/soak.py found the scan)."""
import time

import sqlalchemy as sa

from staff.store import Store
from tests.support.staff import save, session_start, turn


def _asks_for_a_human(url: str, sender: str, ts: float) -> None:
    save(url, sender, session_start(ts - 5) + turn("我要人工客服", ts, "request_human", 0.97, "action_respond",
                                                  "好的，已为你转接人工客服。", slots={"handoff": "requested"}))


def test_the_queue_holds_the_open_requests_of_the_last_day_oldest_first(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    now = time.time()
    _asks_for_a_human(url, "second", now - 60)
    _asks_for_a_human(url, "first", now - 600)
    _asks_for_a_human(url, "days-ago", now - 3 * 86400)
    _asks_for_a_human(url, "served", now - 300)
    save(url, "no-request", session_start(now - 100) + turn("AWD是什么", now - 90, "ask_service", 0.9,
                                                            "action_respond", "AWD是……"))
    store = Store(url)
    try:
        store.set_handoff("served", "taken", "小王")
        assert store.waiting() == ["first", "second"]
        assert store.queue_ahead("second") == 1 and store.queue_ahead("someone-new") == 2
        # the console's list still shows the old open request
        assert {h["sender_id"] for h in store.handoffs(["open"])} == {"first", "second", "days-ago"}
    finally:
        store.close()


def test_the_queue_is_read_through_indexes_not_a_scan_of_every_event(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    _asks_for_a_human(url, "someone", time.time() - 60)
    store = Store(url)
    try:
        assert store.queue_ahead("other") == 1
        with store.engine.connect() as conn:
            indexed = {i["name"] for i in sa.inspect(conn).get_indexes("events")}
            assert {"ix_events_intent_name", "ix_events_action_name"} <= indexed
            plan = " ".join(str(row) for row in conn.execute(sa.text(
                "EXPLAIN QUERY PLAN SELECT id FROM events WHERE (type_name = 'user' AND intent_name = 'request_human')"
                " OR (type_name = 'slot' AND action_name = 'handoff')")))
        assert "ix_events_intent_name" in plan and "ix_events_action_name" in plan and "SCAN events" not in plan
    finally:
        store.close()
