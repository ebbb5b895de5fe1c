"""Rasa's REST channel (same URL: /webhooks/rest/webhook) with the input checks every public entry
point needs: a 4xx with a JSON error for a wrong content type, an oversized body, invalid JSON or a
bad sender; the message itself goes through addons.channels.input_guard."""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from addons.channels.input_guard import MAX_BODY_BYTES, check_message, valid_sender
from conversation import replies

logger = logging.getLogger(__name__)


def _error(status: int, message: str):
    return response.json({"error": message}, status=status)


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("guarded_rest_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request):
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            if "json" not in (request.content_type or ""):
                return _error(415, "Content-Type must be application/json")
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
            try:
                body: Dict[str, Any] = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return _error(400, "body is not valid JSON")
            if not isinstance(body, dict):
                return _error(400, "body must be a JSON object")
            sender = body.get("sender") or "default"
            if not valid_sender(sender):
                return _error(400, "sender must be a printable string of at most 128 characters")
            checked = check_message(body.get("message"))
            if checked.text is None:
                return response.json([{"recipient_id": sender, "text": checked.reply}])
            collector = CollectingOutputChannel()
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            try:
                await on_new_message(UserMessage(checked.text, collector, sender, input_channel=self.name(),
                                                 metadata=metadata))
            except Exception:  # never a 500 with a stack trace: log it, apologise to the seller
                logger.exception("rest: message from %s failed", sender)
                collector.messages.append({"recipient_id": sender, "text": replies.action_unavailable().text})
            notes = [{"recipient_id": sender, "text": note} for note in checked.notes]
            return response.json(notes + collector.messages)

        return hook
