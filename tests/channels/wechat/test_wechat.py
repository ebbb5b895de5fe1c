"""The WeChat Official Account channel (addons/channels/wechat/) without a running assistant: crypto
and XML against `wechatpy` as the WeChat side, text splitting and numbered options, the state it
keeps, the customer-service client and the channel's processing with a fake bot, against the fake
WeChat API of tests/support/wechat.py. With the real assistant behind it: test_end_to_end.py."""
from __future__ import annotations

import asyncio
import base64
import time

import pytest
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import check_signature as wechatpy_check_signature

from addons.channels.wechat import text as wechat_text
from addons.channels.wechat import xml as wechat_xml
from addons.channels.wechat.crypto import (
    AppIdMismatch,
    CryptoError,
    MessageCipher,
    check_signature,
    decode_aes_key,
    signature,
)
from addons.channels.wechat.customer_service import CustomerServiceClient
from addons.channels.wechat.state import ExpiringLRU
from tests.support.servers import runtime_config
from tests.support.wechat import ACCOUNT, AES_KEY, APPID, SECRET, TOKEN, FakeWeChatAPI, sign, text_xml

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
    assert "addons.channels.wechat.channel.WeChatInput" not in runtime_config.credentials({})
    creds = runtime_config.credentials({"WECHAT_TOKEN": "t", "WECHAT_APPID": "wx1", "WECHAT_AES_KEY": AES_KEY,
                                        "WECHAT_SECRET": "s", "WECHAT_REPLY_BUDGET": "0.5"})
    wechat = creds["addons.channels.wechat.channel.WeChatInput"]
    assert wechat["token"] == "t" and wechat["secret"] == "s" and wechat["reply_budget"] == 0.5
    from addons.channels.wechat.channel import WeChatInput

    channel = WeChatInput.from_credentials(wechat)
    assert channel.name() == "wechat" and channel.reply_budget == 0.5 and channel.cipher and channel.cs


def test_unsubscribing_erases_everything_kept_of_the_user(tmp_path):
    """Like an erasure from the console: events, hand-off state, feedback — the other user's stay."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.channels.wechat.channel import forget_conversation
    from staff.feedback import FeedbackStore
    from staff.store import Store

    db = tmp_path / "t.db"
    tracker_store = FailSafeTrackerStore(SQLTrackerStore(Domain.empty(), db=str(db)))

    async def save(sender):
        tracker = DialogueStateTracker(sender, [])
        tracker.update(UserUttered("转人工", intent={"name": "request_human", "confidence": 0.9}))
        await tracker_store.save(tracker)

    staff, feedback = Store(f"sqlite:///{db}"), FeedbackStore(f"sqlite:///{db}")
    try:
        for sender in ("oGone", "oKept"):
            asyncio.run(save(sender))
            staff.set_handoff(sender, "taken", "小王")
            feedback.rate(sender, "down", "wechat", "AWD是什么", "AWD是……")
        assert asyncio.run(forget_conversation(tracker_store, "oGone"))
        engine = sa.create_engine(f"sqlite:///{db}")
        with engine.connect() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names()
                      if "sender_id" in {c["name"] for c in sa.inspect(conn).get_columns(t)}]
            assert {"events", "staff_handoff", "feedback"} <= set(tables)
            for table in tables:
                senders = {r[0] for r in conn.execute(sa.text(f"SELECT sender_id FROM {table}"))}
                assert "oGone" not in senders, table
            assert all("oKept" in {r[0] for r in conn.execute(sa.text(f"SELECT sender_id FROM {t}"))}
                       for t in ("events", "staff_handoff", "feedback"))
        engine.dispose()
    finally:
        staff.close()
        feedback.close()
