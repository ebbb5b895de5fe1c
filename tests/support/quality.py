"""Checking a reply against a blind question's expectations (the format of tests/sealed/README.md).

One checker for the development set (tests/heldout/), the sealed set (tests/sealed/), the end-to-end
tests and bench/answer_quality.py, so every number reported means the same thing:
  - every `expect` item is in the reply (an item that is a list: any one of it);
  - no `forbid` item is in the reply;
  - a factual reply cites one of its sections (「来源：1.4.1」);
  - a yes/no question gets its answer in the first sentence;
  - a question the document does not answer is answered honestly, and so is a question from outside it;
  - no number in the reply is missing from the document (the bot never invents a figure).
Text is compared after NFKC, case folding and removing whitespace: "0.5 kg" matches "0.5KG".
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "knowledge" / "source" / "amazon_3_1_supply_chain.txt"

# How the assistant says the document does not cover something.
HONEST = ("资料里没有", "资料没有", "资料未", "没有给出", "没有列出", "没有提到", "只给出了", "没有介绍", "没有说明",
          "资料里找不到", "超出了我掌握的资料范围", "答不了")
OUT_OF_SCOPE = ("超出了我掌握的资料范围", "答不了", "资料范围", "资料里没有")
# A reply that did not understand the question.
CONFUSED = ("我不太确定你想问什么",)
NEGATIONS = ("不", "没", "无", "否", "非")
_CITATION = re.compile(r"「来源：([^」]*)」")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).casefold()


@lru_cache(maxsize=1)
def _document_numbers() -> frozenset[str]:
    text = unicodedata.normalize("NFKC", DOCUMENT.read_text(encoding="utf-8"))
    numbers = set(_NUMBER.findall(text))
    # "275,000" is also written without its comma; parts of ranges ("28-30") count on their own.
    numbers |= {n.replace(",", "") for n in numbers}
    return frozenset(numbers)


# The hand-off's own figures, which come from the service's configuration, not from the document:
# a place in the queue (「你排在第 3 位」) and the agents' hours (「09:00–18:00」).
_OPERATIONAL = re.compile(r"排在第 ?\d+ ?位|\d{1,2}:\d{2}")


def invented_numbers(reply: str) -> list[str]:
    """Numbers in the reply that the document does not contain (citations, list markers and the
    hand-off's queue place and hours aside)."""
    body = _OPERATIONAL.sub("", _CITATION.sub("", unicodedata.normalize("NFKC", reply)))
    known = _document_numbers()
    return [n for n in _NUMBER.findall(body) if n not in known and n.replace(",", "") not in known]


def cited_sections(reply: str) -> list[str]:
    return [s.strip() for m in _CITATION.finditer(reply) for s in re.split(r"[、,，]", m.group(1))]


def _cites(reply: str, sections: list[str]) -> bool:
    cited = cited_sections(reply)
    for section in sections:
        section = str(section)
        if re.fullmatch(r"1(\.\d+)+", section):
            if any(c == section or c.startswith(section + " ") for c in cited):
                return True
        elif section in reply or (section == "目录" and cited):  # course map "3.3", table of contents
            return True
    return False


def first_sentence(reply: str) -> str:
    return re.split(r"[。！!？?\n]", reply.strip(), maxsplit=1)[0]


def problems(item: dict, reply: str, expect_key: str = "expect") -> list[str]:
    """What is wrong with `reply` as the answer to `item` (empty: it passes)."""
    found = []
    folded = fold(reply)
    kind = item.get("type", "")
    if not reply.strip():
        return ["empty reply"]
    for want in item.get(expect_key) or []:
        options = want if isinstance(want, list) else [want]
        if not any(fold(str(o)) in folded for o in options):
            found.append(f"missing {options if len(options) > 1 else options[0]!r}")
    for banned in item.get("forbid") or []:
        if fold(str(banned)) in folded:
            found.append(f"contains forbidden {banned!r}")
    sections = [str(s) for s in item.get("section") or []]
    if sections and item.get(expect_key) and not _cites(reply, sections):
        found.append(f"does not cite {sections}")
    answer = str(item.get("answer", "")).lower()
    if answer in ("yes", "no", "true", "false"):
        head = first_sentence(reply)
        negative = any(n in head for n in NEGATIONS)
        if answer in ("yes", "true") and negative:
            found.append(f"expected yes first, got {head!r}")
        if answer in ("no", "false") and not negative:
            found.append(f"expected no first, got {head!r}")
    if kind == "not_in_document" and not any(p in reply for p in HONEST):
        found.append("not honest about a gap in the document")
    if kind == "out_of_scope" and not any(p in reply for p in OUT_OF_SCOPE):
        found.append("not recognised as outside the material")
    if kind not in ("chitchat", "out_of_scope") and any(c in reply for c in CONFUSED) and item.get(expect_key):
        found.append("confused reply")
    invented = invented_numbers(reply)
    if invented:
        found.append(f"numbers not in the document: {invented}")
    return found


def load_set(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def turn_item(turn: dict) -> dict:
    """A dialogue turn in the shape of a single question (`user` → `text`)."""
    return {**turn, "text": turn.get("user", "")}
