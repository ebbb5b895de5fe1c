"""Checking a staff reply against the document (knowledge/grounding.py): what the document states is
let through in any surface form, figures and coverage it does not state are flagged by name."""

import pytest

from knowledge import build
from knowledge.grounding import Claim, unsupported_claims


def kinds_and_texts(claims: list[Claim]) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in claims]


# -- the document's own figures pass --------------------------------------------------------------


def test_the_documented_awd_storage_fee_and_discount_pass(base):
    assert "$0.48/立方英尺/月" in base.document and "$0.38" in base.document  # section 1.4.1
    assert unsupported_claims(base, "AWD仓储费是$0.48/立方英尺/月，折扣后低至$0.38。") == []


@pytest.mark.parametrize("reply", [
    "AWD仓储费每立方英尺0.48美元",
    "AWD仓储费＄０．４８／立方英尺／月",
    "AWD 仓储费 USD 0.48 每立方英尺每月",
    "AWD仓储费0.48刀一立方英尺",
])
def test_another_surface_form_of_the_documented_fee_passes(base, reply):
    assert unsupported_claims(base, reply) == []


@pytest.mark.parametrize("reply", [
    "美国西部普船28-30天",
    "美国西部普船28–30天",
    "美国西部普船28—30天",
    "美国西部普船28至30天",
    "美国西部普船28~30天",
    "美国西部普船２８-３０天",
    "美西海运最快15天、最慢30天",  # a range's ends are stated numbers
    "美西海运大约15-30天",  # a range made of documented ends: a summary
])
def test_sends_documented_sea_times_pass_in_any_form(base, reply):
    assert unsupported_claims(base, reply) == []


@pytest.mark.parametrize("reply", [
    "SEND 空运中国至美国最快4天，中国至中东最快7天",
    "SEND 空运到日本最快四天",
    "SEND 空运到中东最快1周",  # 1周 is the document's 7天
    "MCF 从点击到送达最快可达2天",
])
def test_sends_documented_air_times_pass(base, reply):
    assert unsupported_claims(base, reply) == []


@pytest.mark.parametrize("reply", [
    "SEND 空运0.5KG起运，海运0.1CBM起运",
    "SEND 空运0.5kg起，海运0.1方起",
    "SEND 空运０.５公斤起运，海运0.1立方米起运",
    "SEND 空运1斤就能发",  # 1斤 is 0.5 kg
])
def test_sends_documented_minimums_pass(base, reply):
    assert unsupported_claims(base, reply) == []


@pytest.mark.parametrize("reply", [
    "用 AGL 或 SEND 发货，AWD仓储费打8折，运输费打9折",
    "用 AGL 或 SEND 发货，AWD仓储费打八折，运输费打九折",
    "AWD 仓储费相比 FBA 最多节省80%",
    "AWD 仓储费相比 FBA 最多节省百分之八十",
    "AWD 可以降低15％缺货率",
    "亚马逊提供7*24小时当地语言客户服务",
    "亚马逊提供7×24小时当地语言客户服务",
])
def test_documented_percentages_and_discounts_pass(base, reply):
    assert unsupported_claims(base, reply) == []


# -- made-up figures are flagged ------------------------------------------------------------------


def test_a_made_up_fee_is_flagged_as_a_price_naming_it(base):
    claims = unsupported_claims(base, "AWD仓储费每立方英尺$0.30")
    assert len(claims) == 1
    assert claims[0].kind == "price" and "$0.30" in claims[0].text
    assert claims[0].reason == "资料里没有这个价格"


def test_a_made_up_fee_names_what_it_is_per(base):
    assert kinds_and_texts(unsupported_claims(base, "AWD仓储费$0.30/立方英尺/月")) == [("price", "$0.30/立方英尺/月")]


@pytest.mark.parametrize("reply, kind, text", [
    ("AWD 仓储费相比 FBA 最多节省90%", "percent", "90%"),
    ("用 SEND 发货 AWD 仓储费打七折", "percent", "七折"),
    ("SEND 空运到日本最快3天", "duration", "3天"),
    ("SEND 空运到日本最快三天", "duration", "三天"),
    ("SEND 海运一般3-5个工作日", "duration", "3-5个工作日"),
    ("美西普船25-30天", "duration", "25-30天"),  # 25 is stated nowhere in days
    ("SEND 空运2公斤起运", "quantity", "2公斤"),
    ("SEND 海运0.5CBM起运", "quantity", "0.5CBM"),
    ("AWD仓储费0.30美元每立方英尺", "price", "0.30美元"),
    ("AWD仓储费¥3每立方英尺", "price", "¥3"),
])
def test_a_made_up_figure_is_flagged(base, reply, kind, text):
    assert kinds_and_texts(unsupported_claims(base, reply)) == [(kind, text)]


def test_a_documented_number_in_another_unit_is_not_support(base):
    assert "5天" in base.document and "15%" in base.document and "$15" not in base.document
    assert kinds_and_texts(unsupported_claims(base, "SEND 空运到英国最快5%")) == [("percent", "5%")]
    assert kinds_and_texts(unsupported_claims(base, "AWD仓储费$15")) == [("price", "$15")]
    assert kinds_and_texts(unsupported_claims(base, "SEND 空运15公斤起运")) == [("quantity", "15公斤")]


# -- coverage -------------------------------------------------------------------------------------


def test_the_coverage_data_the_checks_rely_on(base):
    assert set(base.services["AGL"].data("coverage", "markets")) == {"US", "UK", "FR", "DE", "IT", "ES"}
    assert "BR" not in base.services["SEND"].data("coverage", "markets")


@pytest.mark.parametrize("reply", [
    "AGL 覆盖美国和欧洲（英国、法国、德国、意大利、西班牙）",
    "AGL 可以发往德国站",
    "ａｇｌ覆蓋英國站",
    "亚马逊全球物流的目的地有美国、英国、法国",
    "AGL 可以发欧洲",
    "SEND 可以发日本、澳洲和中东",
    "Amazon SEND 覆盖中国至美国、英国、德国、中东、日本、澳洲",
    "FIST 支持德国站点",  # 欧洲站点 (欧盟和英国)
    "AWD 仓库分布全美主要港口",
])
def test_documented_coverage_passes(base, reply):
    assert unsupported_claims(base, reply) == []


@pytest.mark.parametrize("reply, service, place", [
    ("AGL 覆盖巴西站", "AGL", "巴西"),
    ("AGL 也可以发往日本", "AGL", "日本"),
    ("亚马逊全球物流的目的地包括加拿大", "AGL", "加拿大"),
    ("ａｇｌ覆蓋墨西哥", "AGL", "墨西哥"),
    ("SEND 空运到法国最快5天", "Amazon SEND", "法国"),
    ("AWD 在日本站也能用", "AWD", "日本"),
    ("FIST 支持印度站点", "FIST", "印度"),
])
def test_made_up_coverage_is_flagged(base, reply, service, place):
    claims = unsupported_claims(base, reply)
    assert [c.kind for c in claims] == ["coverage"]
    assert claims[0].reason == f"资料没说 {service} 覆盖{place}"


def test_a_coverage_claim_names_the_words_that_make_it(base):
    assert kinds_and_texts(unsupported_claims(base, "AGL 覆盖巴西站")) == [("coverage", "AGL 覆盖巴西站")]


def test_only_the_uncovered_marketplace_of_a_list_is_flagged(base):
    claims = unsupported_claims(base, "AGL 的目的地：美国、英国、巴西")
    assert [c.reason for c in claims] == ["资料没说 AGL 覆盖巴西"]


def test_a_later_clause_without_a_service_speaks_of_the_one_before(base):
    claims = unsupported_claims(base, "AGL 覆盖美国和欧洲，也覆盖巴西")
    assert [c.reason for c in claims] == ["资料没说 AGL 覆盖巴西"]


@pytest.mark.parametrize("reply", [
    "AGL 不覆盖巴西",
    "AGL 目前没有覆盖日本，日本站可以用 SEND",
    "除了巴西，AGL 也可以考虑",
    "AGL 能发巴西吗？",
    "AGL 是否覆盖巴西我帮您确认",
    "AGL 发美国，日本可以用 SEND",
    "AGL 覆盖美国，巴西站我再帮您问问",
    "FBA 现已覆盖全球130个国家及地区，巴西也在内",  # the document lists no marketplaces for FBA
    "AWD 收到日本卖家的订单后会自动补货",  # not a coverage sense
])
def test_denied_asked_or_unlinked_coverage_is_not_flagged(base, reply):
    assert [c for c in unsupported_claims(base, reply) if c.kind == "coverage"] == []


# -- small talk and whole replies -----------------------------------------------------------------


@pytest.mark.parametrize("reply", [
    "", "您好！", "我帮你查一下", "稍等一下哦～", "好的，明白了，谢谢您的耐心", "请问您的货是从哪里发出的？",
    "第三方物流合作承运人会联系您", "一方面可以降低成本，另一方面可以简化运营", "具体见资料 1.4.1 节", "2024年的数据",
])
def test_small_talk_is_not_flagged(base, reply):
    assert unsupported_claims(base, reply) == []


def test_a_reply_of_several_sentences_flags_only_the_bad_claim(base):
    reply = ("您好！AWD仓储费是$0.48/立方英尺/月，用 AGL 发货可享仓储费8折。"
             "SEND 空运到日本最快4天，海运0.1CBM起运。另外 AGL 也覆盖巴西站。运输费可以打7折。有问题随时找我。")
    assert kinds_and_texts(unsupported_claims(base, reply)) == [
        ("coverage", "AGL 也覆盖巴西站"), ("percent", "7折")]


def test_a_claim_repeated_is_flagged_once(base):
    assert len(unsupported_claims(base, "AWD仓储费$0.30。没错，就是$0.30。")) == 1


# -- properties -----------------------------------------------------------------------------------


def test_every_quantity_the_build_finds_in_the_document_passes_written_in_a_sentence(base):
    coverage = build.quantity_coverage(base)
    quantities = {entry.rsplit(" (", 1)[0] for group in coverage.values() for entry in group}
    assert {"$0.48", "28-30天", "0.5KG", "8折", "15%-20%", "7*24小时"} <= quantities
    flagged = {q: unsupported_claims(base, f"资料里写的是{q}，请放心。") for q in sorted(quantities)}
    assert {q: c for q, c in flagged.items() if c} == {}


def test_every_statement_of_the_document_passes_as_a_reply(base):
    flagged = {s.id: unsupported_claims(base, s.text) for s in base.statements}
    assert {i: c for i, c in flagged.items() if c} == {}


def test_every_curated_answer_passes_as_a_reply(base):
    flagged = {f"{f.owner}.{f.attribute}": unsupported_claims(base, f.answer) for f in base.all_facts()}
    assert {k: c for k, c in flagged.items() if c} == {}
