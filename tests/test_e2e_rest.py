"""End to end over Rasa's REST channel: the real NLU model, the real action server.

The held-out questions (tests/heldout/questions.yml) were written apart from the training data; each
reply must contain the facts listed for it."""
import uuid

import pytest
import yaml

from tests.servers import ROOT, start_assistant

pytestmark = pytest.mark.e2e

QUESTIONS = yaml.safe_load((ROOT / "tests/heldout/questions.yml").read_text(encoding="utf-8"))
HELDOUT = [q for q in QUESTIONS if q.get("expect")]
NOT_IN_DOCUMENT = [q for q in QUESTIONS if q.get("note") == "not in document"]
# The document's ways of saying "not given": the reply must say so rather than invent a figure.
HONEST = ("资料里没有", "资料没有", "资料未", "没有给出", "没有列出", "没有提到", "只给出了")


@pytest.fixture(scope="module")
def bot():
    assistant = start_assistant()
    yield assistant
    assistant.stop()


def test_there_are_at_least_60_heldout_questions_with_facts():
    assert len(HELDOUT) >= 60


def _known_gaps(items):
    """Held-out questions the assistant is known to miss stay in the set, marked with the reason;
    strict xfail, so fixing one shows up as a failure until its marker is removed."""
    return [pytest.param(q, marks=pytest.mark.xfail(reason=q["known_gap"], strict=True)) if q.get("known_gap") else q
            for q in items]


@pytest.mark.parametrize("item", _known_gaps(HELDOUT), ids=[q["text"] for q in HELDOUT])
def test_heldout_question_gets_the_expected_facts(bot, item):
    reply = bot.reply(item["text"])
    missing = [fact for fact in item["expect"] if fact not in reply]
    assert not missing, f"{item['text']!r} → missing {missing} in:\n{reply}"


@pytest.mark.parametrize("item", NOT_IN_DOCUMENT, ids=[q["text"] for q in NOT_IN_DOCUMENT])
def test_heldout_question_the_document_cannot_answer_is_answered_honestly(bot, item):
    reply = bot.reply(item["text"])
    assert any(phrase in reply for phrase in HONEST), f"{item['text']!r} →\n{reply}"


@pytest.mark.parametrize("question, facts", [
    ("AWD仓储费多少？", ["0.48", "0.38", "1.4.1"]),
    ("send空运到日本最快几天", ["4天", "1.3.2"]),
    ("ＡＷＤ是什么", ["AWD", "仓储和分销", "1.4.1"]),
    ("亞馬遜智能衛星倉是什麼", ["AWD", "仓储和分销", "1.4.1"]),
    ("How much is AWD storage?", ["0.48", "1.4.1"]),
])
def test_the_questions_the_issue_names(bot, question, facts):
    reply = bot.reply(question)
    assert all(f in reply for f in facts), reply


def test_agl_or_send_gets_the_deciding_factors(bot):
    reply = bot.reply("我该用AGL还是SEND？")
    for factor in ("卖哪个站", "急不急", "货量", "空运还是海运", "0.5KG", "0.1CBM"):
        assert factor in reply, reply


def test_weather_is_honestly_out_of_scope(bot):
    reply = bot.reply("今天天气怎么样")
    assert "超出了我掌握的资料范围" in reply and "转人工" in reply


def test_a_later_chapter_is_named_but_not_answered(bot):
    reply = bot.reply("亚马逊企业购怎么开通")
    assert "3.3" in reply and "答不了" in reply


def test_an_undocumented_price_is_not_invented(bot):
    reply = bot.reply("FIST收费吗，多少钱")
    assert "资料里没有" in reply and "$" not in reply


def test_context_carries_the_service(bot):
    sender = uuid.uuid4().hex
    bot.reply("AWD是什么？", sender)
    assert "0.48" in bot.reply("那它的仓储费呢？", sender)


def test_context_carries_route_and_region(bot):
    sender = uuid.uuid4().hex
    first = bot.reply("SEND海运到美东多久？", sender)
    assert "34-50天" in first and "16-29天" in first
    follow = bot.reply("快船呢？", sender)
    assert "33-43天" in follow and "34-50天" not in follow


def test_buttons_are_offered_and_their_payloads_work(bot):
    messages = bot.send("你好")
    buttons = [b for m in messages for b in m.get("buttons", [])]
    assert buttons, messages
    fee = next(b for b in buttons if "AWD" in b["title"])
    assert "0.48" in bot.reply(fee["payload"])


@pytest.mark.parametrize("message", ["", "   ", "😀😀😀", "<script>alert(1)</script>", "a" * 5000])
def test_bad_input_gets_a_polite_reply(bot, message):
    messages = bot.send(message)
    text = "\n".join(m.get("text", "") for m in messages)
    assert "<script>" not in text
    assert messages == [] or text  # Rasa ignores empty text; anything it answers is text


# -- routing dialogues (issue 3) --------------------------------------------------------------------

def dialogue(bot, *messages):
    sender = uuid.uuid4().hex
    return [bot.reply(m, sender) for m in messages]


def test_first_mile_asks_then_recommends_pcp(bot):
    ask, answer = dialogue(bot, "头程怎么选？", "我的供应商就在美国德州")
    assert "从哪里发" in ask
    assert "PCP" in answer and "48" in answer


def test_urgent_japan_gets_send_air_and_why_not_agl(bot):
    _, answer, why = dialogue(bot, "头程怎么选？", "货在深圳工厂，卖日本站，急", "为什么不用AGL？")
    assert "推荐 Amazon SEND" in answer and "4天" in answer and "不推荐 AGL" in answer
    assert "日本" in why and "AGL" in why


@pytest.mark.parametrize("message, service", [
    ("整柜发美国，要进AWD", "推荐 AGL"),
    ("亚马逊仓里的货要发独立站订单", "推荐 MCF"),
    ("自发货，带电产品", "推荐 购买配送"),
    ("货在深圳，卖美国站，几十公斤，很急，用AGL还是SEND？", "推荐 Amazon SEND"),
    ("货已经在美国仓库了，怎么送到FBA？", "推荐 PCP"),
])
def test_one_message_situations(bot, message, service):
    assert service in bot.reply(message)
