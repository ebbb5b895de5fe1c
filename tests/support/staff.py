"""The staff console's test material: tracker stores seeded by talking to the real assistant and by
writing events with Rasa's own SQLTrackerStore (conversations on a fixed day, for the time-range
tests), and the web server (web/server.py with the staff API) on such a store. The fixtures that hold
them for the session are in tests/staff/conftest.py."""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support.servers import LOGS, ROOT, free_port, runtime_config, start_assistant, wait_for

# The tracker store backends the console is tested on; PostgreSQL needs its Debian package.
BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.system)]

# The fixed day the synthetic conversations happened on (UTC), for the time-range tests.
DAY = datetime(2024, 3, 1, tzinfo=timezone.utc).timestamp()
WINDOW = ("2024-03-01T00:00:00+00:00", "2024-03-02T00:00:00+00:00")


# -- seeding -------------------------------------------------------------------------------------


@dataclass
class Seed:
    backend: str
    url: str
    tag: str
    fee_sender: str  # asked "AWD仓储费多少？" over the web
    handoff_sender: str  # a WeChat-style OpenID that asked for a human
    oos_sender: str  # asked about the weather
    restart_sender: str  # asked "AWD是什么"; continued after Rasa restarts
    old_handoff: str  # synthetic, on DAY
    reopen_handoff: str  # synthetic, on DAY; the test asks again later
    slot_handoff: str  # synthetic, on DAY: only the slot handoff=requested marks the request
    unanswered_senders: tuple
    synthetic: dict = field(default_factory=dict)  # sender → the events written for it

    @property
    def env(self) -> dict:
        return {"TRACKER_DB_URL": self.url}


def tracker_store(url: str):
    """Rasa's own SQLTrackerStore on the URL, configured as scripts/runtime_config.py configures Rasa."""
    from rasa.core.tracker_store import SQLTrackerStore

    config = dict(runtime_config.tracker_store({"TRACKER_DB_URL": url}))
    config.pop("type")
    if "url" in config:
        config["host"] = config.pop("url")
    return SQLTrackerStore(domain=None, **config)


def user(text: str, ts: float, intent: str, confidence: float, ranking: list | None = None):
    from rasa.shared.core.events import UserUttered

    ranking = ranking or [{"name": intent, "confidence": confidence}]
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [],
             "intent_ranking": ranking}
    return UserUttered(text, intent={"name": intent, "confidence": confidence}, parse_data=parse,
                       timestamp=ts, input_channel="socketio")


def turn(text: str, ts: float, intent: str, confidence: float, action: str, reply: str, ranking=None,
         slots: dict | None = None) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

    events = [user(text, ts, intent, confidence, ranking),
              ActionExecuted(action, policy="RulePolicy", confidence=1.0, timestamp=ts + 0.1),
              BotUttered(reply, timestamp=ts + 0.2)]
    events += [SlotSet(k, v, timestamp=ts + 0.3) for k, v in (slots or {}).items()]
    return events + [ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0, timestamp=ts + 0.4)]


def session_start(ts: float) -> list:
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    return [ActionExecuted("action_session_start", timestamp=ts), SessionStarted(timestamp=ts),
            ActionExecuted("action_listen", timestamp=ts)]


def save(url: str, sender: str, events: list) -> None:
    """Writes a conversation with Rasa's SQLTrackerStore (only the events it does not have yet)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    store = tracker_store(url)
    try:
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    finally:
        store.engine.dispose()


def append(url: str, sender: str, events: list) -> None:
    """Adds events to a stored conversation as Rasa does: its tracker, updated, saved."""
    store = tracker_store(url)

    async def run():
        tracker = await store.retrieve(sender)
        for event in events:
            tracker.update(event)
        await store.save(tracker)

    try:
        asyncio.run(run())
    finally:
        store.engine.dispose()


FALLBACK_RANKING = [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "ask_service", "confidence": 0.31},
                    {"name": "out_of_scope", "confidence": 0.2}]
UNANSWERED_A = [  # (minutes after DAY 10:00, text, intent, confidence)
    (0, "这个怎么退税啊？", "nlu_fallback", 0.45),
    (1, "这个怎么退税？", "ask_service", 0.30),
    (2, "亚马逊物流的退货怎么处理", "out_of_scope", 0.70),
    (3, "AWD仓储费多少？", "ask_service", 0.97),
]
UNANSWERED_B = [
    (10, "這個怎麼退稅", "nlu_fallback", 0.45),
    (11, "亚马逊物流退货怎么处理呢", "nlu_fallback", 0.45),
    (12, "你们支持比特币付款吗", "out_of_scope", 0.92),
    (13, "FBA 配送费怎么算", "ask_service", 0.55),
]


def seed(backend: str, url: str) -> Seed:
    tag = uuid.uuid4().hex[:8]
    s = Seed(backend, url, tag, fee_sender=f"web-{tag}-fee", handoff_sender=f"oWx{tag}Handoff",
             oos_sender=f"web-{tag}-weather", restart_sender=f"web-{tag}-restart",
             old_handoff=f"syn-{tag}-old-handoff", reopen_handoff=f"syn-{tag}-reopen",
             slot_handoff=f"syn-{tag}-slot-handoff",
             unanswered_senders=(f"syn-{tag}-ua-a", f"syn-{tag}-ua-b"))
    # 1. Real conversations with the real assistant on this tracker store.
    bot = start_assistant(extra_env=s.env)
    try:
        assert "0.48" in bot.reply("AWD仓储费多少？", s.fee_sender)
        bot.reply("AWD是什么", s.handoff_sender)
        assert "人工" in bot.reply("我要找人工客服", s.handoff_sender)
        bot.reply("今天天气怎么样", s.oos_sender)
        assert "仓储和分销" in bot.reply("AWD是什么", s.restart_sender)
    finally:
        bot.stop()
    # 2. Conversations on a fixed day in the past, written with Rasa's tracker store classes.
    day10 = DAY + 10 * 3600
    handoff_reply = "好的，已为你转接人工客服。"
    s.synthetic[s.old_handoff] = session_start(day10) + turn(
        "帮我转人工", day10 + 60, "request_human", 0.98, "action_handoff", handoff_reply, slots={"handoff": "requested"})
    s.synthetic[s.reopen_handoff] = session_start(day10 + 3600) + turn(
        "我要人工客服", day10 + 3660, "request_human", 0.99, "action_handoff", handoff_reply,
        slots={"handoff": "requested"})
    s.synthetic[s.slot_handoff] = session_start(day10 + 3 * 3600) + turn(
        "客服在吗", day10 + 3 * 3600 + 60, "affirm", 0.9, "action_smalltalk", "在的。", slots={"handoff": "requested"})
    for sender, rows in zip(s.unanswered_senders, (UNANSWERED_A, UNANSWERED_B), strict=True):
        events = session_start(day10 + rows[0][0] * 60 - 1)
        for minute, text, intent, confidence in rows:
            ranking = FALLBACK_RANKING if intent == "nlu_fallback" else None
            action = {"nlu_fallback": "action_unsure", "out_of_scope": "action_out_of_scope"}.get(intent,
                                                                                                 "action_answer_service")
            events += turn(text, day10 + minute * 60, intent, confidence, action, "（回复）", ranking)
        s.synthetic[sender] = events
    for sender, events in s.synthetic.items():
        save(url, sender, events)
    return s


# -- the console web server ---------------------------------------------------------------------


@dataclass
class Console:
    url: str
    token: str
    process: subprocess.Popen
    assistant: Any = None  # the assistant started for it, stopped with it
    rasa_token: str = ""  # its HTTP API's token
    admin_token: str = ""  # STAFF_ADMIN_TOKEN: the audit, revealing personal data

    def request(self, path: str, method: str = "GET", token: str | None = "", body=None,
                headers: dict | None = None, params: dict | None = None, data: bytes | None = None):
        """(status, headers, parsed JSON or text); token "" = the right one, None = no header."""
        from urllib.parse import urlencode

        url = self.url + path + (("?" + urlencode(params)) if params else "")
        all_headers = dict(headers or {})
        token = self.token if token == "" else token
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:  # raw bytes: a malformed body as a client might send it
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, response_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, raw = error.code, error.headers, error.read()
        text = raw.decode("utf-8")
        if response_headers.get("Content-Type", "").startswith("application/json"):
            return status, response_headers, json.loads(text)
        return status, response_headers, text

    def get(self, path: str, **params):
        status, _, body = self.request(path, params={k: v for k, v in params.items() if v is not None})
        assert status == 200, (status, body)
        return body

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.assistant is not None:
            self.assistant.stop()


def start_console(seed_: Seed) -> Console:
    """The console on a seeded store, with an assistant of its own on that store behind it: taking a
    conversation over goes through Rasa's HTTP API (staff/takeover.py)."""
    token = secrets.token_urlsafe(16)
    bot = start_assistant(extra_args=("--enable-api", f"--auth-token={token}"), extra_env=seed_.env,
                          web_origin=f"http://localhost:{free_port()}")
    try:
        console = start_console_for(bot, token)
    except Exception:
        bot.stop()
        raise
    console.assistant, console.rasa_token = bot, token
    return console


def start_console_for(assistant, token: str) -> Console:
    """The web server with the console in front of a running assistant: its database, and its HTTP
    API (started with --enable-api --auth-token=`token`) for taking over conversations."""
    return start_web({"TRACKER_DB_URL": assistant.env["TRACKER_DB_URL"], "RASA_URL": assistant.url,
                      "CHAT_SOCKET_URL": assistant.url,
                      "RASA_AUTH_TOKEN": token, "WEB_ORIGIN": assistant.web_origin,
                      **{k: v for k, v in assistant.env.items() if k.startswith(("WECHAT_", "HANDOFF_"))}},
                     f"takeover-{assistant.tag}", port=int(assistant.web_origin.rsplit(":", 1)[1]))


def start_web(extra_env: dict, tag: str, port: int | None = None) -> Console:
    port = port or free_port()
    token, admin = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STAFF_TOKEN": token, "STAFF_ADMIN_TOKEN": admin,
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", **extra_env}
    log = open(LOGS / f"staff-web-{tag}.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "web.server", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    console = Console(f"http://127.0.0.1:{port}", token, process, admin_token=admin)
    try:
        wait_for(f"{console.url}/staff", timeout=60, process=process)
        deadline = time.time() + 60  # the knowledge base loads in the background at start
        while time.time() < deadline:
            status, _, _ = console.request("/staff/api/knowledge/options")
            if status == 200:
                break
            time.sleep(0.5)
    except Exception:
        console.stop()
        raise
    return console


# -- the dashboard's synthetic conversations (tests/staff/test_analytics*.py) -----------------------

# Three calendar days at UTC+8 (the console's sellers' and agents' time zone), 2024-04-01 … 04-03.
ANALYTICS_OFFSET = 8 * 3600
ANALYTICS_DAY = datetime(2024, 4, 1, tzinfo=timezone(timedelta(hours=8))).timestamp()
ANALYTICS_RANGE = (ANALYTICS_DAY, ANALYTICS_DAY + 3 * 86400)
ANALYTICS_DATES = ("2024-04-01", "2024-04-02", "2024-04-03")


def user_on(text: str, ts: float, intent: str, confidence: float, channel: str, services: tuple = (),
            ranking: list | None = None):
    """A seller's message on `channel` with `service` entities, as Rasa records it."""
    from rasa.shared.core.events import UserUttered

    ranking = ranking or [{"name": intent, "confidence": confidence}]
    entities = [{"entity": "service", "value": s, "start": 0, "end": len(s), "extractor": "KnowledgeEntityExtractor"}
                for s in services]
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities,
             "intent_ranking": ranking}
    return UserUttered(text, intent={"name": intent, "confidence": confidence}, entities=entities, parse_data=parse,
                       timestamp=ts, input_channel=channel)


def turn_on(text: str, ts: float, intent: str, confidence: float, channel: str, services: tuple = (),
            slots: dict | None = None, ranking: list | None = None) -> list:
    """One exchange on `channel`: the message, action_respond and its reply, the slots it set."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

    events = [user_on(text, ts, intent, confidence, channel, services, ranking),
              ActionExecuted("action_respond", policy="RulePolicy", confidence=1.0, timestamp=ts + 0.1),
              BotUttered(f"（回复：{text}）", timestamp=ts + 0.2)]
    events += [SlotSet(k, v, timestamp=ts + 0.3) for k, v in (slots or {}).items()]
    return events + [ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0, timestamp=ts + 0.4)]


def insert_rows(url: str, table, rows: list[dict]) -> None:
    """Rows straight into one of the console's tables (staff_audit with chosen times)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, future=True)
    try:
        table.metadata.create_all(engine, checkfirst=True)
        with engine.begin() as conn:
            conn.execute(sa.insert(table), rows)
    finally:
        engine.dispose()


@dataclass
class AnalyticsScenario:
    """Who is in the synthetic data (sender ids) and the figures it must give (see write_analytics)."""
    tag: str
    senders: dict  # name → sender id
    feedback_ids: dict = field(default_factory=dict)  # name → feedback row id


def write_analytics(url: str) -> AnalyticsScenario:
    """Ten conversations on three channels with known figures, written with Rasa's SQLTrackerStore, the
    feedback store's own write API and staff_audit rows (the expected figures: tests/staff/test_analytics.py).

    2024-04-01  c1 socketio  07:30 AWD (0.95), AWD+AGL (0.9), 这个怎么退税啊？ (nlu_fallback)
                c2 socketio  10:00 今天天气怎么样 (out_of_scope), 我要找人工客服 (request_human + slot) → taken 120 s later
                c3 wechat    11:00 SEND多少钱 (0.5: low), SEND (0.99)
                c4 rest      12:00 FBA怎么收费 (0.88), then a 👎 rating (intent feedback, not a message): 答非所问
    2024-04-02  c5 socketio  09:00 客服在吗 (affirm) + slot handoff=requested only → taken 300 s later
                c6 wechat    10:00 AWD (0.92) 👍, 这个怎么退税 (nlu_fallback) 👎 信息不对 with a note
                c1 socketio  15:00 AWD vs AGL (compare_services), a new session
    2024-04-03  c7 rest      10:00 我要人工 (request_human, never taken), MCF (0.9)
                c8 socketio  23:00 AWD费用呢 (0.55: low) 👎 without a reason
    outside     c9 socketio  2024-03-31 23:59:59 (before), c10 wechat 2024-04-04 00:00:00 (the range's end)
    """
    from staff.feedback import FeedbackStore
    from staff.store import AUDIT

    tag = uuid.uuid4().hex[:6]
    names = ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10")
    senders = {n: (f"o{tag}Wx{n}" if n in ("c3", "c6", "c10") else f"an-{tag}-{n}") for n in names}
    d1, d2, d3 = (ANALYTICS_DAY + k * 86400 for k in range(3))
    h = 3600
    handoff = {"handoff": "requested"}
    conversations = {
        "c1": session_start(d1 + 7.5 * h) + turn_on("AWD仓储费多少？", d1 + 7.5 * h + 10, "ask_service", 0.95, "socketio",
                                                    ("AWD",))
        + turn_on("AWD和AGL哪个好", d1 + 7.5 * h + 60, "ask_service", 0.9, "socketio", ("AWD", "AGL"))
        + turn_on("这个怎么退税啊？", d1 + 7.5 * h + 120, "nlu_fallback", 0.3, "socketio", ranking=FALLBACK_RANKING)
        + session_start(d2 + 15 * h) + turn_on("AWD对比AGL", d2 + 15 * h + 10, "compare_services", 0.95, "socketio",
                                               ("AWD", "AGL")),
        "c2": session_start(d1 + 10 * h) + turn_on("今天天气怎么样", d1 + 10 * h + 10, "out_of_scope", 0.8, "socketio")
        + turn_on("我要找人工客服", d1 + 10 * h + 60, "request_human", 0.97, "socketio", slots=handoff),
        "c3": session_start(d1 + 11 * h) + turn_on("SEND多少钱", d1 + 11 * h + 10, "ask_service", 0.5, "wechat", ("SEND",))
        + turn_on("SEND空运到日本几天", d1 + 11 * h + 60, "ask_service", 0.99, "wechat", ("SEND",)),
        "c4": session_start(d1 + 12 * h) + turn_on("FBA怎么收费", d1 + 12 * h + 10, "ask_service", 0.88, "rest", ("FBA",))
        + turn_on("👎", d1 + 12 * h + 30, "feedback", 0.99, "rest"),
        "c5": session_start(d2 + 9 * h) + turn_on("客服在吗", d2 + 9 * h + 10, "affirm", 0.9, "socketio", slots=handoff),
        "c6": session_start(d2 + 10 * h) + turn_on("AWD能不能上门提货", d2 + 10 * h + 10, "ask_service", 0.92, "wechat",
                                                   ("AWD",))
        + turn_on("👍", d2 + 10 * h + 20, "feedback", 0.99, "wechat")
        + turn_on("这个怎么退税", d2 + 10 * h + 60, "nlu_fallback", 0.2, "wechat", ranking=FALLBACK_RANKING)
        + turn_on("👎", d2 + 10 * h + 70, "feedback", 0.99, "wechat"),
        "c7": session_start(d3 + 10 * h) + turn_on("我要人工", d3 + 10 * h + 10, "request_human", 0.99, "rest",
                                                   slots=handoff)
        + turn_on("MCF怎么发货", d3 + 10 * h + 60, "ask_service", 0.9, "rest", ("MCF",)),
        "c8": session_start(d3 + 23 * h) + turn_on("AWD费用呢", d3 + 23 * h + 10, "ask_service", 0.55, "socketio", ("AWD",)),
        "c9": session_start(d1 - 10) + turn_on("在吗", d1 - 1, "greet", 0.9, "socketio"),
        "c10": session_start(d3 + 24 * h) + turn_on("AGL呢", d3 + 24 * h, "ask_service", 0.9, "wechat", ("AGL",)),
    }
    for name, events in conversations.items():
        save(url, senders[name], events)
    insert_rows(url, AUDIT, [
        {"sender_id": senders["c2"], "action": "take", "actor": "小王", "text": None, "ts": d1 + 10 * h + 60 + 120},
        {"sender_id": senders["c2"], "action": "take", "actor": "小李", "text": None, "ts": d1 + 10 * h + 60 + 900},
        {"sender_id": senders["c2"], "action": "send", "actor": "小王", "text": "您好", "ts": d1 + 10 * h + 60 + 130},
        {"sender_id": senders["c5"], "action": "take", "actor": "小王", "text": None, "ts": d2 + 9 * h + 10.3 + 300},
    ])
    store = FeedbackStore(url)
    try:
        ids = {
            "c4": store.rate(senders["c4"], "down", "rest", "FBA怎么收费", "（回复：FBA怎么收费）", "1.6.1",
                             ts=d1 + 12 * h + 30),
            "c6_up": store.rate(senders["c6"], "up", "wechat", "AWD能不能上门提货", "（回复：AWD能不能上门提货）", "1.4.1",
                                ts=d2 + 10 * h + 20),
            "c6": store.rate(senders["c6"], "down", "wechat", "这个怎么退税", "资料里没有退税的说明", None,
                             ts=d2 + 10 * h + 70),
            "c8": store.rate(senders["c8"], "down", "socketio", "AWD费用呢", "（回复：AWD费用呢）", "1.4.1",
                             ts=d3 + 23 * h + 20),
            "c10": store.rate(senders["c10"], "up", "wechat", "AGL呢", "（回复：AGL呢）", "1.3.1", ts=d3 + 24 * h + 5),
        }
        store.explain(senders["c4"], "irrelevant")
        store.explain(senders["c6"], "wrong", "价格不对")
    finally:
        store.close()
    return AnalyticsScenario(tag, senders, ids)
