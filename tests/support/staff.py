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
from datetime import datetime, timezone
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
    token = secrets.token_urlsafe(24)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STAFF_TOKEN": token, "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           **extra_env}
    log = open(LOGS / f"staff-web-{tag}.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "web.server", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    console = Console(f"http://127.0.0.1:{port}", token, process)
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
