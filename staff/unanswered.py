"""The questions the assistant could not place, grouped by wording, to feed new training data.

A seller's message counts as unanswered when its intent is `nlu_fallback` (the FallbackClassifier
was unsure), `out_of_scope`, or any intent with a confidence below the threshold (default 0.6).

Grouping: each message's normal form is `knowledge.text.normalize` (half-width, Simplified,
acronyms upper-cased), lower-cased, without punctuation, symbols or spaces, without sentence-final
particles (吗 呢 吧 啊 …) and leading fillers (请问, 你好, 嗯 …). Identical normal forms are one
variant; variants join the group of the most frequent variant whose character bigrams overlap theirs
with a Jaccard similarity of at least 0.6 (near-duplicates: "亚马逊物流的退货怎么处理" and
"亚马逊物流退货怎么处理呢").
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from knowledge import text as textnorm
from staff.store import UserMessage, iso

DEFAULT_THRESHOLD = 0.6
SIMILARITY = 0.6
FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
_TRAILING_PARTICLES = set("吗呢吧啊呀么嘛哈啦哦喔噢呗咧嘞哇呐")
_WORDS_ENDING_IN_ME = set("什怎这那多要")  # 什么 怎么 这么 那么 多么 要么: 么 belongs to the word
_LEADING_FILLERS = ("请问一下", "请问", "你好", "您好", "哈喽", "嗯嗯", "嗯", "啊", "哎", "诶", "喂", "那么", "那")
CSV_COLUMNS = ("group", "group_text", "group_count", "text", "count", "reasons", "predicted_intent",
               "max_confidence", "last_seen")


@lru_cache(maxsize=1)
def _acronyms():
    try:
        from knowledge import kb

        return kb.load().acronym_case
    except Exception:  # the grouping still works without the knowledge base's acronyms
        return None


@lru_cache(maxsize=20000)
def normal_form(text: str) -> str:
    """The wording of a message with everything that does not change what is asked taken out."""
    normal = textnorm.normalize(text, _acronyms()).lower()
    kept = "".join(ch for ch in normal if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZC")
    stripped = kept
    changed = True
    while changed and stripped:
        changed = False
        while stripped and stripped[-1] in _TRAILING_PARTICLES and not (
                stripped[-1] == "么" and stripped[-2:-1] in _WORDS_ENDING_IN_ME):
            stripped, changed = stripped[:-1], True
        for filler in _LEADING_FILLERS:
            if stripped.startswith(filler) and len(stripped) > len(filler):
                stripped, changed = stripped[len(filler):], True
                break
    return stripped or kept or normal


def bigrams(text: str) -> frozenset:
    return frozenset(text[i:i + 2] for i in range(len(text) - 1)) if len(text) > 1 else frozenset([text])


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def reason(message: UserMessage, threshold: float) -> str | None:
    if message.intent == FALLBACK_INTENT:
        return FALLBACK_INTENT
    if message.intent == OUT_OF_SCOPE_INTENT:
        return OUT_OF_SCOPE_INTENT
    if message.confidence is not None and message.confidence < threshold:
        return "low_confidence"
    return None


def predicted_intent(message: UserMessage) -> tuple[str | None, float | None]:
    """The intent the model leaned to: for nlu_fallback, the best real intent of the ranking."""
    if message.intent != FALLBACK_INTENT:
        return message.intent, message.confidence
    for entry in message.ranking:
        if entry.get("name") and entry["name"] != FALLBACK_INTENT:
            return entry["name"], entry.get("confidence")
    return None, None


@dataclass
class Variant:
    form: str
    texts: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    intents: Counter = field(default_factory=Counter)
    senders: set = field(default_factory=set)
    max_confidence: float | None = None
    first: float | None = None
    last: float | None = None

    @property
    def count(self) -> int:
        return sum(self.texts.values())

    def add(self, message: UserMessage, why: str) -> None:
        self.texts[message.text] += 1
        self.reasons[why] += 1
        intent, confidence = predicted_intent(message)
        if intent:
            self.intents[intent] += 1
        if confidence is not None:
            self.max_confidence = max(confidence, self.max_confidence or 0.0)
        self.senders.add(message.sender_id)
        ts = message.timestamp or 0.0
        self.first = ts if self.first is None else min(self.first, ts)
        self.last = ts if self.last is None else max(self.last, ts)


def group(messages: Iterable[UserMessage], threshold: float = DEFAULT_THRESHOLD,
          similarity: float = SIMILARITY) -> list[dict]:
    """The unanswered messages grouped by similar wording, the biggest group first."""
    return group_by_wording(((m, why) for m in messages if m.text and (why := reason(m, threshold)) is not None),
                            similarity)


def group_by_wording(items: Iterable[tuple[UserMessage, str]], similarity: float = SIMILARITY) -> list[dict]:
    """Messages, each with its reason, grouped by the normal form of their text, near-duplicates
    (bigram Jaccard ≥ similarity) joining a group; the biggest group first (also the 👎 exports)."""
    variants: dict[str, Variant] = {}
    for message, why in items:
        if not message.text:
            continue
        form = normal_form(message.text)
        variants.setdefault(form, Variant(form)).add(message, why)
    ordered = sorted(variants.values(), key=lambda v: (-v.count, -(v.last or 0), v.form))
    clusters: list[tuple[frozenset, list[Variant]]] = []
    for variant in ordered:
        grams = bigrams(variant.form)
        best, best_score = None, similarity
        for cluster in clusters:
            score = jaccard(grams, cluster[0])
            if score >= best_score:
                best, best_score = cluster, score
        if best is None:
            clusters.append((grams, [variant]))
        else:
            best[1].append(variant)
    groups = [_group(n, members) for n, (_, members) in enumerate(clusters, 1)]
    groups.sort(key=lambda g: (-g["count"], -(g["last"] or 0)))
    for n, g in enumerate(groups, 1):
        g["id"] = n
    return groups


def _group(n: int, members: list[Variant]) -> dict:
    texts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    senders: set[str] = set()
    for v in members:
        texts.update(v.texts)
        reasons.update(v.reasons)
        intents.update(v.intents)
        senders |= v.senders
    first = min(v.first for v in members if v.first is not None)  # add() sets both on every member
    last = max(v.last for v in members if v.last is not None)
    return {
        "id": n,
        "text": members[0].texts.most_common(1)[0][0],
        "normal_form": members[0].form,
        "count": sum(v.count for v in members),
        "conversations": len(senders),
        "reasons": dict(reasons.most_common()),
        "intents": dict(intents.most_common()),
        "first": first, "first_iso": iso(first), "last": last, "last_iso": iso(last),
        "variants": [
            {"text": text, "count": count, "normal_form": v.form, "reasons": dict(v.reasons),
             "predicted_intent": (v.intents.most_common(1)[0][0] if v.intents else None),
             "max_confidence": None if v.max_confidence is None else round(v.max_confidence, 3),
             "last": v.last, "last_iso": iso(v.last)}
            for v in members for text, count in v.texts.most_common()
        ],
        "examples": sorted(senders)[:5],
    }


def _cell(text: str) -> str:
    """Seller text in a cell a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(groups: list[dict]) -> str:
    """One row per distinct message text, with its group: ready to label as training examples.
    (A text starting with = + - @ is written with a leading ' so spreadsheets do not run it.)"""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in groups:
        for v in g["variants"]:
            writer.writerow([g["id"], _cell(g["text"]), g["count"], _cell(v["text"]), v["count"],
                             ";".join(v["reasons"]), v["predicted_intent"] or "",
                             "" if v["max_confidence"] is None else v["max_confidence"], v["last_iso"] or ""])
    return out.getvalue()
