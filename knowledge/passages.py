"""The document split into passages by section, and a BM25 index over jieba tokens.

Answers come from structured facts first; passages serve the questions no fact answers and the staff
console's full-text search. Each passage knows its section, so every hit can be cited.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

# Section headings in the body of the document: "1.3.2 Amazon SEND (亚马逊跨境承运伙伴方案)".
_HEADING = re.compile(r"^(1(?:\.\d){1,2})\s+(\S.*)$")
# The body starts at the second "1.1 ..." heading; what comes before is the course map, the table of
# contents and the chapter overview ("卖家百科划重点").
_PREFACE_SECTIONS = (("课程路径图", "课程路径图及内容"), ("卖家百科划重点", "卖家百科划重点"))
_MAX_PASSAGE_CHARS = 360
_STOPWORDS = set(
    "的 了 是 吗 呢 吧 啊 呀 么 嘛 哈 和 与 及 或 在 有 我 你 您 他 她 它 我们 你们 这 那 个 也 就 都 要 会 能 可以 "
    "什么 怎么 怎样 如何 多少 哪些 哪个 请问 一下 一个 还 又 把 被 给 对 从 到 为 以 等 让 将 之 其 而 并 "
    "? ? ! ! , , 。 、 ; ; : : ( ) ( ) * ★ - – — \" ' “ ” ‘ ’ · / \\ | [ ] 【 】 《 》 .".split()
)


@dataclass(frozen=True)
class Passage:
    id: str  # "1.4.1#2"
    section: str  # "1.4.1"
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


def split_document(document: str) -> list[Passage]:
    """Sections → passages of a few paragraphs each, in document order."""
    lines = document.splitlines()
    body_start = _body_start(lines)
    overview_start = next(i for i, line in enumerate(lines) if line.strip() == "卖家百科划重点")
    (map_id, map_title), (ov_id, ov_title) = _PREFACE_SECTIONS
    sections: list[tuple[str, str, list[str]]] = [
        (map_id, map_title, lines[:overview_start]),
        (ov_id, ov_title, lines[overview_start + 1 : body_start]),
    ]
    for line in lines[body_start:]:
        heading = _HEADING.match(line.strip())
        if heading:
            sections.append((heading.group(1), heading.group(2).strip(), []))
        else:
            sections[-1][2].append(line)
    passages = []
    for sid, title, body in sections:
        for n, chunk in enumerate(_chunks(body)):
            passages.append(Passage(f"{sid}#{n + 1}", sid, title, chunk))
    return passages


def _body_start(lines: list[str]) -> int:
    seen = 0
    for i, line in enumerate(lines):
        if line.strip().startswith("1.1 跨境供应链介绍"):
            seen += 1
            if seen == 3:  # table of contents, overview, then the body
                return i
    raise ValueError("document layout changed: the body's first heading '1.1 跨境供应链介绍' was not found")


def _chunks(body: list[str]) -> Iterable[str]:
    paragraphs = [p.strip() for p in body if p.strip()]
    chunk: list[str] = []
    for paragraph in paragraphs:
        if chunk and sum(map(len, chunk)) + len(paragraph) > _MAX_PASSAGE_CHARS:
            yield "\n".join(chunk)
            chunk = []
        chunk.append(paragraph)
    if chunk:
        yield "\n".join(chunk)


@dataclass
class BM25:
    """Okapi BM25 (k1=1.5, b=0.75) over the passages' tokens."""

    passages: list[Passage]
    tokenize: Callable[[str], list[str]]
    k1: float = 1.5
    b: float = 0.75
    _docs: list[Counter] = field(init=False, repr=False)

    def __post_init__(self):
        self._docs = [Counter(self.terms(p.title + "\n" + p.text)) for p in self.passages]
        self._avg_len = sum(sum(d.values()) for d in self._docs) / max(1, len(self._docs))
        df = Counter(term for doc in self._docs for term in doc)
        n = len(self._docs)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def terms(self, text: str) -> list[str]:
        return [t for t in (tok.strip().upper() for tok in self.tokenize(text)) if t and t not in _STOPWORDS]

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        terms = set(self.terms(query))
        scored = []
        for passage, doc in zip(self.passages, self._docs, strict=True):
            length = sum(doc.values())
            score = 0.0
            for term in terms:
                tf = doc.get(term, 0)
                if tf:
                    norm = tf + self.k1 * (1 - self.b + self.b * length / self._avg_len)
                    score += self._idf[term] * tf * (self.k1 + 1) / norm
            if score > 0:
                scored.append(Hit(passage, round(score, 3)))
        return sorted(scored, key=lambda h: -h.score)[:limit]
