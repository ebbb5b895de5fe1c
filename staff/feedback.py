"""Sellers' feedback on answers: one row per 👍 / 👎 in a table `feedback` beside Rasa's `events`
(the tracker store's database: SQLite or PostgreSQL), written by the action server when a seller
rates an answer, read by the staff console (the triage list, the dashboard).

    feedback(id, sender_id, ts, channel, rating up|down, reason, note, question, answer, section,
             handled_at, handled_by)

A 👎 first arrives without a reason; the seller's pick (答非所问 / 信息不对 / 看不懂 / 其他) and an
optional note update the same row. `question` and `answer` are what the rating is about: the seller's
message and the bot's reply before it.
"""
from __future__ import annotations

import json
import time

import sqlalchemy as sa

from addons.stores.database import tracker_db_url
from conversation import feedback as feedback_record
from staff.store import console_engine

RATINGS = ("up", "down")
REASONS = feedback_record.REASONS  # in the order the seller sees them (labels: conversation/replies.py)
NOTE_LIMIT = 500

_meta = sa.MetaData()
FEEDBACK = sa.Table(
    "feedback", _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("ts", sa.Float, nullable=False, index=True),
    sa.Column("channel", sa.String(64)),
    sa.Column("rating", sa.String(8), nullable=False),
    sa.Column("reason", sa.String(16)),
    sa.Column("note", sa.Text),
    sa.Column("question", sa.Text),
    sa.Column("answer", sa.Text),
    sa.Column("section", sa.String(64)),
    sa.Column("handled_at", sa.Float),
    sa.Column("handled_by", sa.String(64)),
)


def negative_where(query, since: float | None, until: float | None, handled: bool | None):
    """The triage list's filters on a query of the feedback table: 👎 only, a time range, handled or not."""
    f = FEEDBACK
    query = query.where(f.c.rating == "down")
    if since is not None:
        query = query.where(f.c.ts >= since)
    if until is not None:
        query = query.where(f.c.ts <= until)
    if handled is not None:
        query = query.where(f.c.handled_at.isnot(None) if handled else f.c.handled_at.is_(None))
    return query


class FeedbackStore:
    def __init__(self, url: str | None = None, engine: sa.engine.Engine | None = None) -> None:
        self.url = tracker_db_url(url=url)
        self.engine = engine or console_engine(self.url)
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            _meta.create_all(self.engine, checkfirst=True)
            self._ready = True

    def rate(self, sender_id: str, rating: str, channel: str | None, question: str | None = None,
             answer: str | None = None, section: str | None = None, ts: float | None = None) -> int:
        """Records a 👍 or 👎; the row's id. Without `question` and `answer`, they are the seller's and
        the bot's latest messages stored for the conversation (the rating's own message is not stored
        yet while its action runs)."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        self._ensure()
        if question is None and answer is None:
            question, answer = self._latest_exchange(sender_id)
        with self.engine.begin() as conn:
            result = conn.execute(sa.insert(FEEDBACK).values(
                sender_id=sender_id, ts=ts or time.time(), channel=channel, rating=rating, question=question,
                answer=answer, section=section))
            return int(result.inserted_primary_key[0])

    def explain(self, sender_id: str, reason: str | None = None, note: str | None = None) -> bool:
        """Adds a reason and/or a note to the seller's latest 👎; False when there is none."""
        if reason is not None and reason not in REASONS:
            raise ValueError(f"reason must be one of {REASONS}, not {reason!r}")
        values = {k: v for k, v in {"reason": reason, "note": (note or "").strip()[:NOTE_LIMIT] or None}.items() if v}
        self._ensure()
        f = FEEDBACK
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(f.c.id).where(f.c.sender_id == sender_id, f.c.rating == "down")
                               .order_by(f.c.id.desc()).limit(1)).first()
            if row is None:
                return False
            if values:
                conn.execute(sa.update(f).where(f.c.id == row.id).values(**values))
            return True

    def _latest_exchange(self, sender_id: str) -> tuple[str | None, str | None]:
        """The seller's latest message (not a rating) and the bot's latest reply, from Rasa's events."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("events"):
                return None, None
            events = sa.table("events", sa.column("id"), sa.column("sender_id"), sa.column("type_name"),
                              sa.column("intent_name"), sa.column("data"))

            def latest(*where) -> str | None:
                row = conn.execute(sa.select(events.c.data).where(events.c.sender_id == sender_id, *where)
                                   .order_by(events.c.id.desc()).limit(1)).first()
                return json.loads(row.data or "{}").get("text") if row else None

            question = latest(events.c.type_name == "user",
                              sa.or_(events.c.intent_name.is_(None), events.c.intent_name != feedback_record.INTENT))
            return question, latest(events.c.type_name == "bot")

    def negative(self, since: float | None = None, until: float | None = None, handled: bool | None = None,
                 limit: int = 200) -> list[dict]:
        """The 👎 rows, newest first: for the console's triage list."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("feedback"):
                return []
            query = negative_where(sa.select(FEEDBACK), since, until, handled)
            return [dict(r._mapping) for r in conn.execute(query.order_by(FEEDBACK.c.id.desc()).limit(limit))]

    def mark_handled(self, feedback_id: int, by: str | None, handled: bool = True) -> bool:
        self._ensure()
        f = FEEDBACK
        with self.engine.begin() as conn:
            result = conn.execute(sa.update(f).where(f.c.id == feedback_id).values(
                handled_at=time.time() if handled else None, handled_by=(by or "").strip()[:64] or None))
            return result.rowcount > 0

    def close(self) -> None:
        self.engine.dispose()
