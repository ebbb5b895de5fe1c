"""Conversations through the dialogue logic, with the intent given and entities from the knowledge
base's mention finder (the NLU model is exercised end to end in test_e2e_rest.py)."""
import pytest

from actions.dialogue import HANDLERS, Turn

RULES = {
    "ask_service": "action_answer_service", "compare_services": "action_compare", "ask_concept": "action_explain",
    "ask_pain_points": "action_explain", "ask_stage_services": "action_explain", "ask_course_map": "action_explain",
    "ask_recommendation": "action_advise", "dont_know": "action_advise", "start_over": "action_advise",
    "ask_why": "action_advise", "inform": "action_follow_up", "out_of_scope": "action_out_of_scope",
    "request_human": "action_handoff", "nlu_fallback": "action_unsure",
}


class Conversation:
    def __init__(self, base):
        self.base, self.slots = base, {}

    def say(self, intent: str, text: str, ranking=None):
        normal = self.base.normalize(text)
        entities = [m.as_entity() for m in self.base.finder.find(normal)]
        handler = HANDLERS[RULES.get(intent, "action_smalltalk")]
        outcome = handler(self.base, Turn(intent, normal, entities, dict(self.slots), ranking or []))
        self.slots.update(outcome.slots)
        self.buttons = outcome.reply.buttons
        return outcome.reply.text


@pytest.fixture
def chat(base):
    return Conversation(base)


# -- answers about one service ----------------------------------------------------------------------

def test_awd_storage_fee(chat):
    reply = chat.say("ask_service", "AWD仓储费多少？")
    assert "0.48" in reply and "0.38" in reply and "「来源：1.4.1」" in reply


@pytest.mark.parametrize("market, days", [("日本", 4), ("美国", 4), ("英国", 5), ("德国", 5), ("中东", 7), ("澳洲", 5)])
def test_send_air_days_per_marketplace(chat, market, days):
    reply = chat.say("ask_service", f"send空运到{market}最快几天")
    assert f"最快{days}天" in reply and "1.3.2" in reply


def test_send_to_a_marketplace_it_does_not_list(chat):
    reply = chat.say("ask_service", "SEND到法国要几天")
    assert "资料没有" in reply and "法国" in reply


def test_sea_times_only_for_the_us(chat):
    reply = chat.say("ask_service", "SEND海运到日本多久")
    assert "只给出了" in reply and "美国" in reply


def test_coverage_yes_and_no(chat):
    assert chat.say("ask_service", "AGL能发日本吗").startswith("资料里 AGL 的覆盖范围没有日本")
    assert chat.say("ask_service", "FIST支持加拿大站吗").startswith("覆盖")


def test_a_mode_the_document_does_not_list(chat):
    reply = chat.say("ask_service", "AGL有空运吗")
    assert "没有" in reply and "海运整箱" in reply


def test_an_attribute_the_document_does_not_give(chat):
    reply = chat.say("ask_service", "FIST多少钱")
    assert "资料里没有" in reply and "FIST" in reply and "$" not in reply
    assert ("转人工客服", "/request_human") in chat.buttons


def test_minimums_by_mode(chat):
    assert "0.5KG" in chat.say("ask_service", "SEND空运起运量多少")
    assert "0.1CBM" in chat.say("ask_service", "SEND海运最少发多少")


def test_the_last_service_carries_over(chat):
    chat.say("ask_service", "AWD是什么？")
    assert "0.48" in chat.say("ask_service", "那它的仓储费呢？")


def test_route_region_and_boat_carry_over(chat):
    first = chat.say("ask_service", "SEND海运到美东多久？")
    assert "34-50天" in first and "33-43天" in first and "16-29天" in first
    follow = chat.say("inform", "快船呢？")
    assert "33-43天" in follow and "34-50天" not in follow
    west = chat.say("inform", "美西呢")
    assert "23-27天" in west


def test_another_service_keeps_the_attribute(chat):
    chat.say("ask_service", "AWD仓储费多少")
    reply = chat.say("inform", "那FBA呢")
    assert "FBA" in reply and "70%" in reply


def test_two_services_in_one_question(chat):
    reply = chat.say("ask_service", "AGL和SEND分别覆盖哪些国家")
    assert "意大利" in reply and "澳洲" in reply


# -- comparisons, concepts, stages ---------------------------------------------------------------------

def test_agl_or_send_lists_the_deciding_factors(chat):
    reply = chat.say("compare_services", "我该用AGL还是SEND？")
    assert "美国、英国、法国、德国、意大利、西班牙" in reply and "0.5KG" in reply
    assert "急不急" in reply and "空运还是海运" in reply


def test_services_of_different_stages_are_combined_not_chosen(chat):
    assert "不同环节" in chat.say("compare_services", "AGL和FBA哪个好")


def test_concepts_stages_pain_points_and_the_course(chat):
    assert "国内到海外仓" in chat.say("ask_concept", "头程是什么意思")
    assert "卖家自行负责" in chat.say("ask_concept", "自发货是什么") or "自行负责" in chat.say("ask_concept", "MFN是什么")
    assert "AWD" in chat.say("ask_stage_services", "仓储分销有哪些方案") and "MCD" in chat.buttons[1][0]
    assert "15%-20%" in chat.say("ask_pain_points", "跨境物流有哪些痛点")
    assert "退货" in chat.say("ask_pain_points", "尾端配送难在哪")
    course = chat.say("ask_course_map", "课程有哪些章节")
    assert "3.9 新卖家上线欧洲知识宝典" in course and "只有标题" in course


# -- the routing conversation --------------------------------------------------------------------------

def test_asks_one_missing_fact_at_a_time_with_buttons(chat):
    ask = chat.say("ask_recommendation", "头程怎么选？")
    assert "从哪里发" in ask and ("从中国发货", '/inform{"origin":"CN"}') in chat.buttons
    ask = chat.say("inform", "货在深圳")
    assert "哪个站" in ask and chat.slots["pending_question"] == "destination"
    ask = chat.say("inform", "美国")
    assert "急不急" in ask
    answer = chat.say("inform", "很急")
    assert "推荐 Amazon SEND" in answer and "最快4天" in answer and chat.slots["pending_question"] is None


def test_facts_given_up_front_get_an_answer_at_once(chat):
    reply = chat.say("compare_services", "货在深圳，卖美国站，几十公斤，很急，用AGL还是SEND？")
    assert "推荐 Amazon SEND" in reply and "不推荐 AGL" in reply and "0.5KG" in reply


def test_a_button_answer_is_read_in_the_light_of_the_question(chat):
    chat.say("ask_recommendation", "头程怎么选？")
    reply = chat.say("inform", "美国")  # "美国" answers "where from?": an origin, not a marketplace
    assert "PCP" in reply and chat.slots["origin"] == "US"


def test_correcting_a_fact(chat):
    chat.say("ask_recommendation", "头程怎么选？")
    chat.say("inform", "货在深圳")
    chat.say("inform", "卖美国站")
    reply = chat.say("inform", "不对，我的货在美国仓库")
    assert "推荐 PCP" in reply and "48" in reply


def test_changing_the_marketplace(chat):
    chat.say("ask_recommendation", "货在深圳，卖英国站，很急，推荐一下")
    reply = chat.say("inform", "改一下，卖日本站")
    assert "日本" in reply and "推荐 Amazon SEND" in reply


def test_skipping_moves_on_and_is_not_asked_again(chat):
    chat.say("ask_recommendation", "头程怎么选？")
    chat.say("inform", "货在义乌")
    chat.say("inform", "美国站")
    ask = chat.say("dont_know", "不知道")
    assert "多少货" in ask and "urgency" in chat.slots["skipped"]
    reply = chat.say("inform", "几十公斤")
    assert "推荐 Amazon SEND" in reply


def test_a_side_question_keeps_the_advice_open(chat):
    chat.say("ask_recommendation", "头程怎么选？")
    assert "0.48" in chat.say("ask_service", "AWD仓储费多少？")
    assert "哪个站" in chat.say("inform", "货在深圳")


def test_an_answer_that_fits_no_question_asks_again(chat):
    chat.say("ask_recommendation", "头程怎么选？")
    reply = chat.say("inform", "嗯这个嘛")
    assert "没对上" in reply and "从哪里发" in reply


def test_start_over_clears_the_situation(chat):
    chat.say("ask_recommendation", "货在深圳，卖日本站，急")
    reply = chat.say("start_over", "重新开始")
    assert "重新开始" in reply and chat.slots["destination"] is None and chat.slots["pending_question"] == "origin"


def test_follow_ups_after_a_recommendation(chat):
    chat.say("ask_recommendation", "货在深圳工厂，卖日本站，急")
    why = chat.say("ask_why", "为什么不用AGL？")
    assert "没有日本" in why and "1.3.1" in why
    sea = chat.say("inform", "那海运呢？")
    assert "海运" in sea and "只给出了 Amazon SEND 到美国的海运时效" in sea
    awd = chat.say("inform", "到AWD呢？")
    assert "AWD" in awd


def test_why_a_recommended_service(chat):
    chat.say("ask_recommendation", "整柜发美国，要进AWD")
    why = chat.say("ask_why", "为什么推荐AGL")
    assert "推荐 AGL 是因为" in why and "整柜" in why


def test_why_without_a_situation(chat):
    assert "还没聊你的情况" in chat.say("ask_why", "为什么不用AGL")


def test_whole_plan_covers_every_stage(chat):
    chat.say("ask_recommendation", "帮我规划一下从工厂到买家的整体方案")
    chat.say("inform", "货在深圳")
    chat.say("inform", "卖美国站")
    chat.say("inform", "很急")
    reply = chat.say("inform", "FBA发货")  # FBA delivers to Amazon's buyers: nothing more to ask
    assert "【头程物流】" in reply and "推荐 Amazon SEND" in reply
    assert "【尾端配送及售后】" in reply and "推荐 FBA" in reply


def test_no_documented_service_is_said_plainly(chat):
    reply = chat.say("ask_recommendation", "货从深圳发加拿大站，用什么头程")
    assert "资料里没有" in reply and "转人工客服" in [b[0] for b in chat.buttons]


# -- the edges ----------------------------------------------------------------------------------------

def test_out_of_scope_names_the_chapter(chat):
    reply = chat.say("out_of_scope", "SPN服务商怎么找")
    assert "3.7" in reply and "转人工" in reply


def test_unsure_offers_likely_topics(chat):
    reply = chat.say("nlu_fallback", "那个东西咋弄", ranking=[{"name": "nlu_fallback"}, {"name": "ask_recommendation"}])
    assert "不太确定" in reply and ("帮我选服务", "/ask_recommendation") in chat.buttons


def test_unsure_but_a_service_named_answers_it(chat):
    reply = chat.say("nlu_fallback", "MCF？", ranking=[{"name": "nlu_fallback"}, {"name": "ask_service"}])
    assert "MCF" in reply and "1.5.2" in reply


def test_handoff_is_recorded(chat):
    chat.say("request_human", "转人工")
    assert chat.slots["handoff"] == "requested"


def test_gibberish_is_not_answered_from_the_last_topic(chat):
    chat.say("ask_service", "AWD仓储费多少")
    reply = chat.say("ask_service", "asdkjh qwe zzz", ranking=[{"name": "ask_service"}])
    assert "不太确定" in reply and "0.48" not in reply


def test_a_comparison_from_another_chapter_is_out_of_scope(chat):
    reply = chat.say("compare_services", "pingpong和万里汇哪个收款好")
    assert "3.5" in reply and "答不了" in reply
