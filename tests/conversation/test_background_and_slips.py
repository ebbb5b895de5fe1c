"""Long messages with the seller's background in them ("我们之前的货代…"), homophone slips, two things
asked at once, and "only" asked of a list. Phrasings of this file's own."""
import pytest

from tests.support.conversation import Conversation


@pytest.fixture
def chat(base):
    return Conversation(base)


def test_the_sellers_own_forwarder_as_background_does_not_ask_who_carries(chat):
    reply = chat.say("ask_service", "我们合作的货代总是拖 send的优势到底在哪")
    assert "协议价" in reply and "承运方是" not in reply


def test_handing_goods_to_a_carrier_is_not_asking_who_the_carrier_is(chat):
    reply = chat.say("ask_service", "用SEND的话货要怎么交给承运商")
    assert "承运方是由亚马逊筛选" not in reply and "分拨中心" in reply and "「来源：1.3.2」" in reply


def test_the_sellers_own_forwarder_into_a_warehouse_still_asks_who_may_deliver(chat):
    reply = chat.say("ask_service", "我们普通的货代可以往AWD送货吗")
    assert "任意其他头程物流承运商" in reply


def test_what_a_service_is_asked_beside_who_carries_is_answered_by_its_definition(chat):
    reply = chat.say("ask_service", "SEND到底是个什么服务 船是亚马逊的吗")
    assert "头程入仓服务" in reply and "合作承运人" in reply


def test_homophone_slips_of_core_terms_are_put_right(base):
    assert base.normalize("头成怎么走") == "头程怎么走"
    assert base.normalize("有库荣限制吗") == "有库容限制吗"


def test_a_short_name_of_a_fee_finds_the_statement_about_it(chat):
    reply = chat.say("ask_service", "SEND海运能帮我躲开低库存的费吗")
    assert "低量库存费" in reply and "「来源：1.3.2」" in reply


def test_a_question_then_a_complaint_with_another_service_is_a_fact_not_advice(chat):
    reply = chat.say("ask_service", "AWD有库容限制吗 FBA那边老是满仓")
    assert reply.startswith("没有") and "根据你的情况" not in reply


def test_and_such_at_the_end_asks_nothing_of_its_own(base):
    assert base.question_type("AWD要交押金吗 还有起订量什么的") == "yes_no"


def test_a_place_beside_a_services_ports_asks_for_the_ports_not_advice(chat):
    reply = chat.say("ask_service", "AGL能从哪些港口出 我们在佛山 周边有没有可以出的")
    assert "广州" in reply and "深圳" in reply and "你卖哪个站点" not in reply


def test_only_one_mode_said_in_the_sellers_words_is_not_only_that(chat):
    reply = chat.say("ask_service", "AGL是不是非得整柜才能发")
    assert reply.startswith("不只") and "拼箱" in reply


def test_the_alternative_after_a_question_mark_is_not_what_is_asked(chat):
    assert chat.say("ask_service", "AGL 能走拼箱吗？还是只能整柜").startswith(("有。", "可以。"))


def test_a_rented_warehouse_abroad_is_the_sellers_own(chat):
    reply = chat.say("ask_recommendation", "我们在英国租了一个海外仓放货 亚马逊和独立站都有单 想让亚马逊来送 用哪个")
    assert "推荐 亚马逊快递服务" in reply


def test_asking_for_such_a_warehouse_after_first_mile_advice_is_new_advice(chat):
    chat.say("ask_recommendation", "我们在义乌 准备做美国站 货不急 走海运")
    reply = chat.say("ask_service", "到港以后想找个存货便宜还能往FBA自动补货的地方 有这样的仓吗")
    assert "推荐 AWD" in reply
