"""A fee the document names without an amount, doubts tagged onto a question ("有坑吗"), names the
document does not know, and follow-ups that go back to something said before. Phrasings of this file's own."""
import pytest

from tests.support.conversation import Conversation


@pytest.fixture
def chat(base):
    return Conversation(base)


def test_a_fee_the_document_only_names_has_no_amount_in_the_answer(chat):
    reply = chat.say("ask_service", "仓储利用率附加费一般要交多少钱")
    assert reply.startswith("资料") and "仓储利用率附加费的收费标准" in reply and "「来源：1.4.1」" in reply


def test_how_a_named_fee_is_computed_is_a_price_question(chat):
    assert "低量库存费的收费标准" in chat.say("ask_service", "低量库存费是按什么计费的")


def test_a_fee_with_its_amount_in_the_document_keeps_it(chat):
    reply = chat.say("ask_service", "AWD仓储费每立方英尺多少钱")
    assert "$0.48" in reply and not reply.startswith("资料")


def test_how_to_avoid_a_fee_is_not_asked_its_amount(chat):
    reply = chat.say("ask_service", "怎样才能避免被收超龄库存费")
    assert "自动补货" in reply and "收费标准" not in reply


def test_fee_names_are_found_in_the_document(base):
    assert base.fee_named("那个入库配置服务费还收吗") == "入库配置服务费"
    assert base.fee_named("AWD 的运费") is None  # too short to be told from other words


def test_a_doubt_tagged_onto_a_question_is_not_its_attribute(chat):
    reply = chat.say("ask_service", "AWD到了旺季仓储费会上调吗 有没有坑")
    assert "无旺季调价" in reply and "解决的痛点" not in reply


def test_a_doubt_alone_still_asks_it(chat):
    assert "解决的痛点" in chat.say("ask_service", "MCF有没有坑")


def test_a_name_only_a_further_course_gives_is_a_gap_with_that_title(chat):
    reply = chat.say("ask_service", "ipi要保持在多少分以上才安全")
    assert reply.startswith("资料里没有讲到这个问题") and "库存绩效指数 (IPI)" in reply


def test_what_that_name_stands_for_is_still_answered(chat):
    assert "库存绩效指数" in chat.say("ask_service", "IPI是啥的缩写")


def test_the_overall_challenges_keep_the_documents_words(chat):
    reply = chat.say("ask_pain_points", "做跨境 供应链上整体有哪些挑战")
    assert "链路很长" in reply and "稳定性的缺乏" in reply and "法律法规" in reply


def test_another_fee_alone_asks_the_last_question_of_it(chat):
    assert chat.say("ask_service", "AWD自动补货能帮我躲开超龄库存费吗").startswith("可以")
    reply = chat.say("ask_service", "那低量库存费呢")
    assert reply.startswith("可以") and "低量库存费" in reply and "「来源：1.4.1」" in reply


def test_what_the_seller_meant_asks_the_last_question_of_it(chat):
    assert chat.say("ask_service", "AGL可以送澳洲吗").startswith("不")
    reply = chat.say("inform", "啊我记混了，我说的是SEND")
    assert reply.startswith("支持") and "Amazon SEND" in reply and "澳洲" in reply


def test_how_they_differ_after_an_answer_about_two_compares_them(chat):
    chat.say("ask_service", "AGL和SEND分别从哪起运")
    reply = chat.say("compare_services", "那两者差别在哪")
    assert "AGL" in reply and "SEND" in reply and "怎么选" in reply


def test_a_bare_stage_after_a_stages_line_up_is_that_stages_line_up(chat):
    chat.say("ask_stage_services", "头程有哪些服务可以选")
    reply = chat.say("ask_pain_points", "尾端")
    assert "FBA" in reply and "MCF" in reply and "「来源：1.1.3」" in reply


def test_uncertainties_of_a_stage_are_its_pain_points(chat):
    reply = chat.say("ask_concept", "头程环节有哪些不确定因素")
    assert "地缘政治" in reply and "「来源：1.1.2」" in reply
    assert "配送时效" in chat.say("inform", "尾端呢")
    assert "整体挑战" in chat.say("ask_pain_points", "那整体的挑战呢")


def test_a_yes_or_no_about_a_service_with_a_need_beside_it_is_a_fact_of_it(chat):
    reply = chat.say("ask_recommendation", "AWD会不会限制库容 我们一到旺季就被卡")
    assert reply.startswith("没有") or reply.startswith("不会")
    assert "无库容限制" in reply and "推荐" not in reply


def test_who_chose_the_carriers_is_the_carrier(chat):
    reply = chat.say("ask_service", "SEND用的承运人是谁挑的")
    assert "亚马逊筛选" in reply and "「来源：1.3.2」" in reply


def test_comparing_on_an_attribute_one_side_lacks_shows_what_each_is(chat):
    reply = chat.say("compare_services", "AWD和MCD各管什么 两个是啥关系")
    assert "AWD 的一个功能" in reply and "资料没有给出包含的服务" not in reply


def test_a_city_with_words_the_document_never_uses_is_outside_the_material(chat):
    for text in ("宁波明天下不下雨啊", "厦门有什么好逛的景点"):
        reply = chat.say("ask_service", text)
        assert "超出了我掌握的资料范围" in reply and "启运地" not in reply


def test_a_total_asked_is_still_a_question_of_the_document(chat):
    assert "2亿" in chat.say("ask_recommendation", "Prime会员总共有多少")


def test_the_alternative_after_haishi_is_not_what_is_asked(chat):
    reply = chat.say("ask_service", "放进AWD就能开卖了吗，还是要先转去FBA仓")
    assert reply.startswith("可以") and "即可被搜索和购买" in reply and "「来源：1.4.1」" in reply


def test_a_word_of_the_last_curated_answer_asked_is_that_part_of_it(chat):
    chat.say("ask_pain_points", "跨境供应链整体上难在哪")
    reply = chat.say("help", "排在产品成本后面的是啥")
    assert "15%-20%" in reply and "「来源：1.1.2」" in reply


def test_a_few_of_something_the_seller_wants_is_not_a_count_asked(base):
    assert base.question_type("MCF能发独立站吗 有几款货我想试试") == "yes_no"
    assert base.question_type("AWD在美国有几个仓") == "how_many"


def test_a_yes_or_no_ended_by_a_question_mark_then_how_much_gets_both(chat):
    reply = chat.say("ask_service", "AWD仓储费真的比FBA省？省多少")
    assert reply.startswith("是的") and "80%" in reply


def test_a_warehouse_the_goods_are_not_in_is_not_where_they_are(chat):
    reply = chat.say("ask_service", "库存放在自己租的海外仓 不在FBA 亚马逊可以帮忙派送吗")
    assert "推荐 亚马逊快递服务" in reply and "「来源：1.1.3」" in reply


def test_two_points_named_by_their_headings_are_both_shown(chat):
    reply = chat.say("ask_service", "AWD说的单一库存池跟补货无忧各是什么意思")
    assert "单一库存池：" in reply and "补货无忧：" in reply and "「来源：1.1.3」" in reply


def test_where_the_carriers_collect_goods_are_their_distribution_centres(chat):
    chat.say("ask_service", "SEND怎么样")
    reply = chat.say("ask_service", "国内交货点多吗")
    assert reply.startswith("是的") and "分拨中心" in reply and "「来源：1.3.2」" in reply


def test_what_kind_of_goods_asks_which(base):
    assert base.question_type("什么样的商品适合走MCF") == "which"


def test_a_fee_avoided_names_whose_fee_not_what_is_asked_about(chat):
    chat.say("ask_service", "SEND是啥")
    reply = chat.say("ask_service", "说是能避免FBA低量库存费 对吗")
    assert reply.startswith("可以") and "Amazon SEND" in reply and "美国站海运" in reply


def test_not_using_fba_and_sending_to_buyers_directly_is_self_fulfilment(chat):
    reply = chat.say("ask_recommendation", "我们不用亚马逊物流 打算直接从深圳发给顾客 有什么可以用")
    assert "购买配送" in reply and "1.6" in reply and "AGL" not in reply


def test_a_warehouse_replenished_is_where_the_goods_go(chat):
    reply = chat.say("ask_concept", "分销就是补货到FBA吗")
    assert "实体销售渠道" in reply and "负责尾端配送" not in reply


def test_a_not_yet_answer_keeps_the_service_in_focus(chat):
    chat.say("ask_service", "FIST日本站能用吗")
    chat.say("inform", "新兴站点呢")
    reply = chat.say("ask_service", "那它的ETA自动预估上线了没")
    assert "即将上线" in reply and "「来源：1.3.3」" in reply


def test_specific_conditions_the_document_leaves_unnamed_are_a_gap(chat):
    reply = chat.say("ask_service", "AWD打折需要满足的补货要求具体有哪些")
    assert reply.startswith("资料里没有直接讲到这一点") and "一定条件" in reply


def test_whether_there_are_conditions_is_still_yes(chat):
    assert chat.say("ask_service", "AWD的折扣是否有条件").startswith(("是的", "有", "需要"))
