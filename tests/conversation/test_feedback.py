"""Rating answers in the conversation logic: 👍 / 👎 on answers that cite the document, a reason
after a 👎 (picked or typed), a note after 其他, 「没用」 typed after an answer; never in the way."""
from conversation import feedback
from conversation.dialogue import respond
from conversation.turn import Turn
from tests.support.conversation import Conversation

UP = ("👍 有用", '/feedback{"feedback":"up"}')
DOWN = ("👎 没用", '/feedback{"feedback":"down"}')


def rate(chat: Conversation, **entities):
    turn = Turn("feedback", "", [{"entity": k, "value": v} for k, v in entities.items()], dict(chat.slots), [], 1.0)
    outcome = respond(chat.base, turn)
    chat.slots.update(outcome.slots)
    chat.buttons = outcome.reply.buttons
    return outcome


def test_an_answer_that_cites_the_document_can_be_rated(base):
    chat = Conversation(base)
    assert "0.48" in chat.say("ask_service", "AWD仓储费多少？")
    assert chat.buttons[-2:] == [UP, DOWN]


def test_small_talk_and_unanswered_turns_get_no_rating_buttons(base):
    chat = Conversation(base)
    chat.say("greet", "你好")
    assert UP not in chat.buttons
    chat.say("out_of_scope", "今天天气怎么样")
    assert UP not in chat.buttons


def test_a_thumbs_up_is_recorded_with_the_section_and_thanked(base):
    chat = Conversation(base)
    chat.say("ask_service", "AWD仓储费多少？")
    outcome = rate(chat, feedback="up")
    assert outcome.feedback == {"rating": "up", "section": "1.4.1"}
    assert "谢谢" in outcome.reply.text


def test_a_thumbs_down_asks_for_a_reason_and_the_pick_is_recorded(base):
    chat = Conversation(base)
    chat.say("ask_service", "AWD仓储费多少？")
    down = rate(chat, feedback="down")
    assert down.feedback == {"rating": "down", "section": "1.4.1"}
    assert [title for title, _ in down.reply.buttons] == ["答非所问", "信息不对", "看不懂", "其他"]
    picked = rate(chat, feedback_reason="wrong")
    assert picked.feedback == {"reason": "wrong"} and chat.slots[feedback.PENDING_SLOT] is None


def test_other_asks_for_a_note_and_the_next_plain_message_is_it(base):
    chat = Conversation(base)
    chat.say("ask_service", "AWD仓储费多少？")
    rate(chat, feedback="down")
    assert rate(chat, feedback_reason="other").feedback == {"reason": "other"}
    turn = Turn("inform", "我想知道的是旺季的价格", [], dict(chat.slots), [], 0.4)
    noted = respond(base, turn)
    assert noted.feedback == {"note": "我想知道的是旺季的价格"} and "收到" in noted.reply.text


def test_a_question_instead_of_a_reason_is_answered_and_the_feedback_left(base):
    chat = Conversation(base)
    chat.say("ask_service", "AWD仓储费多少？")
    rate(chat, feedback="down")
    assert "仓储和分销" in chat.say("ask_service", "AWD是什么")
    assert chat.slots[feedback.PENDING_SLOT] is None


def test_a_typed_reason_after_a_thumbs_down_counts(base):
    chat = Conversation(base)
    chat.say("ask_service", "AWD仓储费多少？")
    rate(chat, feedback="down")
    turn = Turn("deny", "答非所问", [], dict(chat.slots), [], 0.6)
    assert respond(base, turn).feedback == {"reason": "irrelevant"}


def test_no_use_typed_right_after_an_answer_is_a_thumbs_down(base):
    chat = Conversation(base)
    chat.say("ask_service", "AWD仓储费多少？")
    for text in ("没用", "不对啊", "没用！"):
        outcome = respond(base, Turn("deny", text, [], dict(chat.slots), [], 0.7))
        assert outcome.feedback == {"rating": "down", "section": "1.4.1"}, text


def test_no_use_typed_without_an_answer_before_it_is_not_feedback(base):
    chat = Conversation(base)
    chat.say("greet", "你好")
    assert respond(base, Turn("deny", "没用", [], dict(chat.slots), [], 0.7)).feedback is None


def test_a_longer_message_with_a_feedback_word_is_a_question_not_a_rating(base):
    chat = Conversation(base)
    chat.say("ask_service", "AWD仓储费多少？")
    outcome = respond(base, Turn("ask_service", "AWD不对FBA的仓储费是多少", [], dict(chat.slots), [], 0.8))
    assert outcome.feedback is None
