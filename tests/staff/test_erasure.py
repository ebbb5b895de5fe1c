"""Retention and erasure (staff/store.py): one seller's data leaves every table, on SQLite and on
PostgreSQL; conversations past the retention period go; the erasure is recorded without the id."""
import time
import uuid

import pytest
import sqlalchemy as sa

from staff.feedback import FeedbackStore
from staff.store import Store, erased_id
from tests.support.staff import save, session_start, turn


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.servers, pytest.mark.system])])
def url(request, tmp_path):
    """A tracker store of its own (a purge must not touch the shared seeded ones)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return request.getfixturevalue("postgres").create_database(f"erase_{uuid.uuid4().hex[:6]}")


def tables_holding(url: str, sender: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {name: n for name in names
                    if "sender_id" in {c["name"] for c in sa.inspect(conn).get_columns(name)}
                    and (n := conn.execute(sa.text(f"select count(*) from {name} where sender_id = :s"),
                                           {"s": sender}).scalar())}
    finally:
        engine.dispose()


def a_seller_with_everything(url: str, when: float) -> str:
    sender = "erase-" + uuid.uuid4().hex[:8]
    save(url, sender, session_start(when) + turn("我要人工客服，电话13812345678", when + 1, "request_human", 0.99,
                                                 "action_respond", "好的", slots={"handoff": "requested"}))
    store = Store(url)
    try:
        store.set_handoff(sender, "taken", "小王")
        store.audit(sender, "take", "小王")
    finally:
        store.close()
    feedback = FeedbackStore(url)
    try:
        feedback.rate(sender, "down", "rest", "问题", "回答")
    finally:
        feedback.close()
    return sender


def test_erasing_a_seller_leaves_no_row_of_them_in_any_table(url):
    sender = a_seller_with_everything(url, time.time())
    assert set(tables_holding(url, sender)) == {"events", "staff_handoff", "staff_audit", "feedback"}
    store = Store(url)
    try:
        counts = store.erase(sender, "小王")
        assert counts["events"] > 0 and counts["feedback"] == 1
        assert tables_holding(url, sender) == {}
        [record] = store.audit_log(erased_id(sender))
        assert record["action"] == "erase" and record["actor"] == "小王" and sender not in str(record)
        assert not any(store.erase(sender).values())
    finally:
        store.close()


def test_purge_erases_conversations_past_the_retention_period_and_keeps_the_rest(url):
    old = a_seller_with_everything(url, time.time() - 200 * 86400)
    recent = a_seller_with_everything(url, time.time() - 3600)
    store = Store(url)
    try:
        result = store.purge(180)
        assert result["conversations"] >= 1
        assert tables_holding(url, old) == {}
        assert "events" in tables_holding(url, recent)
    finally:
        store.close()
