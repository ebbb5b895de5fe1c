"""Rasa's socket.io channel (the web chat widget's), fixed for this stack: Rasa 3.6, python-socketio 5.18,
Sanic 21.12 and Python 3.11. Same events and settings as the stock `socketio` channel, plus two:

    addons.channels.socketio.SocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
      cors_allowed_origins: [http://localhost:8080]   # the chat page's origin(s); omit: any origin
      websockets: true                                 # false: HTTP long-polling only

What it fixes (docs/web-chat.md):

1. Replies reach the widget with `session_persistence: true`. Rasa 3.6 calls `sio.enter_room(...)`
   without `await`; since python-socketio 5.10 that is a coroutine, so the socket never joined the
   session's room and every reply went to an empty room (RasaHQ/rasa#13027). `session_request` here
   awaits it when it is awaitable (and still works with a synchronous `enter_room`).
2. Websockets work on Python 3.11. Sanic 21.12's websocket implementation passes bare coroutines to
   `asyncio.wait`, which Python 3.11 forbids ("Passing coroutines is forbidden", sanic-org/sanic#2377;
   fixed in later Sanic, but Rasa 3.6 pins sanic <21.13). addons/patches/socketio_websocket.py gives
   `sanic.server.websockets.impl` an `asyncio` whose `wait` wraps coroutines in tasks first — exactly
   what `asyncio.wait` itself did up to Python 3.10; without it upgrades stay off.
   `websockets: false` turns upgrades off instead (the widget then stays on long-polling).
3. Only the chat page may connect: `cors_allowed_origins` is given to Engine.IO, which answers CORS for
   /socket.io/ and refuses other `Origin`s on every request, the websocket upgrade included (browsers
   do not apply CORS to websockets). Sanic-CORS (`rasa run --cors`) is told to leave those responses
   alone so a browser never sees a doubled Access-Control-Allow-Origin header.
4. Messages go through addons.channels.input_guard like every public channel's: control characters out, very
   long messages cut with a note, empty ones answered politely; malformed events are ignored. A message
   whose handling fails (the tracker store or lock store unreachable) gets the apology REST gives,
   where the stock channel left the seller waiting for a reply that never came.
"""
from __future__ import annotations

import inspect
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from addons.channels.input_guard import check_message, valid_sender
from addons.channels.rate_limit import MessageLimits, client_address
from addons.patches import socketio_websocket
from conversation import replies

logger = logging.getLogger(__name__)





# -- the channel ------------------------------------------------------------------------------------

def _address(environ: Dict) -> Optional[str]:
    """The client's address for the limits (addons.channels.rate_limit.client_address)."""
    request = environ.get("sanic.request")
    return client_address(getattr(request, "ip", None) or environ.get("REMOTE_ADDR"),
                          environ.get("HTTP_X_FORWARDED_FOR"))


def _origins(value: Any) -> Optional[List[Text]]:
    """None → any origin (the stock channel's behaviour); a string may list several, comma-separated."""
    if value is None or value == "" or value == []:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip().rstrip("/") for item in items if str(item).strip()]


def _sanic_cors_evaluated_flag() -> Optional[str]:
    try:
        from sanic_cors.core import SANIC_CORS_EVALUATED
    except ImportError:
        return None
    return SANIC_CORS_EVALUATED


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io input channel with the fixes above. Its name stays `socketio`, so the tracker's
    `input_channel` and the webhook paths are the stock channel's."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SocketIOInput":
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        channel.cors_allowed_origins = _origins(credentials.get("cors_allowed_origins"))
        channel.websockets = bool(credentials.get("websockets", True))
        return channel

    def __init__(self, *args: Any, cors_allowed_origins: Optional[List[Text]] = None,
                 websockets: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cors_allowed_origins = _origins(cors_allowed_origins)
        self.websockets = websockets
        self.limits = MessageLimits()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None

        # 1. `session_request` awaits enter_room (replaces the stock handler for the same event).
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            if not isinstance(data, dict):
                data = {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, data["session_id"], namespace=self.namespace)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)
            logger.debug(f"User {sid} joined session {data['session_id']}.")

        sio.on("session_request", session_request, namespace=self.namespace)

        # 5. at most RATE_LIMIT_SOCKETS open sockets per address (wraps the stock connect handler).
        namespace = self.namespace or "/"
        stock_connect, stock_disconnect = sio.handlers[namespace]["connect"], sio.handlers[namespace]["disconnect"]
        open_sockets: Dict[str, int] = {}
        address_of: Dict[str, str] = {}

        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            address = _address(environ)
            if address and open_sockets.get(address, 0) >= self.limits.sockets_per_address > 0:
                logger.warning("socket.io: refused another socket from %s (%d open)", address, open_sockets[address])
                return False
            if not await stock_connect(sid, environ, auth):
                return False
            if address:
                open_sockets[address] = open_sockets.get(address, 0) + 1
                address_of[sid] = address
            return True

        async def disconnect(sid: Text) -> None:
            address = address_of.pop(sid, None)
            if address and open_sockets.get(address, 0) > 1:
                open_sockets[address] -= 1
            elif address:
                open_sockets.pop(address, None)
            await stock_disconnect(sid)

        sio.on("connect", connect, namespace=self.namespace)
        sio.on("disconnect", disconnect, namespace=self.namespace)

        # 4. a seller's message, checked and within the rate limits (replaces the stock handler).
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                return
            sender = data.get("session_id") if self.session_persistence else sid
            if not valid_sender(sender):
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            verdict = self.limits.check(sender, address_of.get(sid))
            if not verdict.allowed:  # nothing processed; told once, then quiet until it passes again
                if verdict.first:
                    await output.send_text_message(sender, replies.too_many_messages(verdict.retry_after).text)
                return
            checked = check_message(data.get("message"))
            if checked.text is None:
                await output.send_text_message(sender, checked.reply)
                return
            for note in checked.notes:
                await output.send_text_message(sender, note)
            metadata = data.get(self.metadata_key)
            try:
                await on_new_message(UserMessage(checked.text, output, sender, input_channel=self.name(),
                                                 metadata=metadata if isinstance(metadata, dict) else None))
            except Exception:  # the database or lock store down: an apology rather than silence
                logger.exception("socket.io: message from %s failed", sender)
                await output.send_text_message(sender, replies.action_unavailable().text)

        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)

        # 2. websockets, or long-polling only.
        sio.eio.allow_upgrades = bool(self.websockets and socketio_websocket.usable())

        # 3. origins: Engine.IO checks them and answers CORS for /socket.io/ itself.
        if self.cors_allowed_origins is not None:
            sio.eio.cors_allowed_origins = list(self.cors_allowed_origins)
            flag = _sanic_cors_evaluated_flag()
            handle_request = sio.eio.handle_request

            async def handle_request_with_own_cors(request: Any, *args: Any, **kwargs: Any) -> Any:
                if flag is not None and getattr(request, "ctx", None) is not None:
                    setattr(request.ctx, flag, "1")  # Sanic-CORS: "already evaluated", skip
                return await handle_request(request, *args, **kwargs)

            # read by engineio's sanic driver when the blueprint attaches the server to the app
            sio.eio.handle_request = handle_request_with_own_cors
        return socketio_webhook
