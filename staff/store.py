"""Conversations as Rasa's SQL tracker store keeps them, read directly with SQLAlchemy.

Rasa's SQLTrackerStore writes one row per event to the table `events` (id, sender_id, type_name,
timestamp, intent_name, action_name, data = the event as JSON). The console only reads that table.
What the console itself writes — who took which hand-off — lives in its own small table
`staff_handoff` in the same database, created on first use:

    staff_handoff(sender_id PK, status open|taken|done, request_ts, actor, updated_at)
    staff_audit(id, sender_id, action take|release|done|send|notice|erase, actor, text, ts)

`request_ts` is the time of the hand-off request the status was set for: when the seller asks for a
human again later, the conversation is back in the queue as "open".

The database is the one Rasa uses (scripts/runtime_config.py): TRACKER_DB_URL, e.g.
postgresql://rasa:secret@localhost:5432/rasa, or by default the SQLite file .run/tracker.db.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

import sqlalchemy as sa

from addons.privacy import mask
from addons.stores.database import erase_sender, tracker_db_url
from conversation import handoff as handoff_record
from conversation.focus import SLOT as FOCUS_SLOT
from conversation.focus import Focus

ROOT = Path(__file__).resolve().parents[1]

HANDOFF_INTENT, HANDOFF_SLOT, HANDOFF_VALUE = handoff_record.INTENT, handoff_record.SLOT, handoff_record.REQUESTED
HANDOFF_STATUSES = ("open", "taken", "done")
STAFF_KEY = handoff_record.STAFF_KEY
# A request_human message and the slot its action sets a moment later are one request.
_SAME_REQUEST_SECONDS = 10.0

_events_meta = sa.MetaData()
EVENTS = sa.Table(  # the columns of rasa.core.tracker_store.SQLTrackerStore.SQLEvent
    "events", _events_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

_staff_meta = sa.MetaData()
HANDOFF_STATE = sa.Table(
    "staff_handoff", _staff_meta,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("request_ts", sa.Float, nullable=False),
    sa.Column("actor", sa.String(64)),
    sa.Column("updated_at", sa.Float, nullable=False),
)


AUDIT = sa.Table(  # every take, hand-back and message sent by staff
    "staff_audit", _staff_meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("action", sa.String(16), nullable=False),  # take | release | done | send | notice | erase
    sa.Column("actor", sa.String(64)),
    sa.Column("text", sa.Text),
    sa.Column("ts", sa.Float, nullable=False),
)


class NotFound(LookupError):
    pass


class Conflict(RuntimeError):
    """Another agent has the conversation."""

    def __init__(self, actor: str | None) -> None:
        super().__init__(f"客服{actor or '同事'}已接入这个会话")
        self.actor = actor


def database_url(url: str | None = None) -> str:
    """The tracker store's SQLAlchemy URL, as Rasa's endpoint has it (addons/stores/database.py)."""
    return tracker_db_url(os.environ, url)


def parse_time(value) -> float | None:
    """Epoch seconds from an epoch number, an ISO 8601 date or date-time ("2024-05-01",
    "2024-05-01T08:00:00+08:00", "...Z"); naive values are in the server's local time zone."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text).timestamp()
    except ValueError as error:
        raise ValueError(f"时间格式不对：{value!r}（请用 ISO 8601，例如 2024-05-01T08:00:00+08:00）") from error


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds") if ts else None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class UserMessage:
    sender_id: str
    timestamp: float
    text: str
    intent: str | None
    confidence: float | None
    ranking: list
    channel: str | None


def console_engine(url: str) -> sa.engine.Engine:
    """An engine on the tracker store's database for the console's readers and writers: a SQLite
    file's folder created, its lock waited for; a small pool elsewhere."""
    engine_args: dict = {"pool_pre_ping": True, "future": True}
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[-1]
        if path and not path.startswith(":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine_args["connect_args"] = {"timeout": 15}
    else:
        engine_args.update(pool_size=4, max_overflow=4)
    return sa.create_engine(url, **engine_args)


class Store:
    def __init__(self, url: str | None = None):
        self.url = database_url(url)
        self.engine = console_engine(self.url)
        self._state_ready = False
        self._indexes_ready = False

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- plumbing ----------------------------------------------------------------------------------

    def _has_events(self, conn) -> bool:
        return sa.inspect(conn).has_table("events")

    def _ensure_event_indexes(self) -> None:
        """Indexes on Rasa's events table for the hand-off queue, which the action server reads on
        every request for a human: without them each request scanned every event ever stored, and
        a 30-minute soak's replies slowed from 60 ms to over 500 ms (bench/soak.py). Rasa itself
        indexes only sender_id. Created once per store; another process creating them at the same
        moment is fine."""
        if self._indexes_ready:
            return
        for column in ("intent_name", "action_name"):
            try:
                with self.engine.begin() as ddl:
                    if not self._has_events(ddl):
                        return  # Rasa has not created its table yet: next time
                    ddl.execute(sa.text(f"CREATE INDEX IF NOT EXISTS ix_events_{column} ON events ({column})"))
            except sa.exc.DBAPIError:  # created concurrently by another replica (PostgreSQL)
                pass
        self._indexes_ready = True

    def _ensure_state_table(self) -> None:
        if not self._state_ready:
            _staff_meta.create_all(self.engine, checkfirst=True)
            self._state_ready = True

    def _states(self, conn, senders: Iterable[str] | None = None) -> dict[str, dict]:
        if not sa.inspect(conn).has_table("staff_handoff"):
            return {}
        query = sa.select(HANDOFF_STATE)
        if senders is not None:
            query = query.where(HANDOFF_STATE.c.sender_id.in_(list(senders)))
        return {row.sender_id: dict(row._mapping) for row in conn.execute(query)}

    # -- conversations -----------------------------------------------------------------------------

    def conversations(self, sender: str | None = None, since: float | None = None,
                      until: float | None = None, limit: int = 50) -> list[dict]:
        """Conversations with any event in [since, until] whose sender id contains `sender`,
        the most recently active first."""
        e = EVENTS
        with self.engine.connect() as conn:
            if not self._has_events(conn):
                return []
            matching = sa.select(e.c.sender_id).distinct()
            if sender:
                matching = matching.where(e.c.sender_id.like(f"%{_like_escape(sender)}%", escape="\\"))
            if since is not None:
                matching = matching.where(e.c.timestamp >= since)
            if until is not None:
                matching = matching.where(e.c.timestamp <= until)
            is_user = e.c.type_name == "user"
            query = (
                sa.select(
                    e.c.sender_id,
                    sa.func.min(e.c.timestamp).label("first"),
                    sa.func.max(e.c.timestamp).label("last"),
                    sa.func.sum(sa.case((is_user, 1), else_=0)).label("messages"),
                    sa.func.max(sa.case((is_user, e.c.id), else_=None)).label("last_user_id"),
                )
                .where(e.c.sender_id.in_(matching.scalar_subquery()))
                .group_by(e.c.sender_id)
                .order_by(sa.desc("last"), e.c.sender_id)
                .limit(max(1, min(int(limit), 500)))
            )
            rows = conn.execute(query).all()
            last_ids = [r.last_user_id for r in rows if r.last_user_id is not None]
            last_texts = {}
            if last_ids:
                for row in conn.execute(sa.select(e.c.id, e.c.data).where(e.c.id.in_(last_ids))):
                    data = json.loads(row.data or "{}")
                    last_texts[row.id] = (data.get("text"), data.get("input_channel"))
            senders = [r.sender_id for r in rows]
            requests = self._requests(conn, senders)
            states = self._states(conn, senders)
        out = []
        for r in rows:
            text, channel = last_texts.get(r.last_user_id, (None, None))
            request = requests.get(r.sender_id)
            out.append({
                "sender_id": r.sender_id,
                "channel": channel,
                "first": r.first, "first_iso": iso(r.first),
                "last": r.last, "last_iso": iso(r.last),
                "messages": int(r.messages or 0),
                "last_message": mask(text),
                "handoff": _status(request, states.get(r.sender_id)) if request else None,
            })
        return out

    def transcript(self, sender_id: str, reveal: bool = False) -> dict:
        """Every event of one conversation (all sessions) as turns: the seller's message with its
        intent and confidence, the actions the bot took (policy, confidence), what it said, the slots
        it set."""
        def shown(text):  # personal data masked unless an admin revealed this conversation
            return text if reveal else mask(text)

        e = EVENTS
        with self.engine.connect() as conn:
            if not self._has_events(conn):
                raise NotFound(f"没有这个会话：{sender_id}")
            rows = conn.execute(
                sa.select(e.c.type_name, e.c.timestamp, e.c.data).where(e.c.sender_id == sender_id).order_by(e.c.id)
            ).all()
            if not rows:
                raise NotFound(f"没有这个会话：{sender_id}")
            request = self._requests(conn, [sender_id]).get(sender_id)
            state = self._states(conn, [sender_id]).get(sender_id)
        items: list[dict] = []
        turn: dict | None = None
        channel = None

        def new_turn(ts, user=None) -> dict:
            item = {"kind": "turn", "time": ts, "time_iso": iso(ts), "user": user, "actions": [], "bot": [],
                    "slots": {}}
            items.append(item)
            return item

        for type_name, ts, raw in rows:
            data = json.loads(raw or "{}")
            if type_name == "session_started":
                items.append({"kind": "session", "time": ts, "time_iso": iso(ts)})
                turn = None
            elif type_name == "user":
                message = _user_message(sender_id, ts, data)
                channel = message.channel or channel
                turn = new_turn(ts, {
                    "text": shown(message.text), "intent": message.intent, "confidence": message.confidence,
                    "ranking": message.ranking[:3], "channel": message.channel,
                    "entities": [{"entity": x.get("entity"), "value": x.get("value")}
                                 for x in (data.get("parse_data") or {}).get("entities") or []],
                })
            elif type_name == "action":
                name = data.get("name")
                if name in ("action_listen", "action_session_start"):
                    continue
                turn = turn or new_turn(ts)
                turn["actions"].append({"name": name, "policy": data.get("policy"),
                                        "confidence": data.get("confidence")})
            elif type_name == "bot":
                turn = turn or new_turn(ts)
                buttons = [b.get("title") for b in ((data.get("data") or {}).get("buttons") or [])]
                metadata = data.get("metadata") or {}
                turn["bot"].append({"text": shown(data.get("text")), "buttons": buttons, "staff": metadata.get(STAFF_KEY),
                                    "knowledge_version": metadata.get("knowledge_version")})
            elif type_name == "slot":
                turn = turn or new_turn(ts)
                turn["slots"][data.get("name")] = data.get("value")
                if data.get("name") == FOCUS_SLOT:
                    turn["focus"] = Focus.from_slot(data.get("value")).summary()
            elif type_name in ("restart", "rewind", "undo", "followup", "reminder", "pause", "resume"):
                turn = turn or new_turn(ts)
                turn["actions"].append({"name": f"({type_name})", "policy": None, "confidence": None})
        focus = ""
        for item in items:  # what the conversation was about after each turn: set, or kept from before
            if item["kind"] == "session":
                focus = ""
            elif item["kind"] == "turn":
                focus = item["focus"] = item.get("focus", focus)
        return {
            "sender_id": sender_id,
            "channel": channel,
            "first": rows[0].timestamp, "last": rows[-1].timestamp,
            "first_iso": iso(rows[0].timestamp), "last_iso": iso(rows[-1].timestamp),
            "handoff": _status(request, state) if request else None,
            "items": items,
        }

    # -- hand-off queue ----------------------------------------------------------------------------

    def _requests(self, conn, senders: list[str] | None = None, since: float | None = None,
                  quote: bool = True) -> dict[str, dict]:
        """Each conversation's hand-off requests: a message with intent request_human, or the slot
        handoff=requested (whichever comes; one request when both come together). `since`: only
        events from then on; quote=False leaves out the seller's words (a count needs none)."""
        e = EVENTS
        if senders is not None and not senders:
            return {}
        query = sa.select(e.c.id, e.c.sender_id, e.c.type_name, e.c.timestamp, e.c.data).where(
            sa.or_(
                sa.and_(e.c.type_name == "user", e.c.intent_name == HANDOFF_INTENT),
                sa.and_(e.c.type_name == "slot", e.c.action_name == HANDOFF_SLOT),  # Rasa keeps a slot's name there
            )
        )
        if senders is not None:
            query = query.where(e.c.sender_id.in_(senders))
        if since is not None:
            query = query.where(e.c.timestamp >= since)
        found: dict[str, list] = {}
        ended: dict[str, tuple[int, float]] = {}  # the latest unset of the slot (id, time): handed back, cancelled
        for row in conn.execute(query.order_by(e.c.id)):
            if row.type_name == "user" and not quote:
                found.setdefault(row.sender_id, []).append((row.timestamp or 0.0, row.id, "", None))
                continue
            data = json.loads(row.data or "{}")
            if row.type_name == "slot":
                if data.get("name") == HANDOFF_SLOT and data.get("value") is None:
                    ended[row.sender_id] = (row.id, row.timestamp or 0.0)
                if data.get("name") != HANDOFF_SLOT or data.get("value") != HANDOFF_VALUE:
                    continue
                text, channel = None, None
            else:
                text, channel = data.get("text"), data.get("input_channel")
            found.setdefault(row.sender_id, []).append((row.timestamp or 0.0, row.id, text, channel))
        out = {}
        for sender_id, hits in found.items():
            requests: list[dict] = []
            for ts, event_id, text, channel in hits:
                if requests and ts - requests[-1]["last_ts"] <= _SAME_REQUEST_SECONDS:
                    requests[-1]["last_ts"], requests[-1]["last_id"] = ts, event_id
                    requests[-1]["text"] = requests[-1]["text"] or text
                    requests[-1]["channel"] = requests[-1]["channel"] or channel
                    continue
                requests.append({"ts": ts, "last_ts": ts, "id": event_id, "last_id": event_id, "text": text,
                                 "channel": channel})
            latest = requests[-1]
            if quote and latest["text"] is None:  # set by the slot alone: quote the seller's message before it
                row = conn.execute(
                    sa.select(e.c.data).where(e.c.sender_id == sender_id, e.c.type_name == "user",
                                              e.c.id < latest["id"]).order_by(e.c.id.desc()).limit(1)
                ).first()
                if row is not None:
                    data = json.loads(row.data or "{}")
                    latest["text"], latest["channel"] = data.get("text"), data.get("input_channel")
            end_id, ended_at = ended.get(sender_id, (0, 0.0))
            out[sender_id] = {"requested_at": latest["ts"], "text": latest["text"],
                              "channel": latest["channel"], "requests": len(requests),
                              "ended_at": ended_at if end_id > latest["last_id"] else None}
        return out

    def handoffs(self, statuses: Iterable[str] | None = None, limit: int = 200) -> list[dict]:
        """Conversations where a seller asked for a human, the newest request first."""
        wanted = set(statuses or HANDOFF_STATUSES)
        unknown = wanted - set(HANDOFF_STATUSES)
        if unknown:
            raise ValueError(f"未知状态 {sorted(unknown)}；可用：{', '.join(HANDOFF_STATUSES)}")
        e = EVENTS
        self._ensure_event_indexes()
        with self.engine.connect() as conn:
            if not self._has_events(conn):
                return []
            requests = self._requests(conn)
            states = self._states(conn, list(requests))
            activity = {}
            if requests:
                for row in conn.execute(
                    sa.select(e.c.sender_id, sa.func.max(e.c.timestamp).label("last"),
                              sa.func.sum(sa.case((e.c.type_name == "user", 1), else_=0)).label("messages"))
                    .where(e.c.sender_id.in_(list(requests))).group_by(e.c.sender_id)
                ):
                    activity[row.sender_id] = (row.last, int(row.messages or 0))
        queue = []
        for sender_id, request in requests.items():
            status = _status(request, states.get(sender_id))
            if status["status"] not in wanted:
                continue
            last, messages = activity.get(sender_id, (request["requested_at"], 0))
            queue.append({"sender_id": sender_id, "channel": request["channel"], "text": mask(request["text"]),
                          "requested_at": request["requested_at"], "requested_iso": iso(request["requested_at"]),
                          "requests": request["requests"], "last": last, "last_iso": iso(last),
                          "messages": messages, "position": None, "unread": 0, **status})
        waiting = sorted((q for q in queue if q["status"] == "open"), key=lambda q: q["requested_at"])
        for place, q in enumerate(waiting, 1):
            q["position"] = place
        self._count_unread([q for q in queue if q["status"] == "taken"])
        queue.sort(key=lambda q: (-q["requested_at"], q["sender_id"]))
        return queue[: max(1, min(int(limit), 1000))]

    def _count_unread(self, taken: list[dict]) -> None:
        """The seller's messages since the agent last took the conversation or wrote in it."""
        if not taken:
            return
        e = EVENTS
        with self.engine.connect() as conn:
            last_sent: dict[str, float] = {}
            if sa.inspect(conn).has_table("staff_audit"):
                for row in conn.execute(sa.select(AUDIT.c.sender_id, sa.func.max(AUDIT.c.ts).label("ts"))
                                        .where(AUDIT.c.sender_id.in_([q["sender_id"] for q in taken]),
                                               AUDIT.c.action.in_(("take", "send")))
                                        .group_by(AUDIT.c.sender_id)):
                    last_sent[row.sender_id] = row.ts
            for q in taken:
                since = max(q["updated_at"] or 0.0, last_sent.get(q["sender_id"], 0.0))
                q["unread"] = conn.execute(sa.select(sa.func.count()).select_from(e).where(
                    e.c.sender_id == q["sender_id"], e.c.type_name == "user", e.c.timestamp > since)).scalar_one()

    def set_handoff(self, sender_id: str, status: str, actor: str | None = None) -> dict:
        """Sets the status of a conversation's latest hand-off request. `taken` is a claim: refused
        with Conflict while another agent has it (one conditional UPDATE, so two agents taking at
        once cannot both win)."""
        if status not in HANDOFF_STATUSES:
            raise ValueError(f"未知状态 {status!r}；可用：{', '.join(HANDOFF_STATUSES)}")
        actor = (actor or "").strip()[:64] or None
        with self.engine.connect() as conn:
            request = self._requests(conn, [sender_id]).get(sender_id) if self._has_events(conn) else None
        if request is None:
            raise NotFound(f"这个会话没有转人工请求：{sender_id}")
        self._ensure_state_table()
        values = {"status": status, "request_ts": request["requested_at"], "actor": actor,
                  "updated_at": time.time()}
        t = HANDOFF_STATE
        free = sa.or_(t.c.status != "taken", t.c.actor == actor, t.c.actor.is_(None),
                      t.c.request_ts < request["requested_at"] - 1e-6)
        for attempt in range(2):
            try:
                with self.engine.begin() as conn:
                    where = [t.c.sender_id == sender_id] + ([free] if status == "taken" else [])
                    updated = conn.execute(sa.update(t).where(*where).values(**values))
                    if updated.rowcount == 0:
                        holder = conn.execute(sa.select(t.c.actor).where(t.c.sender_id == sender_id)).first()
                        if holder is not None:
                            raise Conflict(holder.actor)
                        conn.execute(sa.insert(t).values(sender_id=sender_id, **values))
                break
            except sa.exc.IntegrityError:  # inserted by someone else in between: try the update again
                if attempt:
                    raise
        return {"sender_id": sender_id, **_status(request, {**values, "sender_id": sender_id})}

    def audit(self, sender_id: str, action: str, actor: str | None, text: str | None = None) -> None:
        self._ensure_state_table()
        with self.engine.begin() as conn:
            conn.execute(sa.insert(AUDIT).values(sender_id=sender_id, action=action, actor=actor, text=text,
                                                 ts=time.time()))

    def audit_log(self, sender_id: str | None = None, limit: int = 200) -> list[dict]:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("staff_audit"):
                return []
            query = sa.select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)
            if sender_id is not None:
                query = query.where(AUDIT.c.sender_id == sender_id)
            return [{**dict(r._mapping), "ts_iso": iso(r.ts)} for r in conn.execute(query)]

    def last_contact(self, sender_id: str) -> tuple[str | None, float | None]:
        """The channel of the seller's latest message and its time (None, None: no message)."""
        e = EVENTS
        with self.engine.connect() as conn:
            if not self._has_events(conn):
                return None, None
            row = conn.execute(sa.select(e.c.timestamp, e.c.data).where(
                e.c.sender_id == sender_id, e.c.type_name == "user").order_by(e.c.id.desc()).limit(1)).first()
        if row is None:
            return None, None
        return json.loads(row.data or "{}").get("input_channel"), row.timestamp

    def waiting(self, within_hours: float = 24.0) -> list[str]:
        """The conversations whose request for a human, made in the last `within_hours`, is open,
        the longest waiting first: the queue a seller asking now joins. Older open requests stay
        in the console's list, but a seller who asked days ago is not waiting in front of one
        asking now. Reads only the hand-off events (indexed) and their states."""
        self._ensure_event_indexes()
        with self.engine.connect() as conn:
            if not self._has_events(conn):
                return []
            requests = self._requests(conn, since=time.time() - within_hours * 3600, quote=False)
            states = self._states(conn, list(requests))
        open_ = [(r["requested_at"], sender_id) for sender_id, r in requests.items()
                 if _status(r, states.get(sender_id))["status"] == "open"]
        return [sender_id for _, sender_id in sorted(open_)]

    def queue_ahead(self, sender_id: str) -> int:
        """Other conversations waiting for a human (open requests of the last day)."""
        return sum(1 for waiting in self.waiting() if waiting != sender_id)

    # -- retention and erasure (PIPL: a stated retention period, deletion on request) --------------

    def erase(self, sender_id: str, actor: str | None = None) -> dict[str, int]:
        """Deletes everything kept about one seller: Rasa's events, the hand-off state and audit,
        feedback. The erasure itself is recorded under a hash of the sender id, never the id."""
        with self.engine.begin() as conn:
            counts = erase_sender(conn, sender_id)
        if any(counts.values()):
            self.audit(erased_id(sender_id), "erase", actor, ", ".join(f"{k} {v}" for k, v in counts.items() if v))
        return counts

    def purge(self, older_than_days: float, actor: str | None = None) -> dict:
        """Erases every conversation whose latest event is older than the retention period."""
        cutoff = time.time() - older_than_days * 86400
        e = EVENTS
        with self.engine.connect() as conn:
            if not self._has_events(conn):
                return {"conversations": 0, "cutoff": cutoff}
            senders = [r.sender_id for r in conn.execute(
                sa.select(e.c.sender_id).group_by(e.c.sender_id).having(sa.func.max(e.c.timestamp) < cutoff))]
        for sender_id in senders:
            self.erase(sender_id, actor or "retention")
        return {"conversations": len(senders), "cutoff": cutoff}

    # -- messages for the unanswered report --------------------------------------------------------

    def user_messages(self, since: float | None = None, until: float | None = None) -> Iterator[UserMessage]:
        e = EVENTS
        with self.engine.connect() as conn:
            if not self._has_events(conn):
                return
            query = sa.select(e.c.sender_id, e.c.timestamp, e.c.data).where(e.c.type_name == "user")
            if since is not None:
                query = query.where(e.c.timestamp >= since)
            if until is not None:
                query = query.where(e.c.timestamp <= until)
            for row in conn.execution_options(stream_results=True).execute(query.order_by(e.c.id)):
                message = _user_message(row.sender_id, row.timestamp, json.loads(row.data or "{}"))
                message.text = mask(message.text) or ""  # the unanswered report and its CSV
                yield message


def erased_id(sender_id: str) -> str:
    """How an erased seller appears in the audit: enough to answer "was it done", nothing to identify."""
    import hashlib

    return "erased:" + hashlib.sha256(sender_id.encode()).hexdigest()[:16]


def _user_message(sender_id: str, ts: float, data: dict) -> UserMessage:
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    ranking = [{"name": r.get("name"), "confidence": r.get("confidence")} for r in parse.get("intent_ranking") or []]
    return UserMessage(sender_id, ts, data.get("text") or "", intent.get("name"), intent.get("confidence"),
                       ranking, data.get("input_channel"))


def _status(request: dict, state: dict | None) -> dict:
    """The queue status of a conversation's latest request: what staff set for it, or open; done
    when the seller ended it (the slot unset after staff last set the status)."""
    ended_at = request.get("ended_at")
    if state and state["request_ts"] >= request["requested_at"] - 1e-6:
        if ended_at and ended_at > state["updated_at"] and state["status"] != "done":
            return {"status": "done", "actor": state.get("actor"), "updated_at": ended_at,
                    "updated_iso": iso(ended_at), "reopened": False, "ended_by": "seller"}
        return {"status": state["status"], "actor": state.get("actor"), "updated_at": state["updated_at"],
                "updated_iso": iso(state["updated_at"]), "reopened": False}
    if ended_at:
        return {"status": "done", "actor": None, "updated_at": ended_at, "updated_iso": iso(ended_at),
                "reopened": False, "ended_by": "seller"}
    return {"status": "open", "actor": None, "updated_at": None, "updated_iso": None,
            "reopened": state is not None}
