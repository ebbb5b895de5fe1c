"""The WeChat side of the WeChat Official Account channel's tests (addons/channels/wechat/).

The WeChat server's posts are made with the PyPI package `wechatpy` (signatures, safe-mode
encryption, decrypting and parsing replies), independently of the project's code; FakeWeChatAPI
stands in, on localhost, for WeChat's access-token and customer-service message API.
"""
from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

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
