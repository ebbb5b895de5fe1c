"""Messages typed as keywords ("SEND 空运 英国", "X 覆盖+方式"), spaces between Latin and Chinese words,
"哪个工具" after an answer, and "还有呢" / a bare "为啥" after a statement. Phrasings of this file's own."""
import pytest

from tests.support.conversation import Conversation


@pytest.fixture
def chat(base):
    return Conversation(base)


def test_a_routes_keywords_ask_its_transit_time_and_another_market_follows(chat):
    reply = chat.say("ask_service", "SEND 空运 英国")
    assert "5天" in reply and "「来源：1.3.2」" in reply
    assert "7天" in chat.say("inform", "中东呢")


def test_a_route_with_a_price_word_is_not_taken_for_its_transit_time(chat):
    assert "天" not in chat.say("ask_service", "SEND 空运 英国 每公斤啥价").split("「")[0]


def test_fba_after_a_market_with_spaces_is_where_the_goods_go(chat):
    reply = chat.say("ask_service", "厦门 整柜 发 西班牙 FBA 有啥官方头程")
    assert "推荐 AGL" in reply


def test_a_phrase_typed_with_a_space_is_found_in_messages_but_not_in_the_document(base):
    typed = {(m.entity, m.value) for m in base.message_finder.find(base.normalize("FBA 仓里的货 发 Shopify 订单"))}
    assert ("warehouse", "FC") in typed
    # the document's "AWD 仓库" is the service's warehouse: its statements stay about AWD
    assert [(m.entity, m.value) for m in base.finder.find("发货至 AWD 仓库")] == [("service", "AWD")]


def test_two_questions_joined_by_a_plus_are_each_answered(chat):
    reply = chat.say("ask_service", "AGL 启运港+货件类型")
    assert "宁波" in reply and "超大件" in reply


def test_which_tool_after_an_answer_names_the_service_it_was_about(chat):
    chat.say("ask_service", "货件在送仓途中耽误了 能智能转仓吗")
    assert "FIST" in chat.say("ask_service", "这是哪个工具")


def test_more_after_a_statement_walks_on_through_the_document(chat):
    chat.say("ask_service", "FBA对卖家销售额有多大帮助")
    first = chat.say("inform", "还有呢")
    assert first.startswith("资料里还提到") and "20%-25%" not in first
    second = chat.say("inform", "还有呢")
    assert second != first and "「来源：1.5.1」" in second


def test_a_bare_why_after_a_claim_gives_the_points_beside_it(chat):
    chat.say("ask_service", "FBA对卖家销售额有多大帮助")
    reply = chat.say("ask_why", "为什么呢")
    assert reply.startswith("原因") and "Prime" in reply


def test_a_why_with_words_of_its_own_is_not_answered_by_the_points_beside(chat):
    chat.say("ask_service", "FBA对卖家销售额有多大帮助")
    assert not chat.say("ask_why", "为啥能提升复购").startswith("原因：· ")


def test_a_stages_line_up_for_a_market_leaves_out_what_does_not_reach_it(chat):
    reply = chat.say("ask_stage_services", "做中东站 头程这块亚马逊都有啥")
    assert "Amazon SEND" in reply and "FIST" in reply
    assert "不适用 AGL" in reply and "不适用 PCP" in reply
    assert "追踪" in chat.say("ask_service", "第二个是干嘛的")  # the second of the line-up: FIST


def test_a_line_up_question_with_a_load_is_advice(chat):
    reply = chat.say("ask_stage_services", "就两箱货 0.2个方 头程有什么能走海运的")
    assert "可以用：" not in reply and "SEND" in reply


def test_these_two_right_after_a_second_service_are_it_and_the_one_before(chat):
    chat.say("ask_service", "MCF是干嘛的")
    chat.say("ask_service", "那MCD呢")
    reply = chat.say("compare_services", "这俩有啥不同")
    assert "MCF" in reply and "MCD" in reply


def test_an_english_abbreviation_finds_the_documents_word(chat):
    assert "订单缺陷率" in chat.say("ask_service", "自发货的 ODR 能被保护吗")


def test_this_stages_pain_points_right_after_the_stage_was_explained(chat):
    chat.say("ask_concept", "头程物流指的是什么")
    reply = chat.say("ask_pain_points", "这个环节有什么难处")
    assert reply.startswith("头程物流的痛点")


def test_rather_suitable_is_no_comparison(chat):
    reply = chat.say("ask_service", "什么样的货比较适合用购买配送")
    assert "季节性" in reply and "长尾" in reply


def test_a_pain_point_asked_with_a_channel_word_is_the_pain_point_not_advice(chat):
    reply = chat.say("ask_pain_points", "多个平台一起卖 库存管理有啥难点")
    assert "耗时耗力" in reply and "推荐" not in reply


def test_a_sellers_word_for_how_high_finds_the_cost_challenge(chat):
    assert "15%-20%" in chat.say("ask_concept", "供应链成本到底有多高")


@pytest.mark.parametrize("text, kind", [("SEND 海运 空运 都支持?", "yes_no"), ("PCP 也能用?", "yes_no"),
                                        ("拼箱?", None), ("那欧洲呢？", None)])
def test_a_short_rising_question_asks_yes_or_no_only_of_a_verb(base, text, kind):
    assert base.question_type(text) == kind


# -- 10th and 11th sessions ------------------------------------------------------------------------------

def test_why_of_what_a_service_spares_is_no_why_not(chat):
    """The negation in "用AWD就不用分仓" falls on 分仓, not on AWD: the reasons, not a question back."""
    reply = chat.say("ask_why", "凭什么说上了AWD就不用再分仓")
    assert "无需分仓" in reply and "「来源：1.4.1」" in reply
    assert "我们还没聊你的情况" in chat.say("ask_why", "为什么不用AWD")  # a why-not still asks the situation


def test_an_emoji_after_the_question_word_leaves_the_yes_or_no(chat):
    reply = chat.say("ask_service", "FIST能智能转仓吗🙏")
    assert reply.startswith("可以。") and "「来源：1.3.3」" in reply


def test_emoji_are_blanked_one_space_each_so_entity_offsets_hold():
    from knowledge.text import blank_emoji

    text = "AWD👍有库容限制吗😅"
    assert blank_emoji(text) == "AWD 有库容限制吗 " and len(blank_emoji(text)) == len(text)


def test_a_function_asked_as_a_separate_service_is_no(chat):
    reply = chat.say("ask_service", "MCD算单独一个服务吗")
    assert reply.startswith("不是。") and "一个功能" in reply


def test_everything_asked_of_what_only_qualifying_goods_get_is_not_always(chat):
    reply = chat.say("ask_service", "FBA的商品都能享受次日达吗")
    assert reply.startswith("不一定。") and "符合要求的商品" in reply


def test_a_partys_part_asked_right_after_a_definition_is_the_clause_it_opens(chat):
    chat.say("ask_concept", "自发货是什么意思")
    reply = chat.say("ask_stage_services", "那亚马逊负责什么")
    assert reply.startswith("亚马逊仅作为销售的网站") and "「来源：1.6」" in reply


def test_this_has_points_back_at_the_statement_just_quoted(chat):
    chat.say("ask_service", "SEND要不要填入仓时间")
    reply = chat.say("ask_service", "这有什么用")
    assert "入库缺陷率" in reply and "价格优势" not in reply


def test_later_support_heard_as_small_talk_is_the_whole_way_support(chat):
    chat.say("ask_service", "AGL首单有专人管吗")
    assert "全程" in chat.say("greet", "后续也有人跟进吗")


def test_a_correction_that_chooses_a_mode_with_ba_keeps_the_question_asked(chat):
    chat.say("ask_service", "SEND海运去美西大概多久")
    reply = chat.say("inform", "不对不对 我卖英国的 空运吧")
    assert "5天" in reply and "「来源：1.3.2」" in reply


@pytest.mark.parametrize("text, kind", [("不对 是发日本 海运吧", None), ("不对，货在深圳，能用AGL吧", "yes_no"),
                                        ("海运吧", "yes_no")])
def test_only_a_corrections_ba_of_choice_asks_nothing(base, text, kind):
    assert base.question_type(text) == kind


def test_storage_that_costs_too_much_and_fear_of_stockouts_is_warehousing_advice(chat):
    reply = chat.say("ask_recommendation", "库存放FBA里太贵了 又担心断货 怎么办")
    assert "推荐 AWD" in reply and "「来源：1.4.1」" in reply


def test_after_sales_asked_by_a_seller_using_fba_is_about_fba(chat):
    reply = chat.say("ask_service", "我用fba发货 买家退货归谁管")
    assert "FBA" in reply and "退货" in reply and "「来源：1.5.1」" in reply


def test_a_mode_asked_with_the_warehouse_the_goods_go_to_is_the_carriers_by_that_mode(chat):
    reply = chat.say("ask_service", "货要进日本FBA 空运最快要几天")
    assert "SEND" in reply and "4天" in reply and "「来源：1.3.2」" in reply
    assert "7天" in chat.say("inform", "那中东呢")


def test_a_word_that_cuts_into_the_attributes_phrase_is_part_of_asking_it(chat):
    # 从哪里发|货: 发货 is the attribute's own verb, not a word a sentence on 发货 to AWD answers better
    reply = chat.say("ask_service", "agl一般从哪些地方发货的")
    assert "连云港" in reply and "「来源：1.3.1」" in reply and "0.48" not in reply


def test_a_services_advantages_keep_the_documents_own_headings(chat):
    reply = chat.say("ask_service", "AGL好在哪 都说说")
    assert all(h in reply for h in ("全程可视化", "多港口灵活出运", "货到付款")) and "「来源：1.3.1」" in reply


def test_a_yes_no_asked_before_a_complaint_is_judged_by_its_question(chat):
    # the clause after "…吗" only complains; its 手填 claims nothing against the document's 自动
    assert chat.say("ask_service", "FIST能自动同步单号吗，天天手填累死了").startswith("可以")


def test_a_defect_said_to_count_against_the_seller_is_answered_by_its_waiver(chat):
    chat.say("ask_service", "FIST能干嘛")
    assert chat.say("ask_service", "单号填错了会不会算到我头上").startswith("不会")


def test_deducted_money_asked_after_a_price_is_the_payment_said_in_it(chat):
    chat.say("ask_service", "AGL运费啥时候付")
    reply = chat.say("ask_service", "从哪个账户扣钱")
    assert "美元/欧元" in reply and "「来源：1.3.1」" in reply


def test_which_of_the_two_just_compared_names_the_one_that_has_it_first(chat):
    chat.say("compare_services", "AGL跟SEND比一比")
    reply = chat.say("ask_service", "哪一个能走空运")
    assert reply.startswith("是 Amazon SEND。") and "「来源：1.3.2」" in reply
    assert "4天" in chat.say("ask_service", "到美国几天")


def test_which_of_the_two_serves_amazon_buyers_is_not_new_advice(chat):
    chat.say("compare_services", "MCF和亚马逊快递服务区别")
    reply = chat.say("ask_recommendation", "哪个可以送亚马逊上的买家")
    assert reply.startswith("是 亚马逊快递服务。") and "推荐" not in reply


def test_the_stages_asked_after_the_supply_chain_are_its_counted_list(chat):
    chat.say("ask_concept", "啥叫跨境供应链")
    reply = chat.say("ask_concept", "一共分几大块")
    assert all(s in reply for s in ("头程物流", "仓储分销", "尾端配送")) and "「来源：1.1.1" in reply


def test_the_steps_an_order_goes_through_are_not_advice(chat):
    reply = chat.say("ask_recommendation", "一票货发出去到买家收到要过哪些环节")
    assert "多个环节" in reply and "关键看" not in reply


def test_amazons_first_mile_is_the_stage_not_agl(chat):
    reply = chat.say("ask_stage_services", "亚马逊的头程都有啥服务")
    assert all(s in reply for s in ("AGL", "SEND", "FIST", "PCP")) and "「来源：1.1.3」" in reply


def test_a_tracking_system_is_not_transport(chat):
    assert chat.say("ask_service", "FIST算是运输服务吗").startswith("不是")


def test_what_can_be_used_during_advice_is_the_stages_open_services(chat):
    chat.say("inform", "货在宁波 卖美国站")
    reply = chat.say("ask_stage_services", "那我可以用哪些")
    assert "AGL" in reply and "SEND" in reply and "FIST" in reply and "不适用 PCP" in reply


def test_a_definition_asked_after_the_seller_introduces_themselves_is_the_definition(chat):
    reply = chat.say("ask_concept", "我在义乌做饰品的，刚入行，尾端配送指啥")
    assert "物流派送至买家" in reply and "关键看" not in reply


def test_what_the_seller_does_with_a_managed_service_is_its_workflow(chat):
    reply = chat.say("ask_service", "AMS的话卖家需要做什么")
    assert "产品详情及提货地点" in reply and "「来源：1.2」" in reply


def test_it_after_advice_is_the_one_whose_statement_says_all_of_it(chat):
    chat.say("ask_recommendation", "货在深圳 卖美国 想全程交给亚马逊")
    reply = chat.say("ask_service", "它也负责仓储跟补货吗")
    assert reply.startswith("是的") and "AMS" in reply and "「来源：1.2」" in reply


def test_a_stage_named_in_what_the_service_does_is_asked_of_the_service(chat):
    chat.say("ask_service", "AMS是啥")
    reply = chat.say("ask_service", "那最后一公里也包吗")
    assert reply.startswith("是的") and "AMS" in reply and "「来源：1.2」" in reply


def test_a_warehouse_after_bi_is_the_yardstick_of_the_service_in_focus(chat):
    chat.say("ask_service", "AWD是什么")
    reply = chat.say("ask_service", "跟FBA仓比哪个便宜")
    assert "80%" in reply and "「来源：1.4.1」" in reply
