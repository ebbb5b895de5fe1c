"""Finding the knowledge base's words in a seller's message: services, marketplaces, attributes ...

Deterministic and explainable, so the same message always yields the same facts. Matching is
longest-first within each entity type; a match that is part of a longer match of another type is
dropped ("到FBA" is a target warehouse, not a question about FBA), and no match may cut a protected
word in two ("AWD仓储费" is AWD + 仓储费, never AWD仓 + 储费).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# Words a shorter alias must not cut through ("什么货代" is no question about kinds of cargo).
PROTECTED_WORDS = ("仓储", "配送费", "美国站", "站点", "货代", "货币", "货款")

# An amount with its unit: "30kg", "几十公斤", "2个方", "0.05CBM", "一个柜". Shared with routing.py,
# which turns the matched text into kilograms, CBM or a full container.
QUANTITY = re.compile(
    r"(?P<number>\d+(?:\.\d+)?|[零一二两三四五六七八九十百千万几半]+)\s*(?:多|来)?\s*"
    r"(?P<unit>kg|公斤|千克|斤|吨|cbm|m3|立方米|个立方|立方(?!英尺|英寸)|个方|方|个柜|柜)",  # not AWD's 立方英尺
    re.IGNORECASE,
)
_ASCII = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True)
class Mention:
    entity: str  # entity type, e.g. "service"
    value: str  # canonical value, e.g. "AWD"; for quantity the matched text
    start: int
    end: int
    text: str

    def as_entity(self) -> dict:
        return {"entity": self.entity, "value": self.value, "start": self.start, "end": self.end}


class MentionFinder:
    def __init__(self, phrases: Iterable[tuple[str, str, str]], origin_cues: dict,
                 patterns: Iterable[tuple[str, str, str]] = (), spaced: bool = False):
        """phrases: (entity type, canonical value, phrase as sellers write it); patterns: the same with
        a regular expression for what a list of phrases cannot cover. spaced: each phrase is found typed
        with a space where Latin letters meet Chinese as well."""
        self._patterns = [(entity, value, re.compile(p, re.IGNORECASE)) for entity, value, p in patterns]
        self._table: dict[str, dict[str, tuple[str, bool]]] = {}
        for entity, value, phrase in phrases:
            for written in dict.fromkeys((phrase, _spaced(phrase) if spaced else phrase)):
                key, exact = _key(written)
                self._table.setdefault(entity, {}).setdefault(key, (value, exact))
        self._max_len = {e: max(len(k) for k in t) for e, t in self._table.items()}
        self._cues_before = tuple(origin_cues.get("before", ()))
        self._cues_after = tuple(origin_cues.get("after", ()))

    def find(self, text: str) -> list[Mention]:
        protected = _protected_spans(text)
        found: list[Mention] = []
        for entity in self._table:
            found.extend(self._find_type(entity, text, protected))
        found.extend(
            Mention("quantity", m.group(0), m.start(), m.end(), m.group(0)) for m in QUANTITY.finditer(text)
        )
        found.extend(Mention(entity, value, m.start(), m.end(), m.group(0))
                     for entity, value, pattern in self._patterns for m in pattern.finditer(text))
        kept = [self._origin_or_market(m, text) for m in _drop_contained(found)]
        return sorted(kept, key=lambda m: (m.start, m.entity))

    def _find_type(self, entity: str, text: str, protected) -> list[Mention]:
        table, longest = self._table[entity], self._max_len[entity]
        upper = text.upper()
        out, i = [], 0
        while i < len(text):
            for length in range(min(longest, len(text) - i), 0, -1):
                hit = table.get(upper[i : i + length])
                if hit and _fits(text, i, i + length, hit[1], protected):
                    out.append(Mention(entity, hit[0], i, i + length, text[i : i + length]))
                    i += length
                    break
            else:
                i += 1
        return out

    def _origin_or_market(self, m: Mention, text: str) -> Mention:
        """A marketplace named as where the goods are ("货在美国", "从日本发") is an origin."""
        if m.entity != "marketplace" or m.text.endswith("站"):
            return m
        before, after = text[max(0, m.start - 5) : m.start], text[m.end : m.end + 4]
        if before.endswith(self._cues_before) or after.startswith(self._cues_after):
            if not after.startswith(("卖", "销售", "上架", "开店", "站")):
                return Mention("origin", m.value, m.start, m.end, m.text)
        return m


_SCRIPT_CHANGE = re.compile(r"(?<=[A-Za-z0-9])(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])(?=[A-Za-z0-9])")


def _spaced(phrase: str) -> str:
    """The phrase as sellers also type it, a space where Latin letters meet Chinese ("FBA 库存", "进 AWD")."""
    return _SCRIPT_CHANGE.sub(" ", phrase)


def _key(phrase: str) -> tuple[str, bool]:
    """Matching key; short all-caps codes (US, SO, FC) match only as written, to spare English words."""
    exact = phrase.isascii() and phrase.isupper() and len(phrase) <= 3
    return phrase.upper(), exact


def _fits(text: str, start: int, end: int, exact: bool, protected) -> bool:
    span = text[start:end]
    if exact and span != span.upper():
        return False
    if span.isascii() and _ASCII.match(span[0]):
        # ASCII words must stand alone: AMS is not in SAMSUNG, SEND is not in SENDER.
        if start > 0 and _ASCII.match(text[start - 1]) or end < len(text) and _ASCII.match(text[end]):
            return False
    return not any(a < start < b or a < end < b for a, b in protected)


def _protected_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for word in PROTECTED_WORDS:
        spans.extend((m.start(), m.end()) for m in re.finditer(re.escape(word), text))
    return spans


def _drop_contained(mentions: list[Mention]) -> list[Mention]:
    def inside(a: Mention, b: Mention) -> bool:
        return a is not b and b.start <= a.start and a.end <= b.end and (b.end - b.start) > (a.end - a.start)

    return [m for m in mentions if not any(inside(m, other) and other.entity != m.entity for other in mentions)]
