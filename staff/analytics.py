"""The figures of the staff console's dashboard (数据看板): conversations and seller messages per day
and per channel, how many were answered, containment, hand-offs and how long until an agent took
them, 👍/👎 and their reasons, the services and intents sellers ask about most, and the largest groups
of unanswered questions. Every figure is counted by SQL in the database (GROUP BY, COUNT, SUM, window
functions; the same statements on SQLite and PostgreSQL but for the day and JSON expressions);
Python only adds up the grouped rows (a few hundred) and labels them.

Why tables of its own. What the figures need of a seller message — its channel and confidence — is
only in the JSON text of Rasa's `events.data` (about 1.4 kB a message). Reading it there for a
30-day range of 100,000 conversations (~300,000 messages) takes 2.4 s on SQLite and 6.9 s on
PostgreSQL on the 2-core VM (bench/analytics.py, docs/performance.md), every view. So each event is
read once, by SQL (`INSERT … SELECT json_extract(…)` / `CAST(data AS jsonb)`), into a ledger, and the
ledger is added up into rollups per 15 minutes:

    staff_analytics_message  one row per user event (and slot handoff=requested): event_id (= events.id,
                             the key that makes re-reading harmless), sender_id, ts, kind, request,
                             channel, intent, confidence, gen (the refresh that added it)
    staff_analytics_service  the `service` entities of each seller message
    staff_analytics_bucket   per 15 minutes × channel × conversation: messages, fallback, out of scope,
                             low confidence (at DEFAULT_THRESHOLD), hand-off requests
    staff_analytics_count    per 15 minutes × channel: messages per intent and per service
    staff_analytics_state    what the rollups were added up for (bucket, threshold, version)

`summary()` first brings them up to date: the events after the highest one the ledger holds, in
batches of FILL_BATCH ids, each one transaction that adds its new ledger rows (those of its `gen`) to
the rollups — short, so Rasa's writes to a SQLite file wait at most a moment — re-reading the last
REWIND_IDS ids, because on PostgreSQL a transaction can commit lower ids after a higher one was read
(the ledger's key skips what it has). Every CHECK_SECONDS it compares the seller messages older than
a minute in `events` and in the ledger; when they differ (a conversation deleted on a WeChat
unsubscribe, a commit seen too late) the rows whose event is gone are taken out of the rollups and
the ledger, and the missing ones put in; `forget(sender_id)` takes one conversation out at once (for
erasing a seller's data). Nothing here holds text: a message's text is read from
`events` only for the unanswered groups (the newest UNANSWERED_SAMPLE unanswered messages). A range
on whole 15-minute steps (every day boundary at any UTC offset in use) at the default threshold is
counted from the rollups; any other range or threshold from the ledger, message by message (the same
figures, 1.5–2× slower).

Indexes on `events`: Rasa creates only `ix_events_sender_id`. `prepare()` (at console start) adds,
when no index starts with those columns, `(sender_id, timestamp)` — Rasa's own read of a conversation
(`sender_id = ? AND timestamp >= <session start>`), the transcript, the unread counts and the feedback
export's look-up of the rated message — and `(type_name, timestamp)` — the ledger's count check of
seller messages and the hand-off queue's scan of `user` and `slot` events (staff/store.py). On
PostgreSQL with CREATE INDEX CONCURRENTLY (Rasa keeps writing while it builds; an invalid index left
by an interrupted build is dropped and built again); on SQLite CREATE INDEX holds the file's write
lock while it builds (about 0.7 s per million events each, here), so above SQLITE_INDEX_MAX_EVENTS events it
is left to the operator, with the statement in the log. A refusal (no privilege) is logged; the
figures do not depend on them.

Definitions (definitions(), shown beside each chart): a seller message is a `user` event, except a
rating (intent `feedback`: the 👍/👎 buttons and a 👎's reason, counted with the feedback); it is not
answered when its intent is nlu_fallback or out_of_scope or its confidence is below the threshold
of staff/unanswered.py (0.6), as the 未解决问题 tab counts; a conversation is a sender id on one
channel with a seller message in the period (per day: that day); it is contained when it asked for
no human in the period (intent request_human or slot handoff=requested); a hand-off is such a
request, a request_human message and the slot its action sets a moment later being one (as the
queue counts them), and its time until taken is the first `take` in staff_audit after it (before
the conversation's next request) minus the request time. Days are calendar days at a UTC offset
(the page sends the browser's).
"""
from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from addons.privacy import mask
from conversation import feedback as feedback_record
from conversation.replies import FEEDBACK_REASON_LABELS
from staff import unanswered as unanswered_mod
from staff.feedback import FEEDBACK, REASONS, FeedbackStore, negative_where
from staff.store import (
    _SAME_REQUEST_SECONDS,
    AUDIT,
    HANDOFF_INTENT,
    HANDOFF_SLOT,
    HANDOFF_VALUE,
    Store,
    UserMessage,
    iso,
)
from staff.store import _user_message as user_message

logger = logging.getLogger(__name__)

DAY_SECONDS = 86400
DEFAULT_DAYS = 7
MAX_DAYS = 400
TOP = 10  # services, intents
GROUPS = 10  # unanswered groups on the dashboard
UNANSWERED_SAMPLE = 2000  # the newest unanswered messages grouped for the dashboard
EXPORT_LIMIT = 5000  # 👎 rows in a feedback export
FILL_BATCH = 20_000  # event ids per transaction when the table catches up
REWIND_IDS = 5_000  # ids below the highest one held that are read again (late commits)
CHECK_SECONDS = 60.0  # how often the message counts of both tables are compared
SETTLED_SECONDS = 60.0  # the counts compare messages older than this (no commit still under way)
ANALYZE_AFTER_EVENTS = 100_000  # PostgreSQL: a refresh that read this many events updates the statistics
WORK_MEM = "32MB"  # PostgreSQL, for the summary's transaction only
SQLITE_INDEX_MAX_EVENTS = 3_000_000  # above this, building an index on SQLite would hold Rasa up too long
CHANNELS = ("rest", "socketio", "wechat")  # addons/channels; others appear when the data has them
FEEDBACK_KINDS = ("training", "gap")
TRAINING_REASONS = ("irrelevant",)  # 答非所问: the question was taken for another one
NO_REASON = "none"
FALLBACK, OUT_OF_SCOPE = unanswered_mod.FALLBACK_INTENT, unanswered_mod.OUT_OF_SCOPE_INTENT
# The rows of staff_analytics_message: a seller message; a rating (a user event with the intent
# `feedback`: the 👍/👎 buttons and the reason after a 👎, counted as feedback, not as a message);
# the slot handoff=requested (a hand-off request without a message of its own).
KIND_MESSAGE, KIND_RATING, KIND_SLOT = 1, 2, 3

BUCKET = 900  # seconds: the rollups' time step (every UTC offset in use is a multiple of 15 minutes)
ROLLUP_VERSION = 1  # bumped when what the rollups hold changes: they are rebuilt from the ledger

LEDGER_TABLE, SERVICE_TABLE = "staff_analytics_message", "staff_analytics_service"
ROLLUP_TABLE, COUNT_TABLE, STATE_TABLE = "staff_analytics_bucket", "staff_analytics_count", "staff_analytics_state"
_meta = sa.MetaData()
LEDGER = sa.Table(  # one row per user event (and slot handoff=requested), extracted from events.data
    LEDGER_TABLE, _meta,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("kind", sa.SmallInteger, nullable=False),  # KIND_MESSAGE | KIND_RATING | KIND_SLOT
    sa.Column("request", sa.SmallInteger, nullable=False),  # 1: asks for a human
    sa.Column("channel", sa.String(64), nullable=False),  # "" when the event has none
    sa.Column("intent", sa.String(255)),
    sa.Column("confidence", sa.Float),
    sa.Column("gen", sa.BigInteger, nullable=False),  # the refresh that added it (what the rollups add up)
    sa.Index(f"ix_{LEDGER_TABLE}_ts", "ts", "kind"),
    sa.Index(f"ix_{LEDGER_TABLE}_sender_ts", "sender_id", "ts"),
    sa.Index(f"ix_{LEDGER_TABLE}_gen", "gen"),
    sa.Index(f"ix_{LEDGER_TABLE}_requests", "ts", sqlite_where=sa.text("request = 1"),
             postgresql_where=sa.text("request = 1")),
)
SERVICES = sa.Table(  # the `service` entities of each seller message
    SERVICE_TABLE, _meta,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("service", sa.String(128), primary_key=True),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("gen", sa.BigInteger, nullable=False),
    sa.Index(f"ix_{SERVICE_TABLE}_ts", "ts"),
    sa.Index(f"ix_{SERVICE_TABLE}_gen", "gen"),
)
ROLLUP = sa.Table(  # the ledger added up per 15 minutes × channel × conversation
    ROLLUP_TABLE, _meta,
    sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),  # floor(ts / BUCKET)
    sa.Column("channel", sa.String(64), primary_key=True),
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("fallback", sa.Integer, nullable=False),
    sa.Column("oos", sa.Integer, nullable=False),
    sa.Column("low", sa.Integer, nullable=False),  # below DEFAULT_THRESHOLD
    sa.Column("requests", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)
COUNTS = sa.Table(  # messages per 15 minutes × channel × intent (dimension "intent") or service ("service")
    COUNT_TABLE, _meta,
    sa.Column("dimension", sa.String(16), primary_key=True),
    sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("channel", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)
STATE = sa.Table(
    STATE_TABLE, _meta,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)
EVENT_INDEXES = {  # name → columns; see the module's docstring for which queries use them
    "ix_events_sender_id_timestamp": ("sender_id", "timestamp"),
    "ix_events_type_name_timestamp": ("type_name", "timestamp"),
}

FIGURES = ("conversations", "messages", "answered", "unanswered", "fallback", "out_of_scope", "low_confidence",
           "answered_rate", "contained", "containment", "handoffs", "taken", "wait_median_s", "wait_avg_s",
           "feedback_up", "feedback_down", "feedback_rate")
FEEDBACK_REASONS = (*REASONS, NO_REASON)
CSV_COLUMNS = ("date", "channel", *FIGURES, *(f"reason_{r}" for r in FEEDBACK_REASONS))


def definitions(threshold: float = unanswered_mod.DEFAULT_THRESHOLD) -> dict[str, str]:
    """What each figure counts, in the console's words (shown beside its chart)."""
    return {
        "volume": "会话：这段时间（按天：当天）有卖家消息的会话，即一个渠道上的一个会话 ID（网页会话 ID、微信 OpenID、"
                  "REST 的 sender）；消息：卖家发来的每一条消息（Rasa 的 user 事件，按钮点击也算；👍/👎 评价不算，算在评价里）。",
        "answered": f"已回答：卖家消息的意图不是 nlu_fallback（无法识别）、不是 out_of_scope（超出范围），"
                    f"且置信度不低于 {threshold:g}（与「未解决问题」相同的阈值）；其余为未回答，按这三种原因分开。",
        "containment": "自助解决率 = 有卖家消息且没有请求转人工（意图 request_human 或槽位 handoff=requested）的会话 ÷ "
                       "有卖家消息的会话。按天：当天的消息和请求；合计和按渠道：整段时间。",
        "handoffs": "转人工：卖家的每次请求（request_human 消息和随后 10 秒内设置的 handoff=requested 算一次）；"
                    "已接入：之后（下一次请求之前）有客服「接入」的请求；接入用时 = 第一次接入的时间 − 请求时间，"
                    "给出中位数和平均值（只算已接入的）。",
        "feedback": "👍 / 👎：卖家对回答的评价（feedback 表）；好评率 = 👍 ÷ (👍 + 👎)。",
        "reasons": "👎 的原因：卖家选的 答非所问 / 信息不对 / 看不懂 / 其他；没选的记为「未选」。",
        "services": "卖家最常问的服务：卖家消息里识别出的 service 实体（如 AWD、AGL），按提到它的消息数排序。",
        "intents": "最常见的意图：卖家消息被识别成的意图，按消息数排序（含 nlu_fallback）。",
        "unanswered": f"最大的未解决问题组：这段时间最新的 {UNANSWERED_SAMPLE} 条未回答消息，按说法分组"
                      "（与「未解决问题」相同的分组），次数最多的在前。",
        "channels": "按渠道：rest（REST 接口）、socketio（网页聊天）、wechat（微信公众号）；每个渠道的会话按它的消息算。",
        "days": "日期按所选时区的自然日划分（页面用浏览器的时区）。",
    }


def _empty() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(FIGURES, 0)
    figures.update(answered_rate=None, containment=None, wait_median_s=None, wait_avg_s=None, feedback_rate=None)
    figures["reasons"] = dict.fromkeys(FEEDBACK_REASONS, 0)
    return figures


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _finish(f: dict) -> dict:
    f["unanswered"] = f["fallback"] + f["out_of_scope"] + f["low_confidence"]
    f["answered"] = f["messages"] - f["unanswered"]
    f["answered_rate"] = _rate(f["answered"], f["messages"])
    f["containment"] = _rate(f["contained"], f["conversations"])
    f["feedback_rate"] = _rate(f["feedback_up"], f["feedback_up"] + f["feedback_down"])
    for key in ("wait_median_s", "wait_avg_s"):
        if f[key] is not None:
            f[key] = round(float(f[key]), 1)
    return f


def tz_offset(value: Any = None) -> int:
    """A UTC offset in seconds from minutes east of UTC (480) or "+08:00"; default: the server's."""
    if value is None or value == "":
        offset = datetime.now().astimezone().utcoffset()
        return int(offset.total_seconds()) if offset else 0
    text = str(value).strip()
    try:
        if text[:1] in "+-" and ":" in text:
            sign = -1 if text[0] == "-" else 1
            hours, minutes = text[1:].split(":", 1)
            seconds = sign * (int(hours) * 3600 + int(minutes) * 60)
        else:
            seconds = int(float(text) * 60)
    except ValueError:
        raise ValueError(f"时区偏移不对：{value!r}（分钟数，如 480，或 +08:00）") from None
    if abs(seconds) > 14 * 3600:
        raise ValueError(f"时区偏移不对：{value!r}（在 -14:00 和 +14:00 之间）")
    return seconds


def day_number(ts: float, offset: int) -> int:
    return int((ts + offset) // DAY_SECONDS)


def day_label(day: int) -> str:
    return (datetime(1970, 1, 1) + timedelta(days=day)).date().isoformat()


def default_range(offset: int, now: float | None = None, days: int = DEFAULT_DAYS) -> tuple[float, float]:
    """The last `days` calendar days at the offset, today included: [since, until)."""
    today = day_number(time.time() if now is None else now, offset)
    return float((today - days + 1) * DAY_SECONDS - offset), float((today + 1) * DAY_SECONDS - offset)


# -- SQL ---------------------------------------------------------------------------------------------

# The levels the non-additive figures (distinct conversations, containment, medians) are grouped at:
# day × channel, day, channel, the whole range.
LEVELS = (("dc", ("day", "channel")), ("d", ("day",)), ("c", ("channel",)), ("t", ()))


def _level_columns(keys: tuple[str, ...]) -> str:
    return f"{'day' if 'day' in keys else 'NULL'} AS day, {'channel' if 'channel' in keys else 'NULL'} AS channel"


def _group_by(keys: tuple[str, ...]) -> str:
    return f" GROUP BY {', '.join(keys)}" if keys else ""


def _conversations_sql(source: str) -> str:
    """Seller messages and conversations per day × channel, and conversations per channel over the
    whole range. `source` gives one row per day × channel × conversation (from the rollup, or from
    the ledger), materialized once and read twice. A conversation is a sender id on one channel, so
    the figures per day and in total are sums of these (added up in Python)."""
    return (
        f"WITH cd AS ({source}) "
        "SELECT 'dc' AS level, day, channel, SUM(messages) AS messages, SUM(fallback) AS fallback, SUM(oos) AS oos, "
        "SUM(low) AS low, SUM(CASE WHEN messages > 0 THEN 1 ELSE 0 END) AS conversations, "
        "SUM(CASE WHEN messages > 0 AND requests = 0 THEN 1 ELSE 0 END) AS contained "
        "FROM cd GROUP BY day, channel "
        "UNION ALL "
        "SELECT 'c' AS level, NULL AS day, channel, 0, 0, 0, 0, SUM(CASE WHEN messages > 0 THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN messages > 0 AND requests = 0 THEN 1 ELSE 0 END) "
        "FROM (SELECT channel, sender_id, SUM(messages) AS messages, SUM(requests) AS requests FROM cd "
        "GROUP BY channel, sender_id) AS x GROUP BY channel")


def _message_sums(prefix: str = "") -> str:
    """The rollup's sums over ledger rows (threshold :threshold)."""
    p = prefix
    return (f"SUM(CASE WHEN {p}kind = {KIND_MESSAGE} THEN 1 ELSE 0 END) AS messages, "
            f"SUM(CASE WHEN {p}kind = {KIND_MESSAGE} AND {p}intent = :fallback THEN 1 ELSE 0 END) AS fallback, "
            f"SUM(CASE WHEN {p}kind = {KIND_MESSAGE} AND {p}intent = :oos THEN 1 ELSE 0 END) AS oos, "
            f"SUM(CASE WHEN {p}kind = {KIND_MESSAGE} AND ({p}intent IS NULL OR {p}intent NOT IN (:fallback, :oos)) "
            f"AND {p}confidence < :threshold THEN 1 ELSE 0 END) AS low, "
            f"SUM({p}request) AS requests")


def _handoffs_sql(day: str, channel_filter: str) -> str:
    """Hand-off requests (a request_human message and the slot set a moment later are one), each
    with the time until its first take, counted, averaged and its median taken at every level."""
    take = (f"(SELECT MIN(a.ts) FROM {AUDIT.name} a WHERE a.sender_id = s.sender_id AND a.action = 'take' "
            "AND a.ts >= s.ts AND (s.next_ts IS NULL OR a.ts < s.next_ts))")
    parts = []
    for level, keys in LEVELS:
        parts.append(f"SELECT '{level}' AS level, {_level_columns(keys)}, COUNT(*) AS handoffs, COUNT(wait) AS taken, "
                     f"AVG(wait) AS wait_avg, NULL AS wait_median FROM h{_group_by(keys)}")
        partition = f"PARTITION BY {', '.join(keys)}" if keys else ""
        parts.append(
            f"SELECT '{level}m' AS level, {_level_columns(keys)}, 0, 0, NULL, AVG(wait) FROM ("
            f"SELECT {', '.join((*keys, 'wait'))}, "
            f"ROW_NUMBER() OVER ({partition} ORDER BY wait) AS rn, COUNT(*) OVER ({partition}) AS n "
            "FROM h WHERE wait IS NOT NULL) AS m WHERE rn IN ((n + 1) / 2, (n + 2) / 2)"
            f"{_group_by(keys)}")
    return (
        "WITH req AS ("
        "SELECT sender_id, ts, channel, LAG(ts) OVER (PARTITION BY sender_id ORDER BY ts, event_id) AS prev_ts "
        f"FROM {LEDGER_TABLE} WHERE request = 1 AND ts >= :since_early AND ts < :until{channel_filter}), "
        "starts AS ("
        "SELECT sender_id, ts, channel, LEAD(ts) OVER (PARTITION BY sender_id ORDER BY ts) AS next_ts "
        "FROM req WHERE prev_ts IS NULL OR ts - prev_ts > :same), "
        f"h AS (SELECT {day} AS day, channel, {take} - ts AS wait FROM starts s WHERE ts >= :since) "
        + " UNION ALL ".join(parts))


def _feedback_sql(day: str, channel_filter: str) -> str:
    reasons = ", ".join(
        f"SUM(CASE WHEN rating = 'down' AND reason = '{r}' THEN 1 ELSE 0 END) AS reason_{r}" for r in REASONS)
    listed = ", ".join(f"'{r}'" for r in REASONS)
    return (f"SELECT {day} AS day, COALESCE(channel, '') AS channel, "
            "SUM(CASE WHEN rating = 'up' THEN 1 ELSE 0 END) AS up, "
            "SUM(CASE WHEN rating = 'down' THEN 1 ELSE 0 END) AS down, "
            f"{reasons}, SUM(CASE WHEN rating = 'down' AND (reason IS NULL OR reason NOT IN ({listed})) "
            f"THEN 1 ELSE 0 END) AS reason_{NO_REASON} "
            f"FROM {FEEDBACK.name} WHERE ts >= :since AND ts < :until{channel_filter} GROUP BY 1, 2")


# What a seller message is, extracted from the event's JSON in the database (per dialect). `{where}`
# selects the events: an id range, or the ones missing from the ledger. The rows get :gen.
_FILL = {
    "sqlite": (
        f"INSERT OR IGNORE INTO {LEDGER_TABLE} (event_id, sender_id, ts, kind, request, channel, intent, confidence, "
        "gen) "
        f"SELECT e.id, e.sender_id, e.timestamp, CASE WHEN e.intent_name = :rating_intent THEN {KIND_RATING} "
        f"ELSE {KIND_MESSAGE} END, CASE WHEN e.intent_name = :handoff_intent THEN 1 ELSE 0 END, "
        "substr(COALESCE(json_extract(e.data, '$.input_channel'), ''), 1, 64), e.intent_name, "
        "json_extract(e.data, '$.parse_data.intent.confidence'), :gen "
        "FROM events e WHERE e.type_name = 'user' AND e.timestamp IS NOT NULL AND {where}",

        f"INSERT OR IGNORE INTO {LEDGER_TABLE} (event_id, sender_id, ts, kind, request, channel, intent, confidence, "
        "gen) "
        f"SELECT e.id, e.sender_id, e.timestamp, {KIND_SLOT}, 1, "
        f"COALESCE((SELECT m.channel FROM {LEDGER_TABLE} m WHERE m.sender_id = e.sender_id AND m.kind <> {KIND_SLOT} "
        "AND m.ts <= e.timestamp ORDER BY m.ts DESC LIMIT 1), ''), NULL, NULL, :gen "
        "FROM events e WHERE e.type_name = 'slot' AND e.action_name = :handoff_slot AND e.timestamp IS NOT NULL "
        "AND json_extract(e.data, '$.value') = :requested AND {where}",

        f"INSERT OR IGNORE INTO {SERVICE_TABLE} (event_id, service, ts, channel, gen) "
        "SELECT DISTINCT m.event_id, substr(CAST(json_extract(x.value, '$.value') AS TEXT), 1, 128), m.ts, m.channel, "
        ":gen "
        f"FROM {LEDGER_TABLE} m JOIN events e ON e.id = m.event_id, json_each(e.data, '$.parse_data.entities') x "
        f"WHERE m.gen = :gen AND m.kind = {KIND_MESSAGE} AND e.data LIKE :service_like "
        "AND json_extract(x.value, '$.entity') = 'service' AND json_extract(x.value, '$.value') IS NOT NULL",
    ),
    "postgresql": (
        "WITH src AS MATERIALIZED (SELECT e.id, e.sender_id, e.timestamp, e.intent_name, CAST(e.data AS jsonb) AS j "
        "FROM events e WHERE e.type_name = 'user' AND e.timestamp IS NOT NULL AND {where}) "
        f"INSERT INTO {LEDGER_TABLE} (event_id, sender_id, ts, kind, request, channel, intent, confidence, gen) "
        f"SELECT id, sender_id, timestamp, CASE WHEN intent_name = :rating_intent THEN {KIND_RATING} "
        f"ELSE {KIND_MESSAGE} END, CASE WHEN intent_name = :handoff_intent THEN 1 ELSE 0 END, "
        "substr(COALESCE(j ->> 'input_channel', ''), 1, 64), intent_name, "
        "CASE WHEN jsonb_typeof(j #> '{{parse_data,intent,confidence}}') = 'number' "
        "THEN CAST(j #>> '{{parse_data,intent,confidence}}' AS double precision) END, :gen "
        "FROM src ON CONFLICT DO NOTHING",

        f"INSERT INTO {LEDGER_TABLE} (event_id, sender_id, ts, kind, request, channel, intent, confidence, gen) "
        f"SELECT e.id, e.sender_id, e.timestamp, {KIND_SLOT}, 1, "
        f"COALESCE((SELECT m.channel FROM {LEDGER_TABLE} m WHERE m.sender_id = e.sender_id AND m.kind <> {KIND_SLOT} "
        "AND m.ts <= e.timestamp ORDER BY m.ts DESC LIMIT 1), ''), NULL, NULL, :gen "
        "FROM events e WHERE e.type_name = 'slot' AND e.action_name = :handoff_slot AND e.timestamp IS NOT NULL "
        "AND CAST(e.data AS jsonb) ->> 'value' = :requested AND {where} ON CONFLICT DO NOTHING",

        f"INSERT INTO {SERVICE_TABLE} (event_id, service, ts, channel, gen) "
        "SELECT DISTINCT m.event_id, substr(x ->> 'value', 1, 128), m.ts, m.channel, :gen "
        f"FROM {LEDGER_TABLE} m JOIN events e ON e.id = m.event_id "
        "CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(CAST(e.data AS jsonb) #> "
        "'{{parse_data,entities}}') = 'array' THEN CAST(e.data AS jsonb) #> '{{parse_data,entities}}' "
        "ELSE CAST('[]' AS jsonb) END) AS x "
        f"WHERE m.gen = :gen AND m.kind = {KIND_MESSAGE} AND e.data LIKE :service_like "
        "AND x ->> 'entity' = 'service' AND x ->> 'value' IS NOT NULL ON CONFLICT DO NOTHING",
    ),
}
_FILL_PARAMS = {"handoff_intent": HANDOFF_INTENT, "rating_intent": feedback_record.INTENT, "handoff_slot": HANDOFF_SLOT,
                "requested": HANDOFF_VALUE, "service_like": '%"service"%', "fallback": FALLBACK, "oos": OUT_OF_SCOPE,
                "threshold": unanswered_mod.DEFAULT_THRESHOLD}
_RANGE = "e.id > :lo AND e.id <= :hi"
_MISSING = f"NOT EXISTS (SELECT 1 FROM {LEDGER_TABLE} m0 WHERE m0.event_id = e.id)"


def _roll_sql(bucket: str) -> tuple[str, ...]:
    """Adds the ledger rows of :gen (times :sign: -1 takes them out again) to the rollups."""
    sums = ", ".join(f":sign * {column}" for column in ("messages", "fallback", "oos", "low", "requests"))
    add = ", ".join(f"{c} = {ROLLUP_TABLE}.{c} + excluded.{c}" for c in ("messages", "fallback", "oos", "low", "requests"))
    count = f"n = {COUNT_TABLE}.n + excluded.n"
    return (
        f"INSERT INTO {ROLLUP_TABLE} (bucket, channel, sender_id, messages, fallback, oos, low, requests) "
        f"SELECT bucket, channel, sender_id, {sums} FROM (SELECT {bucket} AS bucket, channel, sender_id, "
        f"{_message_sums()} FROM {LEDGER_TABLE} WHERE gen = :gen GROUP BY 1, 2, 3) AS g WHERE true "
        f"ON CONFLICT (bucket, channel, sender_id) DO UPDATE SET {add}",

        f"INSERT INTO {COUNT_TABLE} (dimension, bucket, channel, value, n) "
        f"SELECT 'intent', {bucket}, channel, COALESCE(intent, ''), :sign * COUNT(*) FROM {LEDGER_TABLE} "
        f"WHERE gen = :gen AND kind = {KIND_MESSAGE} GROUP BY 2, 3, 4 "
        f"ON CONFLICT (dimension, bucket, channel, value) DO UPDATE SET {count}",

        f"INSERT INTO {COUNT_TABLE} (dimension, bucket, channel, value, n) "
        f"SELECT 'service', {bucket}, channel, service, :sign * COUNT(*) FROM {SERVICE_TABLE} "
        "WHERE gen = :gen GROUP BY 2, 3, 4 "
        f"ON CONFLICT (dimension, bucket, channel, value) DO UPDATE SET {count}",
    )


class Analytics:
    """The dashboard's figures over the tracker store's database (an Engine, or the console's Store)."""

    def __init__(self, source: sa.engine.Engine | Store) -> None:
        self.engine: sa.engine.Engine = source.engine if isinstance(source, Store) else source
        self.feedback = FeedbackStore(url=self.engine.url.render_as_string(hide_password=True), engine=self.engine)
        self._lock = threading.Lock()
        self._tables_ready = False
        self._indexes_done = False
        self._checked_at = 0.0
        self._last_gen = 0
        self._closing = threading.Event()

    def close(self) -> None:
        """Stops a refresh under way after its current batch (the console is shutting down)."""
        self._closing.set()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _day(self, column: str = "ts") -> str:
        """The calendar day (days since 1970-01-01) of an epoch-seconds column at :offset seconds east."""
        if self.dialect == "postgresql":
            return f"CAST(floor(({column} + :offset) / 86400.0) AS INTEGER)"
        return f"CAST(({column} + :offset) / 86400.0 AS INTEGER)"  # times are positive: truncation is floor

    def _bucket(self, column: str = "ts") -> str:
        if self.dialect == "postgresql":
            return f"CAST(floor({column} / {BUCKET}) AS INTEGER)"
        return f"CAST({column} / {BUCKET} AS INTEGER)"

    def _gen(self) -> int:
        """A number for one refresh's rows, increasing, distinct from other consoles' (time in µs)."""
        self._last_gen = max(self._last_gen + 1, time.time_ns() // 1000)
        return self._last_gen

    # -- preparing -----------------------------------------------------------------------------------

    def prepare(self) -> None:
        """The console's tables (created if missing) and the indexes on `events` the queries need (see
        the module's docstring); safe to call at every start and from several consoles at once."""
        with self._lock:
            self._ensure_tables()
            self.ensure_event_indexes()

    def _ensure_tables(self) -> None:
        if self._tables_ready:
            return
        if self.dialect not in _FILL:
            raise ValueError(f"数据看板只支持 SQLite 和 PostgreSQL，不支持 {self.dialect}")
        for table_meta in (_meta, AUDIT.metadata, FEEDBACK.metadata):
            try:
                table_meta.create_all(self.engine, checkfirst=True)
            except sa.exc.DBAPIError:  # created by another console at the same moment
                table_meta.create_all(self.engine, checkfirst=True)
        self._check_rollups()
        self._tables_ready = True

    def _check_rollups(self) -> None:
        """The rollups hold the ledger added up at this code's bucket, threshold and version; when
        any of them changed, they are added up again from the ledger."""
        wanted = f"{BUCKET}:{unanswered_mod.DEFAULT_THRESHOLD}:{ROLLUP_VERSION}"
        with self.engine.begin() as conn:
            held = conn.execute(sa.select(STATE.c.value).where(STATE.c.key == "rollups")).scalar()
            if held == wanted:
                return
            logger.info("dashboard rollups: %s → %s, adding them up again from the ledger", held, wanted)
            conn.execute(sa.delete(ROLLUP))
            conn.execute(sa.delete(COUNTS))
            gen = self._gen()
            conn.execute(sa.update(LEDGER).values(gen=gen))
            conn.execute(sa.update(SERVICES).values(gen=gen))
            for sql in _roll_sql(self._bucket()):
                conn.execute(sa.text(sql), {**_FILL_PARAMS, "gen": gen, "sign": 1})
            if held is None:
                conn.execute(sa.insert(STATE).values(key="rollups", value=wanted))
            else:
                conn.execute(sa.update(STATE).where(STATE.c.key == "rollups").values(value=wanted))

    def _has_events(self, conn) -> bool:
        return sa.inspect(conn).has_table("events")

    def ensure_event_indexes(self) -> list[str]:
        """Creates the missing ones of EVENT_INDEXES; the names created. Nothing when `events` is not
        there yet (Rasa creates it at its start; the next call tries again)."""
        if self._indexes_done:
            return []
        with self.engine.connect() as conn:
            if not self._has_events(conn):
                return []
            indexes = sa.inspect(conn).get_indexes("events")
            size = conn.execute(sa.text("SELECT MAX(id) FROM events")).scalar() or 0
        created = []
        for name, columns in EVENT_INDEXES.items():
            ours = any(ix["name"] == name for ix in indexes)
            if not ours and any(tuple(ix["column_names"][:len(columns)]) == columns for ix in indexes):
                continue  # someone made one that serves
            try:
                if self.dialect == "postgresql":
                    if self._build_pg_index(name, columns):
                        created.append(name)
                    continue
                if ours:
                    continue
                statement = f"CREATE INDEX IF NOT EXISTS {name} ON events ({', '.join(columns)})"
                if size > SQLITE_INDEX_MAX_EVENTS:
                    logger.warning("events has about %d rows: not building %s while Rasa may be writing (it would "
                                   "hold the SQLite file's write lock); with Rasa stopped, run: %s", size, name,
                                   statement)
                    continue
                started = time.perf_counter()
                with self.engine.begin() as conn:
                    conn.execute(sa.text(statement))
                logger.info("created index %s on events in %.1f s", name, time.perf_counter() - started)
                created.append(name)
            except sa.exc.DBAPIError as error:  # no privilege, a lock not granted: the figures work without
                logger.warning("could not create index %s on events (the dashboard works without it; the next "
                               "console start tries again): %s", name, error)
        self._indexes_done = True
        return created

    def _build_pg_index(self, name: str, columns: tuple[str, ...]) -> bool:
        """CREATE INDEX CONCURRENTLY (outside a transaction: Rasa's inserts go on meanwhile); an index
        left invalid by a build that failed or was cancelled is dropped and built again."""
        with self.engine.connect() as conn:
            valid = conn.execute(sa.text(
                "SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
                "WHERE c.relname = :name AND c.relkind = 'i' AND pg_table_is_visible(c.oid)"), {"name": name}).scalar()
        if valid:
            return False
        if valid is False:  # invalid: left by a build that failed, or being built by another console now
            with self.engine.connect() as conn:
                building = conn.execute(sa.text(
                    "SELECT COUNT(*) FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.index_relid "
                    "WHERE c.relname = :name"), {"name": name}).scalar()
            if building:
                logger.info("index %s on events is being built by another session", name)
                return False
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("SET lock_timeout = '10s'"))
            try:
                if valid is False:
                    logger.warning("index %s on events is invalid (an interrupted build): building it again", name)
                    conn.execute(sa.text(f"DROP INDEX CONCURRENTLY IF EXISTS {name}"))
                started = time.perf_counter()
                conn.execute(sa.text(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON events "
                                     f"({', '.join(columns)})"))
            finally:
                conn.execute(sa.text("RESET lock_timeout"))
        logger.info("created index %s on events in %.1f s", name, time.perf_counter() - started)
        return True

    # -- keeping the ledger and rollups up to date ------------------------------------------------------

    def refresh(self) -> int:
        """Brings the ledger and the rollups up to date with `events`; the event ids read."""
        with self._lock:
            self._ensure_tables()
            with self.engine.connect() as conn:
                if not self._has_events(conn):
                    return 0
                held = conn.execute(sa.text(f"SELECT MAX(event_id) FROM {LEDGER_TABLE}")).scalar() or 0
                top = conn.execute(sa.text("SELECT MAX(id) FROM events")).scalar() or 0
            if not self._indexes_done:
                self.ensure_event_indexes()
            start = max(0, int(held) - REWIND_IDS)
            read = 0
            while start < top and not self._closing.is_set():
                end = min(int(top), start + FILL_BATCH)
                self._fill(_RANGE, {"lo": start, "hi": end})
                read += end - start
                start = end
            if time.monotonic() - self._checked_at >= CHECK_SECONDS:
                self._check()
                self._checked_at = time.monotonic()
            if read >= ANALYZE_AFTER_EVENTS and self.dialect == "postgresql":
                # the planner's statistics for the tables just filled (autovacuum would take a while)
                with self.engine.begin() as conn:
                    conn.exec_driver_sql(f"ANALYZE {LEDGER_TABLE}, {SERVICE_TABLE}, {ROLLUP_TABLE}, {COUNT_TABLE}")
            return read

    def _fill(self, where: str, params: dict) -> None:
        """One transaction: the events `where` selects into the ledger, and the rows it added (those
        already there are skipped) into the rollups."""
        gen = self._gen()
        values = {**_FILL_PARAMS, **params, "gen": gen, "sign": 1}
        with self.engine.begin() as conn:
            if self.dialect == "sqlite":  # a derived table: a commit need not wait for the disk (WAL)
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            for sql in _FILL[self.dialect]:
                conn.execute(sa.text(sql.format(where=where)), values)
            for sql in _roll_sql(self._bucket()):
                conn.execute(sa.text(sql), values)

    def _check(self) -> None:
        """Compares the seller messages settled in both tables; on a difference takes out the rows
        whose event is gone (a deleted conversation) and adds the missing ones."""
        settled = time.time() - SETTLED_SECONDS
        with self.engine.connect() as conn:
            in_events = conn.execute(sa.text(
                "SELECT COUNT(*) FROM events WHERE type_name = 'user' AND timestamp < :t"), {"t": settled}).scalar()
            held = conn.execute(sa.text(
                f"SELECT COUNT(*) FROM {LEDGER_TABLE} WHERE ts < :t AND kind <> {KIND_SLOT}"), {"t": settled}).scalar()
        if in_events != held:
            logger.info("dashboard ledger: %s seller messages in events, %s held: reconciling", in_events, held)
            self.reconcile()

    def reconcile(self) -> None:
        """The ledger rows whose event is gone come out of the rollups and the ledger; the events
        missing from the ledger go in."""
        self._take_out(f"NOT EXISTS (SELECT 1 FROM events e WHERE e.id = {LEDGER_TABLE}.event_id "
                       f"AND e.sender_id = {LEDGER_TABLE}.sender_id)", {})
        self._fill(_MISSING, {})

    def forget(self, sender_id: str) -> None:
        """Takes a conversation out of the ledger and the rollups at once (its sender id stays in
        none of the dashboard's tables): for erasing a seller's data, which would otherwise leave
        them at the next count check."""
        with self._lock:
            self._ensure_tables()
            self._take_out("sender_id = :sender", {"sender": sender_id})

    def _take_out(self, where: str, params: dict) -> None:
        gone = -self._gen()
        values = {**_FILL_PARAMS, **params, "gen": gone, "sign": -1}
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE {LEDGER_TABLE} SET gen = :gen WHERE {where}"), values)
            conn.execute(sa.text(f"UPDATE {SERVICE_TABLE} SET gen = :gen WHERE event_id IN "
                                 f"(SELECT event_id FROM {LEDGER_TABLE} WHERE gen = :gen)"), values)
            for sql in _roll_sql(self._bucket()):
                conn.execute(sa.text(sql), values)
            conn.execute(sa.text(f"DELETE FROM {SERVICE_TABLE} WHERE gen = :gen"), values)
            conn.execute(sa.text(f"DELETE FROM {LEDGER_TABLE} WHERE gen = :gen"), values)
            conn.execute(sa.text(f"DELETE FROM {ROLLUP_TABLE} WHERE messages = 0 AND requests = 0"))
            conn.execute(sa.text(f"DELETE FROM {COUNT_TABLE} WHERE n = 0"))

    # -- the figures ----------------------------------------------------------------------------------

    def summary(self, since: float | None = None, until: float | None = None, channel: str | None = None,
                offset: int | None = None, threshold: float = unanswered_mod.DEFAULT_THRESHOLD) -> dict:
        """The dashboard over [since, until) (default: the last DEFAULT_DAYS days), optionally one
        channel: totals, per day, per channel and per day × channel, top services and intents, the
        largest unanswered groups. Days are calendar days `offset` seconds east of UTC."""
        started = time.perf_counter()
        offset = tz_offset() if offset is None else int(offset)
        if since is None or until is None:
            default_since, default_until = default_range(offset)
            since = default_since if since is None else since
            until = default_until if until is None else until
        if until <= since:
            raise ValueError("结束时间应晚于开始时间")
        if until - since > MAX_DAYS * DAY_SECONDS:
            raise ValueError(f"时间范围最长 {MAX_DAYS} 天")
        channel = channel or None
        self.refresh()
        with self.engine.connect() as conn:
            has_events = self._has_events(conn)
        params = {"since": since, "until": until, "offset": offset, "threshold": threshold, "fallback": FALLBACK,
                  "oos": OUT_OF_SCOPE, "channel": channel, "since_early": since - _SAME_REQUEST_SECONDS,
                  "same": _SAME_REQUEST_SECONDS, "top": TOP, "b0": int(since // BUCKET), "b1": int(until // BUCKET),
                  "sample": UNANSWERED_SAMPLE}
        only = " AND channel = :channel" if channel else ""
        # The rollups serve ranges on their 15-minute steps at their threshold; any other, the ledger.
        rolled = (threshold == unanswered_mod.DEFAULT_THRESHOLD
                  and all(float(x) % BUCKET == 0 for x in (since, until, offset)))
        if rolled:
            source = (f"SELECT (bucket * CAST({BUCKET} AS BIGINT) + :offset) / {DAY_SECONDS} AS day, channel, sender_id, "
                      "SUM(messages) AS messages, SUM(fallback) AS fallback, SUM(oos) AS oos, SUM(low) AS low, "
                      f"SUM(requests) AS requests FROM {ROLLUP_TABLE} WHERE bucket >= :b0 AND bucket < :b1{only} "
                      "GROUP BY 1, 2, 3")
            counted = (f"SELECT value, SUM(n) AS n FROM {COUNT_TABLE} WHERE dimension = :dimension "
                       f"AND bucket >= :b0 AND bucket < :b1{only} GROUP BY value HAVING SUM(n) > 0 "
                       "ORDER BY n DESC, value LIMIT :top")
            intents_sql = services_sql = counted
        else:
            source = (f"SELECT {self._day()} AS day, channel, sender_id, {_message_sums()} FROM {LEDGER_TABLE} "
                      f"WHERE ts >= :since AND ts < :until{only} GROUP BY 1, 2, 3")
            intents_sql = (f"SELECT COALESCE(intent, '') AS value, COUNT(*) AS n FROM {LEDGER_TABLE} "
                           f"WHERE ts >= :since AND ts < :until AND kind = {KIND_MESSAGE}{only} GROUP BY 1 "
                           "ORDER BY n DESC, value LIMIT :top")
            services_sql = (f"SELECT service AS value, COUNT(*) AS n FROM {SERVICE_TABLE} WHERE ts >= :since "
                            f"AND ts < :until{only} GROUP BY service ORDER BY n DESC, service LIMIT :top")
        day = self._day()
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":  # the groupings of ~100,000 conversations stay in memory
                conn.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
            conversations = conn.execute(sa.text(_conversations_sql(source)), params).all()
            handoffs = conn.execute(sa.text(_handoffs_sql(day, only)), params).all()
            feedback = conn.execute(sa.text(_feedback_sql(day, " AND COALESCE(channel, '') = :channel"
                                                          if channel else "")), params).all()
            intents = conn.execute(sa.text(intents_sql), {**params, "dimension": "intent"}).all()
            services = conn.execute(sa.text(services_sql), {**params, "dimension": "service"}).all()
            unanswered_rows = conn.execute(sa.text(
                f"SELECT e.sender_id, e.timestamp, e.data FROM {LEDGER_TABLE} m JOIN events e ON e.id = m.event_id "
                f"WHERE m.kind = {KIND_MESSAGE} AND m.ts >= :since AND m.ts < :until"
                f"{' AND m.channel = :channel' if channel else ''} "
                "AND (m.intent IN (:fallback, :oos) OR m.confidence < :threshold) "
                "ORDER BY m.ts DESC, m.event_id DESC LIMIT :sample"), params).all() if has_events else []
        result = self._assemble(since, until, offset, channel, conversations, handoffs, feedback)
        result.update(threshold=threshold, definitions=definitions(threshold))
        result["top_intents"] = [{"intent": r.value or None, "messages": int(r.n)} for r in intents]
        result["top_services"] = [{"service": r.value, "messages": int(r.n)} for r in services]
        result["unanswered_groups"], result["unanswered_sample"] = _unanswered_groups(unanswered_rows, threshold)
        result["computed_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return result

    def _assemble(self, since: float, until: float, offset: int, channel: str | None,
                  conversations, handoffs, feedback) -> dict:
        first, last = day_number(since, offset), day_number(until - 1e-6, offset)
        days = {d: _empty() for d in range(first, last + 1)}
        cells: dict[tuple[int, str], dict] = {}
        by_channel: dict[str, dict] = {}
        totals = _empty()

        def cell(d: int, ch: str) -> dict:
            return cells.setdefault((d, ch), _empty())

        def place(level: str, d, ch) -> dict:
            if level == "dc":
                return cell(int(d), ch)
            if level == "d":
                return days.setdefault(int(d), _empty())
            if level == "c":
                return by_channel.setdefault(ch, _empty())
            return totals

        for r in conversations:  # per day × channel, added up per day, per channel and in total; the
            if r.level == "dc":  # conversations per channel over the range (one a channel), added up in total
                counts = {"messages": int(r.messages or 0), "fallback": int(r.fallback or 0),
                          "out_of_scope": int(r.oos or 0), "low_confidence": int(r.low or 0),
                          "conversations": int(r.conversations or 0), "contained": int(r.contained or 0)}
                targets = [cell(int(r.day), r.channel), days.setdefault(int(r.day), _empty())]
                spread = {k: v for k, v in counts.items() if k not in ("conversations", "contained")}
                for target in (by_channel.setdefault(r.channel, _empty()), totals):
                    for key, value in spread.items():
                        target[key] += value
            else:
                counts = {"conversations": int(r.conversations or 0), "contained": int(r.contained or 0)}
                targets = [by_channel.setdefault(r.channel, _empty()), totals]
            for target in targets:
                for key, value in counts.items():
                    target[key] += value
        for r in handoffs:
            level = r.level.rstrip("m")
            target = place(level, r.day, r.channel)
            if r.level.endswith("m"):
                target["wait_median_s"] = r.wait_median
            else:
                target.update(handoffs=int(r.handoffs or 0), taken=int(r.taken or 0), wait_avg_s=r.wait_avg)
        for r in feedback:  # additive: summed up here
            counts = {"feedback_up": int(r.up or 0), "feedback_down": int(r.down or 0)}
            reasons = {reason: int(getattr(r, f"reason_{reason}") or 0) for reason in FEEDBACK_REASONS}
            for target in (cell(int(r.day), r.channel), days.setdefault(int(r.day), _empty()),
                           by_channel.setdefault(r.channel, _empty()), totals):
                for key, value in counts.items():
                    target[key] += value
                for reason, value in reasons.items():
                    target["reasons"][reason] += value
        seen = sorted({ch for _, ch in cells} | set(by_channel))
        grid = []  # every day × every channel with data in the range (one CSV row each)
        for d in sorted(days):
            for ch in seen:
                grid.append({"date": day_label(d), "channel": ch, **_finish(cells.get((d, ch)) or _empty())})
        return {
            "since": since, "until": until, "since_iso": iso(since), "until_iso": iso(until),
            "tz_offset_minutes": offset // 60, "channel": channel,
            "channels": sorted(set(CHANNELS) | {ch for ch in seen if ch}),
            "totals": _finish(totals),
            "days": [{"date": day_label(d), **_finish(f)} for d, f in sorted(days.items()) if first <= d <= last],
            "by_channel": [{"channel": ch, **_finish(by_channel[ch])} for ch in sorted(by_channel)],
            "by_day_channel": grid,
        }

    # -- the feedback tab -----------------------------------------------------------------------------

    def feedback_list(self, since: float | None = None, until: float | None = None, handled: bool | None = None,
                      limit: int = 200) -> list[dict]:
        """The 👎 rows, newest first (the triage list)."""
        return [_feedback_item(row) for row in self.feedback.negative(since, until, handled, limit)]

    def feedback_count(self, since: float | None = None, until: float | None = None,
                       handled: bool | None = None) -> int:
        """How many 👎 rows the triage list's filters match (the list itself is limited)."""
        f = FEEDBACK
        query = negative_where(sa.select(sa.func.count()).select_from(f), since, until, handled)
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(f.name):
                return 0
            return int(conn.execute(query).scalar() or 0)

    def mark_handled(self, feedback_id: int, by: str | None, handled: bool = True) -> dict | None:
        if not self.feedback.mark_handled(feedback_id, by, handled):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(FEEDBACK).where(FEEDBACK.c.id == feedback_id)).first()
        return None if row is None else _feedback_item(dict(row._mapping))

    def feedback_groups(self, kind: str, since: float | None = None, until: float | None = None,
                        handled: bool | None = None) -> list[dict]:
        """The 👎 questions of one kind grouped by wording, as the unanswered tab groups its questions
        (unanswered.to_csv writes them): `training` — 答非所问, the question was taken for another one,
        an example to label; `gap` — every other 👎 (信息不对, 看不懂, 其他, no reason), what the
        answers lack. The intent and confidence are the rated message's, looked up in `events`."""
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"kind 应为 {' 或 '.join(FEEDBACK_KINDS)}")
        rows = [r for r in self.feedback.negative(since, until, handled, EXPORT_LIMIT)
                if (r["reason"] in TRAINING_REASONS) == (kind == "training") and (r["question"] or "").strip()]
        items = []
        with self.engine.connect() as conn:
            has_events = self._has_events(conn)
            for r in rows:
                found = _rated_message(conn, r) if has_events else None
                message = found or UserMessage(r["sender_id"], r["ts"], r["question"], None, None, [], r["channel"])
                items.append((UserMessage(r["sender_id"], r["ts"], r["question"], message.intent, message.confidence,
                                          message.ranking, r["channel"]), r["reason"] or NO_REASON))
        return unanswered_mod.group_by_wording(items)


def _feedback_item(row: dict) -> dict:
    return {**row, "ts_iso": iso(row["ts"]), "handled_iso": iso(row["handled_at"]),
            "reason_label": FEEDBACK_REASON_LABELS.get(row["reason"] or "", "未选")}


def _rated_message(conn, row: dict) -> UserMessage | None:
    """The seller's message a rating is about: among the conversation's last messages up to the
    rating, the one with the rated question's text (the index on sender_id, timestamp finds them)."""
    found = conn.execute(sa.text(
        "SELECT sender_id, timestamp, data FROM events WHERE sender_id = :sender AND type_name = 'user' "
        "AND timestamp <= :ts ORDER BY timestamp DESC LIMIT 10"), {"sender": row["sender_id"], "ts": row["ts"]}).all()
    wanted = row["question"].strip()
    for r in found:
        message = user_message(r.sender_id, r.timestamp, json.loads(r.data or "{}"))
        if message.text.strip() == wanted:
            return message
    return None


def _unanswered_groups(rows, threshold: float) -> tuple[list[dict], dict]:
    messages = [user_message(r.sender_id, r.timestamp, json.loads(r.data or "{}")) for r in rows]
    groups = unanswered_mod.group(messages, threshold)
    top = [{"text": mask(g["text"]), "count": g["count"], "conversations": g["conversations"], "reasons": g["reasons"],
            "intents": g["intents"], "variants": len(g["variants"]), "last_iso": g["last_iso"]}
           for g in groups[:GROUPS]]
    return top, {"messages": len(messages), "limit": UNANSWERED_SAMPLE, "complete": len(messages) < UNANSWERED_SAMPLE,
                 "groups": len(groups)}


def to_csv(summary: dict) -> str:
    """One row per day × channel with every figure (the dashboard's 导出 CSV)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in summary["by_day_channel"]:
        writer.writerow([row["date"], unanswered_mod._cell(row["channel"] or ""),
                         *("" if row[k] is None else row[k] for k in FIGURES),
                         *(row["reasons"][r] for r in FEEDBACK_REASONS)])
    return out.getvalue()

