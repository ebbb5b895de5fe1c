"""Grouping unanswered questions by wording (no servers)."""
import csv
import io

import pytest

from staff.store import UserMessage, parse_time
from staff.unanswered import bigrams, group, jaccard, normal_form, reason, to_csv


def message(text, intent="nlu_fallback", confidence=0.45, sender="s1", ts=1.0, ranking=None):
    return UserMessage(sender, ts, text, intent, confidence, ranking or [], "rest")


@pytest.mark.parametrize("a, b", [
    ("这个怎么退税啊？", "这个怎么退税"),
    ("這個怎麼退稅？", "这个怎么退税"),
    ("请问，AWD 怎么收费呢？？", "awd怎么收费"),
    ("ａｗｄ怎么收费!", "awd怎么收费"),
    ("嗯 那海运呢", "海运"),
    ("什么", "什么"),  # 么 of a word stays
    ("可以用AWD么", "可以用awd"),
])
def test_normal_form(a, b):
    assert normal_form(a) == b


def test_a_message_of_only_particles_keeps_a_form():
    assert normal_form("嗯") == "嗯" and normal_form("？？") == "??"


def test_bigram_jaccard():
    assert jaccard(bigrams("亚马逊物流的退货怎么处理"), bigrams("亚马逊物流退货怎么处理")) >= 0.6
    assert jaccard(bigrams("可以帮我报关"), bigrams("能帮我报关")) < 0.6


def test_reasons_and_threshold():
    assert reason(message("x", "nlu_fallback", 0.45), 0.6) == "nlu_fallback"
    assert reason(message("x", "out_of_scope", 0.99), 0.6) == "out_of_scope"
    assert reason(message("x", "ask_service", 0.55), 0.6) == "low_confidence"
    assert reason(message("x", "ask_service", 0.55), 0.5) is None
    assert reason(message("x", "ask_service", None), 0.6) is None


def test_groups_identical_forms_and_near_duplicates_biggest_first():
    groups = group([
        message("这个怎么退税啊？", sender="a"), message("这个怎么退税？", "ask_service", 0.3, sender="b"),
        message("這個怎麼退稅", sender="b"),
        message("亚马逊物流的退货怎么处理", "out_of_scope", 0.8), message("亚马逊物流退货怎么处理呢"),
        message("AWD仓储费多少", "ask_service", 0.99),
        message("比特币", "out_of_scope", 0.9),
    ])
    assert [g["count"] for g in groups] == [3, 2, 1]
    assert groups[0]["conversations"] == 2 and groups[0]["reasons"] == {"nlu_fallback": 2, "low_confidence": 1}
    assert {v["text"] for v in groups[1]["variants"]} == {"亚马逊物流的退货怎么处理", "亚马逊物流退货怎么处理呢"}
    assert [g["id"] for g in groups] == [1, 2, 3]


def test_nlu_fallback_reports_the_intent_the_model_leaned_to():
    ranking = [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "ask_concept", "confidence": 0.3}]
    [g] = group([message("怎么样", ranking=ranking)])
    assert g["intents"] == {"ask_concept": 1} and g["variants"][0]["max_confidence"] == 0.3


def test_csv_rows_and_formula_cells():
    text = to_csv(group([message("=HYPERLINK(\"http://x\")"), message("退税"), message("退税")]))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["text"] for r in rows] == ["退税", "'=HYPERLINK(\"http://x\")"]
    assert rows[0]["count"] == "2" and rows[0]["reasons"] == "nlu_fallback"


def test_parse_time():
    assert parse_time("2024-03-01T00:00:00+00:00") == 1709251200.0
    assert parse_time("2024-03-01T08:00:00+08:00") == 1709251200.0
    assert parse_time("2024-03-01T00:00:00Z") == 1709251200.0
    assert parse_time("1709251200") == 1709251200.0
    assert parse_time("") is None and parse_time(None) is None
    assert parse_time("2024-03-01") == parse_time("2024-03-01 00:00")
    with pytest.raises(ValueError):
        parse_time("昨天")
