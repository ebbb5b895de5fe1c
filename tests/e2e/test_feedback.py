"""Feedback on answers end to end over REST: the buttons' payloads and a typed 「没用」 reach the
`feedback` table (staff/feedback.py) with the question and the answer they are about."""
import uuid

import pytest
import sqlalchemy as sa

pytestmark = [pytest.mark.servers, pytest.mark.model]


def rows(assistant, sender: str) -> list[dict]:
    engine = sa.create_engine(assistant.env["TRACKER_DB_URL"])
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.text("select * from feedback where sender_id = :s order by id"), {"s": sender})]
    finally:
        engine.dispose()


def test_a_thumbs_down_with_a_reason_is_stored_with_its_question_and_answer(assistant):
    me = "fb-" + uuid.uuid4().hex[:10]
    answer = assistant.send("AWD仓储费多少？", me)
    titles = [b["title"] for m in answer for b in m.get("buttons", [])]
    assert "👍 有用" in titles and "👎 没用" in titles
    down = assistant.send('/feedback{"feedback":"down"}', me)
    assert [b["title"] for b in down[0]["buttons"]] == ["答非所问", "信息不对", "看不懂", "其他"]
    assistant.send('/feedback{"feedback_reason":"other"}', me)
    assistant.send("想知道旺季会不会涨价", me)
    [row] = rows(assistant, me)
    assert (row["rating"], row["reason"], row["note"], row["channel"], row["section"]) == \
        ("down", "other", "想知道旺季会不会涨价", "rest", "1.4.1")
    assert row["question"] == "AWD仓储费多少？" and "0.48" in row["answer"]
    # feedback never interrupts: the next question is answered as usual
    assert "仓储和分销" in assistant.reply("AWD是什么", me)


def test_no_use_typed_after_an_answer_counts_as_a_thumbs_down(assistant):
    me = "fb-" + uuid.uuid4().hex[:10]
    assistant.send("SEND空运到日本几天？", me)
    reply = assistant.reply("没用", me)
    assert "哪里不好" in reply
    [row] = rows(assistant, me)
    assert row["rating"] == "down" and row["question"] == "SEND空运到日本几天？"


def test_a_thumbs_up_is_thanked_and_stored(assistant):
    me = "fb-" + uuid.uuid4().hex[:10]
    assistant.send("AWD仓储费多少？", me)
    assert "谢谢" in assistant.reply('/feedback{"feedback":"up"}', me)
    assert [r["rating"] for r in rows(assistant, me)] == ["up"]
