"""Human takeover over REST and the console API, with the real assistant (Rasa with its HTTP API behind
a token, the action server) and the console's web server on the same database: a seller asks for a
human, an agent takes the conversation and writes, the bot stays silent, the agent hands it back."""
import json
import secrets
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.support.servers import free_port, start_assistant
from tests.support.staff import start_console_for

pytestmark = [pytest.mark.servers, pytest.mark.model]

ALWAYS_OPEN = {"HANDOFF_HOURS": "00:00-00:00", "HANDOFF_DAYS": "1-7"}


class Desk:
    """An assistant and the console in front of it."""

    def __init__(self, extra_env: dict | None = None, db_url: str | None = None):
        self.token = secrets.token_urlsafe(16)
        env = {**ALWAYS_OPEN, **(extra_env or {})}
        if db_url:
            env["TRACKER_DB_URL"] = db_url
        self.bot = start_assistant(extra_args=("--enable-api", f"--auth-token={self.token}"), extra_env=env,
                                   web_origin=f"http://localhost:{free_port()}")
        self.console = start_console_for(self.bot, self.token)

    def stop(self):
        self.console.stop()
        self.bot.stop()

    def post(self, path: str, body) -> tuple[int, dict]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        status, _, answer = self.console.request(path, method="POST", data=data)
        return status, answer

    def take(self, sender: str, agent: str):
        return self.post(f"/staff/api/handoffs/{sender}", {"status": "taken", "by": agent})

    def write(self, sender: str, text: str, agent: str, force: bool = False):
        return self.post(f"/staff/api/conversations/{sender}/messages", {"text": text, "by": agent, "force": force})

    def audit(self, sender: str) -> list[dict]:
        status, _, body = self.console.request("/staff/api/audit", token=self.console.admin_token,
                                               params={"sender": sender})
        assert status == 200, body
        return body["audit"]

    def queue_entry(self, sender: str) -> dict:
        return next(h for h in self.console.get("/staff/api/handoffs")["handoffs"] if h["sender_id"] == sender)


@pytest.fixture(scope="module")
def desk():
    d = Desk()
    yield d
    d.stop()


def seller():
    return "seller-" + uuid.uuid4().hex[:10]


def test_the_whole_takeover_over_rest_and_the_console(desk):
    me = seller()
    queued = desk.bot.reply("转人工", me)
    assert "转接人工客服" in queued and "第 1 位" in queued, queued
    assert desk.queue_entry(me)["status"] == "open" and desk.queue_entry(me)["position"] == 1

    status, taken = desk.take(me, "小王")
    assert status == 200 and taken["status"] == "taken" and taken["actor"] == "小王", taken
    status, refused = desk.take(me, "小李")
    assert status == 409 and refused["actor"] == "小王" and "小王" in refused["error"]

    status, sent = desk.write(me, "你好，我是客服小王，请问货物现在在哪里？", "小王")
    assert status == 200 and sent["delivered"] == "rest", sent

    # The seller's next REST message gets what was pushed meanwhile, and no bot answer.
    messages = desk.bot.send("在深圳仓库，想发美国", me)
    texts = [m["text"] for m in messages]
    assert texts == ["客服小王已接入，接下来由小王为你解答。想回到智能助手，发「结束人工」即可。",
                     "你好，我是客服小王，请问货物现在在哪里？"], texts
    assert [m.get("staff") for m in messages] == [None, "小王"]
    assert desk.bot.send("AWD仓储费多少？", me) == []  # still the agent's: the bot says nothing
    assert desk.queue_entry(me)["unread"] == 2

    transcript = desk.console.get(f"/staff/api/conversations/{me}")
    said = [(b["staff"], b["text"]) for item in transcript["items"] if item["kind"] == "turn" for b in item["bot"]]
    assert (("小王", "你好，我是客服小王，请问货物现在在哪里？")) in said
    users = [item["user"]["text"] for item in transcript["items"] if item["kind"] == "turn" and item["user"]]
    assert users[-2:] == ["在深圳仓库，想发美国", "AWD仓储费多少？"]

    status, done = desk.post(f"/staff/api/handoffs/{me}", {"status": "done", "by": "小王"})
    assert status == 200 and done["status"] == "done"
    back = desk.bot.send("AWD仓储费多少？", me)
    assert back[0]["text"].startswith("已切回智能助手"), back
    assert "0.48" in " ".join(m["text"] for m in back[1:])

    actions = [(row["action"], row["actor"]) for row in desk.audit(me)]
    assert actions[::-1] == [("take", "小王"), ("send", "小王"), ("view", "staff"), ("done", "小王")]


def test_a_staff_reply_with_a_fee_the_document_lacks_is_held_back_until_forced(desk):
    me = seller()
    desk.bot.reply("我要找人工客服", me)
    assert desk.take(me, "小张")[0] == 200
    status, held = desk.write(me, "AWD仓储费是每立方英尺每月$0.30。", "小张")
    assert status == 409 and held["code"] == "unsupported_claims", held
    assert any("0.30" in c["text"] for c in held["claims"]), held
    status, ok = desk.write(me, "AWD仓储费是每立方英尺每月$0.48，折扣后低至$0.38。", "小张")
    assert status == 200, ok
    status, forced = desk.write(me, "AWD仓储费是每立方英尺每月$0.30。", "小张", force=True)
    assert status == 200, forced
    texts = [m["text"] for m in desk.bot.send("好的", me)]
    assert texts[-2:] == ["AWD仓储费是每立方英尺每月$0.48，折扣后低至$0.38。", "AWD仓储费是每立方英尺每月$0.30。"]


def test_only_the_agent_who_took_it_can_write_and_bad_requests_change_nothing(desk):
    me = seller()
    desk.bot.reply("转人工", me)
    status, body = desk.write(me, "你好", "小王")
    assert status == 409 and body["code"] == "not_taken"
    assert desk.take(me, "小赵")[0] == 200
    assert desk.write(me, "你好", "小王")[1]["code"] == "not_taken"
    for body, expected in [({"text": "   ", "by": "小赵"}, 400), ({"text": "x" * 2001, "by": "小赵"}, 400),
                           ({"text": "你好", "by": ""}, 400), ({"text": 5, "by": "小赵"}, 400),
                           (b"{not json", 400), ([1, 2], 400)]:
        status, answer = desk.post(f"/staff/api/conversations/{me}/messages", body)
        assert status == expected and "error" in answer, (body, status, answer)
    status, _, _ = desk.console.request(f"/staff/api/conversations/{me}/messages", method="POST",
                                        data=b'{"text": "hi", "by": "x"}', token="wrong")
    assert status == 403
    assert desk.take("nobody-" + uuid.uuid4().hex, "小赵")[0] == 404
    assert [row["action"] for row in desk.audit(me)] == ["take"]
    markup = "<script>alert(1)</script>客服稍后联系"
    assert desk.write(me, markup, "小赵")[0] == 200
    pushed = desk.bot.send("好", me)
    assert pushed[-1] == {"recipient_id": me, "text": markup, "staff": "小赵"}  # JSON text; pages render it as text


def test_the_seller_ends_the_takeover_and_the_queue_shows_it(desk):
    me = seller()
    desk.bot.reply("转人工", me)
    desk.take(me, "小王")
    messages = desk.bot.send("结束人工", me)
    assert messages[-1]["text"].startswith("已切回智能助手"), messages
    assert desk.queue_entry(me)["status"] == "done"
    assert "0.48" in desk.bot.reply("AWD仓储费多少？", me)


def test_two_unanswerable_questions_bring_the_hand_off_button(desk):
    me = seller()
    desk.bot.send("今天天气怎么样", me)
    second = desk.bot.send("推荐一部好看的电影吧", me)
    buttons = [b["title"] for m in second for b in m.get("buttons", [])]
    assert "转人工" in buttons, second


def test_a_takeover_survives_a_restart_of_rasa():
    first = Desk()
    me = seller()
    try:
        first.bot.reply("转人工", me)
        assert first.take(me, "小王")[0] == 200
        db = first.bot.env["TRACKER_DB_URL"]
    finally:
        first.stop()
    again = Desk(db_url=db)
    try:
        pushed = again.bot.send("还在吗", me)
        assert [m["text"] for m in pushed] == ["客服小王已接入，接下来由小王为你解答。想回到智能助手，发「结束人工」即可。"]
        assert again.bot.send("AWD仓储费多少？", me) == []
        assert again.queue_entry(me)["status"] == "taken"
    finally:
        again.stop()


def test_nobody_taking_the_request_in_time_gets_the_seller_a_notice_once():
    waiting = Desk({"HANDOFF_WAIT_SECONDS": "2"})
    me = seller()
    try:
        waiting.bot.reply("转人工", me)
        time.sleep(5)  # the console checks every second at this wait
        texts = [m["text"] for m in waiting.bot.send("AWD仓储费多少？", me)]
        assert texts[0].startswith("客服同事暂时都在忙") and "第 1 位" in texts[0], texts
        assert "0.48" in texts[1]
        time.sleep(3)
        assert not any(t.startswith("客服同事暂时都在忙") for t in
                       (m["text"] for m in waiting.bot.send("好的", me)))
        engine = sa.create_engine(waiting.bot.env["TRACKER_DB_URL"])
        with engine.connect() as conn:
            notices = conn.execute(sa.text("select count(*) from staff_audit where action = 'notice'")).scalar()
        engine.dispose()
        assert notices == 1
    finally:
        waiting.stop()


# -- WeChat: the agent's messages go out through the customer-service API ------------------------------


@pytest.fixture(scope="module")
def wechat_desk():
    from tests.support.wechat import AES_KEY, APPID, SECRET, TOKEN, FakeWeChatAPI, WeChatServer

    api = FakeWeChatAPI()
    d = Desk({"WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_AES_KEY": AES_KEY, "WECHAT_SECRET": SECRET,
              "WECHAT_API_BASE": api.url, "WECHAT_REPLY_BUDGET": "30"})
    yield d, WeChatServer(d.bot.url), api
    d.stop()
    api.stop()


def test_a_wechat_seller_gets_the_agents_messages_through_the_customer_service_api(wechat_desk):
    from tests.support.wechat import openid, text_xml

    desk, wechat, api = wechat_desk
    user = openid()
    assert "转接人工客服" in wechat.reply(text_xml(user, "转人工"))
    assert desk.take(user, "小王")[0] == 200
    status, sent = desk.write(user, "你好，我是客服小王。", "小王")
    assert status == 200 and sent["delivered"] == "wechat", sent
    assert api.wait_for(user, 2) == ["客服小王已接入，接下来由小王为你解答。想回到智能助手，发「结束人工」即可。",
                                     "你好，我是客服小王。"]
    assert wechat.reply(text_xml(user, "AWD仓储费多少？")) is None  # the bot stays silent: "success"
    assert desk.queue_entry(user)["unread"] == 1


def test_past_wechats_48_hour_window_the_agents_message_is_refused_with_the_reason(wechat_desk):
    from tests.support.wechat import openid, text_xml

    desk, wechat, api = wechat_desk
    user = openid()
    wechat.reply(text_xml(user, "转人工"))
    assert desk.take(user, "小李")[0] == 200
    engine = sa.create_engine(desk.bot.env["TRACKER_DB_URL"])
    with engine.begin() as conn:  # the conversation and the take, as if 49 hours ago
        conn.execute(sa.text("update events set timestamp = timestamp - 49 * 3600 where sender_id = :s"), {"s": user})
        conn.execute(sa.text("update staff_handoff set request_ts = request_ts - 49 * 3600, "
                             "updated_at = updated_at - 49 * 3600 where sender_id = :s"), {"s": user})
    engine.dispose()
    before = api.messages_to(user)
    status, refused = desk.write(user, "你好，还需要帮助吗？", "小李")
    assert status == 409 and refused["code"] == "wechat_window" and "48 小时" in refused["error"], refused
    assert api.messages_to(user) == before
    said = [b["text"] for item in desk.console.get(f"/staff/api/conversations/{user}")["items"]
            if item["kind"] == "turn" for b in item["bot"]]
    assert "你好，还需要帮助吗？" not in said


# -- privacy: erasure on request, masked personal data, the audit of views --------------------------


def test_a_seller_erased_on_request_is_gone_from_every_table_and_the_transcript_is_404(desk):
    me = seller()
    desk.bot.reply("转人工，我的电话13812345678", me)
    desk.take(me, "小王")
    desk.write(me, "您好", "小王")
    status, _, erased = desk.console.request(f"/staff/api/conversations/{me}", method="DELETE")
    assert status == 200 and erased["erased"]["events"] > 0, erased
    assert desk.console.request(f"/staff/api/conversations/{me}")[0] == 404
    assert desk.console.request(f"/staff/api/conversations/{me}", method="DELETE")[0] == 404
    engine = sa.create_engine(desk.bot.env["TRACKER_DB_URL"])
    try:
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                columns = {c["name"] for c in sa.inspect(conn).get_columns(table)}
                if "sender_id" in columns:
                    n = conn.execute(sa.text(f"select count(*) from {table} where sender_id = :s"), {"s": me}).scalar()
                    assert n == 0, table
    finally:
        engine.dispose()
    assert desk.console.request(f"/staff/api/conversations/{me}", method="DELETE", token="wrong")[0] == 403


def test_the_console_shows_personal_data_masked_and_an_admin_reveal_is_recorded(desk):
    me = seller()
    desk.bot.reply("订单113-1234567-7654321还没到，电话13812345678", me)
    masked = json.dumps(desk.console.get(f"/staff/api/conversations/{me}"), ensure_ascii=False)
    assert "13812345678" not in masked and "113-1234567-7654321" not in masked and "*******5678" in masked
    refused = desk.console.request(f"/staff/api/conversations/{me}", params={"reveal": "1"})
    assert refused[0] == 403
    status, _, shown = desk.console.request(f"/staff/api/conversations/{me}", token=desk.console.admin_token,
                                            params={"reveal": "1", "by": "主管"})
    assert status == 200 and "13812345678" in json.dumps(shown, ensure_ascii=False)
    assert ("reveal", "主管") in [(r["action"], r["actor"]) for r in desk.audit(me)]
    assert desk.console.request("/staff/api/audit")[0] == 403  # the staff token does not read the audit
