"""Checking a staff reply against the document before the console sends it.

Support staff type replies to sellers in the console (staff/takeover.py). A price, a percentage, a
duration, a weight or volume, or a coverage that the document does not state would be a promise the
document never makes, so the console asks `unsupported_claims` first and shows staff what was not
found; staff can still send.

    unsupported_claims(kb.load(), "AWD仓储费每立方英尺$0.30")
      -> [Claim("price", "$0.30", "资料里没有这个价格")]

How it decides:
  - Figures. A figure is a number with what gives it its meaning: a currency (a sign before it or a
    word after it), %, 折, a unit of time, of weight or of volume. Numbers are found by the knowledge
    build's own matcher (`build._matcher`, the one `quantity_coverage` counts the document with);
    weights and volumes by the mention finder's `QUANTITY`, converted as `routing.parse_quantity`
    converts them. The document's statements are read the same way, once, so a reply and the
    document meet in one normal form: half-width and Simplified (`KnowledgeBase.normalize`), one dash
    for a range (28–30天, 28至30天), digits for Chinese numerals (八折, 百分之八十), one currency for
    $ and 美元, hours for 天 and 周, kilograms and CBM for 公斤 and 方. A figure is supported when the
    document states each of its numbers in the same unit somewhere (a range's ends count, so a range
    made of documented ends is a summary, not an invention); "5天" is not supported by "5%".
  - Coverage. A clause that names a service and a marketplace (the mention finder: any width, case,
    script or alias) and links them in a coverage sense (the vocabulary's coverage words, a verb of
    serving, or a direction word right before the place: 发往, 运到, 至) says the service reaches
    that marketplace. It is unsupported when the service's documented coverage lacks the
    marketplace, read as the routing advisor reads a destination (`routing.covered_markets`; 欧洲 is
    any European marketplace). A denied or asked link says nothing to check; a marketplace is
    flagged only when no service the clause may be speaking of covers it, and a service whose
    coverage the document does not list is never flagged: a false alarm costs staff attention on
    every send, so unclear cases pass.
Figures are checked against the whole document, not against the service or route a sentence names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Callable, Iterator

from knowledge import build
from knowledge.kb import KnowledgeBase
from knowledge.mentions import QUANTITY, Mention
from knowledge.routing import chinese_number, covered_markets, covers, parse_quantity
from knowledge.text import MAX_MESSAGE_CHARS


@dataclass(frozen=True)
class Claim:
    kind: str  # "price" | "percent" | "duration" | "quantity" | "coverage"
    text: str  # the claim as written (in the normal form: half-width, Simplified), e.g. "$0.30/立方英尺"
    reason: str  # short Simplified Chinese, e.g. "资料里没有这个价格"


# A unit word after a number: (kind, unit compared, size in that unit). 天 and 周 are hours, so "1周"
# is the document's "7天"; months, years and working days are units of their own.
_UNITS: dict[str, tuple[str, str, float]] = {
    "%": ("percent", "%", 1), "折": ("percent", "折", 1),
    "分钟": ("duration", "hour", 1 / 60),
    **dict.fromkeys(("小时", "个小时", "钟头", "个钟头"), ("duration", "hour", 1)),
    "天": ("duration", "hour", 24),
    **dict.fromkeys(("周", "星期", "个星期", "礼拜", "个礼拜"), ("duration", "hour", 168)),
    **dict.fromkeys(("工作日", "个工作日"), ("duration", "workday", 1)),
    "个月": ("duration", "month", 1),
    "年": ("duration", "year", 1),
    **dict.fromkeys(("美元", "美金", "刀", "USD"), ("price", "USD", 1)),
    **dict.fromkeys(("元", "块", "块钱", "人民币", "RMB", "CNY"), ("price", "CNY", 1)),
    **dict.fromkeys(("欧元", "EUR"), ("price", "EUR", 1)),
    **dict.fromkeys(("英镑", "GBP"), ("price", "GBP", 1)),
    **dict.fromkeys(("日元", "JPY"), ("price", "JPY", 1)),
}
_SIGNS = {"$": "USD", "¥": "CNY", "€": "EUR", "£": "GBP"}
_CODE_BEFORE = re.compile(r"(?<![A-Za-z])(USD|RMB|CNY|EUR|GBP|JPY)\s*$", re.IGNORECASE)  # "USD 0.48"
_UNIT_WORDS = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT_AFTER = re.compile(rf"\s*({_UNIT_WORDS})", re.IGNORECASE)
_JOINERS = {",", "-", "*", "~", "."}  # the build matcher's joiners
_FIRST_YEAR = 1000  # "2023年" is a date, not a duration
_REASONS = {"price": "资料里没有这个价格", "%": "资料里没有这个百分比", "折": "资料里没有这个折扣",
            "duration": "资料里没有这个时长", "kg": "资料里没有这个重量", "cbm": "资料里没有这个体积"}

# Rewrites into the one normal form, on the reply and the document alike.
_CN_NUMERAL = "零一二两三四五六七八九十百千万半"
_PERCENT_WORD = re.compile(rf"百分之\s*(\d+(?:\.\d+)?|[{_CN_NUMERAL}]+)")
_CN_BEFORE_UNIT = re.compile(rf"(?<![第几多])[{_CN_NUMERAL}]+(?={_UNIT_AFTER.pattern})", re.IGNORECASE)
_RANGE_DASH = re.compile(r"(?<=\d)\s*[-–—−~至到]\s*(?=\$?\d)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TIMES = re.compile(r"(?<=\d)\s*[×xX✕]\s*(?=\d)")
_PER = re.compile(r"(?:\s*/\s*[^\s/,.;:!?。；，、()（）$]{1,6}){1,2}")  # "$0.48/立方英尺/月"

# Coverage: a sentence's clauses (NFKC turns ，；into ,;), and the words that link a service to a place.
_CLAUSE_END = re.compile(r"[,;，；]")
_LIST_ONLY = re.compile(r"[\s、和及与或以等站]*")
_TOWARD = ("往", "至", "去", "发", "运", "送", "寄")  # right before the place: 发往巴西, 中国至日本
_TO_AFTER = "发运送寄卖能可"  # 到 is a direction after these (空运到, 能到) or a name, not in 收到, 看到
_SERVES = ("支持", "适用", "可用", "能用", "可以用", "用于", "开通", "上线")
_LIST_JOINERS = " 、和及与或,，"
_NEGATIONS = "不没无未非"


@dataclass(frozen=True)
class _Figure:
    kind: str
    unit: str
    values: tuple[float | str, ...]  # what must be found, in the unit compared
    stated: tuple[float | str, ...]  # what it states ("7*24小时" also states 24 hours)
    start: int
    end: int

    def keys(self, values) -> set[tuple]:
        return {(self.kind, self.unit, v) for v in values}


@dataclass(frozen=True)
class _Prepared:
    text: str  # the normal form the figures are read in
    origin: list[int]  # each position of `text` (and its end) in `written`
    written: str  # the normal form as typed (KnowledgeBase.normalize)

    def written_span(self, start: int, end: int) -> str:
        return self.written[self.origin[start]:self.origin[end]].strip()


def unsupported_claims(base: KnowledgeBase, text: str) -> list[Claim]:
    """The figures and coverage claims in a staff reply that the document does not state, in the
    order written (each once)."""
    stated = _document_figures(base)
    found: dict[tuple[str, str], Claim] = {}
    for sentence in _sentences(text):
        prepared = _prepare(base, sentence)
        for claim in _figure_claims(prepared, stated) + _coverage_claims(base, prepared.written):
            found.setdefault((claim.kind, claim.text), claim)
    return list(found.values())


# -- figures ---------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _document_figures(base: KnowledgeBase) -> frozenset[tuple]:
    """(kind, unit, value) of every number the document states: its statements and their headings."""
    texts = {t for s in base.statements for t in (s.text, s.heading, s.parent) if t}
    keys: set[tuple] = set()
    for text in texts:
        for figure in _figures(_prepare(base, text).text):
            keys |= figure.keys(figure.stated)
    base.finder  # noqa: B018 - built now, so the first send doesn't pay for the mention table
    return frozenset(keys)


def _figure_claims(prepared: _Prepared, stated: frozenset[tuple]) -> list[Claim]:
    return [Claim(f.kind, _claim_text(prepared, f), _REASONS.get(f.kind, _REASONS.get(f.unit, "")))
            for f in _figures(prepared.text) if not f.keys(f.values) <= stated]


def _claim_text(prepared: _Prepared, figure: _Figure) -> str:
    end = figure.end
    if figure.kind == "price":
        per = _PER.match(prepared.text, end)
        end = per.end() if per else end
    return prepared.written_span(figure.start, end)


def _figures(text: str) -> list[_Figure]:
    found = list(_matched_figures(text)) + list(_weights_and_volumes(text))
    return sorted(found, key=lambda f: f.start)


def _matched_figures(text: str) -> Iterator[_Figure]:
    """Prices, percentages and durations: the build matcher's numbers, with the unit around them."""
    nlp, matcher = build._matcher()
    doc = nlp(text)
    for _, start, end in matcher(doc):
        span = doc[start:end]
        if span.start_char > 0 and text[span.start_char - 1] == "第":  # 第3天: an ordinal
            continue
        figure = _read_figure(text, [t.text for t in span], span.start_char, span.end_char)
        if figure is not None:
            yield figure


def _read_figure(text: str, tokens: list[str], start: int, end: int) -> _Figure | None:
    """A matched number as a figure: its kind and unit from a currency before it, a % in it or a unit
    word after it; None for a bare number, a section number or a calendar year."""
    currency, start = _currency_before(text, tokens, start)
    numbers = [t for t in tokens if t != "$" and t not in _JOINERS]
    joiner = next((t for t in tokens if t in _JOINERS), "")
    word = _UNIT_AFTER.match(text, end)
    if currency:
        kind, unit, size = "price", currency, 1.0
    elif any(n.endswith("%") for n in numbers):
        kind, unit, size = _UNITS["%"]
    elif word:
        kind, unit, size = _unit(word.group(1))
    else:
        return None
    if word and _unit(word.group(1))[0] == kind:  # "5天", "0.48美元"; not the 天 of "$5天"
        end = word.end()
    values = _values([n.rstrip("%") for n in numbers], joiner, size)
    if values is None or (unit == "year" and any(isinstance(v, float) and v >= _FIRST_YEAR for v in values)):
        return None
    stated = values + ((round(float(numbers[-1].rstrip("%")) * size, 6),) if joiner == "*" else ())
    return _Figure(kind, unit, values, stated, start, end)


def _currency_before(text: str, tokens: list[str], start: int) -> tuple[str | None, int]:
    """The currency a sign or code before a number names ("$0.48", "¥5", "USD 0.48"), and where the
    figure starts."""
    if tokens[0] == "$":
        return _SIGNS["$"], start
    before = text[:start].rstrip()
    if before and before[-1] in _SIGNS:
        return _SIGNS[before[-1]], len(before) - 1
    code = _CODE_BEFORE.search(before)
    return (_unit(code.group(1))[1], code.start()) if code else (None, start)


def _unit(word: str) -> tuple[str, str, float]:
    return _UNITS.get(word) or _UNITS[word.upper()]


def _values(numbers: list[str], joiner: str, size: float) -> tuple[float | str, ...] | None:
    """A range's ends (or a list's numbers), or "7*24" as written; None for a section number (1.4.1)."""
    if joiner == ".":
        return None
    if joiner == "*":
        return ("*".join(numbers),)
    return tuple(round(float(n) * size, 6) for n in numbers)


def _weights_and_volumes(text: str) -> Iterator[_Figure]:
    """Weights and volumes, as the mention finder and the routing advisor read them: "0.5KG", "两公斤"."""
    for match in QUANTITY.finditer(text):
        number, unit = match.group("number"), match.group("unit").lower()
        if not _is_amount(text, match.start(), number, unit) or text.startswith(("英尺", "英寸", "尺"), match.end()):
            continue  # 立方英尺 is what a price is per
        kg, cbm, _ = parse_quantity(match.group(0))
        amount, unit = (kg, "kg") if kg is not None else (cbm, "cbm")
        if amount is not None:
            value = (round(amount, 6),)
            yield _Figure("quantity", unit, value, value, match.start(), match.end())


def _is_amount(text: str, start: int, number: str, unit: str) -> bool:
    """Not an ordinal (第三方), not part of a longer number, not a vague 几, not a word that merely
    holds a numeral and 方 or 斤 (一方面, 千斤顶)."""
    if start > 0 and (text[start - 1] == "第" or text[start - 1].isdigit() or text[start - 1] in ",."):
        return False
    return number[0].isdigit() or ("几" not in number and unit not in ("方", "斤"))


# -- the normal form -------------------------------------------------------------------------------


def _sentences(text: str) -> Iterator[str]:
    for sentence in re.split(r"(?<=[。！？!?；;\n])", text or ""):
        for i in range(0, len(sentence), MAX_MESSAGE_CHARS):  # normalize() keeps this many characters
            if sentence[i:i + MAX_MESSAGE_CHARS].strip():
                yield sentence[i:i + MAX_MESSAGE_CHARS]


def _prepare(base: KnowledgeBase, text: str) -> _Prepared:
    """The knowledge base's normal form, then one way to write a percentage, a numeral, a range and
    a product (7×24), remembering where each character was typed."""
    written = base.normalize(text.replace("\\$", "$"))
    prepared, origin = written, list(range(len(written) + 1))
    for pattern, replace in ((_PERCENT_WORD, _percent), (_CN_BEFORE_UNIT, _arabic),
                             (_THOUSANDS, lambda m: ""), (_RANGE_DASH, lambda m: "-"), (_TIMES, lambda m: "*")):
        prepared, origin = _rewrite(prepared, origin, pattern, replace)
    return _Prepared(prepared, origin, written)


def _rewrite(text: str, origin: list[int], pattern: re.Pattern,
             replace: Callable[[re.Match], str]) -> tuple[str, list[int]]:
    parts, where, last = [], [], 0
    for match in pattern.finditer(text):
        new = replace(match)
        parts += [text[last:match.start()], new]
        where += origin[last:match.start()] + [origin[match.start()]] * len(new)
        last = match.end()
    parts.append(text[last:])
    return "".join(parts), where + origin[last:]


def _percent(match: re.Match) -> str:
    number = _number(match.group(1))
    return f"{number:g}%" if number is not None else match.group(0)


def _arabic(match: re.Match) -> str:
    """八 → 8, 十五 → 15, 半 → 0.5; a lone 一 stays (统一, 一块儿), and so do runs of digits that
    make a rough range (三四天)."""
    run = match.group(0)
    if run == "一" or any(a in "零一二两三四五六七八九" and b in "零一二两三四五六七八九" for a, b in pairwise(run)):
        return run
    number = chinese_number(run)
    return f"{number:g}" if number is not None else run


def _number(text: str) -> float | None:
    return float(text) if text[0].isdigit() else chinese_number(text)


# -- coverage --------------------------------------------------------------------------------------


def _coverage_claims(base: KnowledgeBase, text: str) -> list[Claim]:
    """A service said to reach a marketplace its documented coverage does not list."""
    if "?" in text or "？" in text:
        return []
    mentions = base.finder.find(text)
    services = [m for m in mentions if m.entity == "service"]
    clauses = _clauses(text, mentions)
    claims = []
    for market in (m for m in mentions if m.entity == "marketplace"):
        candidates = _subjects(services, market, clauses)
        if not candidates or any(_may_cover(base, s.value, market.value) for s in candidates):
            continue
        service = candidates[0]
        check, said = _link(service, market, clauses)
        if _says_coverage(base, _without_names(text, mentions, check), _toward(text, market, mentions)):
            name, place = base.services[service.value].short, base.label("marketplace", market.value)
            claims.append(Claim("coverage", text[said[0]:said[1]].strip(" ,;"), f"资料没说 {name} 覆盖{place}"))
    return claims


def _may_cover(base: KnowledgeBase, service: str, market: str) -> bool:
    """Whether the document lists the marketplace for the service, or lists nothing for it."""
    covered = covered_markets(base, service)
    return covered is None or covers(base, covered, market)


def _clauses(text: str, mentions: list[Mention]) -> list[tuple[int, int]]:
    """The clauses of a sentence; a clause that only lists marketplaces continues the one before it
    ("目的地：美国，英国，巴西")."""
    bounds = [0] + [m.end() for m in _CLAUSE_END.finditer(text)] + [len(text)]
    clauses: list[tuple[int, int]] = []
    for start, end in pairwise(bounds):
        rest = text[start:end]
        for m in mentions:
            if m.entity == "marketplace" and start <= m.start < end:
                rest = rest.replace(m.text, "")
        if clauses and _LIST_ONLY.fullmatch(rest.strip(" ,;，；")):
            clauses[-1] = (clauses[-1][0], end)
        else:
            clauses.append((start, end))
    return clauses


def _clause_of(mention: Mention, clauses: list[tuple[int, int]]) -> tuple[int, int]:
    return next(c for c in clauses if c[0] <= mention.start < c[1])


def _subjects(services: list[Mention], market: Mention, clauses) -> list[Mention]:
    """The services a marketplace may be said of, the likeliest first: those of its clause (the
    nearest before it first), else those named before it in the sentence (the nearest first). A
    marketplace is flagged only when none of them covers it."""
    clause = _clause_of(market, clauses)
    same = [s for s in services if _clause_of(s, clauses) == clause]
    if same:
        before = [s for s in same if s.end <= market.start]
        return before[::-1] + [s for s in same if s not in before]
    return [s for s in services if s.end <= market.start][::-1]


def _link(service: Mention, market: Mention, clauses) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where to read how the two relate (the marketplace's clause, which holds the service unless it
    was named in an earlier one: "AGL 覆盖美国，也覆盖…"), and the words that make the claim."""
    clause = _clause_of(market, clauses)
    if _clause_of(service, clauses) == clause:
        return clause, (min(service.start, market.start), max(service.end, market.end))
    return clause, (clause[0], market.end)


def _without_names(text: str, mentions: list[Mention], span: tuple[int, int]) -> str:
    """The words of a span without the names in it (亚马逊快递服务 says no 服务 of its own)."""
    out = list(text[span[0]:span[1]])
    for m in mentions:
        if m.entity in ("service", "marketplace") and span[0] <= m.start and m.end <= span[1]:
            out[m.start - span[0]:m.end - span[0]] = [" "] * (m.end - m.start)
    return "".join(out)


def _toward(text: str, market: Mention, mentions: list[Mention]) -> bool:
    """Whether a direction word stands right before the marketplace, or before the list it ends
    ("发往美国、巴西")."""
    ends = {m.end: m.start for m in mentions if m.entity == "marketplace"}
    at = market.start
    while True:
        before = text[:at].rstrip(_LIST_JOINERS)
        if len(before) not in ends:
            return before.endswith(_TOWARD) or _is_to(before)
        at = ends[len(before)]


def _is_to(before: str) -> bool:
    if not before.endswith("到"):
        return False
    word = before[:-1].rstrip()
    return not word or word[-1] in _TO_AFTER or not "\u4e00" <= word[-1] <= "\u9fff"


def _says_coverage(base: KnowledgeBase, link: str, toward: bool) -> bool:
    """A link in a coverage sense (a direction word before the place, a coverage word or a verb of
    serving), neither denied ("不覆盖", "除了") nor asked ("能发吗")."""
    words = base.vocabulary["attribute"]["coverage"]["phrases"]
    if not toward and not any(w in link for w in (*words, *_SERVES)):
        return False
    plain = link
    for word in base.vocabulary["verdict"]["not_denials"]:  # 不同, 不仅 … deny nothing
        plain = plain.replace(word, "")
    if any(ch in plain for ch in _NEGATIONS) or any(w in plain for w in base.cue_words("negation")):
        return False
    asked = base.cue_words("yes_no_forms")
    return not (any(f in plain for f in asked) or plain.rstrip(" ,;。.!").endswith(("吗", "么", "嘛", "呢")))
