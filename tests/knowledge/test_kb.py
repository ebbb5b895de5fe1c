"""The knowledge base: verified against the document, one API for look-ups, mentions and search."""
import dataclasses
import hashlib
from pathlib import Path

import pytest

from knowledge import build, kb
from knowledge.text import normalize


def test_the_shipped_knowledge_passes_every_check(base):
    assert build.check(base) == []


def test_the_copy_of_the_document_is_verbatim():
    recorded = (kb.SOURCE.parent / "SHA256SUMS").read_text().split()[0]
    assert hashlib.sha256(kb.SOURCE.read_bytes()).hexdigest() == recorded


def test_a_quote_missing_from_the_document_fails_the_build(base):
    data = kb.read_data()
    data["services.yml"]["services"][0]["facts"]["fee"]["quotes"].append("运输价格全网最低")
    changed = kb.KnowledgeBase(base.document, data["services.yml"], data["concepts.yml"], data["vocabulary.yml"],
                               data["routing.yml"])
    assert any("运输价格全网最低" in p for p in changed.missing_quotes())


@pytest.mark.parametrize("wrong, right", [("$0.58", "$0.48"), ("90%", "80%"), ("$0.28", "$0.38")])
def test_a_number_not_in_the_quotes_fails_the_build(base, wrong, right):
    fact = base.fact("AWD", "fee")
    bad = dataclasses.replace(fact, answer=fact.answer.replace(right, wrong))
    assert any(wrong in p for p in build.check_fact(base, bad))


def test_a_wrong_duration_or_data_value_fails_the_build(base):
    fact = base.fact("SEND", "transit_time")
    assert build.check_fact(base, dataclasses.replace(fact, answer="中国至日本最快3天")) != []
    minimum = base.fact("SEND", "minimum")
    assert build.check_fact(base, dataclasses.replace(minimum, data={"air_min_kg": 0.6})) != []


def test_a_marketplace_not_named_in_the_quotes_fails_the_build(base):
    coverage = base.fact("SEND", "coverage")
    bad = dataclasses.replace(coverage, data={"markets": ["US", "FR"]})
    assert any("FR" in p for p in build.check_fact(base, bad))


def test_every_service_the_document_describes_is_there(base):
    assert set(base.services) == {"AGL", "SEND", "FIST", "PCP", "AWD", "MCD", "FBA", "MCF", "AMAZON_SHIPPING",
                                  "BUY_SHIPPING", "AMS"}
    for service in base.services.values():
        assert service.fact("definition") is not None, service.id


@pytest.mark.parametrize("alias, service", [
    ("AWD", "AWD"), ("awd", "AWD"), ("ＡＷＤ", "AWD"), ("卫星仓", "AWD"), ("亞馬遜智能衛星倉", "AWD"),
    ("send", "SEND"), ("亚马逊跨境承运伙伴方案", "SEND"), ("Amazon SEND", "SEND"), ("FBA 入仓货件追踪智控系统", "FIST"),
    ("合作承运人计划", "PCP"), ("多渠道分拨", "MCD"), ("亚马逊物流", "FBA"), ("多渠道配送", "MCF"),
    ("亚马逊快递服务", "AMAZON_SHIPPING"), ("Buy Shipping", "BUY_SHIPPING"), ("购买配送", "BUY_SHIPPING"),
    ("智能托管", "AMS"), ("亚马逊全球物流", "AGL"),
])
def test_a_service_is_found_by_any_alias_width_case_or_script(base, alias, service):
    assert base.service(alias).id == service


def test_unknown_names_are_not_services(base):
    assert base.service("顺丰") is None
    assert base.service("") is None


def test_normalising_folds_width_script_and_acronym_case(base):
    assert base.normalize("ＡＷＤ仓储费多少？") == "AWD仓储费多少?"
    assert base.normalize("亞馬遜智能衛星倉是什麼") == "亚马逊智能卫星仓是什么"
    assert base.normalize("send空运到日本") == "SEND空运到日本"
    assert base.normalize("  a\u0000b\n\n c ") == "ab c"
    assert len(normalize("长" * 2000)) == 500


def mentions(base, text):
    return {(m.entity, m.value) for m in base.mentions(text)}


def test_mentions_find_services_attributes_and_context(base):
    assert mentions(base, "send空运到日本最快几天") >= {
        ("service", "SEND"), ("transport_mode", "AIR"), ("marketplace", "JP"), ("attribute", "transit_time")}
    assert mentions(base, "SEND海运到美东多久？") >= {("us_region", "EAST"), ("transport_mode", "SEA")}


def test_mentions_never_cut_a_word_in_two(base):
    assert mentions(base, "AWD仓储费多少") == {("service", "AWD"), ("attribute", "fee")}
    assert ("attribute", "fee") in mentions(base, "FBA配送费多少")


def test_a_place_the_goods_are_in_is_an_origin_not_a_marketplace(base):
    assert mentions(base, "货已经在美国仓库了") == {("origin", "US")}
    assert ("origin", "US") in mentions(base, "我的货在美国")
    assert ("marketplace", "US") in mentions(base, "在美国站卖")
    assert mentions(base, "从日本发货到美国站") == {("origin", "JP"), ("marketplace", "US")}


def test_a_target_warehouse_is_not_a_question_about_a_service(base):
    found = mentions(base, "怎么送到FBA")
    assert ("warehouse", "FC") in found and ("service", "FBA") not in found


def test_english_acronyms_match_only_as_words(base):
    assert ("service", "AMS") not in mentions(base, "SAMSUNG手机")
    assert ("service", "SEND") not in mentions(base, "sender是谁")


def test_quantities_are_found(base):
    found = {m.text for m in base.mentions("大概几十公斤，另外2个方，0.05CBM") if m.entity == "quantity"}
    assert found == {"几十公斤", "2个方", "0.05CBM"}


def test_the_document_splits_into_sections(base):
    sections = {p.section for p in base.passages}
    assert {"1.1.1", "1.1.2", "1.1.3", "1.2", "1.3.1", "1.3.2", "1.3.3", "1.4.1", "1.4.2", "1.5.1", "1.5.2",
            "1.6", "课程路径图"} <= sections
    awd = " ".join(p.text for p in base.passages_of("1.4.1"))
    assert "0.48" in awd and "1.3.2" not in {p.section for p in base.passages if "0.48" in p.text}


def test_search_ranks_the_passage_that_answers(base):
    assert base.search("AWD 仓储费")[0].passage.section == "1.4.1"
    assert base.search("月度账单")[0].passage.section == "1.3.1"
    assert base.search("负面反馈移除")[0].passage.section == "1.6"
    assert base.search("天气预报") == []


def test_statements_are_found_by_their_words_their_service_and_the_kind_of_question(base):
    best = base.find_statements("亚马逊物流的配送速度怎么样", "how_long", ["FBA"])[0]
    assert best.statement.section == "1.5.1" and "次日达" in best.statement.text
    assert base.find_statements("FBA 是什么", None, ["FBA"]) == []  # its own names are not search terms
    weather = base.find_statements("天气预报准不准", None)
    assert not weather or weather[0].coverage < 0.5  # words the document never uses count against a match


def test_a_sellers_word_and_the_documents_word_for_it_count_once(base):
    """"条件" stands for the document's "只需" (cues.synonyms): a statement holding either matches the
    whole of what the seller said, not a share diluted by the other word."""
    terms = base.query_terms("有啥条件", ["BUY_SHIPPING"])
    assert base.term_alternatives("有啥条件", terms)  # the group: 只需 | 条件
    index = base.statement_index
    only_needs = next(s for s in base.statements if "只需按时发货" in s.text)
    alone = index.coverage(terms, index.terms_of(only_needs))
    grouped = index.search(terms, None, ["BUY_SHIPPING"], limit=20, alternatives=base.term_alternatives("有啥条件", terms))
    found = next(h for h in grouped if h.statement == only_needs)
    assert found.coverage > alone and found.coverage >= 0.8


def test_compare_lines_up_the_deciding_attributes(base):
    comparison = base.compare(["AGL", "send"])
    assert [s.id for s in comparison.services] == ["AGL", "SEND"]
    rows = dict(comparison.rows)
    assert rows["coverage"][1].data["markets"] == ["US", "UK", "DE", "ME", "JP", "AU"]
    assert rows["minimum"][0] is None and rows["minimum"][1].data["air_min_kg"] == 0.5


def test_course_chapters_are_named_but_only_3_1_is_covered(base):
    assert [c.id for c in base.chapters] == ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9"]
    assert base.chapter_for("怎么提现收款").id == "3.5"
    assert base.chapter_for("SPN服务商怎么找").id == "3.7"
    assert base.chapter_for("AWD仓储费") is None


def test_generated_dictionary_and_lookups_carry_every_alias(base):
    dictionary = build.jieba_dictionary(base)
    lookups = build.nlu_lookups(base)
    for service in base.services.values():
        for alias in service.aliases:
            if " " not in alias and len(alias) > 1:
                assert f"\n{alias} 2000\n" in "\n" + dictionary
    synonyms = {e["synonym"]: e["examples"] for e in lookups["nlu"] if "synonym" in e}
    assert "- 卫星仓\n" in synonyms["AWD"]


def test_no_knowledge_file_says_a_key_twice():
    """YAML keeps the last of two equal keys: a synonym list written twice silently loses the first."""
    import yaml

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        assert len(keys) == len(set(map(str, keys))), f"{node.start_mark}: {sorted({str(k) for k in keys if keys.count(k) > 1})}"
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    class Strict(yaml.SafeLoader):
        pass

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    for path in sorted(Path(kb.HERE).glob("*.yml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=Strict)
