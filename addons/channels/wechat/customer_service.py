"""The customer-service message API (客服消息): replies that could not be given passively.

POST {api_base}/cgi-bin/message/custom/send?access_token=TOKEN with
{"touser": OPENID, "msgtype": "text", "text": {"content": ...}}; the access token comes from
GET {api_base}/cgi-bin/token?grant_type=client_credential&appid=APPID&secret=SECRET, lasts
`expires_in` seconds (7200) and is cached until shortly before it expires. WeChat only accepts these
calls from the IP addresses whitelisted in the admin console, within 48 hours of the user's message.
Each call, and each that failed, is counted (assistant_wechat_api_calls_total, addons/metrics/wechat.py).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp

from addons.metrics import wechat as metrics

logger = logging.getLogger(__name__)

# The WeChat API every request goes to unless configured otherwise (api_base; a fake one in the tests).
DEFAULT_API_BASE = "https://api.weixin.qq.com"
# errcodes meaning "this access token is not valid (any more)": fetch a new one and try once more.
TOKEN_ERRORS = {40001, 40014, 42001}


class WeChatAPIError(RuntimeError):
    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode


class CustomerServiceClient:
    def __init__(self, api_base: str, appid: str, secret: str, timeout: float = 10.0,
                 clock=time.time) -> None:
        self.api_base = api_base.rstrip("/")
        self.appid, self.secret = appid, secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock: asyncio.Lock | None = None

    async def _get_json(self, session: aiohttp.ClientSession, method: str, url: str, **kwargs) -> dict:
        async with session.request(method, url, **kwargs) as response:
            body = await response.read()
            if response.status != 200:
                raise WeChatAPIError(None, f"HTTP {response.status}")
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise WeChatAPIError(None, f"not JSON: {body[:200]!r}") from error

    async def access_token(self, session: aiohttp.ClientSession, stale: str | None = None) -> str:
        """The cached token, or a new one when there is none, it expired, or it is `stale` (refused)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # concurrent deliveries fetch the token once
            if self._token and self._token != stale and self._clock() < self._expires:
                return self._token
            metrics.token_calls.inc()
            try:
                data = await self._get_json(session, "GET", f"{self.api_base}/cgi-bin/token", params={
                    "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
                if not data.get("access_token"):
                    raise WeChatAPIError(data.get("errcode"), str(data.get("errmsg", "no access_token")))
            except Exception:
                metrics.token_failures.inc()
                raise
            self._token = str(data["access_token"])
            lifetime = float(data.get("expires_in") or 7200)
            self._expires = self._clock() + max(lifetime - min(300.0, lifetime / 10), 1.0)
            return self._token

    async def send_text(self, openid: str, content: str) -> None:
        await self.send_texts(openid, [content])

    async def send_texts(self, openid: str, contents: list[str]) -> None:
        """Sends the messages in order; raises WeChatAPIError on the first that WeChat refuses."""
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            for content in contents:
                body = json.dumps({"touser": openid, "msgtype": "text", "text": {"content": content}},
                                  ensure_ascii=False).encode("utf-8")
                token = None
                for attempt in range(2):
                    token = await self.access_token(session, stale=token)
                    metrics.send_calls.inc()
                    try:
                        data = await self._get_json(
                            session, "POST", f"{self.api_base}/cgi-bin/message/custom/send",
                            params={"access_token": token}, data=body,
                            headers={"Content-Type": "application/json; charset=utf-8"})
                    except Exception:
                        metrics.send_failures.inc()
                        raise
                    errcode = int(data.get("errcode") or 0)
                    if errcode == 0:
                        break
                    metrics.send_failures.inc()
                    if errcode in TOKEN_ERRORS and attempt == 0:
                        logger.info("WeChat access token refused (%s); fetching a new one", errcode)
                        continue
                    raise WeChatAPIError(errcode, str(data.get("errmsg", "")))
