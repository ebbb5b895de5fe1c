"""Human takeover: an agent takes a conversation, writes to the seller in the seller's own chat, and
hands it back to the bot.

The conversation's state lives in its tracker (conversation/handoff.py): taking sets the `handoff`
slot to `taken`, which silences the bot on every replica and across restarts; handing back unsets it.
The console changes the tracker only through Rasa's HTTP API (`POST /conversations/{id}/tracker/events`,
the token of RASA_AUTH_TOKEN), so Rasa's lock store orders these events with the seller's messages.
Every message to the seller (the agent's, 「客服…已接入」, 「已切回智能助手」, the wait notice) is a bot
event marked with the agent (metadata `staff`) and goes out on the channel of the seller's latest
message:

- socket.io (the chat page): Rasa emits it to the seller's session room at once (`output_channel=latest`,
  `execute_side_effects=true`), also after a reload, since the room is the session;
- WeChat: the customer-service API, here, so that a refusal reaches the agent; only within 48 hours of
  the seller's latest message, as WeChat allows;
- REST: a REST client can only receive replies, so the channel adds it to the reply to the seller's
  next message (addons/channels/rest.py).

The agent's text is checked against the document first (knowledge/grounding.py): a price, percentage,
duration or coverage claim the document does not hold is refused with what was not found, unless the
agent sends it anyway (`force`). Every take, hand-back and send is a row in `staff_audit`.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
import urllib.parse
from dataclasses import dataclass

import aiohttp

from addons.channels.wechat import text as wechat_text
from addons.channels.wechat.customer_service import DEFAULT_API_BASE, CustomerServiceClient, WeChatAPIError
from conversation import handoff as handoff_record
from conversation import replies
from knowledge import grounding, kb
from staff.store import STAFF_KEY, Conflict, NotFound, Store

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
WECHAT_WINDOW_SECONDS = 48 * 3600  # customer-service messages only this long after the user's last message


class Refused(Exception):
    """The console's request cannot be done; `code` tells the page why (409 unless said otherwise)."""

    def __init__(self, code: str, message: str, status: int = 409, **details) -> None:
        super().__init__(message)
        self.code, self.status, self.details = code, status, details


@dataclass
class RasaAPI:
    url: str
    token: str | None
    timeout: float = 15.0

    @classmethod
    def from_env(cls, env=os.environ) -> RasaAPI:
        url = env.get("RASA_URL") or f"http://localhost:{env.get('RASA_PORT', '5005')}"
        return cls(url.rstrip("/"), env.get("RASA_AUTH_TOKEN") or None)

    async def append(self, sender_id: str, events: list[dict]) -> None:
        """Appends events to the conversation; bot events go out on its latest channel."""
        params = {"output_channel": "latest", "execute_side_effects": "true"}
        if self.token:
            params["token"] = self.token
        url = f"{self.url}/conversations/{urllib.parse.quote(sender_id, safe='')}/tracker/events"
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
                async with session.post(url, params=params, json=events) as response:
                    if response.status != 200:
                        body = (await response.text())[:300]
                        raise Refused("rasa_unavailable", f"智能助手没有接受（HTTP {response.status}）：{body}",
                                      status=502)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise Refused("rasa_unavailable", f"联系不上智能助手（{self.url}）：{error or type(error).__name__}",
                          status=502) from error


def _wechat_client(env=os.environ) -> CustomerServiceClient | None:
    if not (env.get("WECHAT_APPID") and env.get("WECHAT_SECRET")):
        return None
    return CustomerServiceClient(env.get("WECHAT_API_BASE", DEFAULT_API_BASE), env["WECHAT_APPID"],
                                 env["WECHAT_SECRET"])


def _bot(text: str, agent: str | None = None) -> dict:
    """A message to the seller: an agent's (marked with who wrote it) or the console's notice in the bot's voice."""
    return {"event": "bot", "text": text, "timestamp": time.time(), "metadata": {STAFF_KEY: agent} if agent else {}}


def _slot(value: str | None) -> dict:
    return {"event": "slot", "name": handoff_record.SLOT, "value": value, "timestamp": time.time()}


class Takeover:
    def __init__(self, store: Store, rasa: RasaAPI | None = None, wechat: CustomerServiceClient | None = None,
                 clock=time.time) -> None:
        self.store, self.rasa = store, rasa or RasaAPI.from_env()
        self.wechat = wechat if wechat is not None else _wechat_client()
        self.clock = clock
        self._noticed: set[tuple[str, float]] = set()

    # -- what the console does ----------------------------------------------------------------------

    async def take(self, sender_id: str, agent: str | None) -> dict:
        agent = _agent(agent)
        result = await asyncio.to_thread(self.store.set_handoff, sender_id, "taken", agent)
        try:
            await self._deliver(sender_id, [_slot(handoff_record.TAKEN), _bot(replies.agent_joined(agent).text)],
                                agent, required=False)
        except Refused:  # the bot could not be told to step aside: the conversation is not taken
            await asyncio.to_thread(self.store.set_handoff, sender_id, "open", None)
            raise
        await asyncio.to_thread(self.store.audit, sender_id, "take", agent)
        return result

    async def finish(self, sender_id: str, agent: str | None, status: str = "done") -> dict:
        """Hands the conversation back to the bot (`done`), or back to the queue (`open`)."""
        agent = (agent or "").strip()[:64] or None
        before = next((h for h in await asyncio.to_thread(self.store.handoffs, None, 1000)
                       if h["sender_id"] == sender_id), None)
        result = await asyncio.to_thread(self.store.set_handoff, sender_id, status, agent)
        if status == "done":
            events = [_slot(None), _bot(replies.handed_back().text)]
        else:  # released: the bot helps again while the seller waits for someone else
            events = [_slot(handoff_record.REQUESTED)]
        try:
            await self._deliver(sender_id, events, agent, required=False)
        except Refused:  # the bot was not given the conversation back: keep the status it had
            if before is not None:
                await asyncio.to_thread(self.store.set_handoff, sender_id, before["status"], before["actor"])
            raise
        await asyncio.to_thread(self.store.audit, sender_id, "done" if status == "done" else "release", agent)
        return result

    async def send(self, sender_id: str, text: str, agent: str | None, force: bool = False) -> dict:
        agent = _agent(agent)
        text = (text or "").strip()
        if not text:
            raise Refused("empty", "消息是空的", status=400)
        if len(text) > MAX_TEXT:
            raise Refused("too_long", f"消息太长：最多 {MAX_TEXT} 字", status=400)
        queue = await asyncio.to_thread(self.store.handoffs, ["taken"], 1000)
        holder = next((h for h in queue if h["sender_id"] == sender_id), None)
        if holder is None:
            raise Refused("not_taken", "先接入这个会话，再发消息")
        if holder["actor"] != agent:
            raise Refused("not_taken", f"客服{holder['actor']}已接入这个会话", actor=holder["actor"])
        if not force:
            claims = grounding.unsupported_claims(kb.load(), text)
            if claims:
                raise Refused("unsupported_claims", "这条回复里有资料中找不到的说法，确认无误再发送",
                              claims=[{"kind": c.kind, "text": c.text, "reason": c.reason} for c in claims])
        delivered = await self._deliver(sender_id, [_bot(text, agent)], agent, required=True)
        await asyncio.to_thread(self.store.audit, sender_id, "send", agent, text)
        return {"delivered": delivered, "message": {"text": text, "staff": agent, "time": self.clock()}}

    # -- delivery -----------------------------------------------------------------------------------

    async def _deliver(self, sender_id: str, events: list[dict], agent: str | None, required: bool) -> str:
        """Sends the bot events on the seller's latest channel and records them; the channel's name.
        `required`: a message that cannot reach the seller is refused (the agent's own messages);
        otherwise the state change is recorded anyway and the failure logged."""
        channel, last = await asyncio.to_thread(self.store.last_contact, sender_id)
        texts = [e["text"] for e in events if e["event"] == "bot"]
        if channel == "wechat" and texts:
            try:
                await self._send_wechat(sender_id, texts, last)
            except Refused:
                if required:
                    raise
                logger.warning("takeover: WeChat message to %s not sent", sender_id, exc_info=True)
        await self.rasa.append(sender_id, events)
        return channel or "rest"

    async def _send_wechat(self, openid: str, texts: list[str], last: float | None) -> None:
        if self.wechat is None:
            raise Refused("wechat_unconfigured", "没有配置微信客服消息接口（WECHAT_APPID、WECHAT_SECRET），发不到微信")
        if last is None or self.clock() - last > WECHAT_WINDOW_SECONDS:
            since = time.strftime("%Y-%m-%d %H:%M", time.localtime(last)) if last else "无"
            raise Refused("wechat_window", f"卖家最后一条消息（{since}）已超过 48 小时，微信不允许再发客服消息；"
                                           "等卖家再发消息后才能回复")
        try:
            await self.wechat.send_texts(openid, [chunk for t in texts for chunk in wechat_text.split(t)])
        except (WeChatAPIError, aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise Refused("wechat_failed", f"微信没有接受这条消息：{error}", status=502) from error

    # -- nobody took it in time ---------------------------------------------------------------------

    async def notify_waiting(self) -> int:
        """Tells each seller whose request nobody took within HANDOFF_WAIT_SECONDS (in service hours)
        that it is still queued and the bot can help meanwhile; once per request."""
        settings = handoff_record.settings()
        now = self.clock()
        sent = 0
        for request in await asyncio.to_thread(self.store.handoffs, ["open"], 1000):
            key = (request["sender_id"], request["requested_at"])
            if key in self._noticed or now - request["requested_at"] < settings.wait_seconds:
                continue
            if not settings.hours.open_at(request["requested_at"]):
                continue  # asked out of hours: the seller was told when agents are back
            self._noticed.add(key)
            if await asyncio.to_thread(self._noticed_before, request):
                continue
            try:
                await self._deliver(request["sender_id"], [_bot(replies.handoff_waiting(request["position"]).text)],
                                    None, required=False)
                await asyncio.to_thread(self.store.audit, request["sender_id"], "notice", None)
                sent += 1
            except Refused:
                logger.warning("takeover: wait notice to %s failed", request["sender_id"], exc_info=True)
        return sent

    def _noticed_before(self, request: dict) -> bool:
        """Across restarts of the console: a notice already recorded for this request."""
        return any(row["action"] == "notice" and row["ts"] >= request["requested_at"]
                   for row in self.store.audit_log(request["sender_id"], limit=50))


def _agent(agent: str | None) -> str:
    agent = (agent or "").strip()[:64]
    if not agent:
        raise Refused("no_agent", "请先填写客服姓名", status=400)
    return agent


__all__ = ["Conflict", "NotFound", "RasaAPI", "Refused", "Takeover"]
