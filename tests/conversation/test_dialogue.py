"""Conversations through the conversation logic (conversation/), with the intent given and entities
from the knowledge base's mention finder (the NLU model is exercised end to end in tests/e2e/test_rest.py).
The intent is one piece of evidence: several tests give a wrong or vague one on purpose."""
import pytest

from tests.support.conversation import Conversation


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
    assert chat.say("ask_service", "AGL能发日本吗").startswith("不支持。资料里 AGL 的覆盖范围没有日本")
    assert chat.say("ask_service", "FIST支持加拿大站吗").startswith("支持。")


def test_market_after_market_stays_on_the_service_checked_while_its_attributes_go_to_the_alternative(chat):
    """"No, but SEND covers it": another market asked right after is still about the first service's
    coverage; a question about something else goes to the alternative that fits the market."""
    assert "可以看 Amazon SEND" in chat.say("ask_service", "AGL支持澳洲吗")
    assert chat.say("inform", "意大利呢").startswith("支持。AGL 覆盖意大利")
    assert "可以看 Amazon SEND" in chat.say("inform", "那澳洲呢")
    assert "Amazon SEND" in chat.say("ask_service", "空运最快几天").split("「")[0]


def test_other_buyers_asked_with_ne_replace_the_buyers_said_before(chat):
    """"那…的订单呢" during advice asks about those buyers instead of the ones before, so the advice is
    for them alone (MCF), not for both at once."""
    assert "推荐 FBA" in chat.say("ask_recommendation", "库存都在亚马逊运营中心，订单来自亚马逊买家，尾程用啥")
    reply = chat.say("inform", "那独立站的订单呢")
    assert "推荐 MCF" in reply and "亚马逊买家" not in reply.split("\n")[0]


def test_two_things_asked_in_two_clauses_get_both_answers(chat):
    """A price in one clause and a yes/no in the next: each clause its own answer and kind."""
    reply = chat.say("ask_service", "AWD仓储费多少钱，要不要签合约")
    assert "0.48" in reply and "即用即付" in reply
    fee, contract = reply.split("\n\n")[:2]
    assert "0.48" in fee and contract.startswith(("不需要", "没有", "不用"))


@pytest.mark.parametrize("text, section", [("头程服务都包括哪些方面的内容", "1.1.1"), ("头程服务都有哪些", "1.1.3")])
def test_what_a_stage_includes_is_its_definition_and_its_services_are_its_line_up(chat, text, section):
    assert f"「来源：{section}" in chat.say("ask_stage_services", text)


def test_a_mode_the_document_does_not_list(chat):
    reply = chat.say("ask_service", "AGL有空运吗")
    assert reply.startswith("没有。") and "海运整箱" in reply


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


# -- the whole document answers: statements, names, the kind of question --------------------------------

def test_a_figure_caption_answers_a_count(chat):
    reply = chat.say("ask_service", "亚马逊有多少司机啊")
    assert "275,000司机" in reply and "「来源：1.5.1」" in reply


def test_an_abbreviation_is_expanded_from_the_document(chat):
    assert "FBA Inbound Shipment Tracking" in chat.say("ask_service", "FIST 英文全称是什么")
    both = chat.say("compare_services", "FO跟SO有什么区别")
    assert "海运快船" in both and "海运普船" in both and "「来源：1.3.1」" in both


def test_a_detail_outside_the_curated_facts_is_quoted_with_its_footnote(chat):
    reply = chat.say("ask_service", "awd 缺货率能降多少")
    assert "15%缺货率" in reply and "2024年亚马逊 Accelerate" in reply and "「来源：1.4.1」" in reply


def test_a_duration_question_gets_the_caption_that_holds_the_duration(chat):
    assert "8 小时" in chat.say("ask_service", "零基础快速出单实操那个直播课多长时间")


def test_a_question_the_document_does_not_answer_is_said_plainly(chat):
    reply = chat.say("ask_service", "FBA新品入仓优惠计划具体能优惠多少")
    assert "资料里没有" in reply and "%" not in reply


def test_the_table_of_contents_answers_page_questions(chat):
    assert "第18页" in chat.say("ask_stage_services", "尾端配送在第几页")


def test_the_quote_behind_an_answer(chat):
    chat.say("ask_service", "AWD仓储费多少？")
    quote = chat.say("show_source", "原文")
    assert quote.startswith("原文（1.4.1）") and "仓储费仅需$0.48/立方英尺/月" in quote
    chat.say("ask_service", "亚马逊有多少司机啊")
    caption = chat.say("show_source", "查看原文")
    assert "275,000司机" in caption and "400+运营中心" in caption


# -- yes or no first ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, first", [
    ("PCP有折扣吗", "有。"),
    ("SEND要注册吗", "不需要。"),
    ("AWD有库容限制吗", "没有。"),
    ("FIST的送达时段自动预估已经能用了吗", "不行。"),
    ("MCF一定能2天送到吗", "不一定。"),
    ("send帮忙清关吗", "是的。"),
])
def test_a_yes_no_question_gets_its_answer_first(chat, question, first):
    assert chat.say("ask_service", question).startswith(first)


def test_a_restriction_in_a_footnote_turns_the_answer_to_no(chat):
    reply = chat.say("ask_service", "用send空运发英国，也能避免FBA低量库存费吗")
    assert reply.startswith("不行。") and "海运" in reply


def test_can_i_use_a_service_is_judged_by_the_advisor(chat):
    reply = chat.say("ask_service", "我货在深圳，能用pcp直接发去美国吗")
    assert reply.startswith("不行") and "境内供货商" in reply


# -- one conversation focus ------------------------------------------------------------------------------

def test_a_recommendation_sets_the_focus_for_its_follow_ups(chat):
    assert "推荐 PCP" in chat.say("ask_recommendation", "货已经在美国仓库了，怎么送到FBA？")
    assert chat.focus.services[:1] == ("PCP",)
    assert "折扣费率" in chat.say("inform", "它有啥优势") or "折扣" in chat.say("inform", "它有啥好处")


def test_positions_after_a_comparison(chat):
    chat.say("compare_services", "AGL和SEND有啥区别")
    assert chat.focus.services == ("AGL", "SEND")
    assert "0.5KG" in chat.say("inform", "后面那个最少发多少")
    front = chat.say("inform", "前一个呢，能发去哪些国家")
    assert "意大利" in front and "1.3.1" in front


def test_the_latter_of_a_comparison_answers_a_yes_no(chat):
    chat.say("compare_services", "FBA和MCF差在哪")
    reply = chat.say("inform", "后面那个能给独立站发货吗")
    assert reply.startswith("可以") and "MCF" in reply


def test_another_market_keeps_the_question(chat):
    chat.say("ask_service", "SEND空运发英国几天到")
    assert "最快7天" in chat.say("inform", "中东呢")
    assert "最快5天" in chat.say("inform", "那澳洲呢")


def test_it_compared_with_another_service_stays_on_the_focus(chat):
    chat.say("ask_service", "AWD是什么")
    reply = chat.say("inform", "那它比FBA能省多少")
    assert "80%" in reply and "1.4.1" in reply


def test_start_over_clears_the_focus_and_answers_the_rest(chat):
    chat.say("ask_service", "MCF最快多久到")
    reply = chat.say("start_over", "重新开始，AWD仓储费多少")
    assert reply.startswith("好的，我们重新开始。") and "0.48" in reply
    assert chat.focus.services == ("AWD",) and chat.slots["pending_question"] is None


# -- advice that answers while it asks --------------------------------------------------------------------

def test_the_advisor_names_the_candidates_and_what_decides_between_them(chat):
    reply = chat.say("ask_recommendation", "货在宁波 卖英国站 头程用啥")
    assert "AGL" in reply and "Amazon SEND" in reply and "急不急" in reply
    assert "最快5天" in reply or "空运" in reply


def test_a_deciding_fact_in_the_question_is_used_at_once(chat):
    reply = chat.say("compare_services", "货要发去中东 AGL和SEND选哪个")
    assert "推荐 Amazon SEND" in reply and "没有中东" in reply and "怎么选，看这几点" not in reply


def test_a_city_in_a_price_question_is_context_not_advice(chat):
    reply = chat.say("ask_service", "AGL从宁波发美国要多少钱")
    assert "资料没有给出 AGL 的具体运价" in reply and chat.slots.get("pending_question") is None


def test_a_service_the_seller_rules_out_is_not_their_situation(chat):
    reply = chat.say("inform", "我不用FBA，都是自己从国内直接发给海外买家")
    assert "推荐 购买配送" in reply


def test_one_services_variants_side_by_side(chat):
    boats = chat.say("ask_service", "SEND发美西，普船快船特快船分别多久")
    assert "28-30天" in boats and "23-27天" in boats and "15-20天" in boats
    assert "FO" in chat.say("ask_service", "agl海运有哪几种服务")


def test_a_service_asked_to_do_another_services_job_gets_a_no_with_the_right_service(chat):
    reply = chat.say("ask_service", "FBA能给独立站发货吗")
    assert reply.startswith("不行") and "MCF" in reply


def test_a_service_named_as_where_goods_go_is_the_target(chat):
    reply = chat.say("ask_recommendation", "我想把货从深圳发到美国的AWD，用哪个")
    assert "送到亚马逊智能卫星仓 (AWD)" in reply and "推荐 AGL" in reply


def test_english_questions_get_the_same_facts(chat):
    assert "最快4天" in chat.say("ask_service", "What is the fastest SEND air time to Japan?")


def test_one_services_modes_when_asked_which_of_two(chat):
    reply = chat.say("ask_service", "SEND的海运是整柜还是拼箱")
    assert "海运拼箱服务" in reply and "28-30天" not in reply


# -- footnotes, verdicts from contraries, courses ------------------------------------------------------

def test_where_a_figure_comes_from_is_its_footnote(chat):
    reply = chat.say("ask_service", "AWD说缺货率能降15%，这个出处在哪")
    assert "2024年亚马逊 Accelerate" in reply and "「来源：1.4.1」" in reply


def test_a_follow_up_about_the_source_reads_the_figure_just_quoted(chat):
    chat.say("ask_pain_points", "供应链支出在经营成本里占几成")
    reply = chat.say("ask_service", "这个数字怎么来的")
    assert "财务报表" in reply


def test_a_claim_the_document_contradicts_gets_a_no(chat):
    assert chat.say("ask_service", "FIST是亚马逊自己的物流承运商吗").startswith("不")
    assert chat.say("ask_service", "AWD的折扣是不是无条件给的").startswith("不是")
    assert chat.say("ask_service", "购买配送上传追踪信息要手动吗").startswith("不")


def test_asking_about_the_other_side_of_a_contrary_is_not_a_no(chat):
    assert chat.say("ask_service", "单号漏填被记缺陷的话，FIST能帮忙豁免吗").startswith("可以")


def test_a_services_course_list(chat):
    reply = chat.say("ask_course_map", "FBA这块有什么相关课程")
    assert "库存绩效指数 (IPI)" in reply and "「来源：1.5.2」" in reply


def test_the_chapters_closing_courses(chat):
    reply = chat.say("ask_course_map", "有没有给新手的直播课")
    assert "零基础快速出单实操" in reply and "官方讲堂" in reply and "「来源：课程路径图（延伸学习课程）」" in reply


# -- advice from needs ---------------------------------------------------------------------------------

def test_distributing_stock_to_other_channels_warehouses_is_mcd(chat):
    reply = chat.say("inform", "我想把AWD里的一部分库存调去沃尔玛的仓")
    assert "推荐 MCD" in reply and "「来源：" in reply


def test_wanting_the_prime_badge_is_fba(chat):
    reply = chat.say("inform", "想让商品带上prime标")
    assert "推荐 FBA" in reply and "2亿" in reply


def test_a_complaint_is_a_need_not_a_price_question(chat):
    reply = chat.say("inform", "FBA的仓储费太贵了")
    assert "AWD" in reply and "0.48" in reply


def test_a_market_a_service_does_not_reach_points_to_one_that_does(chat):
    reply = chat.say("ask_service", "发中东能用AGL吗")
    assert reply.startswith("不支持") and "Amazon SEND" in reply
    assert "7天" in chat.say("ask_service", "空运最快几天")  # about SEND now


def test_a_new_topic_drops_the_focus(chat):
    chat.say("ask_service", "AWD仓储费多少")
    reply = chat.say("ask_service", "换个话题，FBA的客服是几点到几点")
    assert "7*24" in reply


def test_a_page_follow_up_stays_in_the_table_of_contents(chat):
    chat.say("ask_course_map", "头程物流在第几页")
    assert "第18页" in chat.say("inform", "尾端配送呢")


def test_why_not_names_what_the_case_calls_for(chat):
    chat.say("inform", "货都在FBA仓，独立站也来订单了，用什么发")
    reply = chat.say("ask_why", "为什么不用亚马逊快递服务")
    assert "MCF" in reply and "卖家仓库" in reply


def test_a_question_that_is_not_of_logistics_is_out_of_scope(chat):
    reply = chat.say("ask_recommendation", "推荐一家深圳好吃的火锅店")
    assert "超出了我掌握的资料范围" in reply


def test_a_property_asked_yes_or_no_after_advice_is_about_the_recommended_service(chat):
    """A need's words inside a yes/no question right after the advice ("库容") ask about the service
    recommended, not for the advice again; on its own, a need still gets the advice."""
    assert "推荐 AWD" in chat.say("inform", "仓储费太高了，想找个便宜点的地方存货")
    reply = chat.say("nlu_fallback", "会不会有库容上限？")
    assert reply.startswith("没有。") and "库容" in reply and "推荐" not in reply


def test_a_point_of_the_focused_service_beats_the_stage_line_up_the_classifier_guessed(chat):
    chat.say("ask_service", "AGL有什么好处")
    reply = chat.say("ask_stage_services", "首单那条具体是什么服务")
    assert "一对一" in reply and "「来源：1.3.1」" in reply and "仓储分销" not in reply


def test_a_statement_that_does_not_name_its_service_is_labelled_with_it(chat):
    reply = chat.say("nlu_fallback", "首单一对一管理是哪个服务的")
    assert reply.startswith("【AGL（亚马逊全球物流）】") and "一对一" in reply


def test_a_shipping_question_the_document_does_not_answer_is_a_gap_not_a_misunderstanding(chat):
    reply = chat.say("nlu_fallback", "货在路上丢了怎么赔？")
    assert reply.startswith("资料里没有讲到这个问题") and "我不太确定你想问什么" not in reply


def test_can_i_use_a_service_in_a_stated_situation_gets_its_verdict_not_the_advice(chat):
    reply = chat.say("ask_recommendation", "我们的货在深圳工厂，卖美国站，能用PCP吗")
    assert reply.startswith("不") and "境内" in reply and "急不急" not in reply


def test_where_to_keep_stock_is_advice(chat):
    assert "推荐 AWD" in chat.say("ask_service", "FBA库位总不够用，仓储费也高，货存哪里好")


def test_europe_is_covered_by_a_service_that_lists_european_countries(chat):
    assert chat.say("ask_service", "AGL可以到欧洲吗").startswith("支持。AGL 覆盖欧洲的英国")
    assert chat.say("ask_service", "SEND去欧洲行不行").startswith("支持。Amazon SEND 覆盖欧洲的英国、德国")
    assert chat.say("ask_service", "PCP能送欧洲吗").startswith("不支持。")


def test_the_same_yes_no_for_another_market_reads_the_statements_footnote_again(chat):
    assert chat.say("ask_service", "走SEND能不能避免FBA的低量库存费").startswith("可以。")
    again = chat.say("ask_service", "德国站也可以吗")
    assert again.startswith("不") and "目前适用于美国站海运" in again
    assert chat.say("ask_service", "法国站也行吗").startswith("不支持。")  # SEND does not reach it at all


def test_the_abbreviation_of_an_option_named_in_chinese(chat):
    chat.say("ask_service", "AGL海运有几种服务")
    reply = chat.say("ask_service", "快船英文简称叫什么")
    assert "FO" in reply and "亚马逊全球物流" not in reply


def test_customer_service_hours_are_a_question_not_a_hand_off(chat):
    chat.say("ask_service", "FBA有什么优势")
    reply = chat.say("request_human", "那客服一般几点在线")
    assert "7*24" in reply and "转人工" not in reply
    assert "人工" in chat.say("request_human", "帮我转人工客服")


def test_another_stage_after_a_stages_pain_points_gets_its_pain_points(chat):
    chat.say("ask_pain_points", "仓储分销有哪些痛点")
    assert "清关" in chat.say("inform", "那头程呢")


def test_a_vague_follow_up_stays_on_the_service(chat):
    chat.say("ask_service", "SEND的优先入仓支持哪些站点")
    assert "固定预约" in chat.say("ask_service", "具体怎么做到的")


def test_the_chapters_learning_path(chat):
    reply = chat.say("ask_course_map", "本章要按什么顺序学？")
    assert "第一步" in reply and "第三步" in reply and "卖家自配送 (MFN)" in reply and "「来源：卖家百科划重点」" in reply


def test_a_fix_for_a_pain_point_answers_whether_the_pain_remains(chat):
    """"手动填写…：自动同步货件号" lists the pain, then the fix: the fix says whether the pain is left."""
    assert chat.say("ask_service", "FIST用了以后追踪号还得手工填吗").startswith("不")
    assert not chat.say("ask_service", "手动填追踪号太麻烦了，FIST能帮上忙吗").startswith("不")


def test_a_point_of_a_service_outweighs_its_overview_for_a_yes_or_no(chat):
    reply = chat.say("ask_service", "AWD可以人工补到FBA吗")
    assert not reply.startswith("不") and "手动补货" in reply


def test_a_figure_asked_without_a_topic_is_answered_from_the_statements(chat):
    reply = chat.say("ask_stage_services", "亚马逊一共有几架飞机")
    assert "100+飞机" in reply and "「来源：1.5.1」" in reply


def test_asking_for_another_option_than_the_named_service_is_advice(chat):
    assert "推荐 AWD" in chat.say("ask_service", "FBA仓储费太贵了，还有别的选择吗")


def test_a_yes_no_after_a_recommendation_asks_about_the_recommended_service(chat):
    """Origins and sales channels inside a yes/no right after advice are what is asked of the service."""
    assert "推荐 AGL" in chat.say("ask_recommendation", "我在青岛，整柜发美国站，头程用什么")
    reply = chat.say("ask_service", "青岛可以出运吗")
    assert "青岛" in reply and "「来源：1.3.1」" in reply and "根据你的情况" not in reply


def test_a_correction_is_not_a_question(chat):
    assert "PCP" in chat.say("ask_recommendation", "货在美国的工厂，要送进FBA仓，用什么")
    reply = chat.say("inform", "不对，货其实在东莞")
    assert "AGL" in reply and "SEND" in reply


def test_handing_every_stage_over_is_end_to_end(chat):
    reply = chat.say("ask_recommendation", "头程、仓储这些我都不想管了，亚马逊能不能全包")
    assert "AMS" in reply and "资料里没有适合这种情况的服务" not in reply


def test_another_stage_after_a_stages_line_up_gets_its_line_up(chat):
    chat.say("ask_stage_services", "头程有哪些服务可以用")
    reply = chat.say("inform", "尾端那段呢")
    assert "FBA" in reply and "MCF" in reply


def test_a_context_limited_fact_asked_again_for_another_market(chat):
    """The first answer comes from a curated fact; the follow-up market is checked against the
    footnote of the document's statement of it."""
    chat.say("ask_service", "SEND发货能帮我避开FBA低量库存费吗")
    reply = chat.say("ask_service", "日本站也行吗")
    assert reply.startswith("不") and "美国站海运" in reply


def test_a_noun_a_which_word_heads_is_what_is_asked(chat):
    reply = chat.say("ask_service", "PCP适合哪几种货件")
    assert "小包裹快递" in reply and "整车运输" in reply


def test_a_protected_word_is_not_cut_by_a_shorter_phrase(chat):
    """"什么货币" holds 什么货 (kinds of cargo); the currency is asked."""
    reply = chat.say("ask_service", "AGL的运费拿什么货币付")
    assert "美元" in reply and "货件类型" not in reply


def test_a_table_cell_that_matches_only_through_its_heading_does_not_answer(chat):
    reply = chat.say("ask_service", "MCF可以给亚马逊以外平台的订单发货吗")
    assert "其他销售渠道" in reply and "创建" not in reply.split("「")[0]


def test_the_attribute_of_the_question_kind_leads(chat):
    assert "23-27天" in chat.say("ask_service", "SEND快船到美西的港口一般要多少天")


def test_a_market_asked_of_who_can_use_a_service_is_its_coverage(chat):
    reply = chat.say("ask_service", "加拿大站的卖家可以用FIST吗")
    assert reply.startswith("支持。") and "加拿大" in reply


def test_a_round_the_clock_service_is_not_office_hours_only(chat):
    reply = chat.say("ask_service", "FBA的客服是不是只在工作日上班")
    assert reply.startswith("不") and "7*24" in reply


def test_can_it_be_used_in_a_situation_right_after_a_service_is_its_verdict(chat):
    chat.say("ask_service", "PCP是干什么的")
    assert chat.say("ask_service", "货在义乌，能用吗").startswith("不行，PCP 不适合")


def test_a_premise_clause_does_not_turn_a_coverage_question_into_another(chat):
    reply = chat.say("ask_service", "想统一看物流状态的话，FIST在加拿大能用吗")
    assert reply.startswith("支持。FIST 覆盖加拿大")


def test_a_service_named_as_the_requirement_of_the_one_in_focus(chat):
    chat.say("ask_service", "MCD怎么用")
    reply = chat.say("ask_service", "必须先用AWD吗")
    assert reply.startswith("是的。") and "AWD 的一个功能" in reply


def test_a_follow_up_taken_for_small_talk_is_answered_from_the_section_in_focus(chat):
    chat.say("ask_service", "供应链成本在经营成本里占多少")
    assert "定价" in chat.say("out_of_scope", "成本太高了会怎么样")


def test_using_a_service_alone_without_its_requirement_is_a_no(chat):
    assert chat.say("ask_service", "不开AWD，MCD能自己单独用吗").startswith("不")


def test_an_amount_the_document_does_not_state_is_a_no(chat):
    reply = chat.say("ask_service", "SEND空运得50公斤以上才收吗")
    assert reply.startswith("不") and "0.5KG" in reply


def test_a_need_is_met_in_its_own_stage_beside_the_stage_named(chat):
    reply = chat.say("ask_recommendation", "头程想只送一个仓，再让亚马逊分到各个FBA仓，用什么")
    assert "AWD" in reply and "1.4.1" in reply


def test_a_yes_no_about_a_warehouse_is_about_its_service_not_advice(chat):
    reply = chat.say("ask_service", "货进了AWD还要我自己分仓吗")
    assert reply.startswith("不") and "推荐" not in reply


def test_inventory_management_is_the_warehousing_stage(chat):
    reply = chat.say("ask_pain_points", "库存管理方面常见的难题有哪些")
    assert "断货" in reply and "积压" in reply


def test_something_the_last_answer_says_is_still_to_come_is_not_yet(chat):
    chat.say("ask_service", "FIST哪些站点能用")
    assert chat.say("inform", "那新兴站点呢").startswith("还没有：新兴站点即将上线")


def test_the_way_to_a_warehouses_discount_is_part_of_the_advice(chat):
    reply = chat.say("ask_recommendation", "我从国内发货，货要先进AWD存着，头程用什么")
    assert "AGL" in reply and "8折" in reply


def test_a_correction_of_the_buyers_replaces_them(chat):
    chat.say("ask_recommendation", "货已经在亚马逊运营中心了，尾端用什么发")
    reply = chat.say("inform", "不是亚马逊的订单，是独立站的")
    assert "MCF" in reply and "亚马逊买家" not in reply.split("\n")[0]


def test_a_warehouse_asked_right_after_a_service_is_where_that_service_delivers(chat):
    chat.say("ask_service", "AGL是什么")
    reply = chat.say("ask_service", "能直接送进AWD吗")
    assert "可以" in reply.split("。")[0] and "AWD" in reply and "「来源：1.3.1」" in reply


def test_a_yes_no_right_after_a_service_stays_on_it(chat):
    chat.say("ask_service", "FBA有什么好处")
    reply = chat.say("ask_service", "退货它也能帮我管吗")
    assert reply.startswith(("可以", "是的")) and "「来源：1.5.1」" in reply and "1.1.2" not in reply


def test_second_only_to_is_not_higher(chat):
    chat.say("ask_service", "供应链支出占经营成本多少")
    assert chat.say("ask_service", "比产品成本还高吗").startswith("不")


def test_asking_whether_two_services_are_the_same_gets_a_no_and_the_difference(chat):
    reply = chat.say("compare_services", "MCF跟MCD是一个东西吗")
    assert reply.startswith("不是一回事") and "AWD 的一个功能" in reply


def test_the_figure_a_seller_quotes_finds_its_footnote(chat):
    reply = chat.say("ask_service", "那个15%-20%的数据出处在哪")
    assert "财务报表" in reply and "「来源：1.1.2」" in reply


def test_someone_else_providing_it_answers_do_i_do_it_myself(chat):
    assert chat.say("ask_service", "用SEND清关得自己弄吗").startswith("不")


def test_a_definition_the_key_points_page_repeats_cites_it_too(chat):
    assert chat.say("ask_concept", "仓储一般包含哪些动作").endswith("「来源：1.1.1、卖家百科划重点」")


def test_the_middle_stage_named_by_its_place_in_the_chain(chat):
    chat.say("ask_concept", "头程是什么")
    chat.say("ask_concept", "尾端呢")
    assert "库存管理" in chat.say("inform", "那中间那段呢")


def test_where_to_start_learning_is_the_learning_path(chat):
    assert "第一步" in chat.say("ask_course_map", "新手该从哪学起")


def test_where_a_recommended_service_delivers_after_arrival(chat):
    assert "推荐 AGL" in chat.say("ask_recommendation", "我每个月从厦门发整柜去美国，头程用什么")
    reply = chat.say("ask_service", "到了美国以后能直接进AWD吗")
    assert "AWD" in reply and "AGL" in reply and "覆盖美国" not in reply


@pytest.mark.parametrize("question, service", [
    ("My supplier is in Texas and I need to ship to FBA warehouses. Is there a discounted carrier program?", "PCP"),
    ("My stock is already in FBA and I get orders on my Shopify store. Which Amazon service can ship those?", "MCF"),
])
def test_english_situations_get_the_advice(chat, question, service):
    assert f"推荐 {service}" in chat.say("ask_recommendation", question)


def test_a_why_follow_up_is_answered_from_the_section_in_focus_when_it_covers_it(chat):
    chat.say("ask_pain_points", "跨境供应链有哪些挑战")
    assert "复杂多变" in chat.say("ask_pain_points", "为啥那么难控制")


def test_the_whole_chain_asked_how_it_goes_is_the_supply_chain_not_advice(chat):
    reply = chat.say("ask_recommendation", "一票货从工厂到买家，整个流程怎么走")
    assert "头程物流" in reply and "仓储分销" in reply and "尾端配送" in reply and "关键看" not in reply


def test_a_service_against_the_seller_shipping_it_themselves(chat):
    reply = chat.say("compare_services", "FBA跟卖家自己发货有什么不同")
    assert "亚马逊运营中心" in reply and "自行负责" in reply and "「来源：1.6、卖家百科划重点」" in reply


def test_an_attribute_alone_after_a_topic_is_asked_of_that_topic(chat):
    """"有啥优点" naming nothing, right after a solution was explained: the solution's own section
    answers, not the one statement elsewhere that uses the word."""
    chat.say("ask_concept", "介绍一下亚马逊供应链整体解决方案")
    reply = chat.say("ask_service", "有啥优点")
    assert "「来源：1.2」" in reply and "1.6" not in reply


def test_a_market_after_a_which_question_asks_whether_it_is_among_those_listed(chat):
    """After "哪些站点…" was answered by a statement naming its markets, "X呢" is whether X is one of
    them, in that statement's words, and the next market is asked the same way."""
    first = chat.say("ask_service", "SEND在哪些站点入仓有固定预约")
    assert "英国和德国" in first
    assert chat.say("inform", "日本站呢").startswith("不是。")
    assert chat.say("inform", "那德国呢").startswith("是的。")


def test_a_market_alone_after_a_yes_no_asks_the_yes_no_again(chat):
    """"日本呢" right after a yes/no answered by a statement limited to US sea freight: the same
    question for Japan (which the service reaches), so no, with the footnote."""
    assert chat.say("ask_service", "用SEND能不能避免低量库存费").startswith("可以。")
    reply = chat.say("inform", "日本呢")
    assert reply.startswith(("不行。", "不能。", "不可以。")) and "美国站海运" in reply


def test_a_limited_statement_asked_of_every_market_is_no(chat):
    """"是不是每个站点都适用" right after a statement whose footnote limits it: no, by the footnote."""
    chat.say("ask_service", "SEND海运能帮我躲开哪些费用")
    reply = chat.say("ask_service", "是不是每个站点都适用")
    assert reply.startswith("不是。") and "美国站海运" in reply


def test_a_point_said_twice_is_quoted_where_its_footnote_is(chat):
    """The same point in a list and in a sentence with a footnote: the footnoted one answers, so the
    limit is shown with it."""
    reply = chat.say("ask_service", "SEND海运能帮我躲开哪些费用")
    assert "低量库存费" in reply and "目前适用于美国站海运" in reply


def test_an_attribute_asked_with_an_advice_word_right_after_a_service_is_that_services(chat):
    """"一般走什么运输方式" right after a service: its modes, not a new recommendation."""
    chat.say("ask_service", "AGL能发哪些国家")
    reply = chat.say("ask_service", "一般走什么运输方式")
    assert "整箱" in reply and "「来源：1.3.1」" in reply and "关键看" not in reply


def test_a_fact_stated_in_a_yes_no_right_after_a_service_is_a_fact_of_it(chat):
    """A cargo size inside "…要拆箱吗" right after a service is what the question is about, not the
    seller's situation for new advice."""
    chat.say("ask_service", "AGL运不运超大件")
    reply = chat.say("ask_service", "超长件要不要打托")
    assert reply.startswith("不需要。") and "大件不打托" in reply


def test_where_a_warehouse_is_asked_is_the_warehouse_not_the_sellers_stock(chat):
    reply = chat.say("ask_service", "卫星仓设在啥地方")
    assert "主要港口" in reply and "「来源：1.4.1」" in reply


def test_a_follow_up_about_one_part_of_a_curated_answer_gets_that_part(chat):
    """"成本那条细说一下" right after the chain's challenges: the challenge about costs, with its figure."""
    chat.say("ask_pain_points", "做跨境供应链难在哪")
    reply = chat.say("ask_service", "成本那条细说一下")
    assert "15%-20%" in reply and "「来源：1.1.2」" in reply and "运营复杂" not in reply


def test_a_rank_asked_after_a_share_is_the_rank_the_document_gives(chat):
    chat.say("ask_pain_points", "供应链开销在成本里占几成")
    reply = chat.say("ask_service", "那它排老几")
    assert "仅次于产品成本" in reply and "「来源：1.1.2」" in reply


def test_where_to_see_something_of_a_service_is_not_a_course(chat):
    """"在哪看" names no course: right after a service's steps it asks where that is seen."""
    chat.say("ask_service", "MCD的操作步骤")
    reply = chat.say("ask_service", "订单进度在哪看")
    assert "卖家平台" in reply and "课程" not in reply


def test_a_footnote_asked_for_is_found_though_the_classifier_heard_show_source(chat):
    chat.say("ask_service", "AWD让缺货率降了多少")
    reply = chat.say("show_source", "这数字的出处是哪里")
    assert "Accelerate" in reply and "「来源：1.4.1」" in reply


def test_a_removal_one_may_apply_for_is_not_certain(chat):
    chat.say("ask_service", "购买配送能移除差评吗")
    assert chat.say("ask_service", "一定能撤掉吗").startswith("不一定")


@pytest.mark.parametrize("message", ["测款的新品想先少量发点到美国仓，用啥", "新品着急，想尽快到美国仓，走哪个"])
def test_a_warehouse_the_goods_are_going_to_is_not_where_they_are(chat, message):
    """"发点到美国仓" says where the goods go: the advice is for goods from China, not from inside the US."""
    reply = chat.say("ask_recommendation", message)
    assert "PCP" not in reply.split("不推荐")[0] and "货在美国境内" not in reply


def test_goods_already_in_a_us_warehouse_are_there(chat):
    reply = chat.say("ask_recommendation", "货已经到美国仓了，怎么送进FBA")
    assert "推荐 PCP" in reply


def test_a_pain_point_asked_with_no_situation_gets_the_fix_the_document_gives(chat):
    reply = chat.say("ask_recommendation", "送仓的时候碰上意外延迟，怎么处理")
    assert "智能转仓" in reply and "「来源：1.3.3」" in reply


@pytest.mark.parametrize("message", ["自发货的话，售后客服归亚马逊负责吗", "MCF只能送亚马逊站内的订单吧"])
def test_a_claim_the_document_contradicts_is_no(chat, message):
    assert chat.say("ask_service", message).startswith(("不是", "不能", "不行", "不支持", "不会"))


def test_another_subject_alone_asks_the_last_question_of_it(chat):
    """"那自发货的话呢" right after a question about FBA's returns: the same question about seller
    fulfilment, not advice for a seller who fulfils orders themselves."""
    assert "退货" in chat.say("ask_service", "FBA模式下退货是谁管")
    reply = chat.say("inform", "那自发货的话呢")
    assert "自行负责" in reply and "「来源：1.6" in reply and "根据你的情况" not in reply


@pytest.mark.parametrize("message", ["往AWD发货是不是非得用AGL", "进AWD的货只能走AGL吗"])
def test_a_restriction_the_document_lifts_is_no(chat, message):
    reply = chat.say("ask_service", message)
    assert reply.startswith(("不是", "不需要", "不行", "不能")) and "任意其他" in reply


def test_a_stages_own_modes_are_not_advice(chat):
    reply = chat.say("ask_recommendation", "头程通常用哪些运输方式")
    assert "海运" in reply and "陆运" in reply and "空运" in reply and "关键看" not in reply


def test_what_a_curated_fact_left_out_is_answered_by_the_statement_it_was_made_from(chat):
    """The fee fact condenses the point about 头程运输费用 without 头程: asked about the first-mile
    cost, the point itself answers."""
    reply = chat.say("ask_service", "AWD为什么能帮我省头程的运费")
    assert "降低头程运输费用" in reply and "「来源：1.4.1」" in reply


def test_as_soon_as_is_an_answer_to_how_long(chat):
    reply = chat.say("ask_service", "AWD的货入库以后要等多久才能上架")
    assert "入库后商品即可被搜索和购买" in reply


def test_a_denial_before_a_headings_colon_does_not_deny_what_follows(chat):
    """"无需分仓: 有效降低头程运输费用": 无需 denies 分仓, not the lower cost after the colon."""
    assert chat.say("ask_service", "用了AWD头程运费能省吗").startswith("可以")


def test_an_attribute_asked_while_the_advisor_weighs_two_candidates_is_answered_for_both(chat):
    """While the advisor still asks which of two fits, "最快要几天" is each candidate's answer, and "这个
    时效…" points at the time, not at the first candidate."""
    first = chat.say("ask_recommendation", "货在宁波，卖美国站，头程用啥")
    assert "AGL" in first and "Amazon SEND" in first
    both = chat.say("ask_service", "最快要几天")
    assert "AGL" in both and "最快" in both and "4天" in both
    promise = chat.say("ask_service", "这个时效能打包票吗")
    assert promise.count("不一定") == 2


def test_a_promise_the_document_does_not_make_is_not_certain(chat):
    chat.say("ask_service", "AGL的时效怎么样")
    assert chat.say("ask_service", "能保证时效吗").startswith("不一定")


def test_a_sections_course_list_is_found_by_its_course_words(chat):
    reply = chat.say("ask_service", "FBA方面有哪些重点课程可以学")
    assert "库存绩效指数 (IPI)" in reply and "创建货件操作流程" in reply


def test_further_courses_after_the_chapter_though_the_chapter_is_named(chat):
    reply = chat.say("ask_course_map", "这章学完之后还有哪些延伸课程")
    assert "Level 0" in reply and "爆发中的跨境出口电商" in reply


def test_a_function_of_a_service_is_not_a_separate_product(chat):
    reply = chat.say("compare_services", "MCD跟AWD是各自独立的服务吗")
    assert reply.startswith("不是") and "功能" in reply


def test_a_condition_asked_of_a_discount_is_the_discounts_condition(chat):
    reply = chat.say("ask_service", "AGL发AWD那个8折有没有门槛条件")
    assert "自动补货一定条件" in reply and "「来源：1.4.1」" in reply


def test_a_part_of_the_last_answer_by_its_place(chat):
    """"第二块" after an answer in themed blocks is the second theme with the document's points under
    it; "第五条" after a list of points is the fifth point, in the document's words and with its note,
    and the next one counts in the same list."""
    chat.say("ask_service", "AWD的优点有哪些")
    block = chat.say("ask_service", "第二块展开说说")
    assert block.startswith("简化运营") and "灵活管理" in block and "「来源：1.4.1」" in block
    chat.say("ask_service", "AGL的优点有哪些")
    second = chat.say("ask_service", "第二条啥意思")
    assert "优先入仓" in second and "解释权" in second
    assert "在线追踪" in chat.say("ask_service", "第五条呢")


def test_questions_while_the_advisor_asks_are_answered_for_its_candidates(chat):
    """A time asked while the advisor waits for the load is answered for its candidates, and a bare
    boat type right after asks the same time again, not the advisor's question."""
    chat.say("ask_recommendation", "不着急，想大批量补货到美国，头程有啥方案")
    assert "34-50天" in chat.say("ask_service", "中部普船要多久")
    assert "33-45天" in chat.say("inform", "快船呢")


def test_a_longer_follow_up_restating_a_listed_statement_asks_whether_a_market_is_listed(chat):
    chat.say("ask_service", "SEND在哪些站点入仓有固定预约")
    assert chat.say("ask_service", "美国站也有仓库固定预约吗").startswith(("没有", "不是"))


def test_the_same_yes_no_with_applies_is_asked_again_for_the_new_context(chat):
    assert chat.say("ask_service", "SEND真能免掉低量库存费吗").startswith("可以")
    reply = chat.say("ask_service", "德国站空运也适用吗")
    assert reply.startswith(("不是", "不行", "不能")) and "美国站海运" in reply


def test_a_condition_before_an_also_clause_is_part_of_the_claim():
    """"…，也能…吗": the clause before is the condition of the claim, so the claim is the whole message."""
    from conversation.dialogue import _asking_clause

    assert _asking_clause("换了别家承运商，也能有这个优惠吗") == "换了别家承运商，也能有这个优惠吗"
    assert _asking_clause("每次都要手动填单很烦，这个工具能解决吗") == "这个工具能解决吗"


def test_another_stage_right_after_a_stages_pain_points_is_its_pain_points(chat):
    chat.say("ask_pain_points", "头程有什么坑")
    assert "配送时效" in chat.say("ask_service", "尾端那边呢，又有什么难点")


def test_an_alternative_lifts_only(chat):
    chat.say("ask_concept", "自发货是什么意思")
    assert chat.say("ask_service", "只能从国内直接发给买家吗").startswith(("不行", "不是", "不能"))


def test_a_no_for_a_service_names_what_fits_instead(chat):
    reply = chat.say("ask_service", "货在宁波仓库，能用PCP送到美国FBA吗")
    assert reply.startswith("不行") and "这种情况可以看" in reply and "AGL" in reply.split("这种情况可以看")[1]


def test_an_example_asked_for_is_the_example_the_answer_gives(chat):
    chat.say("ask_service", "哪些商品适合用购买配送")
    assert "电动玩具" in chat.say("ask_service", "带电的举个例子")


def test_the_first_item_counts_parts_when_one_service_is_in_focus(chat):
    chat.say("ask_service", "AWD提供哪几项服务")
    assert "AGL 和 Amazon SEND" in chat.say("ask_service", "第一个具体说说")


def test_a_mode_named_with_its_own_question_is_not_the_last_question_again(chat):
    chat.say("ask_service", "AGL从哪些港口起运")
    assert chat.say("ask_service", "整柜要拆箱吗").startswith("不")


def test_a_service_described_by_the_mode_it_offers(chat):
    chat.say("compare_services", "AGL和SEND谁有空运")
    reply = chat.say("ask_service", "有空运的那个到日本几天")
    assert "4天" in reply and "「来源：1.3.2」" in reply


def test_a_follow_up_the_statement_just_quoted_answers_gets_it_again(chat):
    chat.say("ask_service", "FIST的送达时段预估是自动的吗")
    assert "即将上线" in chat.say("ask_service", "那这个功能什么时候上线")


def test_a_definition_the_learning_path_names_cites_the_key_points_page(chat):
    assert "卖家百科划重点" in chat.say("ask_concept", "MFN指的是啥")


def test_what_is_done_through_a_service_the_seller_does_not_use_is_no(chat):
    reply = chat.say("ask_service", "不开通MCD的话，AWD的货能批量发去线下门店的仓库吗")
    assert reply.startswith(("不行", "不能", "不是")) and "MCD" in reply


def test_it_against_a_named_service_is_a_comparison(chat):
    chat.say("ask_service", "MCF是干嘛的")
    reply = chat.say("ask_service", "它和MCD差在哪")
    assert reply.startswith("MCF vs MCD")


def test_another_service_with_the_context_asks_the_last_question_of_it(chat):
    chat.say("ask_service", "AGL快船到美西几天")
    assert "23-27天" in chat.say("inform", "那SEND的快船呢")


def test_where_a_services_stock_is_kept(chat):
    chat.say("ask_service", "MCF是干嘛的")
    assert "运营中心" in chat.say("ask_service", "那库存得放哪")


def test_a_follow_up_heard_as_small_talk_is_answered_from_the_last_statement(chat):
    chat.say("ask_service", "用SEND还要填入仓时间吗")
    reply = chat.say("help", "这能帮我过哪项考核")
    assert "入库缺陷率" in reply
    assert chat.say("thank", "好的谢谢").startswith("不客气")


def test_why_a_topic_matters_is_answered_from_its_own_section(chat):
    chat.say("ask_concept", "仓储分销主要做什么")
    reply = chat.say("ask_why", "为什么说它很重要")
    assert "现金周转率" in reply and "「来源：1.1.1" in reply


def test_gan_ma_asks_what_not_yes_or_no(chat):
    assert not chat.say("ask_concept", "仓储分销到底是干嘛").startswith(("是的", "不是"))


def test_a_stages_services_that_deliver_to_a_warehouse(chat):
    reply = chat.say("ask_stage_services", "头程里哪些服务能把货直接送到AWD")
    assert "AGL" in reply and "Amazon SEND" in reply and "PCP" not in reply and "FIST" not in reply


def test_goods_already_in_a_warehouse_are_the_stock_there_not_where_they_go(chat):
    chat.say("ask_recommendation", "库存在我自己的海外仓，要给独立站的买家发货，用什么")
    reply = chat.say("inform", "说错了，货其实早就进FBA仓了，还是给独立站发")
    assert "推荐 MCF" in reply


def test_a_country_named_inside_its_region_is_the_market_and_a_us_region_no_longer_applies(chat):
    chat.say("ask_service", "SEND海运到美西快船几天")
    chat.say("ask_service", "不对，是欧洲站，德国海运多久")
    reply = chat.say("inform", "空运呢")
    assert "德国最快5天" in reply


def test_which_of_two_to_use_shows_what_each_suits(chat):
    reply = chat.say("compare_services", "SEND和AGL到底咋选")
    assert "▪ 适合" in reply and "紧急补货" in reply


def test_a_follow_up_pointing_back_reads_the_statement_just_quoted(chat):
    chat.say("ask_service", "FBA的订单有多大比例是从买家附近的运营中心发出的")
    reply = chat.say("ask_service", "这样销售额会增加多少")
    assert "15%" in reply and "20%-25%" not in reply


def test_a_mode_with_a_question_of_its_own_is_not_the_last_question_again(chat):
    chat.say("ask_service", "AGL从宁波可以起运吗")
    reply = chat.say("ask_service", "整柜的话会拆开吗")
    assert reply.startswith("不会") and "整柜不拆箱" in reply


def test_qi_yun_next_to_a_port_asks_the_port_not_the_minimum(chat):
    reply = chat.say("ask_service", "AGL青岛能起运吗")
    assert reply.startswith("可以") and "青岛" in reply


@pytest.mark.parametrize("message, lead", [
    ("SEND空运30公斤可以发吗", "可以"),  # a load above the minimum
    ("SEND空运0.2公斤可以发吗", "不行"),  # below it
    ("SEND要200公斤以上才能发吗", "不用"),  # a minimum claimed that the document does not state
    ("SEND空运最低是0.5kg吗", "是的"),
])
def test_a_load_is_judged_against_the_minimum(chat, message, lead):
    reply = chat.say("ask_service", message)
    assert reply.startswith(lead) and "0.5KG" in reply


def test_a_sellers_amount_is_not_the_documents_number_in_another_unit(chat):
    reply = chat.say("ask_service", "SEND 34公斤能发吗")
    assert "起运" in reply and "34-50天" not in reply


def test_a_port_the_document_does_not_list_is_neither_yes_nor_no(chat):
    reply = chat.say("ask_service", "AGL可以从长沙起运吗")
    assert reply.startswith("资料列出的启运地里没有长沙") and "上门提货" in reply
    assert chat.say("ask_service", "工厂在佛山，AGL能上门提货吗").startswith("可以")


def test_a_later_ordinal_counts_the_services_just_listed(chat):
    chat.say("ask_stage_services", "头程物流亚马逊都提供哪些服务")
    assert chat.focus.services[2] == "FIST"
    assert chat.say("ask_service", "第三个主要干什么").startswith("FIST")
    assert chat.say("inform", "那第四个呢").startswith("PCP")


def test_a_point_of_a_list_is_shown_with_its_whole_paragraph(chat):
    chat.say("ask_concept", "跨境供应链有哪些难处")
    reply = chat.say("ask_concept", "第三条展开讲讲")
    assert "对接货代" in reply and "多个SKU" in reply


def test_a_use_picks_the_mode_whose_line_names_it(chat):
    chat.say("ask_service", "SEND的空运和海运分别适合什么场景")
    reply = chat.say("ask_recommendation", "要测新品的话走哪个")
    assert reply.startswith("建议走空运") and "新品测试" in reply and "「来源：1.3.2」" in reply
    assert chat.say("inform", "那计划好的大批量补货呢").startswith("建议走海运")


def test_a_stage_has_a_service_of_the_kind_asked_when_one_of_its_services_is(chat):
    reply = chat.say("ask_stage_services", "头程物流有没有亚马逊自营的服务")
    assert reply.startswith("有。符合的是 AGL")


def test_this_stage_after_a_stage_was_explained_asks_its_services(chat):
    chat.say("ask_concept", "尾端配送是什么意思")
    reply = chat.say("ask_stage_services", "这一环节有哪些亚马逊的服务")
    assert "FBA" in reply and "MCF" in reply and "「来源：1.1.3」" in reply


def test_a_figure_compared_with_another_service_is_no_trait_of_the_goods(chat):
    chat.say("ask_recommendation", "FBA库容总是不够，有什么办法")
    chat.say("ask_service", "它的仓储费是多少")
    reply = chat.say("ask_service", "跟FBA比能便宜多少")
    assert "80%" in reply and "根据你的情况" not in reply


def test_a_claim_of_a_service_asked_again_for_a_market_reads_its_footnote(chat):
    reply = chat.say("ask_service", "听说SEND可以规避低量库存费，日本站也适用吗")
    assert reply.startswith("不") and "美国站海运" in reply
    assert chat.say("ask_service", "加拿大站卖家能用FIST吗").startswith("支持")


def test_a_pain_point_a_need_names_is_answered_by_the_fix_in_the_services_table(chat):
    reply = chat.say("ask_service", "运单号老是漏填，入库绩效被记了缺陷，怎么办")
    assert "缺陷豁免" in reply and "「来源：1.3.3」" in reply
    assert chat.say("ask_service", "日本站能用吗").startswith("支持。FIST 覆盖日本")


def test_a_question_of_a_service_answered_by_what_its_function_does(chat):
    chat.say("ask_service", "AWD是什么")
    reply = chat.say("ask_service", "能不能降低各个渠道加起来要备的库存量")
    assert "MCD" in reply and "库存量" in reply and "「来源：1.4.2」" in reply
    assert chat.focus.primary == "MCD"


def test_many_is_not_how_many():
    from knowledge import kb
    assert kb.load().question_type("还要和好几家货代对接吗") == "yes_no"


def test_a_service_named_for_whose_orders_leaves_it_as_the_subject(chat):
    chat.say("ask_service", "购买配送是什么")
    reply = chat.say("ask_service", "FBA的订单可以用它吗")
    assert reply.startswith("不行") and "自发货" in reply


def test_a_sellers_word_for_the_documents_finds_it(chat):
    chat.say("ask_service", "MCD是什么")
    assert "实体" in chat.say("ask_service", "可以给实体店的仓库补货吗")


def test_which_of_a_stages_services_deliver_to_a_warehouse_with_the_stage_named_before_fu_wu(chat):
    reply = chat.say("nlu_fallback", "有什么头程服务可以把货直接送到AWD仓库")
    assert "AGL" in reply and "Amazon SEND" in reply and "PCP" not in reply


def test_what_a_party_does_within_the_concept_just_explained(chat):
    chat.say("ask_concept", "卖家自配送是什么意思")
    reply = chat.say("inform", "那亚马逊在这里面负责什么")
    assert "亚马逊仅作为销售的网站" in reply and "「来源：1.6」" in reply


def test_how_a_fee_is_paid_is_part_of_the_fee(chat):
    assert "即用即付" in chat.say("ask_service", "AWD的费用要提前预交吗，还是用了再付")


def test_whether_a_price_is_better_is_answered_by_the_documents_comparison(chat):
    reply = chat.say("ask_service", "AGL拼箱的价格划算吗")
    assert reply.startswith("有") or reply.startswith("是") or reply.startswith("可以")
    assert "同比直降" in reply and "资料没有给出这项的收费标准" not in reply


def test_another_chapters_title_is_said_to_be_all_this_chapter_has(chat):
    reply = chat.say("out_of_scope", "新卖家的黄金时期一共多少天")
    assert "90天" in reply and reply.startswith("本章资料没有展开") and "「来源：课程路径图」" in reply


def test_a_chapter_number_is_one_number(chat):
    assert "3.5 亚马逊跨境收款解决方案" in chat.say("ask_course_map", "3.5那一章讲的是什么内容")


def test_a_sellers_words_for_ordering_and_tracking(chat):
    reply = chat.say("ask_service", "AGL怎么建单，去哪看物流进度")
    assert "网上创建" in reply and "在线追踪" in reply


def test_a_concept_answer_naming_one_service_puts_it_in_focus(chat):
    chat.say("ask_concept", "卖家自配送是什么")
    assert chat.focus.services == ("BUY_SHIPPING",)
    assert "①" in chat.say("ask_service", "它有什么优势")


def test_where_the_goods_must_be_is_a_services_warehouses(chat):
    chat.say("ask_service", "MCF可以给独立站订单发货吗")
    assert "亚马逊运营中心" in chat.say("inform", "那货要放在哪里")


def test_an_example_asked_after_advice_on_a_trait_is_the_documents_example(chat):
    chat.say("ask_recommendation", "我自己发货，有什么推荐")
    chat.say("inform", "我卖的是季节性商品")
    reply = chat.say("ask_recommendation", "比如什么呢")
    assert "服装" in reply and "节日用品" in reply


def test_air_after_a_us_region_is_to_the_us_by_air(chat):
    chat.say("ask_service", "SEND海运去美东多少天")
    reply = chat.say("inform", "空运呢")
    assert "中国至美国最快4天" in reply and "开船次日" not in reply


def test_an_english_follow_up_names_its_attribute_inflected(chat):
    chat.say("ask_service", "What does AWD storage cost?")
    assert "0.38" in chat.say("nlu_fallback", "and the discounted price?")


def test_a_services_european_markets_are_said_as_the_document_groups_them(chat):
    reply = chat.say("ask_service", "货在国内，要发日本站，AGL能用吗")
    assert "欧洲（英国、法国、德国、意大利、西班牙）" in reply


def test_an_attribute_left_from_before_a_quoted_statement_does_not_answer_a_new_question(chat):
    chat.say("ask_service", "AGL可以从厦门起运吗")
    chat.say("ask_service", "大件会不会被打托")
    reply = chat.say("ask_service", "运费是先付还是送到仓以后再扣")
    assert "货到付款" in reply and "启运地" not in reply


def test_an_abbreviation_a_services_statement_spells_out(chat):
    reply = chat.say("ask_service", "FIST说的SR指什么")
    assert "智能转仓" in reply and "「来源：1.3.3」" in reply


def test_an_also_clause_after_a_space_is_what_is_asked(chat):
    chat.say("ask_service", "用AGL发货到AWD有折扣吗")
    reply = chat.say("ask_service", "换成自己的货代发AWD 还有这个优惠吗")
    assert reply.startswith("没有") and "8折" in reply


def test_a_heading_the_seller_names_brings_all_it_heads(chat):
    chat.say("ask_service", "SEND有哪些优势")
    reply = chat.say("inform", "那简化运营这块呢")
    assert "门到门" in reply and "一站式集成" in reply


def test_a_gap_fact_that_says_what_is_asked_is_not_swapped_for_the_last_one(chat):
    chat.say("ask_service", "FBA送货速度怎么样")
    assert "70%" in chat.say("ask_service", "那跟其他当日达次日达渠道比费用呢")


def test_what_the_statement_just_quoted_is_for_answers_this_way_what_good(chat):
    chat.say("ask_service", "用SEND需要填写入仓时间吗")
    assert "入库缺陷率" in chat.say("ask_service", "这样有什么好处")


def test_how_it_solves_the_pain_described_is_that_row_of_the_table(chat):
    chat.say("ask_recommendation", "追踪编号每次手动填，经常填错，有什么工具")
    reply = chat.say("ask_service", "它是如何解决的")
    assert "自动同步货件号" in reply and "一站式集成" not in reply


def test_a_language_is_no_marketplace_and_how_a_service_handles_it_is_no_advice(chat):
    chat.say("ask_service", "FBA的客服是谁负责")
    reply = chat.say("out_of_scope", "买家要是用法语来问怎么办")
    assert "当地语言" in reply and "根据你的情况" not in reply
    assert chat.focus.marketplace is None


def test_a_wish_then_a_yes_no_clause_asks_yes_or_no():
    from knowledge import kb
    assert kb.load().question_type("我想自己决定每次发多少 行吗") == "yes_no"


def test_the_point_saying_the_side_asked_for_answers(chat):
    chat.say("ask_service", "AWD的补货是怎么做的")
    reply = chat.say("nlu_fallback", "要是我想自己设置补货数量，可以吗")
    assert reply.startswith("可以") and "手动补货" in reply


def test_two_figures_asked_at_once_are_both_answered(chat):
    reply = chat.say("ask_service", "FBA的运营中心和飞机分别有多少")
    assert "400+" in reply and "100+" in reply


def test_two_services_asked_each_are_still_answered_by_the_service_handler(chat):
    reply = chat.say("ask_service", "AGL和SEND分别能到哪些国家")
    assert reply.count("「来源：") == 2 and "意大利" in reply and "中东" in reply
