"""The WeChat Official Account channel with the real assistant behind it (Rasa + action server), the
channel enabled from WECHAT_* variables: tests/support/wechat.py posts as the WeChat server does and
its FakeWeChatAPI receives the customer-service messages. These assistants have settings of their own
(the WeChat credentials, a reply budget), so they are not the shared one of tests/conftest.py."""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from addons.channels.wechat import text as wechat_text
from tests.support.servers import start_assistant
from tests.support.wechat import (
    ACCOUNT,
    AES_KEY,
    APPID,
    SECRET,
    TOKEN,
    FakeWeChatAPI,
    WeChatServer,
    all_events,
    event_xml,
    media_xml,
    openid,
    sign,
    text_xml,
    user_events,
)

pytestmark = [pytest.mark.servers, pytest.mark.model]


# -- end to end: the real assistant behind the channel -------------------------------------------------


@pytest.fixture(scope="module")
def wechat_api():
    api = FakeWeChatAPI()
    yield api
    api.stop()


def start(wechat_api, budget: str, **env):
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


def test_url_verification(wechat):
    params = wechat.query(echostr="7254381640296251398")
    response = requests.get(wechat.url, params=params, timeout=10)
    assert response.status_code == 200 and response.text == "7254381640296251398"
    forged = {**params, "signature": sign("another-token", params["timestamp"], params["nonce"])}
    assert requests.get(wechat.url, params=forged, timeout=10).status_code == 403
    assert requests.get(wechat.url, params={"echostr": "1"}, timeout=10).status_code == 403
    stale = wechat.query(timestamp=int(time.time()) - 3600, echostr="1")
    assert requests.get(wechat.url, params=stale, timeout=10).status_code == 403


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


def test_malformed_xml_is_a_400_and_the_server_stays_healthy(wechat, bot):
    for body in (b"<xml><Content>unclosed", b"garbage", b"", b"<html></html>", "<xml>\u0000</xml>".encode()):
        assert wechat.post(body).status_code == 400, body
    assert wechat.post(b"<xml><MsgType>text</MsgType></xml>").status_code == 400  # no FromUserName
    assert requests.get(f"{bot.url}/webhooks/wechat/", timeout=10).json() == {"status": "ok"}
    assert "0.48" in wechat.reply(text_xml(openid(), "AWD仓储费多少"))


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


def test_a_too_large_body_is_refused(wechat):
    xml = text_xml(openid(), "长" * 40000)
    assert wechat.post(xml).status_code == 413
    # without a Content-Length (chunked): the limit applies while reading
    parts = (b"<xml><Content>" + b"x" * 1000 if i == 0 else b"x" * 1000 for i in range(100))
    response = requests.post(wechat.url, params=wechat.query(), data=parts, timeout=30)
    assert response.status_code == 413


def test_subscribe_gets_the_welcome_from_the_bot_and_numbers_pick_options(wechat, bot):
    user = openid()
    welcome = wechat.reply(event_xml(user, "subscribe"))
    assert welcome.startswith("你好！我是亚马逊跨境供应链服务助手")
    assert "回复数字选择：\n1. AWD每月仓储费是多少？\n2. SEND空运到日本几天？" in welcome
    assert [e["text"] for e in user_events(bot, user)] == ["/greet"]
    assert "0.48" in wechat.reply(text_xml(user, "1"))  # → the first option's payload
    assert user_events(bot, user)[-1]["text"].startswith("/ask_service")


def test_typing_yuanwen_shows_the_quote_behind_the_last_answer(wechat, bot):
    user = openid()
    answer = wechat.reply(text_xml(user, "亚马逊有几架飞机"))
    assert "100+飞机" in answer and "查看原文" in answer  # the button, listed as a numbered option
    quote = wechat.reply(text_xml(user, "原文"))
    assert quote.startswith("原文（1.5.1") and "400+运营中心" in quote and "275,000司机" in quote


def test_a_full_width_number_picks_an_option_too(wechat, bot):
    user = openid()
    wechat.reply(event_xml(user, "subscribe"))
    assert "4天" in wechat.reply(text_xml(user, "２"))


@pytest.mark.parametrize("msg_type", ["image", "voice", "video", "shortvideo", "location", "link"])
def test_other_message_types_get_a_polite_text(wechat, bot, msg_type):
    user = openid()
    reply = wechat.reply(media_xml(user, msg_type))
    assert "文字" in reply and "亚马逊跨境供应链服务" in reply
    assert user_events(bot, user) == []  # no bot turn for a picture


def test_unsubscribe_deletes_the_users_conversation(wechat, bot):
    user, other = openid(), openid()
    assert "0.48" in wechat.reply(text_xml(user, "AWD仓储费多少"))
    assert "0.48" in wechat.reply(text_xml(other, "AWD仓储费多少"))
    assert all_events(bot, user) > 0
    assert wechat.reply(event_xml(user, "unsubscribe")) is None  # "success"
    assert all_events(bot, user) == 0
    assert len(user_events(bot, other)) == 1


def test_a_flood_from_one_openid_is_cut_at_the_limit_told_once_then_success(wechat, bot):
    user = openid()
    replies_ = [wechat.reply(text_xml(user, f"你好{i}")) for i in range(24)]
    assert all(r for r in replies_[:20])
    assert "消息发得太快了" in replies_[20] and replies_[21:] == [None, None, None]  # "success": nothing processed
    assert len(user_events(bot, user)) == 20


def test_a_long_answer_is_split_passive_first_then_customer_service(wechat, bot, wechat_api):
    user = openid()
    xml = text_xml(user, "我该用AGL还是SEND？")
    first = wechat.reply(xml)
    rest = wechat_api.wait_for(user)
    whole = "\n".join([first] + rest)
    assert wechat_text.byte_len(first) <= 1000 and all(wechat_text.byte_len(m) <= 1000 for m in rest)
    for factor in ("卖哪个站", "急不急", "货量", "0.5KG", "0.1CBM"):
        assert factor in whole, whole
    assert "回复数字选择" not in first and rest[-1].endswith("回复数字选择：\n1. 帮我选服务\n2. 👍 有用\n3. 👎 没用")
    assert wechat.reply(xml) == first  # a retry: the same first part ...
    time.sleep(1)
    assert wechat_api.messages_to(user) == rest  # ... and the rest is not sent twice
    assert len(user_events(bot, user)) == 1
    wechat.reply(text_xml(user, "1"))  # the options came by the customer-service API; "1" still works
    assert user_events(bot, user)[-1]["text"] == "/ask_recommendation"


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


def test_a_slow_welcome_keeps_its_numbered_options(wechat_api, slow_bot):
    wechat = WeChatServer(slow_bot.url)
    user = openid()
    assert wechat.post(event_xml(user, "subscribe")).text == "success"
    [welcome] = wechat_api.wait_for(user)
    assert "回复数字选择：" in welcome
    assert wechat.post(text_xml(user, "1")).text == "success"
    assert "0.48" in wechat_api.wait_for(user, 2)[1]

