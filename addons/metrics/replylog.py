"""LOG_FORMAT=json: one JSON line per message Rasa handles, for log search and for following one
request through nginx, Rasa and the tracker store. Off by default (Rasa's own log stays as it is).

    {"time": "2026-12-01T08:00:00.123Z", "event": "reply", "request_id": "…", "message_id": "…",
     "sender": "5e884898da280471", "channel": "rest", "intent": "ask_service", "confidence": 0.91,
     "action": "action_respond", "latency_ms": 4.2, "knowledge_version": "1f2e3d4c5b6a",
     "fallback": false, "handoff": false, "ok": true}

`sender` is the first 16 hex digits of the sha256 of the sender id, never the id itself: a WeChat
openid or a REST sender must not end up in a log store. It is the same on every replica (no salt),
so the lines of one conversation can be grouped, and whoever holds an id can find its lines.
`request_id` is the X-Request-ID header of the HTTP request that carried the message (the topology's
clients send one) when there was one, else Rasa's message id, which is also on the stored user event.

The lines go to stderr through the logger `assistant.replies`, which does not propagate to Rasa's
colored root handler, so each line is exactly one JSON object."""
from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import os
import sys
import time
from typing import Any, Mapping

from addons.metrics.version import knowledge_version

LOGGER_NAME = "assistant.replies"
# Set for each HTTP request by Rasa's app (addons/patches/metrics_route.py) when the lines are on.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
MAX_REQUEST_ID = 128


def enabled(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("LOG_FORMAT", "").strip().lower() == "json"


def sender_hash(sender_id: object) -> str:
    return hashlib.sha256(str(sender_id).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def clean_request_id(value: str | None) -> str | None:
    """A client's X-Request-ID, if it is short printable ASCII (it goes into a log line as is)."""
    if not value or len(value) > MAX_REQUEST_ID or not value.isascii() or not value.isprintable():
        return None
    return value


def configure(stream: Any = None) -> logging.Logger:
    """The logger the lines go to, with one handler writing bare messages (idempotent)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(getattr(h, "_assistant_replies", False) for h in logger.handlers):
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._assistant_replies = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def line(*, sender_id: object, channel: object, intent: str | None, confidence: float | None,
         action: str | None, seconds: float, message_id: str | None, ok: bool = True,
         fallback: bool = False, handoff: bool = False, request_id: str | None = None) -> str:
    record = {
        "time": _now(), "event": "reply",
        "request_id": request_id or REQUEST_ID.get() or message_id,
        "message_id": message_id,
        "sender": sender_hash(sender_id),
        "channel": channel,
        "intent": intent,
        "confidence": None if confidence is None else round(float(confidence), 4),
        "action": action,
        "latency_ms": round(seconds * 1000, 1),
        "knowledge_version": knowledge_version(),
        "fallback": fallback, "handoff": handoff, "ok": ok,
    }
    return json.dumps(record, ensure_ascii=False)
