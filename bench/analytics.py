"""The staff dashboard's figures on a big tracker store: how long does `Analytics.summary()` take for
a 30-day range of N conversations, on SQLite and on PostgreSQL?

It writes N generated conversations (default 100,000) straight into a fresh database, in bulk
(executemany batches on SQLite, COPY on PostgreSQL; not through Rasa), with the rows Rasa's
SQLTrackerStore writes — `events` with the same columns and JSON as Rasa 3.6's (a seller message's
data about 1.4 kB: parse data with a 10-intent ranking, entities, tokens) — spread over 30 days:
1–6 seller messages each (about 3 on average), channels rest / socketio / wechat, some nlu_fallback,
out_of_scope and low-confidence messages, `service` entities, 5 % asking for a human (most taken
by an agent: `staff_audit` take rows), 👍/👎 ratings (`feedback` rows, with reasons). Then it builds
the console's indexes on `events`, times the first `summary()` (which also fills the dashboard's
table from scratch), and times `summary()` over the 30 days three more times (the median is the
figure; the goal is under 1 s for 100,000 conversations). One JSON line goes to stdout.

    .venv/bin/python bench/analytics.py                       # SQLite (a temp file) and PostgreSQL
    .venv/bin/python bench/analytics.py --conversations 20000 --backends sqlite

PostgreSQL is a throwaway server of tests/support/postgres.py (needs the Debian package:
`scripts/system_deps.sh postgresql`, as root).
"""
from __future__ import annotations

import argparse
import csv
import heapq
import io
import itertools
import json
import logging
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from staff.analytics import Analytics  # noqa: E402
from staff.feedback import FEEDBACK  # noqa: E402
from staff.store import AUDIT, EVENTS  # noqa: E402

DAYS = 30
END = 1_779_984_000.0  # a fixed "now", so runs compare: 2026-05-29 00:00 at UTC+8 (the range is whole days)
OFFSET = 8 * 3600
CHANNELS = (("socketio", 0.5), ("wechat", 0.3), ("rest", 0.2))
MESSAGES = ((1, 0.2), (2, 0.25), (3, 0.2), (4, 0.15), (5, 0.1), (6, 0.1))
INTENTS = ["ask_service", "compare_services", "ask_why", "inform", "help", "out_of_scope", "request_human", "deny",
           "start_over", "ask_stage_services", "affirm", "greet"]
SERVICES = ["AWD", "AGL", "SEND", "FBA", "MCF", "FIST", "PCP", "MCD", "AMS"]
QUESTIONS = ["{s}仓储费多少？", "{s}怎么收费", "{s}运输时效多久", "{s}支持哪些站点", "{s}和FBA有什么区别",
             "我该用{s}吗", "{s}能不能上门提货", "{s}的入库要求是什么"]
UNANSWERED = ["这个怎么退税啊？", "今天天气怎么样", "你们支持比特币付款吗", "怎么注册美国公司", "亚马逊物流的退货怎么处理",
              "帮我写个listing", "关税怎么算", "可以开发票吗"]
REASONS = ("irrelevant", "wrong", "unclear", "other", None)
METADATA = {"model_id": "03f428ab16384880b4268d8cc9da04cb", "assistant_id": "amazon-supply-chain-assistant"}
BOT_TEXT = ("AWD 仓储费 $0.48/立方英尺/月，可享折扣低至 $0.38；入库配置服务费另计。亚马逊智能仓储分销服务"
            "（AWD）适合大批量备货的卖家。\n「来源：1.4.1」")


def pick(rng: random.Random, weighted) -> object:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


class Generator:
    """Rows as Rasa's SQLTrackerStore writes them (id, sender_id, type_name, timestamp, intent_name,
    action_name, data), plus staff_audit and feedback rows."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.audit: list[dict] = []
        self.feedback: list[dict] = []
        self.messages = 0

    def _row(self, sender: str, type_name: str, ts: float, data: dict, intent: str | None = None,
             action: str | None = None, metadata: dict | None = None) -> tuple:
        """An event without its id (ids are given in time order, as Rasa's inserts get them)."""
        event = {"event": type_name, "timestamp": ts, "metadata": metadata or METADATA, **data}
        return (sender, type_name, ts, intent, action, json.dumps(event))

    def _user(self, sender: str, ts: float, channel: str, text: str, intent: str, confidence: float,
              services: list[str]) -> tuple:
        rng = self.rng
        others = rng.sample([i for i in INTENTS if i != intent], 9)
        rest = [(1 - confidence) * w for w in sorted((rng.random() for _ in others), reverse=True)]
        total = sum(rest) or 1.0
        ranking = [{"name": intent, "confidence": confidence}] + [
            {"name": name, "confidence": (1 - confidence) * r / total} for name, r in zip(others, rest, strict=True)]
        entities = [{"entity": "service", "value": s, "start": 0, "end": len(s), "extractor": "KnowledgeEntityExtractor"}
                    for s in services]
        if rng.random() < 0.4:
            entities.append({"entity": "attribute", "value": "fee", "start": len(text) - 4, "end": len(text) - 1,
                             "extractor": "KnowledgeEntityExtractor"})
        message_id = uuid.UUID(int=rng.getrandbits(128)).hex
        parse = {"intent": {"name": intent, "confidence": confidence}, "entities": entities, "text": text,
                 "message_id": message_id, "metadata": {},
                 "text_tokens": [[i, i + 2] for i in range(0, len(text) - 1, 2)], "intent_ranking": ranking}
        self.messages += 1
        return self._row(sender, "user", ts, {"text": text, "parse_data": parse, "input_channel": channel,
                                               "message_id": message_id}, intent=intent)

    def _action(self, sender: str, ts: float, name: str, policy: str | None = "RulePolicy") -> tuple:
        return self._row(sender, "action", ts, {"name": name, "policy": policy, "confidence": 1.0,
                                                 "action_text": None, "hide_rule_turn": False}, action=name)

    def _slot(self, sender: str, ts: float, name: str, value) -> tuple:
        return self._row(sender, "slot", ts, {"name": name, "value": value}, action=name)

    def _bot(self, sender: str, ts: float, text: str, staff: str | None = None) -> tuple:
        buttons = [{"title": "AWD 费用", "payload": '/ask_service{"service":"AWD","attribute":"fee"}'}]
        return self._row(sender, "bot", ts, {"text": text, "data": {
            "elements": None, "quick_replies": None, "buttons": buttons, "attachment": None, "image": None,
            "custom": None}}, metadata={**METADATA, **({"staff": staff} if staff else {})})

    def conversation(self, start: float) -> Iterator[tuple]:
        rng = self.rng
        channel = str(pick(rng, CHANNELS))
        sender = ("o" + uuid.UUID(int=rng.getrandbits(128)).hex[:27]) if channel == "wechat" else uuid.UUID(
            int=rng.getrandbits(128)).hex
        ts = start
        yield self._action(sender, ts, "action_session_start", None)
        yield self._row(sender, "session_started", ts, {})
        yield self._action(sender, ts, "action_listen", None)
        turns = int(pick(rng, MESSAGES))  # type: ignore[call-overload]
        handoff_at = rng.randrange(turns) if rng.random() < 0.05 else None
        for n in range(turns):
            ts += rng.uniform(8, 120)
            roll = rng.random()
            services: list[str] = []
            if n == handoff_at:
                text, intent, confidence = "我要找人工客服", "request_human", rng.uniform(0.85, 0.99)
            elif roll < 0.08:
                text, intent, confidence = rng.choice(UNANSWERED), "nlu_fallback", rng.uniform(0.2, 0.3)
            elif roll < 0.13:
                text, intent, confidence = rng.choice(UNANSWERED), "out_of_scope", rng.uniform(0.6, 0.95)
            elif roll < 0.20:
                service = rng.choice(SERVICES)
                text, intent, confidence = rng.choice(QUESTIONS).format(s=service), "ask_service", rng.uniform(0.3, 0.6)
                services = [service]
            else:
                service = rng.choice(SERVICES)
                text, intent, confidence = rng.choice(QUESTIONS).format(s=service), rng.choice(
                    ("ask_service", "ask_service", "ask_service", "compare_services", "ask_why")), rng.uniform(0.75, 0.99)
                services = [service] + ([rng.choice(SERVICES)] if rng.random() < 0.2 else [])
            yield self._user(sender, ts, channel, text, intent, confidence, services)
            yield self._row(sender, "user_featurization", ts + 0.01, {"use_text_for_featurization": False})
            yield self._action(sender, ts + 0.02, "action_respond")
            yield self._bot(sender, ts + 0.03, BOT_TEXT)
            yield self._slot(sender, ts + 0.03, "focus", {"services": services, "attribute": "fee"})
            if n == handoff_at:
                yield self._slot(sender, ts + 0.03, "handoff", "requested")
                if rng.random() < 0.8:
                    taken = ts + rng.uniform(30, 1800)
                    self.audit.append({"sender_id": sender, "action": "take", "actor": "小王", "text": None, "ts": taken})
            yield self._action(sender, ts + 0.04, "action_listen", None)
            if rng.random() < 0.05:  # a rating right after the answer
                up = rng.random() < 0.7
                ts += rng.uniform(3, 20)
                yield self._user(sender, ts, channel, "👍" if up else "👎", "feedback", 0.99, [])
                self.feedback.append({"sender_id": sender, "ts": ts, "channel": channel, "rating": "up" if up else "down",
                                      "reason": None if up else rng.choice(REASONS), "note": None, "question": text,
                                      "answer": BOT_TEXT, "section": "1.4.1", "handled_at": None, "handled_by": None})

    def rows(self, conversations: int, end: float = END, days: int = DAYS) -> Iterator[tuple]:
        """Every event of the conversations, ordered by time across conversations and numbered in that
        order: a conversation's events wait in a heap until the clock passes them."""
        starts = sorted(end - days * 86400 + self.rng.uniform(0, days * 86400 - 900) for _ in range(conversations))
        pending: list[tuple] = []
        order = itertools.count()
        next_id = itertools.count(1)
        for start in starts:
            while pending and pending[0][0] <= start:
                yield (next(next_id), *heapq.heappop(pending)[2])
            for row in self.conversation(start):
                heapq.heappush(pending, (row[2], next(order), row))
        while pending:
            yield (next(next_id), *heapq.heappop(pending)[2])


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


COLUMNS = ("id", "sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


def build(engine: sa.engine.Engine, conversations: int, seed: int) -> dict:
    """The tables as Rasa and the console create them, filled in bulk."""
    started = time.perf_counter()
    EVENTS.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)"))  # Rasa's own
    AUDIT.metadata.create_all(engine)
    FEEDBACK.metadata.create_all(engine)
    generator = Generator(seed)
    events = 0
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for batch in _batches(generator.rows(conversations), 50_000):
                buffer = io.StringIO()
                csv.writer(buffer).writerows(batch)
                buffer.seek(0)
                cursor.copy_expert(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", buffer)
                events += len(batch)
            raw.commit()
        finally:
            raw.close()
    else:
        insert = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        raw = engine.raw_connection()
        try:
            for batch in _batches(generator.rows(conversations), 20_000):
                raw.cursor().executemany(insert, batch)
                events += len(batch)
            raw.commit()
        finally:
            raw.close()
    with engine.begin() as conn:
        if generator.audit:
            conn.execute(sa.insert(AUDIT), generator.audit)
        if generator.feedback:
            conn.execute(sa.insert(FEEDBACK), generator.feedback)
    if engine.dialect.name == "postgresql":  # what autovacuum does to a table this size in production
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE events"))
    return {"events": events, "seller_messages": generator.messages, "handoff_takes": len(generator.audit),
            "feedback_rows": len(generator.feedback), "build_s": round(time.perf_counter() - started, 1)}


def _median_s(work, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3), [round(t, 3) for t in times]


def measure(engine: sa.engine.Engine, runs: int = 3) -> dict:
    """The console's indexes, the first summary (the ledger and rollups filled from nothing), then
    the 30 days as the page asks for them (whole days at UTC+8: the rollups), one channel, and a range
    that does not start on a 15-minute step (the ledger)."""
    analytics = Analytics(engine)
    started = time.perf_counter()
    created = analytics.ensure_event_indexes()
    indexes_s = time.perf_counter() - started
    since, until = END - DAYS * 86400, END
    started = time.perf_counter()
    first = analytics.summary(since, until, offset=OFFSET)
    first_s = time.perf_counter() - started
    median, runs_s = _median_s(lambda: analytics.summary(since, until, offset=OFFSET), runs)
    result = analytics.summary(since, until, offset=OFFSET)
    assert result["totals"] == first["totals"]
    channel_median, _ = _median_s(lambda: analytics.summary(since, until, channel="wechat", offset=OFFSET), runs)
    odd = since + 7 * 60
    ledger_median, _ = _median_s(lambda: analytics.summary(odd, until, offset=OFFSET), runs)
    direct = direct_scan(engine, since, until)
    totals = result["totals"]
    return {"indexes_created": created, "indexes_s": round(indexes_s, 2),
            "first_summary_s": round(first_s, 2), "summary_median_s": median, "summary_runs_s": runs_s,
            "channel_summary_median_s": channel_median, "ledger_summary_median_s": ledger_median,
            "direct_json_scan_s": round(direct, 2),
            "totals": {k: totals[k] for k in ("conversations", "messages", "answered", "unanswered", "containment",
                                              "handoffs", "taken", "wait_median_s", "feedback_up", "feedback_down")}}


def direct_scan(engine: sa.engine.Engine, since: float, until: float) -> float:
    """For comparison: one query reading the channel and confidence from `events.data` over the range
    (what the dashboard's table saves each view)."""
    if engine.dialect.name == "postgresql":
        sql = ("SELECT j ->> 'input_channel', COUNT(*), SUM(CASE WHEN CAST(j #>> '{parse_data,intent,confidence}' "
               "AS double precision) < 0.6 THEN 1 ELSE 0 END) FROM (SELECT CAST(data AS jsonb) AS j FROM events "
               "WHERE type_name = 'user' AND timestamp >= :since AND timestamp < :until) AS x GROUP BY 1")
    else:
        sql = ("SELECT json_extract(data, '$.input_channel'), COUNT(*), SUM(json_extract(data, "
               "'$.parse_data.intent.confidence') < 0.6) FROM events WHERE type_name = 'user' "
               "AND timestamp >= :since AND timestamp < :until GROUP BY 1")
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(sa.text(sql), {"since": since, "until": until}).all()
    return time.perf_counter() - started


def run_sqlite(conversations: int, seed: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        path = Path(tmp) / "tracker.db"
        engine = sa.create_engine(f"sqlite:///{path}", future=True)
        try:
            with engine.connect() as conn:  # as Rasa's connections are (addons/patches/sqlite_wal.py)
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            built = build(engine, conversations, seed)
            result = {**built, **measure(engine, runs)}
            result["database_mb"] = round(path.stat().st_size / 1e6)
        finally:
            engine.dispose()
    return result


def run_postgresql(conversations: int, seed: int, runs: int) -> dict:
    from tests.support.postgres import start_postgres

    server = start_postgres()
    try:
        engine = sa.create_engine(server.create_database("bench_analytics"), future=True)
        try:
            built = build(engine, conversations, seed)
            result = {**built, **measure(engine, runs)}
            with engine.connect() as conn:
                result["database_mb"] = round(conn.execute(sa.text(
                    "SELECT pg_database_size(current_database())")).scalar() / 1e6)
        finally:
            engine.dispose()
    finally:
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    out: dict = {"bench": "analytics", "conversations": args.conversations, "days": DAYS}
    for backend in args.backends:
        print(f"{backend}: building {args.conversations} conversations …", file=sys.stderr)
        out[backend] = (run_sqlite if backend == "sqlite" else run_postgresql)(args.conversations, args.seed, args.runs)
        print(f"{backend}: {json.dumps(out[backend], ensure_ascii=False)}", file=sys.stderr)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
