"""Rasa's SQL tracker store, minus the rebuild of every conversation on every message.

Rasa 3.6's SQLTrackerStore loads all of a conversation's events and replays them into a new tracker
for each message (a cost that grows with the conversation; docs/performance.md), counts the stored
events again with an ORM query before saving, and on SQLite opens a new database connection for each
of those steps. This store keeps, per process, the tracker it has just saved — holding the events
Rasa's retrieve would return, i.e. those of the latest conversation session — together with the
conversation's version in the database (highest event id and event count). The next retrieve checks
that version with one indexed query and, when nobody else has written to the conversation since
(another replica, an unsubscribe that deleted it), hands the kept tracker back instead of rebuilding
it; the save then inserts only the events added since, in one statement. Anything unusual — a version
mismatch, a tracker changed without being saved, an event broker — takes Rasa's own code path, so the
stored events are always exactly what Rasa would store. SQLite connections are pooled.

Only recent conversations are kept (KEPT_CONVERSATIONS, KEPT_SECONDS): an unbounded cache would
grow with every seller ever seen, and every full garbage collection walks each kept tracker's
objects. A conversation no longer kept is rebuilt from the database, as Rasa does.

Each retrieve and save is timed (assistant_tracker_store_seconds, addons/metrics/core.py).

A database that is briefly unreachable (PostgreSQL restarting, a failover) is waited out: a retrieve
or save that fails to connect is tried again for up to TRACKER_STORE_RETRY_SECONDS (default 3),
sleeping without blocking the other conversations; then it raises, and the message fails with an
apology (addons/patches/tracker_store_failures.py) instead of a reply that was never stored.
Connections are checked before use (pool_pre_ping), so those a restarted server dropped are replaced
instead of failing the next message.

Configured in endpoints.yml as `type: addons.stores.tracker_store.CachedSQLTrackerStore` with the same keys
as `type: SQL` (scripts/runtime_config.py).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from dataclasses import dataclass
from time import monotonic, perf_counter
from typing import Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import BotUttered, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from addons.metrics import core as metrics

_VERSION_QUERY = sa.text("SELECT max(id), count(id) FROM events WHERE sender_id = :sender_id")
Version = tuple  # (highest event id or None, number of events) of one sender in the database
# A seller's next message usually comes within a minute or two. Each kept tracker adds about
# 0.09 ms to a full collection (measured: 100 kept → 5–9 ms pauses, 500 → 50 ms), while a miss
# costs one rebuild from the database (3–11 ms, once); 200 keeps every conversation of a busy
# minute at 16 concurrent sellers.
KEPT_CONVERSATIONS = 200
KEPT_SECONDS = 300.0
logger = logging.getLogger(__name__)


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    stored: int  # how many of tracker.events are in the database
    version: Version
    since: float = 0.0  # monotonic() when it was kept or lent


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # Rasa's SQLite engine opens a connection per session (NullPool); the event loop is one
            # thread, so a small pool of kept connections is safe and saves a connect per query.
            self.engine = sa.create_engine(self.engine.url, poolclass=sa.pool.QueuePool, pool_size=2,
                                           connect_args={"check_same_thread": False})
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        else:
            rasas = self.engine
            self.engine = sa.create_engine(rasas.url, pool_pre_ping=True, **create_engine_kwargs(rasas.url))
            rasas.dispose()
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.retry_seconds = float(os.environ.get("TRACKER_STORE_RETRY_SECONDS", "3"))
        # Both in the order they were kept or lent, oldest first (an entry is removed before it is set).
        self._kept: dict[str, _Kept] = {}  # saved trackers, waiting for their conversation's next message
        self._lent: dict[str, _Kept] = {}  # trackers handed out by retrieve, expected back in save

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        started = perf_counter()
        try:
            return await self._waiting_out_outages(lambda: self._retrieve_kept_or_stored(sender_id), "retrieve")
        finally:
            metrics.TRACKER_RETRIEVE.observe(perf_counter() - started)

    async def save(self, tracker: DialogueStateTracker) -> None:
        started = perf_counter()
        try:
            await self._waiting_out_outages(lambda: self._save_new_events(tracker), "save")
        finally:
            metrics.TRACKER_SAVE.observe(perf_counter() - started)

    async def _waiting_out_outages(self, work, what: str):
        """`work()`, tried again while the database refuses connections, up to retry_seconds. A save
        tried again stores each event once: the version check sees what an attempt wrote."""
        deadline, delay = monotonic() + self.retry_seconds, 0.1
        while True:
            try:
                return await work()
            except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
                if monotonic() + delay > deadline:
                    raise
                logger.warning("tracker store: %s failed (%s), trying again in %.1f s", what,
                               str(error).splitlines()[0][:120], delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _retrieve_kept_or_stored(self, sender_id: str) -> Optional[DialogueStateTracker]:
        kept = self._kept.pop(sender_id, None)
        self._lent.pop(sender_id, None)
        with self.session_scope() as session:
            version = self._version(session, sender_id)
        if kept and kept.version == version and len(kept.tracker.events) == kept.stored:
            tracker = kept.tracker
        elif version[1] == 0:
            tracker = None  # no events stored: what Rasa's retrieve returns, without its query
        else:
            tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._lend(tracker, len(tracker.events), version)
        return tracker

    async def _save_new_events(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        lent = self._lent.pop(sender_id, None)
        self._kept.pop(sender_id, None)
        if lent is None or lent.tracker is not tracker:
            # A tracker Rasa created (a new conversation): all its events are new.
            lent = _Kept(tracker, 0, (None, 0))
        if not await self._append_new_events(lent):
            await super().save(tracker)

    async def stored_reply(self, sender_id: str, message_id: str, text: str) -> Optional[list[BotUttered]]:
        """The bot messages stored after the user message `message_id` (with this text), or None when
        no such message is stored: a message delivered twice (addons/channels/rest.py) is answered
        from what the first delivery stored. One query over the conversation's events (indexed);
        a brief outage is waited out as for retrieve and save."""
        async def read() -> Optional[list[BotUttered]]:
            return self._stored_reply(sender_id, message_id, text)

        return await self._waiting_out_outages(read, "read a stored reply")

    def _stored_reply(self, sender_id: str, message_id: str, text: str) -> Optional[list[BotUttered]]:
        literal = json.dumps(message_id).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = '%"message_id": ' + literal + "%"
        with self.session_scope() as session:
            found = session.execute(sa.text(
                "SELECT id, data FROM events WHERE sender_id = :sender_id AND type_name = 'user' "
                "AND data LIKE :pattern ESCAPE '\\' ORDER BY id DESC LIMIT 1"),
                {"sender_id": sender_id, "pattern": pattern}).first()
            if found is None:
                return None
            stored = json.loads(found.data or "{}")
            if stored.get("message_id") != message_id or stored.get("text") != text:
                return None
            later = session.execute(sa.text(
                "SELECT type_name, data FROM events WHERE sender_id = :sender_id AND id > :id ORDER BY id"),
                {"sender_id": sender_id, "id": found.id}).all()
        replies: list[BotUttered] = []
        for type_name, data in later:
            if type_name == "user":
                break
            if type_name == "bot":
                replies.append(BotUttered.from_parameters(json.loads(data)))
        return replies

    def kept_tracker(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker this process saved last for the conversation, without asking the database
        (None when it is not kept): for reading what the message just handled left in it."""
        kept = self._kept.get(sender_id)
        return kept.tracker if kept else None

    def _lend(self, tracker: DialogueStateTracker, stored: int, version: Version) -> None:
        if self.event_broker is None:  # streaming events retrieves the stored tracker itself
            self._lent.pop(tracker.sender_id, None)
            self._lent[tracker.sender_id] = _Kept(tracker, stored, version, monotonic())
            _forget_oldest(self._lent)  # one lent and never saved back (a failed message) goes too

    async def _append_new_events(self, lent: _Kept) -> bool:
        """Stores the events added to a lent tracker; False (nothing written) when the conversation
        changed in the database since it was lent."""
        tracker = lent.tracker
        new_events = list(itertools.islice(tracker.events, lent.stored, None))
        with self.session_scope() as session:
            if self._version(session, tracker.sender_id) != lent.version:
                return False
            if new_events:
                session.execute(self.SQLEvent.__table__.insert(),
                                [self._row(tracker.sender_id, event) for event in new_events])
            version = self._version(session, tracker.sender_id)
            session.commit()
        _drop_earlier_sessions(tracker)
        self._lend(tracker, len(tracker.events), version)  # Rasa may save the same tracker again
        if self.event_broker is None:
            self._kept[tracker.sender_id] = self._lent[tracker.sender_id]
            _forget_oldest(self._kept)
        return True

    def _version(self, session, sender_id: str) -> Version:
        # Plain SQL: building the same query with the ORM costs more than running it.
        return tuple(session.execute(_VERSION_QUERY, {"sender_id": sender_id}).one())

    @staticmethod
    def _row(sender_id: str, event) -> dict:
        """The columns Rasa's SQLTrackerStore.save writes for an event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


def _forget_oldest(trackers: dict[str, _Kept]) -> None:
    """Drops the oldest entries beyond KEPT_CONVERSATIONS or older than KEPT_SECONDS."""
    too_old = monotonic() - KEPT_SECONDS
    while trackers:
        sender_id, oldest = next(iter(trackers.items()))
        if len(trackers) <= KEPT_CONVERSATIONS and oldest.since > too_old:
            return
        del trackers[sender_id]


def _drop_earlier_sessions(tracker: DialogueStateTracker) -> None:
    """Leaves the events Rasa's retrieve returns: those stamped no earlier than the latest
    SessionStarted. The tracker's state is unchanged, as SessionStarted resets it."""
    starts = [e.timestamp for e in tracker.events if isinstance(e, SessionStarted)]
    if starts:
        while tracker.events and tracker.events[0].timestamp < starts[-1]:
            tracker.events.popleft()
