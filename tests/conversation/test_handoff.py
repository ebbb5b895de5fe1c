"""The hand-off as the conversation logic runs it: queued with a place and the service hours, silent
while an agent has the conversation, 「结束人工」 back to the bot, and a human offered after turns
the bot could not answer."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conversation import handoff
from conversation.dialogue import respond
from conversation.turn import Turn
from tests.support.conversation import Conversation

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY_10AM = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI).timestamp()
TUESDAY_10PM = datetime(2026, 12, 1, 22, 0, tzinfo=SHANGHAI).timestamp()
SUNDAY_10AM = datetime(2026, 12, 6, 10, 0, tzinfo=SHANGHAI).timestamp()


def ask_for_human(base, slots=None, now=TUESDAY_10AM, ahead=None):
    return respond(base, Turn("request_human", "转人工", [], dict(slots or {}), [], 0.95, now=now, queue_ahead=ahead))


@pytest.fixture(autouse=True)
def office_hours(monkeypatch):
    for name in ("HANDOFF_HOURS", "HANDOFF_DAYS", "HANDOFF_TZ", "HANDOFF_WAIT_SECONDS"):
        monkeypatch.delenv(name, raising=False)


def test_a_request_is_queued_with_the_sellers_place(base):
    outcome = ask_for_human(base, ahead=2)
    assert outcome.slots[handoff.SLOT] == handoff.REQUESTED
    assert "第 3 位" in outcome.reply.text and "继续问我" in outcome.reply.text


def test_out_of_hours_the_seller_is_told_when_agents_are_back_and_the_request_stays(base):
    for now in (TUESDAY_10PM, SUNDAY_10AM):
        outcome = ask_for_human(base, now=now)
        assert outcome.slots[handoff.SLOT] == handoff.REQUESTED
        assert "不在客服在线时间" in outcome.reply.text and "周一至周五 09:00–18:00" in outcome.reply.text


def test_service_hours_come_from_the_environment(base, monkeypatch):
    monkeypatch.setenv("HANDOFF_HOURS", "20:00-23:00")
    monkeypatch.setenv("HANDOFF_DAYS", "1-7")
    assert "不在客服在线时间" not in ask_for_human(base, now=TUESDAY_10PM).reply.text
    assert "每天 20:00–23:00" in ask_for_human(base, now=TUESDAY_10AM).reply.text
    monkeypatch.setenv("HANDOFF_HOURS", "00:00-00:00")
    assert "不在客服在线时间" not in ask_for_human(base, now=SUNDAY_10AM).reply.text


def test_bad_service_days_are_refused_with_the_setting_named():
    with pytest.raises(ValueError, match="HANDOFF_DAYS"):
        handoff.settings({"HANDOFF_DAYS": "0-9"})


def test_while_an_agent_has_it_the_bot_says_nothing_and_keeps_its_slots(base):
    chat = Conversation(base)
    chat.slots[handoff.SLOT] = handoff.TAKEN
    for intent, text in [("ask_service", "AWD仓储费多少？"), ("greet", "你好"), ("out_of_scope", "今天天气怎么样")]:
        assert chat.say(intent, text) == ""
    assert chat.slots[handoff.SLOT] == handoff.TAKEN


def test_the_seller_ends_a_taken_hand_off_and_the_bot_answers_again(base):
    chat = Conversation(base)
    chat.slots[handoff.SLOT] = handoff.TAKEN
    assert "已切回智能助手" in chat.say("request_human", "结束人工")
    assert chat.slots[handoff.SLOT] is None
    assert "0.48" in chat.say("ask_service", "AWD仓储费多少？")


def test_a_queued_request_can_be_cancelled(base):
    chat = Conversation(base)
    chat.slots[handoff.SLOT] = handoff.REQUESTED
    assert "已取消转人工" in chat.say("request_human", "不用人工了")
    assert chat.slots[handoff.SLOT] is None


def test_while_queued_the_bot_keeps_answering(base):
    chat = Conversation(base)
    chat.slots[handoff.SLOT] = handoff.REQUESTED
    assert "0.48" in chat.say("ask_service", "AWD仓储费多少？")
    assert chat.slots[handoff.SLOT] == handoff.REQUESTED


def test_two_unanswerable_turns_in_a_row_bring_the_hand_off_button(base):
    chat = Conversation(base)
    first = chat.say("out_of_scope", "今天天气怎么样")
    assert ("转人工", "/request_human") not in chat.buttons and first
    chat.say("out_of_scope", "推荐个好看的电影")
    assert ("转人工", "/request_human") in chat.buttons
    chat.say("out_of_scope", "今天天气怎么样")  # the offer was made: counting starts again
    assert ("转人工", "/request_human") not in chat.buttons


def test_an_answered_turn_resets_the_count(base):
    chat = Conversation(base)
    chat.say("out_of_scope", "今天天气怎么样")
    chat.say("ask_service", "AWD仓储费多少？")
    chat.say("out_of_scope", "推荐个好看的电影")
    assert ("转人工", "/request_human") not in chat.buttons


def test_no_offer_when_a_human_is_already_requested(base):
    chat = Conversation(base)
    chat.slots[handoff.SLOT] = handoff.REQUESTED
    chat.say("out_of_scope", "今天天气怎么样")
    chat.say("out_of_scope", "推荐个好看的电影")
    assert ("转人工", "/request_human") not in chat.buttons
