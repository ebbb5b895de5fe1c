"""The staff console's JSON API, on SQLite and on PostgreSQL (the `seeded` fixture is parametrized):
knowledge search, conversations, transcripts, the hand-off queue and unanswered questions, and the
token that guards all of them."""
import csv
import io
import time

import pytest

from tests.support.staff import DAY, WINDOW, append, turn

pytestmark = [pytest.mark.servers, pytest.mark.model]

AWD_FEE_QUOTE = "仓储费仅需\\$0.48/立方英尺/月, 可享折扣低至\\$0.38"
API_ROUTES = [
    ("GET", "/staff/api/session"),
    ("GET", "/staff/api/knowledge/options"),
    ("GET", "/staff/api/knowledge/search?q=AWD"),
    ("GET", "/staff/api/knowledge/sections/1.4.1"),
    ("GET", "/staff/api/conversations"),
    ("GET", "/staff/api/conversations/anyone"),
    ("GET", "/staff/api/handoffs"),
    ("POST", "/staff/api/handoffs/anyone"),
    ("GET", "/staff/api/unanswered"),
    ("GET", "/staff/api/unanswered.csv"),
]


# -- the token ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", API_ROUTES)
def test_every_api_route_refuses_a_missing_or_wrong_token(console, method, path):
    body = {"status": "done"} if method == "POST" else None
    status, headers, data = console.request(path, method, token=None, body=body)
    assert status == 401 and "Bearer" in headers.get("WWW-Authenticate", ""), (status, data)
    assert console.request(path, method, token="wrong-" + console.token, body=body)[0] == 403
    assert console.request(path, method, token=None, body=body,
                           headers={"Authorization": f"Basic {console.token}"})[0] == 401
    assert console.request(path, method, token=console.token[:-1], body=body)[0] == 403


def test_the_api_sends_no_cors_headers(console):
    for token in (None, console.token):
        _, headers, _ = console.request("/staff/api/session", token=token, headers={"Origin": "http://evil.example"})
        assert not any(h.lower().startswith("access-control-") for h in headers)
    status, headers, _ = console.request("/staff/api/handoffs", "OPTIONS", token=None,
                                         headers={"Origin": "http://evil.example",
                                                  "Access-Control-Request-Method": "GET"})
    assert status >= 400 and "Access-Control-Allow-Origin" not in headers


def test_the_page_is_a_log_in_shell_with_no_data(console, seeded):
    status, headers, html = console.request("/staff", token=None)
    assert status == 200 and "客服控制台" in html and "令牌" in html
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert seeded.tag not in html and "0.48" not in html
    status, _, script = console.request("/staff/static/staff.js", token=None)
    assert status == 200 and "sessionStorage" in script and "Authorization" in script


def test_the_token_opens_the_api(console, seeded):
    assert console.get("/staff/api/session") == {"ok": True, "database": seeded.backend, "name": None,
                                                 "account": False, "can_reveal": False, "admin": False}


# -- knowledge ---------------------------------------------------------------------------------------


def test_search_by_words_finds_the_fact_with_section_and_quotes(console):
    hits = console.get("/staff/api/knowledge/search", q="AWD 仓储费")["hits"]
    top = hits[0]
    assert (top["owner"], top["attribute"]) == ("AWD", "fee")
    assert "0.48" in top["answer"] and "0.38" in top["answer"]
    assert top["section"] == "1.4.1" and "AWD" in top["section_title"]
    assert AWD_FEE_QUOTE in top["quotes"]


def test_search_by_service_alias_and_by_attribute(console):
    by_service = console.get("/staff/api/knowledge/search", service="卫星仓")["hits"]
    assert by_service and {h["owner"] for h in by_service} == {"AWD"}
    by_attribute = console.get("/staff/api/knowledge/search", attribute="fee")["hits"]
    assert {h["attribute"] for h in by_attribute} == {"fee"} and "AWD" in {h["owner"] for h in by_attribute}
    assert console.get("/staff/api/knowledge/search", attribute="费用")["hits"] == by_attribute
    both = console.get("/staff/api/knowledge/search", service="SEND", attribute="transit_time")["hits"]
    assert [(h["owner"], h["attribute"]) for h in both] == [("SEND", "transit_time")]
    words_in_service = console.get("/staff/api/knowledge/search", q="折扣", service="AWD")["hits"]
    assert words_in_service and {h["owner"] for h in words_in_service} == {"AWD"}
    assert words_in_service[0]["attribute"] == "discount"


def test_search_options_list_services_and_attributes(console):
    options = console.get("/staff/api/knowledge/options")
    assert {"id": "AWD", "label": "AWD（亚马逊智能卫星仓）"} in options["services"]
    assert {"key": "fee", "label": "费用"} in options["attributes"]


def test_the_passages_of_a_section_contain_the_quotes(console):
    hit = console.get("/staff/api/knowledge/search", q="AWD 仓储费")["hits"][0]
    section = console.get(f"/staff/api/knowledge/sections/{hit['section']}")
    assert section["section"] == "1.4.1" and section["title"] == "亚马逊智能卫星仓 (AWD)"
    text = "\n".join(p["text"] for p in section["passages"])
    assert AWD_FEE_QUOTE in text
    assert all(p["id"].startswith("1.4.1#") for p in section["passages"])


def test_search_errors_are_400_and_unknown_sections_404(console):
    assert console.request("/staff/api/knowledge/search")[0] == 400
    assert console.request("/staff/api/knowledge/search", params={"service": "不存在的服务"})[0] == 400
    assert console.request("/staff/api/knowledge/search", params={"attribute": "不存在"})[0] == 400
    assert console.request("/staff/api/knowledge/sections/9.9.9")[0] == 404


# -- conversations -----------------------------------------------------------------------------------


def test_find_conversations_by_sender_id(console, seeded):
    found = console.get("/staff/api/conversations", sender=seeded.handoff_sender)["conversations"]
    assert [c["sender_id"] for c in found] == [seeded.handoff_sender]
    c = found[0]
    assert c["messages"] == 2 and c["last_message"] == "我要找人工客服" and c["channel"] == "rest"
    assert c["handoff"]["status"] in ("open", "taken", "done")
    # a part of the id finds every conversation that contains it
    tagged = {c["sender_id"] for c in console.get("/staff/api/conversations", sender=f"web-{seeded.tag}")["conversations"]}
    assert {seeded.fee_sender, seeded.oos_sender, seeded.restart_sender} <= tagged
    assert seeded.handoff_sender not in tagged
    # LIKE wildcards in the query are taken literally
    assert console.get("/staff/api/conversations", sender="%")["conversations"] == []


def test_find_conversations_by_time_range(console, seeded):
    since, until = WINDOW
    found = console.get("/staff/api/conversations", since=since, until=until)["conversations"]
    synthetic = {seeded.old_handoff, seeded.reopen_handoff, seeded.slot_handoff, *seeded.unanswered_senders}
    assert {c["sender_id"] for c in found} == synthetic
    # the most recently active first
    assert [c["last"] for c in found] == sorted((c["last"] for c in found), reverse=True)
    # epoch seconds work too; an hour's window holds only what happened in it
    hour = console.get("/staff/api/conversations", since=DAY + 10 * 3600, until=DAY + 10 * 3600 + 59 * 60)
    assert {c["sender_id"] for c in hour["conversations"]} == {seeded.old_handoff, *seeded.unanswered_senders}
    recent = console.get("/staff/api/conversations", since=time.time() - 24 * 3600)["conversations"]
    assert seeded.fee_sender in {c["sender_id"] for c in recent} and not synthetic & {c["sender_id"] for c in recent}
    assert console.request("/staff/api/conversations", params={"since": "昨天"})[0] == 400


def test_transcript_shows_intent_confidence_action_and_texts(console, seeded):
    t = console.get(f"/staff/api/conversations/{seeded.fee_sender}")
    assert t["sender_id"] == seeded.fee_sender and t["channel"] == "rest"
    assert t["items"][0]["kind"] == "session"
    turns = [i for i in t["items"] if i["kind"] == "turn" and i["user"]]
    first = turns[0]
    assert first["user"]["text"] == "AWD仓储费多少？"
    assert first["user"]["intent"] == "ask_service" and 0.5 < first["user"]["confidence"] <= 1
    assert first["actions"][0]["name"] == "action_respond" and first["actions"][0]["policy"] == "RulePolicy"
    bot_text = "\n".join(b["text"] for b in first["bot"])
    assert "0.48" in bot_text and "0.38" in bot_text and "1.4.1" in bot_text
    assert any(b["buttons"] for b in first["bot"])
    assert first["focus"].startswith("service：服务 AWD") and "问 fee" in first["focus"] and "出处 1.4.1" in first["focus"]


def test_transcript_of_a_hand_off(console, seeded):
    t = console.get(f"/staff/api/conversations/{seeded.handoff_sender}")
    turns = [i for i in t["items"] if i["kind"] == "turn" and i["user"]]
    request = turns[-1]
    assert request["user"]["text"] == "我要找人工客服" and request["user"]["intent"] == "request_human"
    assert [a["name"] for a in request["actions"]] == ["action_respond"]
    assert request["slots"] == {"handoff": "requested"}
    assert "人工" in request["bot"][0]["text"]
    assert t["handoff"] is not None


def test_unknown_conversation_is_404(console):
    assert console.request("/staff/api/conversations/nobody-at-all")[0] == 404


# -- hand-off queue ----------------------------------------------------------------------------------


def test_hand_off_queue_newest_first_then_taken_done_and_reopened(console, seeded):
    queue = console.get("/staff/api/handoffs")["handoffs"]
    senders = [q["sender_id"] for q in queue]
    assert {seeded.handoff_sender, seeded.old_handoff, seeded.reopen_handoff} <= set(senders)
    assert senders.index(seeded.handoff_sender) < senders.index(seeded.reopen_handoff) < senders.index(seeded.old_handoff)
    assert [q["requested_at"] for q in queue] == sorted((q["requested_at"] for q in queue), reverse=True)
    real = queue[senders.index(seeded.handoff_sender)]
    assert real["text"] == "我要找人工客服" and real["channel"] == "rest" and real["requests"] == 1
    slot_only = queue[senders.index(seeded.slot_handoff)]  # no request_human message: the message before the slot
    assert slot_only["text"] == "客服在吗" and slot_only["requests"] == 1
    old = queue[senders.index(seeded.old_handoff)]
    assert old["status"] == "open" and old["text"] == "帮我转人工" and old["channel"] == "socketio"

    # take it, then finish it
    taken = console.request(f"/staff/api/handoffs/{seeded.old_handoff}", "POST", body={"status": "taken", "by": "小王"})
    assert taken[0] == 200 and taken[2]["status"] == "taken" and taken[2]["actor"] == "小王"
    open_only = {q["sender_id"] for q in console.get("/staff/api/handoffs", status="open")["handoffs"]}
    assert seeded.old_handoff not in open_only and seeded.reopen_handoff in open_only
    taken_only = console.get("/staff/api/handoffs", status="taken")["handoffs"]
    assert [(q["sender_id"], q["actor"]) for q in taken_only if q["sender_id"] == seeded.old_handoff] == \
        [(seeded.old_handoff, "小王")]
    done = console.request(f"/staff/api/handoffs/{seeded.old_handoff}", "POST", body={"status": "done", "by": "小王"})
    assert done[2]["status"] == "done"
    assert seeded.old_handoff in {q["sender_id"] for q in console.get("/staff/api/handoffs", status="done")["handoffs"]}
    assert seeded.old_handoff not in {q["sender_id"] for q in console.get("/staff/api/handoffs", status="open,taken")["handoffs"]}
    # the transcript and the conversation list show the state
    assert console.get(f"/staff/api/conversations/{seeded.old_handoff}")["handoff"]["status"] == "done"

    # done, then the seller asks again later: back in the queue as open
    assert console.request(f"/staff/api/handoffs/{seeded.reopen_handoff}", "POST", body={"status": "done"})[2]["status"] == "done"
    again = DAY + 12 * 3600
    append(seeded.url, seeded.reopen_handoff, turn(
        "还是要人工", again, "request_human", 0.97, "action_handoff", "好的，已为你转接人工客服。",
        slots={"handoff": "requested"}))
    reopened = [q for q in console.get("/staff/api/handoffs", status="open")["handoffs"]
                if q["sender_id"] == seeded.reopen_handoff]
    assert len(reopened) == 1 and reopened[0]["reopened"] and reopened[0]["requests"] == 2
    assert reopened[0]["text"] == "还是要人工" and reopened[0]["requested_at"] == pytest.approx(again)


def test_hand_off_state_is_a_table_in_the_same_database(console, seeded):
    import sqlalchemy as sa

    console.request(f"/staff/api/handoffs/{seeded.handoff_sender}", "POST", body={"status": "taken", "by": "测试"})
    engine = sa.create_engine(seeded.url)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT status, actor FROM staff_handoff WHERE sender_id = :s"),
                               {"s": seeded.handoff_sender}).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("taken", "测试")
    console.request(f"/staff/api/handoffs/{seeded.handoff_sender}", "POST", body={"status": "open"})


def test_hand_off_errors(console, seeded):
    assert console.request(f"/staff/api/handoffs/{seeded.fee_sender}", "POST", body={"status": "taken", "by": "小王"})[0] == 404
    assert console.request(f"/staff/api/handoffs/{seeded.old_handoff}", "POST", body={"status": "taken"})[0] == 400
    assert console.request(f"/staff/api/handoffs/{seeded.old_handoff}", "POST", body={"status": "closed"})[0] == 400
    assert console.request(f"/staff/api/handoffs/{seeded.old_handoff}", "POST", body=["taken"])[0] == 400
    assert console.request("/staff/api/handoffs", params={"status": "whatever"})[0] == 400


# -- unanswered questions ----------------------------------------------------------------------------


def groups_by_text(groups):
    return {g["text"]: g for g in groups}


def test_unanswered_questions_grouped_by_similar_wording(console, seeded):
    since, until = WINDOW
    data = console.get("/staff/api/unanswered", since=since, until=until)
    assert data["threshold"] == 0.6
    groups = data["groups"]
    assert [g["count"] for g in groups] == sorted((g["count"] for g in groups), reverse=True)
    texts = {v["text"] for g in groups for v in g["variants"]}
    assert "AWD仓储费多少？" not in texts  # answered with confidence
    tax = next(g for g in groups if "这个怎么退税啊？" in {v["text"] for v in g["variants"]})
    # identical normal forms: punctuation, a particle and Traditional characters make no difference
    assert {v["text"] for v in tax["variants"]} == {"这个怎么退税啊？", "这个怎么退税？", "這個怎麼退稅"}
    assert tax["count"] == 3 and tax["conversations"] == 2
    assert tax["reasons"] == {"nlu_fallback": 2, "low_confidence": 1}
    assert "ask_service" in tax["intents"]  # what the model leaned to behind nlu_fallback
    # near-duplicates (character-bigram Jaccard >= 0.6) join one group
    returns = next(g for g in groups if "亚马逊物流退货怎么处理呢" in {v["text"] for v in g["variants"]})
    assert {v["text"] for v in returns["variants"]} == {"亚马逊物流的退货怎么处理", "亚马逊物流退货怎么处理呢"}
    assert returns["reasons"] == {"out_of_scope": 1, "nlu_fallback": 1}
    bitcoin = next(g for g in groups if g["text"] == "你们支持比特币付款吗")
    assert bitcoin["count"] == 1 and bitcoin["reasons"] == {"out_of_scope": 1}
    low = next(g for g in groups if g["text"] == "FBA 配送费怎么算")
    assert low["reasons"] == {"low_confidence": 1}
    assert data["messages"] == 7 and len(groups) == 4


def test_unanswered_threshold(console, seeded):
    since, until = WINDOW
    strict = console.get("/staff/api/unanswered", since=since, until=until, threshold=0.5)["groups"]
    texts = {v["text"] for g in strict for v in g["variants"]}
    assert "FBA 配送费怎么算" not in texts  # confidence 0.55
    assert "这个怎么退税？" in texts  # confidence 0.30
    assert console.request("/staff/api/unanswered", params={"threshold": "2"})[0] == 400


def test_unanswered_include_live_out_of_scope_messages(console, seeded):
    groups = console.get("/staff/api/unanswered", since=time.time() - 24 * 3600)["groups"]
    weather = [g for g in groups if any(v["text"] == "今天天气怎么样" for v in g["variants"])]
    assert weather and weather[0]["reasons"].get("out_of_scope")


def test_unanswered_csv_export(console, seeded):
    since, until = WINDOW
    status, headers, text = console.request("/staff/api/unanswered.csv", params={"since": since, "until": until})
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert set(rows[0]) == {"group", "group_text", "group_count", "text", "count", "reasons", "predicted_intent",
                            "max_confidence", "last_seen"}
    assert len(rows) == 7
    tax = [r for r in rows if r["text"] in {"这个怎么退税啊？", "这个怎么退税？", "這個怎麼退稅"}]
    assert len({r["group"] for r in tax}) == 1 and all(r["group_count"] == "3" for r in tax)
