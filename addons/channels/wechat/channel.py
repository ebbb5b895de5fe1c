"""WeChat Official Account (公众号) input channel for Rasa: /webhooks/wechat/webhook.

Enabled by a credentials entry (scripts/runtime_config.py writes it when WECHAT_TOKEN and
WECHAT_APPID are set):

    addons.channels.wechat.channel.WeChatInput:
      token: ...            the Token from the admin console's server configuration
      appid: wx...          the AppID
      aes_key: ...          the EncodingAESKey (safe mode); optional in plaintext mode
      secret: ...           the AppSecret, for the customer-service API (late and long replies)
      api_base: https://api.weixin.qq.com
      reply_budget: 4.5     seconds to wait for the bot before answering "success"
      max_body_bytes: 32768
      max_clock_skew: 300   seconds; older (or future) timestamps are refused
      max_text_bytes: 2048  bytes per WeChat text message (WeChat's limit; smaller only for tests)
      followup_delay: 0.5   seconds between a passive reply and the rest of a long reply

What a request goes through:
  1. GET with signature/timestamp/nonce/echostr: the URL check; echostr is answered verbatim.
  2. POST: the query's signature (over token, timestamp, nonce) is checked in constant time and the
     timestamp must be recent, else 403 before the body is read; the body is read up to
     max_body_bytes (413 beyond).
  3. Safe mode (encrypt_type=aes): msg_signature over the Encrypt element is checked (403), the
     message decrypted and its AppID checked (403); the reply is encrypted the same way.
  4. The XML is parsed with DTDs and entities refused (400 for anything malformed).
  5. The message is processed once: by MsgId (events: FromUserName + CreateTime + Event). The
     processing runs as its own task; this request, and any retry of it, waits for it until
     `reply_budget` seconds after the request arrived. In time: a passive text reply (retries get
     the same one). Too late: "success", and the reply follows through the customer-service API.
  6. text → the bot (a bare number picks one of the options listed in the user's last reply);
     subscribe → "/greet" through the bot; unsubscribe → the user's conversation is deleted from
     the tracker store; image, voice, video, location, link ... → a note that only text is handled.
Replies longer than WeChat's 2048 bytes are split: the first part is the passive reply, the rest
goes through the customer-service API (without an AppSecret the reply is shortened instead).
Nothing here answers 500: an unexpected error is logged and answered "success".
A reply ready only after the budget is counted (assistant_wechat_late_replies_total, addons/metrics/wechat.py).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.tracker_store import SQLTrackerStore
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons.channels.input_guard import check_message
from addons.channels.rate_limit import MessageLimits
from addons.channels.wechat import text as wechat_text
from addons.channels.wechat import xml as wechat_xml
from addons.channels.wechat.crypto import AppIdMismatch, CryptoError, MessageCipher, check_signature, signature
from addons.channels.wechat.customer_service import DEFAULT_API_BASE, CustomerServiceClient
from addons.channels.wechat.state import Delivery, ExpiringLRU
from addons.metrics import wechat as metrics
from addons.stores.database import erase_sender
from conversation import replies

logger = logging.getLogger(__name__)

WELCOME_PAYLOAD = "/greet"


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials or not credentials.get("token") or not credentials.get("appid"):
            cls.raise_missing_credentials_exception()
        c = credentials
        return cls(
            token=str(c["token"]), appid=str(c["appid"]), aes_key=c.get("aes_key") or None,
            secret=c.get("secret") or None, api_base=c.get("api_base") or DEFAULT_API_BASE,
            reply_budget=float(c.get("reply_budget") or 4.5),
            max_body_bytes=int(c.get("max_body_bytes") or 32 * 1024),
            max_clock_skew=float(c.get("max_clock_skew") or 300),
            followup_delay=float(c.get("followup_delay") if c.get("followup_delay") is not None else 0.5),
            text_limit=int(c.get("max_text_bytes") or wechat_text.MAX_TEXT_BYTES),
        )

    def __init__(self, token: str, appid: str, aes_key: str | None = None, secret: str | None = None,
                 api_base: str = DEFAULT_API_BASE, reply_budget: float = 4.5,
                 max_body_bytes: int = 32 * 1024, max_clock_skew: float = 300,
                 followup_delay: float = 0.5, text_limit: int = wechat_text.MAX_TEXT_BYTES) -> None:
        self.token, self.appid = token, appid
        self.cipher = MessageCipher(aes_key, appid) if aes_key else None
        self.cs = CustomerServiceClient(api_base, appid, secret) if secret else None
        self.reply_budget = reply_budget
        self.max_body_bytes = max_body_bytes
        self.max_clock_skew = max_clock_skew
        self.followup_delay = followup_delay
        self.text_limit = max(min(text_limit, wechat_text.MAX_TEXT_BYTES), 200)
        # Retries come within ~15 s; keeping entries as long as a timestamp is accepted also makes a
        # replayed (captured, validly signed) request a no-op.
        self.deliveries: ExpiringLRU[Delivery] = ExpiringLRU(ttl=max_clock_skew + 60, max_items=20000)
        self.options: ExpiringLRU[list[tuple[str, str]]] = ExpiringLRU(ttl=48 * 3600, max_items=100000)
        self._background: set[asyncio.Task] = set()
        self.limits = MessageLimits()
        if not self.cs:
            logger.warning("WeChat channel without an AppSecret: replies slower than %.1f s are lost "
                           "and long replies are shortened (set WECHAT_SECRET)", reply_budget)

    # -- HTTP ----------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("wechat_webhook", inspect.getmodule(self).__name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            args = request.args
            echostr = args.get("echostr")
            if not echostr or not self._signed(args.get("signature"), args.get("timestamp"), args.get("nonce")):
                return response.text("forbidden", status=403)
            return response.text(echostr)

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            started = time.monotonic()
            try:
                return await self._receive(request, started, on_new_message)
            except Rejected as rejected:
                logger.info("WeChat request refused (%s): %s", rejected.status, rejected.reason)
                return response.text(rejected.reason, status=rejected.status)
            except Exception:
                logger.exception("WeChat request failed; answering 'success'")
                return response.text("success")

        return bp

    def _signed(self, given: str | None, timestamp: str | None, nonce: str | None) -> bool:
        if not check_signature(given, self.token, timestamp, nonce):
            return False
        return self._fresh(timestamp)

    def _fresh(self, timestamp: str | None) -> bool:
        try:
            return abs(time.time() - int(timestamp or "")) <= self.max_clock_skew
        except ValueError:
            return False

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise Rejected(413, "body too large")
        if request.stream is None:  # pragma: no cover - the route is a streaming one
            body = request.body or b""
        else:
            parts, size = [], 0
            while True:
                chunk = await request.stream.read()
                if chunk is None:
                    break
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise Rejected(413, "body too large")
                parts.append(chunk)
            body = b"".join(parts)
        return body

    async def _receive(self, request: Request, started: float,
                       on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        args = request.args
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        if not self._signed(args.get("signature"), timestamp, nonce):
            raise Rejected(403, "forbidden")
        body = await self._read_body(request)
        encrypt_type = (args.get("encrypt_type") or "raw").lower()
        if encrypt_type not in ("raw", "aes"):
            raise Rejected(400, "unknown encrypt_type")
        safe_mode = encrypt_type == "aes"
        try:
            if safe_mode:
                if not self.cipher:
                    raise Rejected(403, "safe mode is not configured (no EncodingAESKey)")
                outer = wechat_xml.parse(body)
                encrypted = outer.get("Encrypt")
                if not encrypted:
                    raise Rejected(400, "no Encrypt element")
                if not check_signature(args.get("msg_signature"), self.token, timestamp, nonce, encrypted):
                    raise Rejected(403, "forbidden")
                try:
                    message = wechat_xml.parse(self.cipher.decrypt(encrypted))
                except AppIdMismatch:
                    raise Rejected(403, "forbidden") from None
                except CryptoError as error:
                    raise Rejected(400, f"cannot decrypt: {error}") from error
            else:
                message = wechat_xml.parse(body)
        except wechat_xml.BadXML as error:
            raise Rejected(400, f"bad xml: {error}") from error

        user, account = message.get("FromUserName"), message.get("ToUserName") or ""
        if not user:
            raise Rejected(400, "no FromUserName")
        delivery = self._delivery(message, request, on_new_message)
        if delivery is None:
            return response.text("success")
        content = await self._wait(delivery, user, started)
        if not content:
            return response.text("success")
        xml = wechat_xml.text_reply(user, account, content, delivery.reply_time)
        if safe_mode:
            reply_nonce, reply_ts = str(secrets.randbelow(10**10)), str(int(time.time()))
            encrypted = self.cipher.encrypt(xml)
            xml = wechat_xml.encrypted_reply(encrypted, signature(self.token, reply_ts, reply_nonce, encrypted),
                                             reply_ts, reply_nonce)
        return response.text(xml, content_type="application/xml; charset=utf-8")

    # -- one message, processed once ---------------------------------------------------------------

    def _delivery(self, message: dict[str, str], request: Request,
                  on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Delivery | None:
        user = message["FromUserName"]
        msg_type = (message.get("MsgType") or "").lower()
        created = message.get("CreateTime", "")
        job: Callable[[], Awaitable[list[str]]]
        if msg_type == "event":
            event = (message.get("Event") or "").lower()
            key = f"event:{user}:{created}:{event}"
            if event == "subscribe":
                job = lambda: self._bot_turn(on_new_message, user, WELCOME_PAYLOAD, None, resolve=False)
            elif event == "unsubscribe":
                job = lambda: self._forget(request, user)
            else:  # SCAN, CLICK, VIEW, LOCATION ...: nothing to say
                return None
        else:
            msg_id = message.get("MsgId") or f"{created}"
            key = f"msg:{user}:{msg_id}"
            if msg_type == "text" and self.deliveries.get(key) is None:  # a retry is not another message
                verdict = self.limits.check(user, None)  # every request comes from WeChat's servers
                text = message.get("Content", "")
                if verdict.allowed:
                    job = lambda: self._bot_turn(on_new_message, user, text, message.get("MsgId"), resolve=True)
                elif verdict.first:  # told once, then "success" (nothing processed) until it passes again
                    job = lambda: self._say(replies.too_many_messages(verdict.retry_after).text)
                else:
                    return None
            elif msg_type == "text":
                job = lambda: self._bot_turn(on_new_message, user, message.get("Content", ""), message.get("MsgId"),
                                             resolve=True)
            else:
                job = lambda: self._non_text(user)
        delivery = self.deliveries.get(key)
        if delivery is None:
            task = asyncio.ensure_future(self._guard(job))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            delivery = Delivery(task=task)
            self.deliveries.put(key, delivery)
        else:
            logger.debug("WeChat retry of %s", key)
        return delivery

    async def _wait(self, delivery: Delivery, user: str, started: float) -> str | None:
        remaining = self.reply_budget - (time.monotonic() - started)
        try:
            chunks = await asyncio.wait_for(asyncio.shield(delivery.task), timeout=max(remaining, 0))
        except asyncio.TimeoutError:
            if not delivery.task.done():
                if not delivery.deferred:
                    delivery.deferred = True
                    delivery.task.add_done_callback(lambda task: self._deliver_late(task, user))
                return None
            chunks = delivery.task.result()
        if delivery.deferred or not chunks:
            return None
        if self.cs is None:
            return chunks[0]
        if len(chunks) > 1 and not delivery.followups_sent:
            delivery.followups_sent = True
            self._spawn(self._send_later(user, chunks[1:], self.followup_delay))
        return chunks[0]

    async def _guard(self, job: Callable[[], Awaitable[list[str]]]) -> list[str]:
        try:
            return await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("WeChat message processing failed")
            return [replies.action_unavailable().text]

    def _deliver_late(self, task: asyncio.Task, user: str) -> None:
        if task.cancelled() or not task.result():
            return
        if self.cs is None:
            metrics.late_dropped.inc()
            logger.warning("WeChat reply to %s came after the %.1f s budget and there is no AppSecret "
                           "to send it with the customer-service API: dropped", user, self.reply_budget)
            return
        metrics.late_sent.inc()
        self._spawn(self._send_later(user, task.result(), 0))

    async def _send_later(self, user: str, chunks: list[str], delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)  # let the passive reply arrive first
        try:
            await self.cs.send_texts(user, chunks)
        except Exception:
            logger.exception("WeChat customer-service message to %s failed", user)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- what the channel says -----------------------------------------------------------------

    def _chunks(self, text: str, options: list[tuple[str, str]]) -> list[str]:
        if self.cs is None:
            single = wechat_text.compose_single(text, options, self.text_limit)
            return [single] if single else []
        return wechat_text.compose(text, options, self.text_limit)

    async def _bot_turn(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], user: str,
                        text: str, msg_id: str | None, resolve: bool) -> list[str]:
        notes: tuple[str, ...] = ()
        if resolve:
            text = wechat_text.choice(text, self.options.get(user) or []) or text
            checked = check_message(text)
            if checked.text is None:
                return self._chunks(checked.reply, [])
            text, notes = checked.text, checked.notes
        collector = CollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, user, input_channel=self.name(),
                                         message_id=msg_id, metadata={"wechat_msg_id": msg_id}))
        reply, options = wechat_text.render([{"text": note} for note in notes] + collector.messages)
        self.options.put(user, options)
        return self._chunks(reply, options)

    async def _say(self, text: str) -> list[str]:
        return self._chunks(text, [])

    async def _non_text(self, user: str) -> list[str]:
        reply = replies.non_text_message()
        self.options.put(user, reply.buttons)
        return self._chunks(reply.text, reply.buttons)

    async def _forget(self, request: Request, user: str) -> list[str]:
        """Unsubscribe: the user's conversation leaves the tracker store (and our memory)."""
        self.options.pop(user)
        try:
            agent = request.app.ctx.agent
            async with agent.lock_store.lock(user, wait_time_in_seconds=0.05):
                deleted = await forget_conversation(agent.tracker_store, user)
            logger.info("WeChat user unsubscribed: conversation %s", "deleted" if deleted else "not found")
        except Exception:
            logger.exception("WeChat user unsubscribed but their conversation could not be deleted")
        return []  # nobody to answer: the user has left


async def forget_conversation(tracker_store: Any, sender_id: str) -> bool:
    """Erases everything the database keeps of `sender_id` (addons.stores.database.erase_sender);
    Rasa 3.6's TrackerStore has no delete, so this reaches the concrete store behind Rasa's
    wrappers. Returns whether anything was deleted."""
    stores, store = [], tracker_store
    while store is not None and store not in stores:
        stores.append(store)
        fallback = getattr(store, "_fallback_tracker_store", None)
        if fallback is not None:
            stores.append(fallback)
        store = getattr(store, "_tracker_store", None)
    deleted = False
    for store in stores:
        kind = type(store).__name__
        if isinstance(store, SQLTrackerStore):
            # all of it, as an erasure from the console: events, hand-off, feedback, audit rows
            with store.engine.begin() as connection:
                deleted |= any(erase_sender(connection, sender_id).values())
        elif kind == "InMemoryTrackerStore":
            deleted |= store.store.pop(sender_id, None) is not None
        elif kind in ("FailSafeTrackerStore", "AwaitableTrackerStore"):
            continue
        else:  # the project configures SQL (SQLite/PostgreSQL) only; see scripts/runtime_config.py
            logger.error("cannot delete conversations from a %s", kind)
    return deleted
