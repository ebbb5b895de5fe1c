"""Finding the statements of the document that answer a question.

Each statement is indexed by its words (jieba's search-mode tokens), its character bigrams (so a typo
or a split jieba did not expect still matches: 仓储废 → 仓储) and tags for the knowledge base's
entities (卫星仓 and AWD are both @service:AWD; 多久 and 时效 are both @attribute:transit_time).
Ranking is BM25 over those terms, adjusted by what the question asks for (a duration for 多久, a list
for 哪些) and by the services it is about. `coverage` says how much of the question a statement
matches, independent of the statement's length: the answerer's threshold is on it.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from knowledge.statements import Statement

# Words that carry no content in a question (the question's kind is read separately).
STOPWORDS = frozenset(
    "的 了 是 吗 呢 吧 啊 呀 么 嘛 哈 哦 噢 喔 嗯 和 与 及 或 在 有 我 你 您 他 她 它 我们 你们 咱 咱们 这 那 这个 那个 "
    "个 也 就 都 要 会 能 可以 可 什么 啥 怎么 怎样 如何 多少 哪些 哪个 哪 几 请问 一下 下 还 又 把 被 给 对 从 到 为 以 "
    "等 让 将 之 其 而 并 吗? 不 没 没有 是不是 能不能 可不可以 有没有 想 想问 问 问下 知道 告诉 请 麻烦 老板 "
    "亚马 怎么样 咋样 如何 啥样 什么样 "
    "what what's whats is are does do did the a an of to for in on how can could i my me we our you it its "
    "this that and or with be will would should about tell please much many long "
    "亚马逊 服务 用 使用 里 上 中 需要 得 这边 那边 的话 一般 大概 具体 说说 说下 简单 通俗 帮 帮我 自己 我自己 还要 还得 ? ! , 。 、 ; : ( ) * ★ - – — \" ' “ ” ‘ ’ · / \\ | [ ] 【 】 《 》 . ？ ！ ， ： ； （ ）".split()
)
_CJK = re.compile(r"[\u4e00-\u9fff]+")
# Characters that carry no content on their own; a bigram or unigram with one of them is no term.
FUNCTION_CHARS = frozenset("的了是吗呢吧啊呀么嘛哈哦和与及或在有我你您他她它这那个也就都要会能可以什怎样如何多少哪些几请问一下"
                           "还又把被给对从到为等让将之其而并不没谁啥用得着过来去说想该些很最更太按算吧")
# Single characters are terms too, weighed less: "少断多少货" still finds "断货" and "缺货率".
UNIGRAM, BIGRAM = "·", "²"
UNIGRAM_WEIGHT = 0.35
# A word of the question that the document never uses weighs this share of the rarest term.
UNKNOWN_WEIGHT = 0.6
_NUMBER = re.compile(r"\d")
# "入库后商品即可被搜索": as soon as, a duration too
_DURATION = re.compile(r"\d+(?:-\d+)?\s*(?:天|小时)|当日|次日|\d+\*24|后[^，。,；;]{0,6}即可")
_PRICE = re.compile(r"\$\s*\d|\d+(?:\.\d+)?\s*(?:元|美元)|\d折")
_PERCENT = re.compile(r"\d+(?:\.\d+)?%|\d折")
# A statement that gives a reason or a purpose: what a 为什么 question looks for.
_PURPOSE = re.compile(r"为了|旨在|有助于|帮助卖家|从而|因此|所以|关系到|关乎|决定|直接影响|由于|是因为|影响")
SOURCE_NOTE = re.compile(r"数据来源|数据出处|数据源|基于|解释权|仅供参考")
_NAME = re.compile(r"[(（]\s*[A-Za-z][^()（）]*[)）]")
_COUNT = re.compile(r"\d+\+|\d[\d,]*\s*(?:个|家|架|名|位|件|人|司机|飞机|亿|万)|\d{3,}")
_SIZE = re.compile(r"\d+(?:\.\d+)?\s*(?:KG|公斤|千克|CBM|立方|方)", re.IGNORECASE)  # "0.5KG起运": how much goods

# How much each kind of question prefers statements that hold what it asks for.
KIND_BONUS = 1.35
KIND_MISS = 0.75
SUBJECT_BONUS = 1.6
OTHER_SUBJECT = 0.45
LIST_BONUS = 1.2


@dataclass(frozen=True)
class StatementHit:
    statement: Statement
    score: float
    coverage: float  # share of the question's weight matched, 0..1


def bigrams(text: str) -> list[str]:
    """Character bigrams of the Chinese runs of a text, without those that hold a function character."""
    return [BIGRAM + run[i:i + 2] for run in _CJK.findall(text) for i in range(len(run) - 1)
            if run[i] not in FUNCTION_CHARS and run[i + 1] not in FUNCTION_CHARS]


def unigrams(text: str) -> list[str]:
    return [UNIGRAM + ch for run in _CJK.findall(text) for ch in run if ch not in FUNCTION_CHARS]


def _is_word(term: str) -> bool:
    """A word of the question (not a bigram, unigram or tag): what its absence from the document means."""
    return not term.startswith(("@", UNIGRAM, BIGRAM)) and len(term) >= 2


def weight(term: str) -> float:
    return UNIGRAM_WEIGHT if term.startswith(UNIGRAM) else 1.0


def quantity_kinds(text: str) -> set[str]:
    kinds = set()
    if _DURATION.search(text):
        kinds.add("duration")
    if _PRICE.search(text):
        kinds.add("price")
    if _PERCENT.search(text):
        kinds.add("percent")
    if _COUNT.search(text):
        kinds.add("count")
    if _SIZE.search(text):
        kinds.add("size")
    if _NAME.search(text):
        kinds.add("name")
    if _PURPOSE.search(text):
        kinds.add("purpose")
    return kinds


def priced(fee: str, text: str) -> bool:
    """Whether a text gives this fee an amount in one of its clauses ("仓储费 $0.48", "仓储费8折"),
    not only names it ("避免超龄库存费") beside another fee's price."""
    return any(fee in c and (_PRICE.search(c) or _PERCENT.search(c)) for c in re.split(r"[，,；;。：:（）()\n]", text))


# The quantity kinds a question type looks for.
WANTED_KINDS = {
    "how_long": {"duration"},
    "how_much": {"price", "percent"},
    "how_many": {"count", "percent", "size"},
    "name": {"name"},
    "source": {"source"},
    "why": {"purpose"},
}
# Statements that point elsewhere rather than say something: links to other courses, and questions
# the document asks before it answers them.
KIND_PRIOR = {"link": 0.3, "question": 0.4}
LEAD_IN_PRIOR = 0.4


class StatementIndex:
    """BM25 (k1=1.2, b=0.5: statements are short and of similar length) over terms and tags."""

    k1, b = 1.2, 0.5

    def __init__(self, statements: list[Statement], terms: Callable[[str], list[str]],
                 tags: Callable[[Statement], set[str]], about: Callable[[Statement], set[str]]):
        self.statements = statements
        self._terms, self._tags = terms, tags
        self._docs: list[Counter] = []
        self._about: list[set[str]] = []
        self._kinds: list[set[str]] = []
        for s in statements:
            context = " ".join(x for x in (s.parent, s.heading) if x)
            terms_here = Counter(terms(s.text)) + Counter(set(terms(context)))
            terms_here.update(tags(s))
            self._docs.append(terms_here)
            self._about.append(about(s))
            self._kinds.append(quantity_kinds(s.text) | ({"source"} if SOURCE_NOTE.search(f"{s.text} {s.note or ''}") else set()))
        self._avg = sum(sum(d.values()) for d in self._docs) / max(1, len(self._docs))
        df = Counter(t for d in self._docs for t in d)
        n = len(self._docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, d in enumerate(self._docs):
            for t in d:
                self._postings[t].append(i)
        self._group_size = Counter(s.group for s in statements)
        self._position = {s.id: i for i, s in enumerate(statements)}
        self._groups: dict[str, list[Statement]] = defaultdict(list)
        for s in statements:
            self._groups[s.group].append(s)
        self._max_idf = max(self.idf.values(), default=1.0)

    def search(self, query_terms: Iterable[str], qtype: str | None = None, subjects: Iterable[str] = (),
               limit: int = 5, sections: Iterable[str] | None = None, exclude: Iterable[str] = (),
               alternatives: Sequence[Sequence[Sequence[str]]] = ()) -> list[StatementHit]:
        """`alternatives`: groups of phrases that say one thing (a seller's word and the document's word
        for it, each as its terms): a group weighs, and is matched, as its best phrase, once."""
        query_terms = list(query_terms)
        terms = {t for t in query_terms if t in self.idf}
        if not terms:
            return []
        total = self._weight_of(query_terms, alternatives)
        subjects, wanted, exclude = set(subjects), WANTED_KINDS.get(qtype or "", set()), set(exclude)
        allowed = set(sections) if sections is not None else None
        scores: dict[int, float] = defaultdict(float)
        for t in terms:
            for i in self._postings[t]:
                doc = self._docs[i]
                length = sum(doc.values())
                tf = doc[t]
                scores[i] += weight(t) * self.idf[t] * tf * (self.k1 + 1) / (
                    tf + self.k1 * (1 - self.b + self.b * length / self._avg))
        hits = []
        for i, score in scores.items():
            s = self.statements[i]
            if (allowed is not None and s.section not in allowed) or s.kind in exclude:
                continue
            coverage = self._coverage(terms, self._docs[i], total, alternatives)
            hits.append(StatementHit(s, round(score * self._adjust(i, subjects, wanted, qtype), 3), round(coverage, 3)))
        return sorted(hits, key=lambda h: (-h.score, h.statement.line))[:limit]

    def coverage(self, query_terms: Iterable[str], text_terms,
                 alternatives: Sequence[Sequence[Sequence[str]]] = ()) -> float:
        """The share of a question's weight (idf) that a text's terms match (a group of alternative
        phrases counted once, as in `search`)."""
        query_terms = list(query_terms)
        terms = {t for t in query_terms if t in self.idf}
        total = self._weight_of(query_terms, alternatives)
        return round(self._coverage(terms, text_terms, total, alternatives), 3) if terms else 0.0

    def own_coverage(self, query_terms: Iterable[str], statement: Statement, shown: Iterable[str] = ()) -> float:
        """The coverage of a statement's own words and of the headings an answer shows with it, not of
        the others ("创建 MCD 订单" under a long table heading matches through the heading)."""
        words = Counter(self._terms(statement.text)) + Counter(self._tags(statement))
        for heading in shown:
            words += Counter(set(self._terms(heading)))
        return self.coverage(query_terms, words)

    def _weight_of(self, query_terms: list[str], alternatives: Sequence[Sequence[Sequence[str]]] = ()) -> float:
        """A question's weight: its terms' idf, and for each word the document never uses the idf of the
        rarest term, so "深圳明天冷不冷" is not answered by the one statement that names 深圳. A group of
        alternative phrases weighs as its heaviest phrase."""
        grouped = {t for group in alternatives for phrase in group for t in phrase}
        known = {t for t in query_terms if t in self.idf and t not in grouped}
        unknown = {t for t in query_terms if t not in self.idf and _is_word(t) and t not in grouped}
        groups = sum(max(self._phrase_weight(phrase) for phrase in group) for group in alternatives if group)
        return sum(self.idf[t] * weight(t) for t in known) + UNKNOWN_WEIGHT * self._max_idf * len(unknown) + groups + 1e-9

    def _phrase_weight(self, phrase: Sequence[str], text_terms=None) -> float:
        """A phrase's weight as `_weight_of` counts it, or of its terms in a text only."""
        if text_terms is not None:
            return sum(self.idf[t] * weight(t) for t in set(phrase) if t in text_terms and t in self.idf)
        return sum(self.idf[t] * weight(t) if t in self.idf else UNKNOWN_WEIGHT * self._max_idf * _is_word(t)
                   for t in set(phrase))

    def _coverage(self, terms: set[str], text_terms, total: float,
                  alternatives: Sequence[Sequence[Sequence[str]]] = ()) -> float:
        """Matched weight over the question's weight; a match of tags alone (entities, no words) counts half.
        A group of alternative phrases counts its best matched phrase."""
        grouped = {t for group in alternatives for phrase in group for t in phrase}
        matched = [t for t in terms if t in text_terms]
        share = sum(self.idf[t] * weight(t) for t in matched if t not in grouped)
        share += sum(max(self._phrase_weight(phrase, text_terms) for phrase in group) for group in alternatives if group)
        share /= total
        return share if any(not t.startswith("@") for t in matched) else share / 2

    def knows(self, term: str) -> bool:
        return term in self.idf

    def terms_of(self, statement: Statement) -> Counter:
        return self._docs[self._position[statement.id]]

    def about_of(self, statement: Statement) -> set[str]:
        return self._about[self._position[statement.id]]

    def _adjust(self, i: int, subjects: set[str], wanted: set[str], qtype: str | None) -> float:
        factor = KIND_PRIOR.get(self.statements[i].kind, 1.0)
        if self.statements[i].text.rstrip().endswith(("：", ":")):
            factor *= LEAD_IN_PRIOR  # "以下为您分析…：" introduces what follows, says nothing itself
        about = self._about[i]
        if subjects:
            if about & subjects:
                factor *= SUBJECT_BONUS
            elif about:
                factor *= OTHER_SUBJECT
        if wanted:
            factor *= KIND_BONUS if self._kinds[i] & wanted else KIND_MISS
        if qtype == "which" and self._group_size[self.statements[i].group] > 1:
            factor *= LIST_BONUS
        return factor

    def group(self, statement: Statement) -> list[Statement]:
        """The statement with its siblings (the list, table or caption set it belongs to)."""
        return self._groups[statement.group]
