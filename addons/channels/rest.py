"""Rasa's REST channel (same URL: /webhooks/rest/webhook, `?stream=true` included) with the input checks
every public entry point needs. Rasa's own blueprint and request handling stay; this adds, through
its hooks:

- a request middleware on the blueprint: a 4xx with a JSON error for a wrong content type, an
  oversized body, invalid JSON or a bad sender, a 429 with Retry-After past the rate limits
  (addons.channels.rate_limit), and a polite reply without asking Rasa for an empty message
  (addons.channels.input_guard);
- the message as the guard cleaned it (`_extract_message`), with the guard's notes ("消息太长，只看了
  前…字") sent before the answer;
- an apology instead of an empty reply when handling the message fails (Rasa would log it and
  answer nothing);
- the messages pushed to the conversation since the seller's previous REST message (an agent's
  messages, 「客服…已接入」, notices: staff/takeover.py appends them as bot events), at the front of
  the reply: a REST client cannot be written to, it can only be answered. Not with `?stream=true`;
- a message sent again is answered once: with an `X-Request-ID` header (1–128 of A–Z a–z 0–9 . _ :
  -; the topology's nginx adds one to every request) the id becomes Rasa's message id, and a message
  whose id and text are already stored for the sender gets the replies stored after it instead of
  being handled again. So a client's retry, or nginx resending a POST whose replica died
  (docs/deployment.md#failures-what-each-one-costs), cannot store a turn twice.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request

from addons.channels.input_guard import MAX_BODY_BYTES, check_message, valid_sender
from addons.channels.rate_limit import MessageLimits, client_address, retry_after_header
from conversation import handoff, replies

logger = logging.getLogger(__name__)
# The guard's notes and the client's message id travel with the message to the output channel, then
# leave it (not stored as metadata).
_NOTES = "_input_notes"
_MESSAGE_ID = "_message_id"
_VALID_MESSAGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _error(status: int, message: str):
    return response.json({"error": message}, status=status)


class GuardedRestInput(RestInput):
    def __init__(self) -> None:
        super().__init__()
        self.limits = MessageLimits()
        self._tracker_store: Any = None  # the serving agent's, noted by each request (for repeats)

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self._on_new_message = on_new_message
        hook = super().blueprint(self._handle)

        @hook.middleware("request")
        async def guard(request: Request):
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            if "json" not in (request.content_type or ""):
                return _error(415, "Content-Type must be application/json")
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
            try:
                body = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return _error(400, "body is not valid JSON")
            if not isinstance(body, dict):
                return _error(400, "body must be a JSON object")
            sender = body.get("sender") or "default"
            if not valid_sender(sender):
                return _error(400, "sender must be a printable string of at most 128 characters")
            verdict = self.limits.check(sender, client_address(request.ip, request.headers.get("x-forwarded-for")))
            if not verdict.allowed:  # refused before Rasa: nothing of it is stored
                return response.json({"error": "too many messages", "text": replies.too_many_messages(
                    verdict.retry_after).text}, status=429,
                    headers={"Retry-After": retry_after_header(verdict.retry_after)})
            checked = check_message(body.get("message"))
            if checked.text is None:  # empty or nothing but control characters: answered here
                return response.json([{"recipient_id": sender, "text": checked.reply}])
            request.ctx.checked = checked
            self._tracker_store = request.app.ctx.agent.tracker_store
            return None

        @hook.middleware("response")
        async def pushed(request: Request, reply):
            checked = getattr(request.ctx, "checked", None)
            if checked is None or reply.status != 200 or request.args.get("stream", "").lower() == "true":
                return None
            sender = request.json.get("sender") or "default"
            messages = await pushed_messages(request.app.ctx.agent.tracker_store, sender)
            if not messages:
                return None
            return response.json([{"recipient_id": sender, **m} for m in messages] + json.loads(reply.body))

        return hook

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return req.json.get("sender") or "default"

    def _extract_message(self, req: Request) -> Optional[Text]:
        return req.ctx.checked.text

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # not the client's say: the staff console and the analytics trust it

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = request.json.get("metadata")
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        if request.ctx.checked.notes:
            metadata[_NOTES] = list(request.ctx.checked.notes)
        message_id = (request.headers.get("x-request-id") or "").strip()
        if _VALID_MESSAGE_ID.fullmatch(message_id):
            metadata[_MESSAGE_ID] = message_id
        return metadata or None

    async def _handle(self, message: UserMessage) -> None:
        """Rasa's on_new_message, with the guard's notes first, a repeat answered from the store, and
        an apology instead of an empty reply when handling fails."""
        notes = (message.metadata or {}).pop(_NOTES, [])
        message_id = (message.metadata or {}).pop(_MESSAGE_ID, None)
        if message.metadata == {}:
            message.metadata = None
        for note in notes:
            await message.output_channel.send_text_message(message.sender_id, note)
        try:
            if message_id:
                message.message_id = message_id
                if await _answered_before(self._tracker_store, message):
                    return
            await self._on_new_message(message)
        except Exception:  # never a 500 or silence: log it, apologise to the seller
            logger.exception("rest: message from %s failed", message.sender_id)
            await message.output_channel.send_text_message(message.sender_id, replies.action_unavailable().text)


def _concrete(tracker_store: Any) -> Any:
    store = tracker_store
    while hasattr(store, "_tracker_store"):  # Rasa wraps the configured store (FailSafeTrackerStore)
        store = store._tracker_store
    return store


async def _answered_before(tracker_store: Any, message: UserMessage) -> bool:
    """Sends the replies stored for this message when it was handled before; False when it was not."""
    store = _concrete(tracker_store)
    if not hasattr(store, "stored_reply"):  # no store yet, or not ours
        return False
    stored = await store.stored_reply(message.sender_id, message.message_id, message.text)
    if stored is None:
        return False
    logger.info("rest: message %s from %s was handled before: its stored replies sent again",
                message.message_id, message.sender_id)
    for bot in stored:
        await message.output_channel.send_response(message.sender_id, bot.message())
    return True


async def pushed_messages(tracker_store: Any, sender_id: str) -> list[dict]:
    """Bot messages that arrived between the reply to the seller's previous message, when that came
    over REST, and this message."""
    store = _concrete(tracker_store)
    tracker = store.kept_tracker(sender_id) if hasattr(store, "kept_tracker") else None
    if tracker is None:
        tracker = await tracker_store.retrieve(sender_id)
    if tracker is None:
        return []
    events = list(tracker.events)
    users = [i for i, e in enumerate(events) if isinstance(e, UserUttered)]
    if len(users) < 2 or events[users[-2]].input_channel != GuardedRestInput.name():
        return []
    previous, current = users[-2], users[-1]
    listen = next((i for i in range(previous, current) if isinstance(events[i], ActionExecuted)
                   and events[i].action_name == ACTION_LISTEN_NAME), current)
    out = []
    for event in events[listen:current]:
        if isinstance(event, BotUttered) and event.text:
            message: dict[str, Any] = {"text": event.text}
            if (event.metadata or {}).get(handoff.STAFF_KEY):
                message[handoff.STAFF_KEY] = event.metadata[handoff.STAFF_KEY]
            out.append(message)
    return out
