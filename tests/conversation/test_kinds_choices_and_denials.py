"""What kind of thing is asked about, a choice the seller's goods decide, denials read within a typed
clause, a must against a text that opens it up, and follow-ups that keep the list or the kind of the
last question. Phrasings of this file's own."""
import pytest

from tests.support.conversation import Conversation


@pytest.fixture
def chat(base):
    return Conversation(base)


def test_the_noun_after_what_is_it_names_the_kind_of_thing(chat):
    reply = chat.say("ask_service", "MCF是个什么功能")
    assert "亚马逊之外的销售渠道" in reply and "「来源：1.5.2」" in reply


def test_what_it_is_and_an_attribute_asked_apart_are_both_answered(chat):
    reply = chat.say("ask_service", "SEND是啥 空运多久到")
    assert reply.index("头程入仓服务") < reply.index("4天") and "「来源：1.3.2」" in reply


def test_an_attribute_asked_of_a_word_is_not_what_the_service_is(chat):
    reply = chat.say("ask_service", "AWD仓储费是什么意思")
    assert "0.48" in reply and "自动补货" not in reply.split("\n")[0][:20]


def test_a_denial_in_an_earlier_typed_clause_does_not_reach_the_asked_word(chat):
    assert chat.say("ask_service", "AWD会不会爆仓进不去 跟FBA库容那样").startswith("不会")


def test_a_must_against_a_text_that_opens_it_up_is_no(chat):
    reply = chat.say("ask_service", "发AWD必须找亚马逊推荐的承运人吗")
    assert reply.startswith("不是") and "任意其他" in reply


def test_what_amazon_does_against_what_the_seller_does_is_no(chat):
    reply = chat.say("ask_service", "用了购买配送 亚马逊会帮我打包吗")
    assert reply.startswith("不会") and "卖家自行负责" in reply


def test_paying_first_against_paying_on_arrival_is_no(chat):
    reply = chat.say("ask_service", "AGL的运费得预付吗")
    assert reply.startswith("不需要") and "货到付款" in reply


def test_stock_to_be_sent_to_other_channels_is_a_need_not_where_it_is(chat):
    reply = chat.say("ask_recommendation", "库存在AWD 想批量调去别的销售渠道的仓库 怎么弄")
    assert "推荐 MCD" in reply and "库存在其他销售渠道的仓库" not in reply


def test_the_goods_decide_a_choice_between_fba_and_fulfilling_it_yourself(chat):
    reply = chat.say("inform", "卖节日礼品 销量忽高忽低 用FBA还是自发货")
    assert "推荐 购买配送" in reply and "「来源：1.6」" in reply and "卖家自发货 (MFN)" not in reply.split("\n")[0]


def test_goods_kept_out_of_a_warehouse_do_not_name_the_subject(chat):
    reply = chat.say("nlu_fallback", "卖节日用品 不想压FBA 怎么发货")
    assert "推荐 购买配送" in reply


def test_a_kind_of_goods_the_seller_denies_is_not_theirs(chat):
    chat.say("ask_service", "哪些商品适合购买配送")
    reply = chat.say("ask_service", "我卖的不是季节性的 也能用吗")
    assert "自配送订单" in reply and "根据你的情况" not in reply


def test_then_what_of_something_after_a_yes_no_is_a_yes_no(chat):
    chat.say("ask_service", "AWD能自动补货吗")
    chat.say("ask_service", "可以设最大最小库存吗")
    reply = chat.say("inform", "那手动补货呢")
    assert reply.startswith("是的") and "手动补货选项" in reply


def test_an_ordinal_of_stages_counts_the_stages_after_a_stages_services(chat):
    chat.say("ask_concept", "跨境供应链有哪几个阶段")
    assert "AWD" in chat.say("ask_stage_services", "第二段有什么服务")
    reply = chat.say("inform", "第三段呢")
    assert "MCF" in reply and "Buy Shipping" in reply


def test_a_qualifier_the_line_up_itself_splits_by_keeps_the_line_up(chat):
    reply = chat.say("ask_stage_services", "头程亚马逊有哪些服务 我是跨境卖家")
    assert all(s in reply for s in ("AGL", "Amazon SEND", "FIST")) and "「来源：1.1.3」" in reply


def test_where_the_goods_leave_from_is_kept_for_the_next_verdict(chat):
    chat.say("ask_concept", "跨境供货商和境内供货商怎么区分")
    chat.say("nlu_fallback", "货从东莞发 属于哪类")
    assert chat.say("ask_service", "能用PCP不").startswith("不行")


def test_a_heading_that_asks_is_not_shown_as_a_label(chat):
    reply = chat.say("ask_why", "配送时效为何关系到销售")
    assert "销售转化" in reply and "哪些环节呢？：" not in reply


def test_a_why_of_a_topic_keeps_its_noun(base):
    assert "时效" in base.query_terms("配送时效为何那么关键")
    assert "时效" not in base.query_terms("SEND时效多久")


def test_a_kind_of_goods_the_answer_does_not_speak_of_gets_no_verdict(chat):
    reply = chat.say("ask_service", "AGL海运能发带电池的商品吗")
    assert reply.startswith("资料里没有直接讲到") and not reply.startswith(("有", "可以"))


def test_two_warehouses_compared_are_their_services_compared(chat):
    reply = chat.say("compare_services", "AWD仓跟FBA仓差在哪")
    assert "AWD vs FBA" in reply and "80%" in reply


@pytest.mark.parametrize("text, lead", [
    ("记得AWD仓储费是0.68美元一立方英尺，对吗", "不是"),   # the document says $0.48
    ("SEND空运到日本最快2天是吧", "不是"),                 # 4天
    ("PCP覆盖美国全部50个州吗", "不是"),                   # 48个州
    ("SEND空运到英国最快5天，对吗", "是的"),
])
def test_a_remembered_figure_is_checked_against_the_documents(chat, text, lead):
    assert chat.say("ask_service", text).startswith(lead)


def test_asking_to_check_a_figure_is_a_yes_no(base):
    assert base.question_type("SEND快船到美西是23-27天，请帮我核对一下") == "yes_no"


def test_a_second_question_about_it_is_asked_of_the_service_the_first_names(chat):
    reply = chat.say("ask_service", "MCF是做什么的？它最快几天能送到？")
    assert "亚马逊之外" in reply and "最快可达2天" in reply and "「来源：1.5.2」" in reply


def test_europe_after_a_market_lists_the_european_countries_times(chat):
    chat.say("ask_service", "SEND空运到日本最快几天")
    reply = chat.say("inform", "那欧洲呢")
    assert "英国最快5天" in reply and "德国最快5天" in reply


def test_a_service_alone_after_a_market_question_asks_it_of_that_market(chat):
    chat.say("ask_service", "SEND可以发澳洲吗")
    reply = chat.say("inform", "那AGL呢")
    assert reply.startswith("不支持") and "澳洲" in reply


def test_two_headings_asked_together_show_every_item_under_each(chat):
    reply = chat.say("ask_service", "AGL的运输模式和海运服务分别有哪些")
    assert all(x in reply for x in ("FCL", "LCL", "FO", "SO"))


def test_a_condition_before_the_question_is_not_a_question_of_its_own(chat):
    chat.say("ask_service", "购买配送适合哪些商品")
    reply = chat.say("ask_service", "要是我的包装成本低于FBA成本，也合适吗")
    assert reply.startswith("是的") and reply.count("「来源：1.6」") == 1


def test_how_a_comparison_differs_with_he_is_a_comparison(chat):
    reply = chat.say("compare_services", "FBA与MCF的买家有何不同")
    assert "FBA vs MCF" in reply


def test_a_service_for_another_stages_need_is_judged_no_naming_the_one_that_meets_it(chat):
    reply = chat.say("ask_service", "想用MCF把AWD的库存整批发到别的平台的仓库，可以吗")
    assert reply.startswith("不行") and "MCD" in reply.split("这种情况可以看")[-1]


def test_a_relayed_question_is_read_as_the_sellers_own(chat):
    reply = chat.say("ask_service", "有个学员问：PCP能用来从深圳发货到美国吗？")
    assert reply.startswith("不行") and "境内供货商" in reply


def test_awds_cubic_feet_are_not_a_load_to_advise_on(chat):
    reply = chat.say("nlu_fallback", "20立方英尺的货在AWD放一个月要多少钱")
    assert "0.48" in reply and "货现在从哪里发出" not in reply


def test_whoever_uses_it_is_a_yes_no(base):
    assert base.question_type("这个折扣是不是谁来用都能拿到") == "yes_no"


def test_why_one_more_service_asks_why_that_service(chat):
    reply = chat.say("inform", "直接进FBA就好了，为什么还要多一个AWD")
    assert "AWD 的好处" in reply and "自动补货" in reply


def test_which_one_should_be_used_with_a_market_and_a_load_is_advice(chat):
    reply = chat.say("inform", "做西班牙站，准备整柜海运，该用哪个")
    assert "推荐 AGL" in reply


def test_the_carriers_warehouse_is_whose_fees_are_asked_not_who_carries(chat):
    reply = chat.say("ask_service", "走SEND的话承运商国内收件仓的中转费要付吗")
    assert reply.startswith("不需要") and "中转费" in reply


def test_a_warehouse_set_against_the_service_in_focus_is_the_yardstick(chat):
    chat.say("ask_service", "AWD的仓储费多少")
    reply = chat.say("compare_services", "和放FBA比能便宜多少")
    assert "80%" in reply and "「来源：1.4.1」" in reply


def test_where_a_delivery_service_ships_from_is_where_its_stock_is(chat):
    chat.say("ask_service", "MCF送货快吗")
    reply = chat.say("ask_service", "它是从哪儿发货的")
    assert "运营中心" in reply and "「来源：1.5.2」" in reply


def test_using_a_service_written_with_spaces_is_judged_for_the_situation(chat):
    assert chat.say("ask_service", "货从宁波发出，能用 PCP 吗").startswith("不行")


def test_shipping_from_fba_to_another_channel_names_mcf(chat):
    reply = chat.say("ask_service", "库存都在FBA仓，独立站来单了能直接从 FBA 发吗")
    assert reply.startswith("不行") and "MCF" in reply


def test_the_taiwanese_name_of_italy_is_italy(chat):
    assert chat.say("ask_service", "AGL 可以送到義大利嗎").startswith("支持")


def test_paying_after_arrival_finds_pay_on_delivery(chat):
    chat.say("ask_service", "AGL有哪些好处")
    reply = chat.say("ask_service", "运费能到货后再付吗")
    assert reply.startswith("可以") and "货到付款" in reply
