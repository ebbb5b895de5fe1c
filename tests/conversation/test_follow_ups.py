"""Follow-ups that lean on what was just said: advice that moves to another stage, pronouns and
descriptions that point back ("它", "另一个", "刚才那个官方物流"), a why after a yes or a no, and yes/no
questions whose verdict depends on how they are put (减少, A不A, 仅次于). Phrasings of this file's own."""
import pytest

from tests.support.conversation import Conversation


@pytest.fixture
def chat(base):
    return Conversation(base)


def test_a_load_said_without_a_figure_is_a_load_class(chat):
    reply = chat.say("ask_recommendation", "卖美国站，货量很大，不赶时间，头程怎么走比较好")
    assert "货量大" in reply and "推荐 AGL" in reply


def test_another_stage_asked_after_advice_gets_that_stage_alone(chat):
    chat.say("ask_recommendation", "卖美国站，货量很大，不赶时间，头程怎么走比较好")
    reply = chat.say("ask_service", "货到了美国以后存哪儿最便宜")
    assert "推荐 AWD" in reply and "【头程物流】" not in reply
    assert "0.48" in chat.say("ask_service", "每个月多少钱")


def test_it_after_advice_over_stages_is_the_service_its_words_fit(chat):
    chat.say("ask_recommendation", "我在深圳，货打算先存在美国一个仓，再自动补给FBA，独立站也从那里发")
    assert "机器学习" in chat.say("ask_service", "它补货是按什么来的")


def test_a_question_about_getting_rid_of_something_agrees_with_a_text_denying_it(chat):
    assert chat.say("ask_service", "用AWD能减少缺货吗").startswith("可以")


def test_a_not_a_asks_yes_or_no(chat):
    assert chat.say("ask_service", "SEND的仓位稳不稳").startswith("是的")


def test_why_right_after_a_no_gives_what_it_rested_on(chat):
    assert chat.say("ask_service", "MCD可以不开AWD单独用吗").startswith("不")
    reply = chat.say("ask_why", "为啥")
    assert reply.startswith("原因") and "功能" in reply


def test_the_service_before_is_found_by_its_description(chat):
    chat.say("ask_service", "AGL能从哪些港口出")
    chat.say("ask_service", "那MCF是干嘛的")
    assert "超大件" in chat.say("ask_service", "刚才那个官方物流能运哪些货件")


def test_the_other_one_of_two(chat):
    chat.say("compare_services", "AGL和SEND哪个是亚马逊官方的")
    assert "合作承运人" in chat.say("inform", "另一个呢，是谁承运")


def test_a_stage_pain_point_named_gets_the_stage_list(chat):
    reply = chat.say("ask_pain_points", "尾端那块卖家有哪些难处")
    assert "退货" in reply and "配送时效" in reply


def test_figures_under_the_heading_a_question_names(chat):
    reply = chat.say("ask_service", "FBA基础设施规模有多大")
    assert all(figure in reply for figure in ("400+", "100+", "200+", "275,000"))


def test_a_stage_service_that_does_something_is_the_one_saying_it(chat):
    reply = chat.say("ask_service", "头程有能帮忙清关的服务吗")
    assert "SEND" in reply and "清关" in reply and "「来源：1.3.2」" in reply


def test_product_testing_is_met_with_send_by_air(chat):
    chat.say("ask_recommendation", "想先发一小批新品去美国测试市场，头程用啥")
    assert "新品测试" in chat.say("ask_why", "为什么这么推荐")


def test_a_second_statement_saying_otherwise_makes_a_no(chat):
    assert chat.say("ask_concept", "供应链是跨境电商最大的一块成本吗").startswith("不")


# -- 8th session ----------------------------------------------------------------------------------

def test_a_pain_to_get_rid_of_is_not_claimed_by_the_question(chat):
    assert chat.say("ask_service", "FIST能帮我解决手工上传单号的麻烦吗").startswith(("可以", "能", "是", "有"))


def test_start_over_needs_its_words(chat):
    chat.say("ask_service", "SEND海运快船到美东几天")
    reply = chat.say("start_over", "几号开始计时")
    assert "重新开始" not in reply and "开船次日" in reply


def test_customer_service_asked_of_the_service_talked_about_is_not_a_hand_off(chat):
    chat.say("ask_service", "SEND需要注册账号吗")
    reply = chat.say("request_human", "它有客服吗")
    assert "实时客服" in reply and "转接" not in reply


def test_a_bare_yes_no_of_the_focused_service_asks_of_the_fact_just_shown(chat):
    chat.say("ask_service", "用AGL发AWD有折扣吗")
    reply = chat.say("ask_service", "只有AGL才有吗")
    assert reply.startswith(("没有", "不")) and "SEND" in reply


def test_a_need_said_of_the_yardstick_is_not_the_sellers(chat):
    reply = chat.say("ask_service", "FBA的配送费比美国别家次日达便宜多少")
    assert "70%" in reply and "推荐" not in reply


def test_an_item_of_a_listed_answer_is_asked_of_by_its_place(chat):
    chat.say("ask_concept", "跨境供应链分几个阶段")
    assert "国际物流" in chat.say("ask_concept", "第一个具体指什么")
    assert "FBA" in chat.say("ask_stage_services", "那最后一个有哪些服务")


def test_a_follow_up_the_fact_just_shown_answers_stays_on_its_service(chat):
    chat.say("ask_service", "FBA买家客服几点在线")
    assert "FBA" in chat.say("out_of_scope", "退货归谁管")


def test_customs_trouble_is_a_first_mile_need(chat):
    assert "推荐 Amazon SEND" in chat.say("ask_recommendation", "从宁波发美国，清关我搞不定，头程用啥")


def test_looking_for_one_of_a_stage_is_advice(chat):
    reply = chat.say("ask_recommendation", "老被货代坑，想找个靠谱点的头程")
    assert "AGL" in reply and "可以理解为跨境物流" not in reply


def test_whether_it_suits_a_situation_is_judged_by_the_advisor(chat):
    chat.say("ask_service", "PCP是做什么的")
    assert chat.say("ask_service", "那它适合义乌发出的货吗").startswith("不")


def test_a_service_doing_it_for_the_seller_agrees_with_the_seller_not_needing_to(chat):
    chat.say("ask_service", "AWD是什么")
    assert chat.say("ask_service", "它能帮我把货分到各个FBA仓吗").startswith(("可以", "能", "是"))


def test_sold_right_after_receipt(chat):
    chat.say("ask_service", "AWD仓库在哪")
    assert chat.say("ask_service", "货到AWD后可以马上卖吗").startswith(("可以", "能", "是"))


def test_a_bare_figure_asked_right_after_a_fee_is_that_fee(chat):
    chat.say("ask_service", "AWD仓储怎么收费")
    assert "0.48" in chat.say("out_of_scope", "一个月多少")


def test_one_service_for_everything_is_advice_even_with_a_long_description(chat):
    reply = chat.say("inform", "卖美国站 有没有从提货到送给买家一条龙全包的")
    assert "推荐 AMS" in reply
    assert chat.say("ask_service", "这个只管亚马逊商城的订单吗").startswith(("不", "没有"))


def test_it_while_the_advisor_asks_is_the_option_its_words_fit(chat):
    chat.say("ask_stage_services", "清关搞不定，亚马逊有没有能帮清关的头程")
    assert chat.say("ask_service", "它提供门到门吗").startswith(("是", "可以", "有"))


def test_the_second_place_of_from_to_is_where_the_goods_go(chat):
    assert chat.say("ask_service", "PCP可以从宁波往英国发货吗").startswith("不")


def test_leaving_from_a_port_is_answered_by_the_ports(chat):
    reply = chat.say("ask_service", "从福州能走AGL吗")
    assert reply.startswith("可以") and "福州" in reply


def test_the_figure_asked_for_is_not_left_for_a_sentence_without_it(chat):
    reply = chat.say("ask_service", "我用AGL发货，进AWD能打几折")
    assert "8折" in reply and "9折" in reply


def test_what_the_seller_excepts_is_not_what_is_asked(chat):
    reply = chat.say("ask_service", "MCD除了把货分到别的渠道，还有什么好处")
    assert "库存量" in reply or "整合" in reply
    assert "MCD" in chat.say("ask_service", "AWD除了给FBA补货还能干嘛")


def test_boats_timed_with_no_service_named_are_the_service_that_times_them(chat):
    reply = chat.say("inform", "普船和特快船去美东分别多少天")
    assert "34-50天" in reply and "16-29天" in reply


def test_boats_named_without_a_time_are_not_timed(chat):
    assert "天" not in chat.say("ask_concept", "SO和FO分别代表什么")


def test_only_one_stage_is_judged_by_the_services_stage(chat):
    assert chat.say("ask_service", "AMS是不是只负责尾端配送").startswith("不")
    assert chat.say("ask_service", "AGL就只管头程吧").startswith("是")


def test_whether_a_service_includes_a_task_it_lists(chat):
    assert chat.say("ask_service", "AMS包含分仓吗").startswith(("是", "包", "可以", "有"))


def test_a_need_asked_of_the_service_pointed_back_at_is_its_question(chat):
    chat.say("ask_service", "FIST能用在哪些站点")
    chat.say("ask_service", "AMS要我准备什么")
    reply = chat.say("ask_service", "刚才那个追踪系统，送仓路上出现意外延迟怎么处理")
    assert "智能转仓" in reply and "推荐" not in reply


def test_which_service_right_after_a_concept_that_names_one(chat):
    chat.say("ask_concept", "亚马逊供应链整体解决方案指的是什么")
    assert chat.say("nlu_fallback", "那具体是什么服务").startswith("AMS")


def test_a_yes_no_nothing_answers_shows_the_nearest_sentence_not_the_coverage(chat):
    chat.say("ask_service", "SEND需不需要填入仓时间")
    reply = chat.say("ask_service", "货件到哪儿了能在后台看吗")
    assert "卖家平台" in reply and "覆盖" not in reply


def test_what_two_services_are_said_to_share_does_not_narrow_their_comparison(chat):
    reply = chat.say("compare_services", "PCP跟AGL不都是承运人嘛，差别在哪")
    assert "境内" in reply and "跨境" in reply


def test_sales_asked_in_a_sellers_word(chat):
    assert "20%-25%" in chat.say("ask_service", "走FBA的话销量会变好吗")


def test_a_word_of_a_services_name_before_that_one_names_it(chat):
    chat.say("inform", "亚马逊和独立站我都在卖，库存想统一放一个地方")
    assert "创建 MCD 订单" in chat.say("ask_service", "分拨那个怎么用")


def test_only_one_item_of_a_longer_list_is_a_no(chat):
    assert chat.say("ask_service", "PCP是不是只能走小包裹").startswith("不")
    assert chat.say("ask_service", "AGL只能发美国吧").startswith("不")


def test_amazon_doing_it_automatically_answers_whether_the_seller_must(chat):
    assert chat.say("ask_service", "用购买配送，发货确认还得我自己来吗").startswith("不")


def test_customer_service_in_local_languages_is_not_english_only(chat):
    assert chat.say("ask_service", "FBA客服只会英文吗").startswith("不")


def test_a_market_asked_with_fba_as_the_destination_is_the_coverage(chat):
    assert "英国" in chat.say("ask_service", "从深圳发英国FBA，SEND到得了吗")


def test_returning_to_a_service_names_it(chat):
    chat.say("ask_service", "FBA是干嘛的")
    chat.say("ask_service", "MCF呢")
    assert "70%" in chat.say("ask_service", "回到FBA，它的费用跟美国别的次日达比怎么样")


def test_whether_the_sellers_goods_are_of_a_supplier_kind(chat):
    assert chat.say("inform", "工厂在义乌，卖德国站，这算境内供货商吗").startswith("不")
    assert chat.say("inform", "货在美国仓库，卖美国站，算境内供货商吧").startswith("是")


def test_where_the_goods_start_said_earlier_judges_a_service_asked_later(chat):
    chat.say("inform", "工厂在义乌，卖德国站，这算境内供货商吗")
    assert chat.say("ask_service", "那头程可以用PCP吗").startswith("不")
    assert "AGL" in chat.say("ask_recommendation", "那用啥")
