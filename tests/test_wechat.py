"""The WeChat Official Account channel (addons/wechat*.py).

The WeChat server's side is played by the PyPI package `wechatpy` (signatures, safe-mode encryption,
decrypting and parsing replies), independently of the project's code. End-to-end tests start the
real assistant (Rasa + action server) with the channel enabled from WECHAT_* variables; a local fake
server stands in for WeChat's access-token and customer-service message API.
"""
from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner, check_signature as wechatpy_check_signature

from addons.channels.wechat import text as wechat_text, xml as wechat_xml
from addons.channels.wechat.crypto import AppIdMismatch, CryptoError, MessageCipher, check_signature, decode_aes_key, signature
from addons.channels.wechat.customer_service import CustomerServiceClient
from addons.channels.wechat.state import ExpiringLRU

TOKEN = "wechat-test-token"
APPID = "wx0123456789abcdef"
AES_KEY = base64.b64encode(bytes(range(7, 39))).decode().rstrip("=")  # 43 characters
SECRET = "test-app-secret"
ACCOUNT = "gh_0123456789ab"  # the Official Account's original ID (ToUserName)


# -- the WeChat server's side, with wechatpy -----------------------------------------------------------


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def text_xml(openid: str, content: str, msg_id: str | int | None = None, created: int | None = None) -> str:
    created = created or int(time.time())
    msg_id = msg_id or uuid.uuid4().int % 10**19
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def event_xml(openid: str, event: str, created: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>")


def media_xml(openid: str, msg_type: str) -> str:
    fields = {
        "image": "<PicUrl><![CDATA[http://mmbiz.example/pic.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>",
        "voice": "<MediaId><![CDATA[m2]]></MediaId><Format><![CDATA[amr]]></Format>",
        "video": "<MediaId><![CDATA[m3]]></MediaId><ThumbMediaId><![CDATA[t3]]></ThumbMediaId>",
        "shortvideo": "<MediaId><![CDATA[m4]]></MediaId><ThumbMediaId><![CDATA[t4]]></ThumbMediaId>",
        "location": "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
                    "<Label><![CDATA[位置信息]]></Label>",
        "link": "<Title><![CDATA[标题]]></Title><Description><![CDATA[描述]]></Description>"
                "<Url><![CDATA[http://example.com/]]></Url>",
    }[msg_type]
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{fields}"
            f"<MsgId>{uuid.uuid4().int % 10**19}</MsgId></xml>")


class WeChatServer:
    """Posts to the channel the way the WeChat server does."""

    def __init__(self, base_url: str, token: str = TOKEN, appid: str = APPID, aes_key: str = AES_KEY) -> None:
        self.url = f"{base_url}/webhooks/wechat/webhook"
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, appid)

    def query(self, timestamp: int | None = None, openid: str = "", **extra) -> dict:
        ts, nonce = str(timestamp or int(time.time())), str(uuid.uuid4().int % 10**9)
        return {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce,
                "openid": openid, **extra}

    def post(self, xml: str | bytes, params: dict | None = None, timeout: float = 90) -> requests.Response:
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        return requests.post(self.url, params=self.query() if params is None else params, data=body, timeout=timeout,
                             headers={"Content-Type": "text/xml"})

    def reply(self, xml: str) -> str | None:
        """Plaintext mode: the reply's Content (None for "success"), checked like WeChat would."""
        response = self.post(xml)
        assert response.status_code == 200, (response.status_code, response.text)
        if response.text in ("success", ""):
            return None
        message = parse_message(response.text)
        incoming = xmltodict.parse(xml)["xml"]
        assert message.type == "text"
        assert message.target == incoming["FromUserName"] and message.source == incoming["ToUserName"]
        return message.content

    def post_safe(self, xml: str, appid_crypto: WeChatCrypto | None = None,
                  msg_signature: str | None = None) -> tuple[requests.Response, dict]:
        """Safe mode: the message encrypted with wechatpy, msg_signature over the Encrypt element."""
        ts, nonce = str(int(time.time())), str(uuid.uuid4().int % 10**9)
        encrypted = xmltodict.parse((appid_crypto or self.crypto).encrypt_message(xml, nonce, ts))["xml"]
        body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>")
        params = {"signature": sign(self.token, ts, nonce), "timestamp": ts, "nonce": nonce, "openid": "x",
                  "encrypt_type": "aes", "msg_signature": msg_signature or encrypted["MsgSignature"]}
        return self.post(body, params), params

    def reply_safe(self, xml: str) -> str | None:
        response, _ = self.post_safe(xml)
        assert response.status_code == 200, (response.status_code, response.text)
        if response.text in ("success", ""):
            return None
        envelope = xmltodict.parse(response.text)["xml"]
        # wechatpy checks the reply's signature and AppID, as WeChat does.
        plain = self.crypto.decrypt_message(response.text, envelope["MsgSignature"], envelope["TimeStamp"],
                                            envelope["Nonce"])
        message = parse_message(plain)
        assert message.type == "text" and message.source == ACCOUNT
        return message.content


class FakeWeChatAPI:
    """api.weixin.qq.com's access-token and customer-service message endpoints, on localhost."""

    def __init__(self) -> None:
        self.token_requests: list[dict] = []
        self.sent: list[dict] = []
        self.refuse_next_token = False
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, data: dict) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                if url.path != "/cgi-bin/token":
                    return self._json({"errcode": 404, "errmsg": "not found"})
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with api.lock:
                    api.token_requests.append(query)
                    n = len(api.token_requests)
                if query != {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}:
                    return self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
                self._json({"access_token": f"ACCESS-TOKEN-{n}", "expires_in": 7200})

            def do_POST(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                with api.lock:
                    if url.path != "/cgi-bin/message/custom/send":
                        return self._json({"errcode": 404, "errmsg": "not found"})
                    if api.refuse_next_token:
                        api.refuse_next_token = False
                        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    if not query.get("access_token", "").startswith("ACCESS-TOKEN-"):
                        return self._json({"errcode": 40014, "errmsg": "invalid access_token"})
                    api.sent.append({"access_token": query["access_token"], **body})
                self._json({"errcode": 0, "errmsg": "ok"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def messages_to(self, openid: str) -> list[str]:
        with self.lock:
            return [m["text"]["content"] for m in self.sent if m["touser"] == openid]

    def wait_for(self, openid: str, count: int = 1, timeout: float = 90) -> list[str]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.messages_to(openid)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{count} customer-service message(s) to {openid} expected, got {self.messages_to(openid)}")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def user_events(bot, sender: str) -> list[dict]:
    """The user events stored for `sender`, read straight from the tracker store's SQLite file."""
    path = bot.env["TRACKER_DB_URL"].split("sqlite:///", 1)[1]
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,))
        return [json.loads(data) for (data,) in rows]


def all_events(bot, sender: str) -> int:
    path = bot.env["TRACKER_DB_URL"].split("sqlite:///", 1)[1]
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


# -- unit tests: crypto ---------------------------------------------------------------------------------


def test_signature_matches_wechatpy():
    assert signature(TOKEN, "1409659813", "1372623149") == sign(TOKEN, "1409659813", "1372623149")
    wechatpy_check_signature(TOKEN, signature(TOKEN, "1", "2"), "1", "2")
    good = sign(TOKEN, "1", "2")
    assert check_signature(good, TOKEN, "1", "2")
    assert not check_signature(good[:-1] + ("0" if good[-1] != "0" else "1"), TOKEN, "1", "2")
    assert not check_signature(None, TOKEN, "1", "2")
    assert not check_signature("", TOKEN, "1", "2")
    assert not check_signature(good, TOKEN, "1", None)
    assert not check_signature("ü" * 40, TOKEN, "1", "2")


def test_official_sample_vector_decrypts():
    # Tencent's WXBizMsgCrypt sample (token QDG6eK, the published EncodingAESKey and AppID).
    encrypted = ("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvu"
                 "JTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+Ltw"
                 "Gc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V"
                 "2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1pt"
                 "DAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
    assert check_signature("477715d11cdb4164915debcba66cb864d751f3e6", "QDG6eK", "1409659813", "1372623149", encrypted)
    cipher = MessageCipher("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7")
    message = wechat_xml.parse(cipher.decrypt(encrypted))
    assert message["Content"] == "hello" and message["MsgId"] == "4561255354251345929"
    with pytest.raises(AppIdMismatch):
        MessageCipher("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx0000000000000000").decrypt(encrypted)


def test_our_encryption_is_what_wechatpy_decrypts_and_back():
    cipher = MessageCipher(AES_KEY, APPID)
    key = decode_aes_key(AES_KEY)
    for message in ("", "a", "<xml>中文消息</xml>" * 3, "x" * 31, "x" * 32, "y" * 1000):
        assert PrpCrypto(key).decrypt(cipher.encrypt(message), APPID) == message
        assert cipher.decrypt(PrpCrypto(key).encrypt(message, APPID)).decode("utf-8") == message
    with pytest.raises(InvalidAppIdException):
        PrpCrypto(key).decrypt(cipher.encrypt("hi"), "wx_other")
    assert cipher.encrypt("same") != cipher.encrypt("same")  # 16 random bytes in front


def test_bad_ciphertexts_are_refused():
    cipher = MessageCipher(AES_KEY, APPID)
    with pytest.raises(AppIdMismatch):
        cipher.decrypt(MessageCipher(AES_KEY, "wx_other").encrypt("hi"))
    for bad in ("not base64 ***", "", base64.b64encode(b"short").decode(), base64.b64encode(b"\0" * 32).decode()):
        with pytest.raises(CryptoError):
            cipher.decrypt(bad)
    for key in ("", "short", AES_KEY + "A", "*" * 43):
        with pytest.raises(ValueError):
            MessageCipher(key, APPID)


# -- unit tests: XML ------------------------------------------------------------------------------------


def test_xml_parse_and_reply_round_trip_through_wechatpy():
    fields = wechat_xml.parse(text_xml("oUser", "AWD仓储费多少", msg_id=123, created=1700000000))
    assert fields == {"ToUserName": ACCOUNT, "FromUserName": "oUser", "CreateTime": "1700000000",
                      "MsgType": "text", "Content": "AWD仓储费多少", "MsgId": "123"}
    tricky = "价格 <$0.48> & ]]> 结束\x01\x0b"
    reply = parse_message(wechat_xml.text_reply("oUser", ACCOUNT, tricky, 1700000001))
    assert reply.content == "价格 <$0.48> & ]]> 结束" and reply.target == "oUser" and reply.source == ACCOUNT


@pytest.mark.parametrize("body", [
    b"", b"   ", b"not xml", b"<xml><Content>unclosed</xml>", b"<root><a>1</a></root>", b"\xff\xfe<xml/>",
    # XXE: an external entity
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><Content>&xxe;</Content></xml>",
    # billion laughs: nested internal entities
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Content>&c;</Content></xml>',
    # a DOCTYPE alone
    b'<!DOCTYPE xml SYSTEM "http://127.0.0.1:1/x.dtd"><xml><Content>x</Content></xml>',
])
def test_bad_xml_is_refused(body):
    with pytest.raises(wechat_xml.BadXML):
        wechat_xml.parse(body)


# -- unit tests: text, options, state -----------------------------------------------------------------


def test_buttons_become_numbered_options_and_numbers_pick_them():
    text, options = wechat_text.render([
        {"text": "第一段"}, {"text": "第二段", "buttons": [{"title": "AWD仓储费多少？", "payload": "/a"},
                                                       {"title": "帮我选服务", "payload": "/b"}]}])
    assert text == "第一段\n\n第二段" and options == [("AWD仓储费多少？", "/a"), ("帮我选服务", "/b")]
    [message] = wechat_text.compose(text, options)
    assert message.endswith("回复数字选择：\n1. AWD仓储费多少？\n2. 帮我选服务")
    for answer, payload in (("1", "/a"), (" 2 ", "/b"), ("２", "/b"), ("2.", "/b"), ("第1个", "/a"), ("1、", "/a")):
        assert wechat_text.choice(answer, options) == payload, answer
    for answer in ("0", "3", "12", "1 和 2", "AWD", ""):
        assert wechat_text.choice(answer, options) is None, answer
    assert wechat_text.choice("1", []) is None


def test_long_text_is_split_within_the_byte_limit_and_options_stay_last():
    paragraphs = [f"第{i}段：" + "亚马逊物流仓储费说明。" * (5 + i % 7) for i in range(40)]
    text = "\n\n".join(paragraphs)
    options = [(f"选项{i}", f"/p{i}") for i in range(5)]
    chunks = wechat_text.compose(text, options)
    assert len(chunks) > 1
    assert all(wechat_text.byte_len(c) <= 2048 for c in chunks)
    assert "".join(chunks).replace("\n", "").startswith("".join(paragraphs).replace("\n", ""))
    assert chunks[-1].endswith(wechat_text.options_block(options))
    assert sum(c.count("回复数字选择") for c in chunks) == 1
    # no natural boundary at all: cut at character boundaries, still within the limit
    chunks = wechat_text.split("字" * 3000, 2048)
    assert all(wechat_text.byte_len(c) <= 2048 for c in chunks) and "".join(chunks) == "字" * 3000
    # only one message possible (no customer-service API): shortened with a note, options kept
    single = wechat_text.compose_single(text, options)
    assert wechat_text.byte_len(single) <= 2048 and wechat_text.TRUNCATED in single
    assert single.endswith(wechat_text.options_block(options))


def test_expiring_lru():
    now = [0.0]
    cache = ExpiringLRU(ttl=10, max_items=2, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)  # evicts the least recently used: b
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    now[0] = 11
    assert cache.get("a") is None and cache.get("c") is None


def test_customer_service_client_caches_the_token_and_renews_a_refused_one():
    api = FakeWeChatAPI()
    try:
        client = CustomerServiceClient(api.url, APPID, SECRET)

        async def scenario():
            await asyncio.gather(client.send_text("o1", "一"), client.send_text("o2", "二"))
            await client.send_texts("o1", ["三", "四"])
            api.refuse_next_token = True  # WeChat invalidated the token: fetch a new one, once
            await client.send_text("o1", "五")

        asyncio.run(scenario())
        assert len(api.token_requests) == 2
        assert api.messages_to("o1") == ["一", "三", "四", "五"] and api.messages_to("o2") == ["二"]
        assert api.sent[-1]["access_token"] == "ACCESS-TOKEN-2"
    finally:
        api.stop()


def test_channel_processing_with_a_fake_bot():
    """The channel's own logic, without Rasa: split replies, retries, the budget, numbered options."""
    from addons.channels.wechat.channel import WeChatInput

    api = FakeWeChatAPI()
    long_text = "\n\n".join(f"第{i}段：" + "这是一段很长的说明文字。" * 20 for i in range(6))  # ~4 KB
    calls: list[str] = []

    async def fake_bot(message):
        calls.append(message.text)
        if message.text == "慢":
            await asyncio.sleep(0.8)
        await message.output_channel.send_text_with_buttons(
            message.sender_id, long_text, [{"title": "AWD仓储费多少？", "payload": "/fee"}])

    def incoming(user, content, msg_id):
        return wechat_xml.parse(text_xml(user, content, msg_id=msg_id))

    async def scenario(channel):
        async def turn(message):
            delivery = channel._delivery(message, None, fake_bot)
            return await channel._wait(delivery, message["FromUserName"], time.monotonic())

        async def sent_to(user, count):
            for _ in range(100):
                if len(api.messages_to(user)) >= count:
                    return api.messages_to(user)
                await asyncio.sleep(0.05)
            raise AssertionError(api.messages_to(user))

        first = await turn(incoming("u1", "长", 1))
        assert await turn(incoming("u1", "长", 1)) == first  # a retry: the same passive reply
        rest = await sent_to("u1", 1)
        chunks = [first] + rest
        assert calls == ["长"] and len(chunks) >= 3
        assert all(wechat_text.byte_len(c) <= 2048 for c in chunks)
        assert "".join(chunks).replace("\n", "").startswith(long_text.replace("\n", ""))
        assert chunks[-1].endswith("回复数字选择：\n1. AWD仓储费多少？")
        await asyncio.sleep(0.2)
        assert api.messages_to("u1") == rest  # the retry did not send the rest again

        assert await turn(incoming("u2", "慢", 2)) is None  # over budget: "success" ...
        assert await turn(incoming("u2", "慢", 2)) is None  # ... for its retry too
        late = await sent_to("u2", len(chunks))  # ... and the whole reply by the customer-service API
        assert late == chunks and calls.count("慢") == 1

        await turn(incoming("u1", "1", 3))
        assert calls[-1] == "/fee"  # the number picked the option
        await turn(incoming("u1", "9", 4))
        assert calls[-1] == "9"  # no such option: the text goes to the bot as it is
        await asyncio.gather(*channel._background)  # the rest of those replies

    try:
        asyncio.run(scenario(WeChatInput(TOKEN, APPID, secret=SECRET, api_base=api.url, reply_budget=0.4,
                                         followup_delay=0)))
        assert len(api.token_requests) == 1
    finally:
        api.stop()

    # Without an AppSecret there is no customer-service API: one shortened message, options kept.
    async def without_secret(channel):
        delivery = channel._delivery(incoming("u3", "长", 5), None, fake_bot)
        reply = await channel._wait(delivery, "u3", time.monotonic())
        assert wechat_text.byte_len(reply) <= 2048 and wechat_text.TRUNCATED in reply
        assert reply.endswith("回复数字选择：\n1. AWD仓储费多少？")

    asyncio.run(without_secret(WeChatInput(TOKEN, APPID, reply_budget=5)))


def test_forget_conversation_deletes_from_rasa_tracker_stores(tmp_path):
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.channels.wechat.channel import forget_conversation

    domain = Domain.empty()

    async def scenario(store):
        for sender in ("gone", "kept"):
            tracker = DialogueStateTracker(sender, domain.slots)
            tracker.update(UserUttered("你好"))
            await store.save(tracker)
        assert await forget_conversation(store, "gone")
        assert await store.retrieve("gone") is None
        assert await store.retrieve("kept") is not None
        assert not await forget_conversation(store, "gone")

    asyncio.run(scenario(FailSafeTrackerStore(SQLTrackerStore(domain, db=str(tmp_path / "t.db")))))
    asyncio.run(scenario(FailSafeTrackerStore(InMemoryTrackerStore(domain))))


def test_runtime_config_enables_the_channel_from_the_environment():
    from tests.servers import runtime_config

    assert "addons.channels.wechat.channel.WeChatInput" not in runtime_config.credentials({})
    creds = runtime_config.credentials({"WECHAT_TOKEN": "t", "WECHAT_APPID": "wx1", "WECHAT_AES_KEY": AES_KEY,
                                        "WECHAT_SECRET": "s", "WECHAT_REPLY_BUDGET": "0.5"})
    wechat = creds["addons.channels.wechat.channel.WeChatInput"]
    assert wechat["token"] == "t" and wechat["secret"] == "s" and wechat["reply_budget"] == 0.5
    from addons.channels.wechat.channel import WeChatInput

    channel = WeChatInput.from_credentials(wechat)
    assert channel.name() == "wechat" and channel.reply_budget == 0.5 and channel.cipher and channel.cs


# -- end to end: the real assistant behind the channel -------------------------------------------------


@pytest.fixture(scope="module")
def wechat_api():
    api = FakeWeChatAPI()
    yield api
    api.stop()


def start(wechat_api, budget: str, **env):
    from tests.servers import start_assistant

    return start_assistant(extra_env={
        "WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_AES_KEY": AES_KEY, "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": wechat_api.url, "WECHAT_REPLY_BUDGET": budget, "WECHAT_FOLLOWUP_DELAY": "0.1", **env})


_running: list = []  # one assistant at a time: this machine has 2 shared cores


@pytest.fixture(scope="module")
def bot(wechat_api):
    # A generous budget: a busy machine must not turn a passive reply into "success".
    # Messages of at most 1000 bytes (WeChat allows 2048) so that a real answer gets split.
    assistant = start(wechat_api, budget="30", WECHAT_MAX_TEXT_BYTES="1000")
    _running.append(assistant)
    yield assistant
    assistant.stop()


@pytest.fixture(scope="module")
def wechat(bot):
    return WeChatServer(bot.url)


@pytest.mark.e2e
def test_url_verification(wechat):
    params = wechat.query(echostr="7254381640296251398")
    response = requests.get(wechat.url, params=params, timeout=10)
    assert response.status_code == 200 and response.text == "7254381640296251398"
    forged = {**params, "signature": sign("another-token", params["timestamp"], params["nonce"])}
    assert requests.get(wechat.url, params=forged, timeout=10).status_code == 403
    assert requests.get(wechat.url, params={"echostr": "1"}, timeout=10).status_code == 403
    stale = wechat.query(timestamp=int(time.time()) - 3600, echostr="1")
    assert requests.get(wechat.url, params=stale, timeout=10).status_code == 403


@pytest.mark.e2e
def test_plaintext_round_trip(wechat, bot):
    user = openid()
    response = wechat.post(text_xml(user, "AWD仓储费多少"))
    assert response.status_code == 200 and "xml" in response.headers["Content-Type"]
    reply = parse_message(response.text)
    assert reply.type == "text" and reply.target == user and reply.source == ACCOUNT
    assert "0.48" in reply.content and "1.4.1" in reply.content
    assert wechat_text.byte_len(reply.content) <= 2048
    assert [e["text"] for e in user_events(bot, user)] == ["AWD仓储费多少"]
    assert user_events(bot, user)[0]["input_channel"] == "wechat"


@pytest.mark.e2e
def test_safe_mode_round_trip(wechat, bot):
    user = openid()
    reply = wechat.reply_safe(text_xml(user, "AWD仓储费多少"))
    assert reply and "0.48" in reply
    # a message encrypted for another AppID, or with a forged msg_signature: refused, not processed
    other = WeChatCrypto(TOKEN, AES_KEY, "wx_other_app_id")
    stranger = openid()
    response, _ = wechat.post_safe(text_xml(stranger, "AWD仓储费多少"), appid_crypto=other)
    assert response.status_code == 403
    response, _ = wechat.post_safe(text_xml(stranger, "AWD仓储费多少"), msg_signature="0" * 40)
    assert response.status_code == 403
    assert user_events(bot, stranger) == []


@pytest.mark.e2e
def test_forged_or_missing_signature_is_refused_and_nothing_processed(wechat, bot):
    user = openid()
    xml = text_xml(user, "AWD仓储费多少")
    good = wechat.query()
    for params in ({**good, "signature": sign("wrong-token", good["timestamp"], good["nonce"])},
                   {k: v for k, v in good.items() if k != "signature"},
                   {**good, "nonce": good["nonce"] + "1"},
                   {**good, "timestamp": str(int(good["timestamp"]) + 1)},
                   {},
                   wechat.query(timestamp=int(time.time()) - 3600)):  # a stale (replayed) request
        response = wechat.post(xml, params)
        assert response.status_code == 403, params
    time.sleep(1)
    assert user_events(bot, user) == [] and all_events(bot, user) == 0


@pytest.mark.e2e
def test_retried_msg_id_is_processed_once_and_answered_the_same(wechat, bot):
    user = openid()
    xml = text_xml(user, "SEND空运到日本最快几天", msg_id=uuid.uuid4().int % 10**19)
    with ThreadPoolExecutor(3) as pool:  # three tries arriving while the first is still processing
        responses = list(pool.map(lambda _: wechat.post(xml), range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({r.text for r in responses}) == 1
    later = wechat.post(xml)  # and one after it was answered
    assert later.text == responses[0].text
    assert "4天" in parse_message(later.text).content
    assert len(user_events(bot, user)) == 1


@pytest.mark.e2e
def test_malformed_xml_is_a_400_and_the_server_stays_healthy(wechat, bot):
    for body in (b"<xml><Content>unclosed", b"garbage", b"", b"<html></html>", "<xml>\u0000</xml>".encode()):
        assert wechat.post(body).status_code == 400, body
    assert wechat.post(b"<xml><MsgType>text</MsgType></xml>").status_code == 400  # no FromUserName
    assert requests.get(f"{bot.url}/webhooks/wechat/", timeout=10).json() == {"status": "ok"}
    assert "0.48" in wechat.reply(text_xml(openid(), "AWD仓储费多少"))


@pytest.mark.e2e
def test_an_xxe_payload_is_not_resolved(wechat, bot):
    user = openid()
    payload = (f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
               f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{user}</FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType>"
               f"<Content>&xxe;</Content><MsgId>42</MsgId></xml>")
    response = wechat.post(payload)
    assert response.status_code == 400 and "root:" not in response.text
    response, _ = wechat.post_safe(payload)  # the same inside a safe-mode envelope
    assert response.status_code == 400 and "root:" not in response.text
    assert user_events(bot, user) == []


@pytest.mark.e2e
def test_a_too_large_body_is_refused(wechat):
    xml = text_xml(openid(), "长" * 40000)
    assert wechat.post(xml).status_code == 413
    # without a Content-Length (chunked): the limit applies while reading
    parts = (b"<xml><Content>" + b"x" * 1000 if i == 0 else b"x" * 1000 for i in range(100))
    response = requests.post(wechat.url, params=wechat.query(), data=parts, timeout=30)
    assert response.status_code == 413


@pytest.mark.e2e
def test_subscribe_gets_the_welcome_from_the_bot_and_numbers_pick_options(wechat, bot):
    user = openid()
    welcome = wechat.reply(event_xml(user, "subscribe"))
    assert welcome.startswith("你好！我是亚马逊跨境供应链服务助手")
    assert "回复数字选择：\n1. AWD仓储费怎么收？\n2. SEND空运到日本几天？" in welcome
    assert [e["text"] for e in user_events(bot, user)] == ["/greet"]
    assert "0.48" in wechat.reply(text_xml(user, "1"))  # → the first option's payload
    assert user_events(bot, user)[-1]["text"].startswith("/ask_service")


@pytest.mark.e2e
def test_typing_yuanwen_shows_the_quote_behind_the_last_answer(wechat, bot):
    user = openid()
    answer = wechat.reply(text_xml(user, "亚马逊有几架飞机"))
    assert "100+飞机" in answer and "查看原文" in answer  # the button, listed as a numbered option
    quote = wechat.reply(text_xml(user, "原文"))
    assert quote.startswith("原文（1.5.1") and "400+运营中心" in quote and "275,000司机" in quote


@pytest.mark.e2e
def test_a_full_width_number_picks_an_option_too(wechat, bot):
    user = openid()
    wechat.reply(event_xml(user, "subscribe"))
    assert "4天" in wechat.reply(text_xml(user, "２"))


@pytest.mark.e2e
@pytest.mark.parametrize("msg_type", ["image", "voice", "video", "shortvideo", "location", "link"])
def test_other_message_types_get_a_polite_text(wechat, bot, msg_type):
    user = openid()
    reply = wechat.reply(media_xml(user, msg_type))
    assert "文字" in reply and "亚马逊跨境供应链服务" in reply
    assert user_events(bot, user) == []  # no bot turn for a picture


@pytest.mark.e2e
def test_unsubscribe_deletes_the_users_conversation(wechat, bot):
    user, other = openid(), openid()
    assert "0.48" in wechat.reply(text_xml(user, "AWD仓储费多少"))
    assert "0.48" in wechat.reply(text_xml(other, "AWD仓储费多少"))
    assert all_events(bot, user) > 0
    assert wechat.reply(event_xml(user, "unsubscribe")) is None  # "success"
    assert all_events(bot, user) == 0
    assert len(user_events(bot, other)) == 1


@pytest.mark.e2e
def test_a_long_answer_is_split_passive_first_then_customer_service(wechat, bot, wechat_api):
    user = openid()
    xml = text_xml(user, "我该用AGL还是SEND？")
    first = wechat.reply(xml)
    rest = wechat_api.wait_for(user)
    whole = "\n".join([first] + rest)
    assert wechat_text.byte_len(first) <= 1000 and all(wechat_text.byte_len(m) <= 1000 for m in rest)
    for factor in ("卖哪个站", "急不急", "货量", "0.5KG", "0.1CBM"):
        assert factor in whole, whole
    assert "回复数字选择" not in first and rest[-1].endswith("回复数字选择：\n1. 帮我选服务")
    assert wechat.reply(xml) == first  # a retry: the same first part ...
    time.sleep(1)
    assert wechat_api.messages_to(user) == rest  # ... and the rest is not sent twice
    assert len(user_events(bot, user)) == 1
    wechat.reply(text_xml(user, "1"))  # the options came by the customer-service API; "1" still works
    assert user_events(bot, user)[-1]["text"] == "/ask_recommendation"


@pytest.mark.e2e
def test_other_events_are_acknowledged(wechat, bot):
    user = openid()
    assert wechat.reply(event_xml(user, "SCAN")) is None
    assert all_events(bot, user) == 0


@pytest.fixture(scope="module")
def slow_bot(wechat_api):
    # Every reply misses this budget, as a slow bot would miss WeChat's 5 seconds.
    while _running:
        _running.pop().stop()
    assistant = start(wechat_api, budget="0.001")
    yield assistant
    assistant.stop()


@pytest.mark.e2e
def test_a_slow_reply_is_success_then_a_customer_service_message(wechat_api, slow_bot):
    wechat = WeChatServer(slow_bot.url)
    tokens_before = len(wechat_api.token_requests)
    user = openid()
    xml = text_xml(user, "AWD仓储费多少")
    response = wechat.post(xml)
    assert response.status_code == 200 and response.text == "success"
    [late] = wechat_api.wait_for(user)
    assert "0.48" in late and "1.4.1" in late
    assert wechat.post(xml).text == "success"  # a retry: no second delivery
    # safe mode too; and the access token is fetched once, then cached
    response, _ = wechat.post_safe(text_xml(user, "SEND空运到日本最快几天"))
    assert response.status_code == 200 and response.text == "success"
    messages = wechat_api.wait_for(user, 2)
    assert "4天" in messages[1]
    time.sleep(1)
    assert wechat_api.messages_to(user) == messages
    assert len(wechat_api.token_requests) - tokens_before == 1  # fetched once, then cached
    assert wechat_api.token_requests[-1] == {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    sent = [m for m in wechat_api.sent if m["touser"] == user]
    assert all(m["msgtype"] == "text" and m["access_token"] == sent[0]["access_token"] for m in sent)
    assert len(user_events(slow_bot, user)) == 2


@pytest.mark.e2e
def test_a_slow_welcome_keeps_its_numbered_options(wechat_api, slow_bot):
    wechat = WeChatServer(slow_bot.url)
    user = openid()
    assert wechat.post(event_xml(user, "subscribe")).text == "success"
    [welcome] = wechat_api.wait_for(user)
    assert "回复数字选择：" in welcome
    assert wechat.post(text_xml(user, "1")).text == "success"
    assert "0.48" in wechat_api.wait_for(user, 2)[1]
