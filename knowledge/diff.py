"""`python -m knowledge.diff OLD NEW [--markdown OUT.md] [--html OUT.html]`: what a new version of the
source document does to the knowledge, for the reviewer who must update it before sellers see a
stale fee.

    report = impact(old_text, new_text)          # base: the knowledge files, read against OLD
    report.broken          quotes no longer in NEW: the fact, its section, the old quote and the
                           closest new text side by side, the changed numbers and list items
    report.new_statements  statements of NEW that OLD did not have and no fact covers
    report.review          changed statements a fact still quotes (its quotes hold; its answer may not)
    report.sections_added, report.sections_removed, report.sections_retitled, report.sections_renumbered
    report.moved           quotes still in NEW, but no longer in the section they stood in
    report.names_changed   what the document's abbreviations stand for (statements.names), changed
    report.quantities_added, report.quantities_removed   for tests/conversation/test_coverage.py
    report.ok              no quote is broken: the exit status is 0

What quotes the document: every curated fact of services.yml and concepts.yml, every routing rule of
routing.yml (its `because`, `note` and `caveat`: `KnowledgeBase.rule_facts`), the course map's facts
and each chapter's title and summary — exactly what `KnowledgeBase.missing_quotes` checks. Names and
statement answers are read from the document itself, so they follow it; the report lists how they
changed.

How a broken quote is aligned with NEW: the two documents are compared line by line (difflib), the
lines that hold the old quote are compared with what replaced them character by character, and the
quote's span is carried across; when that text was deleted or moved, the nearest new text by
similarity (character bigrams, then difflib's ratio) is searched in the same section first, then in the
whole document. Sections are the document's, as knowledge/statements.py reads them ("1.4.1").

Rasa-free: knowledge.kb, knowledge.statements, knowledge.text, and knowledge.build for its quantities.
"""
from __future__ import annotations

import argparse
import html
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Sequence

from knowledge import kb as kbmod
from knowledge import statements as stmod
from knowledge.kb import KnowledgeBase
from knowledge.statements import Name, Statement
from knowledge.text import collapse_whitespace

# The closest new text must be at least this similar to the old quote (difflib ratio) to be shown as
# its new version; below it the quote counts as removed.
MIN_SIMILARITY = 0.5
# Text found elsewhere than where the quote stood must be closer still.
MIN_SIMILARITY_ELSEWHERE = 0.6
# Blocks larger than this (characters, old × new) are not compared character by character.
_MAX_CHAR_DIFF = 4_000_000
_CANDIDATES = 12  # runs of lines compared closely with a quote that was deleted or moved

# A quantity as the document writes it: "$0.48", "28-30天", "15%-20%", "275,000", "0.5KG", "400+".
_NUMBER = re.compile(r"\$?\d+(?:,\d{3})*(?:\.\d+)?%?(?:\s*[-~]\s*\$?\d+(?:\.\d+)?%?)?\+?"
                     r"(?:天|折|亿|万|个|小时|年|月|件|KG|kg|CBM|cbm|倍|次|岁|%)?")
# What separates the items of a list or the parts of a sentence.
_SEPARATORS = "、，,；;：:（）()[]【】/|。！？!?“”\"' \t-–—·•★*"
_SEGMENT = re.compile(r"[^" + re.escape(_SEPARATORS) + r"]+")
_NUMERIC = re.compile(r"^[\d.,]+$")
# A changed item longer than this is a sentence: the change is shown with this many characters around it.
_LONG_ITEM, _CONTEXT = 16, 3


# -- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One changed number or item between an old quote and its new text ("$0.48" → "$0.52")."""
    old: str
    new: str

    @property
    def kind(self) -> str:
        if not self.new:
            return "removed"
        if not self.old:
            return "added"
        return "number" if re.search(r"\d", self.old + self.new) else "text"

    def __str__(self) -> str:
        if self.kind == "removed":
            return f"removed: {self.old}"
        if self.kind == "added":
            return f"added: {self.new}"
        return f"{self.old} → {self.new}"


@dataclass(frozen=True)
class BrokenQuote:
    """A quote of a fact (or rule, or chapter) that NEW no longer holds."""
    owner: str  # service id, concept key, "rule:<id>", "course"
    attribute: str
    source: str  # the knowledge file to edit: services.yml, concepts.yml, routing.yml
    fact_section: str  # the section the fact cites
    section: str  # where the quote stood in OLD ("" when OLD lacks it too)
    title: str  # that section's title
    old: str  # the quote as written in the knowledge file
    new: str  # the closest text of NEW, verbatim (whitespace runs as one space); "" when none
    new_section: str
    new_title: str
    similarity: float  # difflib ratio of old and new (0 when no new text)
    changes: tuple[Change, ...]
    status: str  # "changed" | "removed" | "not in OLD" (OLD lacked it already)
    old_line: int = 0  # 1-based lines in OLD and NEW (0: none)
    new_line: int = 0
    new_last_line: int = 0  # the new text's last line (it may run over several)
    section_removed: bool = False  # the section it stood in is gone from NEW

    @property
    def fact(self) -> str:
        return f"{self.owner}.{self.attribute}"


@dataclass(frozen=True)
class NewStatement:
    """A statement of NEW whose text OLD did not have."""
    section: str
    title: str
    heading: str
    text: str
    kind: str
    line: int
    facts: tuple[str, ...] = ()  # the facts whose quotes still hold that quote it ("AWD.suitable")
    replaces: tuple[str, ...] = ()  # the broken quotes whose closest new text is in it


@dataclass(frozen=True)
class Section:
    id: str  # "1.4.1"; "课程路径图", "目录" …
    key: str  # unique: the overview's "卖家百科划重点/1.3" is not the body's "1.3"
    title: str

    @property
    def label(self) -> str:
        if self.id[:1].isdigit() and not self.title.startswith(stmod.PREFACE_OVERVIEW):
            return f"{self.id} {self.title}"
        return self.title


@dataclass(frozen=True)
class MovedQuote:
    """A quote NEW still holds, but in none of the sections it stood in: its citation may be stale."""
    fact: str
    source: str
    quote: str
    fact_section: str
    old_sections: tuple[str, ...]
    new_sections: tuple[str, ...]


@dataclass(frozen=True)
class NameChange:
    short: str
    service: str  # the service it names ("" when none)
    old: Name | None
    new: Name | None


Placed = tuple[str, tuple[str, ...]]  # a quantity and the sections that state it


@dataclass
class Report:
    broken: list[BrokenQuote] = field(default_factory=list)
    new_statements: list[NewStatement] = field(default_factory=list)  # new, and no fact covers them
    review: list[NewStatement] = field(default_factory=list)  # new, and a fact still quotes them
    sections_added: list[Section] = field(default_factory=list)
    sections_removed: list[Section] = field(default_factory=list)
    sections_retitled: list[tuple[Section, Section]] = field(default_factory=list)  # same number, new title
    sections_renumbered: list[tuple[Section, Section]] = field(default_factory=list)  # same title, new number
    moved: list[MovedQuote] = field(default_factory=list)
    names_changed: list[NameChange] = field(default_factory=list)
    # quantities (knowledge.build.quantities) NEW's statements state that OLD's did not, and the reverse,
    # each with the sections it stands in: tests/conversation/test_coverage.py asks for every one
    quantities_added: list[Placed] = field(default_factory=list)
    quantities_removed: list[Placed] = field(default_factory=list)
    old_label: str = "OLD"
    new_label: str = "NEW"

    @property
    def ok(self) -> bool:
        """Every quote still holds (new statements alone do not make a report fail)."""
        return not self.broken

    @property
    def facts(self) -> list[str]:
        """The facts to update, "owner.attribute", in the order of the report."""
        return list(dict.fromkeys(b.fact for b in self.broken))

    def text(self) -> str:
        return render_text(self)

    def markdown(self) -> str:
        return render_markdown(self)

    def html(self) -> str:
        return render_html(self)


# -- the documents -------------------------------------------------------------------------------


class _Document:
    """A version of the document: its lines, its text with whitespace runs collapsed (as quotes are
    compared), where each line starts in that text, its sections and its statements."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines()
        self.collapsed = [collapse_whitespace(line) for line in self.lines]
        self.starts: list[int] = []  # offset in `flat` of each non-empty line
        self.line_index: list[int] = []  # its 0-based line number
        self.offset_of_line: dict[int, int] = {}
        position = 0
        for number, line in enumerate(self.collapsed):
            if not line:
                continue
            if self.starts:
                position += 1
            self.starts.append(position)
            self.line_index.append(number)
            self.offset_of_line[number] = position
            position += len(line)
        self.flat = " ".join(line for line in self.collapsed if line)
        self.sections, self.key_of_line = _sections(self.lines)
        self.by_key = {s.key: s for s in self.sections}
        self.statements = stmod.split(text)

    def line_at(self, offset: int) -> int:
        """The 0-based line that holds a character of `flat`."""
        return self.line_index[max(bisect_right(self.starts, offset) - 1, 0)]

    def section_at(self, offset: int) -> Section:
        return self.by_key[self.key_of_line[self.line_at(offset)]]

    def occurrences(self, quote: str) -> list[int]:
        found, start = [], self.flat.find(quote)
        while start >= 0:
            found.append(start)
            start = self.flat.find(quote, start + 1)
        return found

    def join(self, first: int, last: int) -> tuple[str, int]:
        """Lines first..last-1 as in `flat`, and where that text starts in `flat`."""
        numbers = [n for n in range(first, last) if self.collapsed[n]]
        if not numbers:
            following = next((n for n in range(last, len(self.lines)) if self.collapsed[n]), None)
            return "", self.offset_of_line[following] if following is not None else len(self.flat)
        return " ".join(self.collapsed[n] for n in numbers), self.offset_of_line[numbers[0]]


def _sections(lines: list[str]) -> tuple[list[Section], list[str]]:
    """The document's sections as knowledge/statements.py reads them, and the section key of every
    line (a heading line belongs to the section it opens). statements.py keeps its reader private;
    it is used here, read-only, so that both always agree on what a section is."""
    raw = stmod._sections(lines)
    keys: list[str | None] = [None] * len(lines)
    for section in raw:
        for number, _ in section.lines:
            keys[number - 1] = section.key
    following: str | None = None
    for i in range(len(keys) - 1, -1, -1):  # headings: the section below them
        if keys[i] is None:
            keys[i] = following
        following = keys[i]
    last = raw[-1].key if raw else ""
    return [Section(s.id, s.key, s.title) for s in raw], [k if k is not None else last for k in keys]


# -- what quotes the document --------------------------------------------------------------------


@dataclass(frozen=True)
class QuotingItem:
    """A fact, rule or chapter with the document text it quotes."""
    owner: str
    attribute: str
    section: str
    quotes: tuple[str, ...]
    source: str

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.attribute}"


def quoting_items(base: KnowledgeBase) -> list[QuotingItem]:
    """Everything in the knowledge base that quotes the document: what `missing_quotes` checks."""
    items = []
    for fact in base.all_facts():
        if fact.owner in base.services:
            source = "services.yml"
        elif fact.owner.startswith("rule:"):
            source = "routing.yml"
        else:
            source = "concepts.yml"
        items.append(QuotingItem(fact.owner, fact.attribute, fact.section, fact.quotes, source))
    for chapter in base.chapters:  # the course map's titles and summaries are checked as written
        items.append(QuotingItem("course", f"chapter {chapter.id}", base.course_fact.section,
                           (chapter.title, chapter.summary), "concepts.yml"))
    return items


# -- aligning an old quote with the new document -------------------------------------------------


@dataclass(frozen=True)
class _Found:
    text: str
    offset: int  # in the new document's `flat`
    similarity: float


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio() if a and b else 0.0


def _line_opcodes(old: _Document, new: _Document) -> Sequence[tuple[str, int, int, int, int]]:
    return SequenceMatcher(None, old.collapsed, new.collapsed, autojunk=False).get_opcodes()


def _carry(quote: str, start: int, old: _Document, new: _Document,
           opcodes: Sequence[tuple[str, int, int, int, int]]) -> _Found | None:
    """The new text that took the place of the quote at `start` in OLD: the changed lines around it
    compared character by character, the quote's span carried across."""
    end = start + len(quote)
    first, last = old.line_at(start), old.line_at(end - 1)
    touched = []
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal" and i1 <= last and i2 > first:  # only the quote's own unchanged lines
            lo, hi = max(i1, first), min(i2, last + 1)
            touched.append((lo, hi, j1 + lo - i1, j1 + hi - i1))
        elif tag != "equal" and ((i1 <= last and i2 > first) or (i1 == i2 and first < i1 <= last)):
            touched.append((i1, i2, j1, j2))
    if not touched:
        return None
    i1, i2 = min(op[0] for op in touched), max(op[1] for op in touched)
    j1, j2 = min(op[2] for op in touched), max(op[3] for op in touched)
    old_text, old_base = old.join(i1, i2)
    new_text, new_base = new.join(j1, j2)
    if not new_text or len(old_text) * len(new_text) > _MAX_CHAR_DIFF:
        return None
    chars = SequenceMatcher(None, old_text, new_text, autojunk=False).get_opcodes()
    a, b = start - old_base, end - old_base
    new_start = next((j1_ + (a - i1_) if tag == "equal" else j1_
                      for tag, i1_, i2_, j1_, _ in chars if i1_ <= a < i2_), len(new_text))
    new_end = next((j1_ + (b - i1_) if tag == "equal" else (j2_ if tag == "replace" else j1_)
                    for tag, i1_, i2_, j1_, j2_ in chars if i1_ < b <= i2_), new_start)
    window = new_text[new_start:new_end]
    stripped = window.strip()
    if not stripped:
        return None
    offset = new_base + new_start + (len(window) - len(window.lstrip()))
    return _Found(stripped, offset, _ratio(quote, stripped))


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


class _Nearest:
    """The new document's text nearest to a quote by similarity, anywhere: runs of 1–3 consecutive
    lines, filtered by shared character bigrams, the best window in each by difflib."""

    def __init__(self, new: _Document):
        self.new = new
        self.lines = [n for n, line in enumerate(new.collapsed) if line]
        self.runs: dict[int, list[tuple[str, int, set[str]]]] = {}

    def _runs(self, size: int) -> list[tuple[str, int, set[str]]]:
        if size not in self.runs:
            runs = []
            for i in range(len(self.lines) - size + 1):
                numbers = self.lines[i:i + size]
                text = " ".join(self.new.collapsed[n] for n in numbers)
                runs.append((text, self.new.offset_of_line[numbers[0]], _bigrams(text)))
            self.runs[size] = runs
        return self.runs[size]

    def find(self, quote: str, size: int, section: str) -> _Found | None:
        """The best window in the quote's own section (by its number) when it is close enough, else
        the best anywhere when it is closer still. Candidates: the runs sharing most of the quote's
        character bigrams, in its section and in the whole document."""
        wanted = _bigrams(quote)
        scored = []
        for text, offset, grams in self._runs(max(1, min(size, 3))):
            shared = len(wanted & grams) / len(wanted) if wanted else 0.0
            if shared > 0:
                scored.append((shared, text, offset, self.new.section_at(offset).id == section))
        scored.sort(key=lambda s: -s[0])
        here = [s for s in scored if s[3]][:_CANDIDATES]
        best_here = _best(quote, here)
        if best_here is not None and best_here.similarity >= MIN_SIMILARITY:
            return best_here
        best = _best(quote, scored[:_CANDIDATES])
        return best if best is not None and best.similarity >= MIN_SIMILARITY_ELSEWHERE else None


def _best(quote: str, candidates: list[tuple[float, str, int, bool]]) -> _Found | None:
    found = [f for _, text, offset, _ in candidates if (f := _window(quote, text, offset)) is not None]
    return max(found, key=lambda f: f.similarity, default=None)


def _window(quote: str, text: str, offset: int) -> _Found | None:
    """The part of `text` that lines up with the quote: from its first to its last shared run of two
    or more characters, widened by the quote's unmatched ends."""
    blocks = [b for b in SequenceMatcher(None, quote, text, autojunk=False).get_matching_blocks() if b.size >= 2]
    if not blocks:
        return None
    start = max(blocks[0].b - blocks[0].a, 0)
    end = min(blocks[-1].b + blocks[-1].size + (len(quote) - blocks[-1].a - blocks[-1].size), len(text))
    window = text[start:end].strip()
    if not window:
        return None
    return _Found(window, offset + start + (len(text[start:end]) - len(text[start:end].lstrip())),
                  _ratio(quote, window))


# -- what changed between an old quote and its new text -----------------------------------------


def _spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def _widen(i1: int, i2: int, spans: list[tuple[int, int]], touching: bool) -> tuple[int, int]:
    """A changed range widened to the numbers or items it overlaps; an empty one to the number or item
    it falls inside (or touches, when only digits changed: "4天" → "14天")."""
    if i1 < i2:
        hit = [(s, e) for s, e in spans if s < i2 and e > i1]
    else:  # an insertion point: the number or item it falls inside ("全程可追踪" → "全程可在线追踪")
        hit = [(s, e) for s, e in spans if (s <= i1 <= e if touching else s < i1 < e)]
    if not hit:
        return i1, i2
    return min(i1, *(s for s, _ in hit)), max(i2, *(e for _, e in hit))


def changes(old: str, new: str) -> tuple[Change, ...]:
    """The numbers and list items that differ between two texts, as the document reads them (layout
    removed): "$0.48 → $0.52", "removed: 西班牙"."""
    o, n = stmod.plain(old), stmod.plain(new)
    ranges: list[list[int]] = []
    numbers_o, numbers_n = _spans(_NUMBER, o), _spans(_NUMBER, n)
    items_o, items_n = _spans(_SEGMENT, o), _spans(_SEGMENT, n)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, o, n, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        numeric = bool(re.search(r"\d", o[i1:i2] + n[j1:j2]))
        digits_only = bool(_NUMERIC.match(o[i1:i2] or n[j1:j2]))
        spans_o, spans_n = (numbers_o, numbers_n) if numeric else (items_o, items_n)
        a, b = _widen(i1, i2, spans_o, digits_only)
        c, d = _widen(j1, j2, spans_n, digits_only)
        if not numeric and max(b - a, d - c) > _LONG_ITEM:  # a word changed in a sentence: the word in context
            left, right = min(_CONTEXT, i1, j1), min(_CONTEXT, len(o) - i2, len(n) - j2)
            a, b, c, d = i1 - left, i2 + right, j1 - left, j2 + right
        for r in ranges:  # overlapping changes are one change
            if (a < r[1] and b > r[0]) or (c < r[3] and d > r[2]):
                r[:] = [min(a, r[0]), max(b, r[1]), min(c, r[2]), max(d, r[3])]
                break
        else:
            ranges.append([a, b, c, d])
    out = []
    for a, b, c, d in ranges:
        before, after = o[a:b].strip(_SEPARATORS), n[c:d].strip(_SEPARATORS)
        if not before and not after:  # punctuation alone changed
            before, after = o[a:b].strip() or o[a:b], n[c:d].strip() or n[c:d]
        if before != after:
            out.append(Change(before, after))
    return tuple(dict.fromkeys(out))


# -- the impact ----------------------------------------------------------------------------------


def impact(old_text: str, new_text: str, base: KnowledgeBase | None = None,
           old_label: str = "OLD", new_label: str = "NEW") -> Report:
    """What NEW does to the knowledge written for OLD. `base`: the knowledge base whose quotes are
    checked (default: the knowledge files, read against OLD without refusing a quote OLD lacks)."""
    if base is None:
        data = kbmod.read_data()
        base = KnowledgeBase(old_text, data["services.yml"], data["concepts.yml"], data["vocabulary.yml"],
                             data["routing.yml"])
    old, new = _Document(old_text), _Document(new_text)
    report = Report(old_label=old_label, new_label=new_label)
    opcodes = _line_opcodes(old, new)
    nearest = _Nearest(new)
    items = quoting_items(base)
    aligned: dict[tuple[str, str], _Found | None] = {}  # a quote shared by several facts is aligned once
    order: list[tuple[int, int, BrokenQuote]] = []
    for item in items:
        for quote in dict.fromkeys(item.quotes):
            text = collapse_whitespace(quote)
            if not text:
                continue
            starts = old.occurrences(text)
            if new.flat.find(text) >= 0:
                moved = _moved(item, quote, text, starts, old, new)
                if moved:
                    report.moved.append(moved)
                continue
            # where it stood in OLD: preferably in the section the fact cites
            start = next((s for s in starts if old.section_at(s).id == item.section), starts[0] if starts else -1)
            section = old.section_at(start) if start >= 0 else None
            key = (text, section.key if section else "")
            if key not in aligned:
                found = _carry(text, start, old, new, opcodes) if start >= 0 else None
                if found is None or found.similarity < MIN_SIMILARITY:
                    size = old.line_at(start + len(text) - 1) - old.line_at(start) + 1 if start >= 0 else 1
                    found = nearest.find(text, size, section.id if section else item.section)
                aligned[key] = found
            found = aligned[key]
            new_section = new.section_at(found.offset) if found else None
            broken = BrokenQuote(
                owner=item.owner, attribute=item.attribute, source=item.source, fact_section=item.section,
                section=section.id if section else "", title=section.title if section else "",
                old=quote, new=found.text if found else "",
                new_section=new_section.id if new_section else "", new_title=new_section.title if new_section else "",
                similarity=round(found.similarity, 3) if found else 0.0,
                changes=changes(quote, found.text) if found else (),
                status="not in OLD" if start < 0 else ("changed" if found else "removed"),
                old_line=old.line_at(start) + 1 if start >= 0 else 0,
                new_line=new.line_at(found.offset) + 1 if found else 0,
                new_last_line=new.line_at(found.offset + len(found.text) - 1) + 1 if found else 0,
                section_removed=section is not None and section.key not in new.by_key,
            )
            order.append((broken.old_line or 10**9, len(order), broken))
    report.broken = [b for _, _, b in sorted(order, key=lambda x: (x[0], x[1]))]
    _statements(report, base, old, new)
    _section_changes(report, old, new)
    report.names_changed = _names(base, old.text, new.text)
    report.quantities_added, report.quantities_removed = _quantities(old, new)
    return report


def _quantities(old: _Document, new: _Document) -> tuple[list[Placed], list[Placed]]:
    from knowledge.build import quantities  # spaCy's Matcher, loaded on first use

    def where(document: _Document) -> dict[str, tuple[str, ...]]:
        found: dict[str, dict[str, None]] = {}
        for statement in document.statements:
            for quantity in quantities(statement.text):
                found.setdefault(quantity, {})[statement.section] = None
        return {q: tuple(sections) for q, sections in found.items()}

    before, after = where(old), where(new)
    return ([(q, after[q]) for q in sorted(set(after) - set(before))],
            [(q, before[q]) for q in sorted(set(before) - set(after))])


def _moved(item: QuotingItem, quote: str, text: str, starts: list[int], old: _Document,
           new: _Document) -> MovedQuote | None:
    if not starts:
        return None
    before = tuple(dict.fromkeys(old.section_at(s).id for s in starts))
    after = tuple(dict.fromkeys(new.section_at(s).id for s in new.occurrences(text)))
    if set(before) & set(after):
        return None
    return MovedQuote(item.name, item.source, quote, item.section, before, after)


def _statements(report: Report, base: KnowledgeBase, old: _Document, new: _Document) -> None:
    """NEW's statements whose text OLD did not have: covered by no fact, or still quoted by one."""
    known = {collapse_whitespace(s.text) for s in old.statements}
    facts = base.all_facts()
    spans = [(b.new_line, b.new_last_line, b.fact) for b in report.broken if b.new_line]
    broken = set(report.facts)
    for statement in new.statements:
        if collapse_whitespace(statement.text) in known:
            continue
        covering = [f"{f.owner}.{f.attribute}" for f in facts if base.fact_quotes(f, statement)]
        replaces = tuple(dict.fromkeys(name for first, last, name in spans if first <= statement.line <= last))
        if not covering:
            report.new_statements.append(_new_statement(statement, (), replaces))
            continue
        # facts already listed as broken are updated anyway; the others quote text that still holds
        holding = tuple(dict.fromkeys(name for name in covering if name not in broken))
        if holding:
            report.review.append(_new_statement(statement, holding, replaces))


def _new_statement(statement: Statement, facts: tuple[str, ...], replaces: tuple[str, ...]) -> NewStatement:
    return NewStatement(statement.section, statement.title, statement.heading, statement.text, statement.kind,
                        statement.line, facts, replaces)


def _section_changes(report: Report, old: _Document, new: _Document) -> None:
    old_keys, new_keys = old.by_key, new.by_key
    report.sections_removed = [s for s in old.sections if s.key not in new_keys]
    report.sections_added = [s for s in new.sections if s.key not in old_keys]
    report.sections_retitled = [(s, new_keys[s.key]) for s in old.sections
                                if s.key in new_keys and new_keys[s.key].title != s.title]
    new_titles: dict[str, list[Section]] = {}
    for section in new.sections:
        new_titles.setdefault(section.title, []).append(section)
    report.sections_renumbered = [
        (s, moved) for s in old.sections
        if not (s.key in new_keys and new_keys[s.key].title == s.title)
        for moved in new_titles.get(s.title, [])[:1]]


def _names(base: KnowledgeBase, old_text: str, new_text: str) -> list[NameChange]:
    before = {n.short: n for n in stmod.names(old_text)}
    after = {n.short: n for n in stmod.names(new_text)}
    out = []
    for short in dict.fromkeys([*before, *after]):
        o, n = before.get(short), after.get(short)
        if o is not None and n is not None and (o.chinese, o.english) == (n.chinese, n.english):
            continue
        named = o or n
        service = base.service(short) or (base.service(named.chinese) if named else None)
        out.append(NameChange(short, service.id if service else "", o, n))
    return out


# -- rendering -----------------------------------------------------------------------------------


def _summary(report: Report) -> str:
    parts = [f"{len(report.broken)} quote(s) no longer in {report.new_label} ({len(report.facts)} fact(s))",
             f"{len(report.new_statements)} new statement(s) no fact covers",
             f"{len(report.review)} changed statement(s) still quoted",
             f"sections: {len(report.sections_added)} added, {len(report.sections_removed)} removed"]
    return "; ".join(parts)


def _sections_changed(report: Report) -> bool:
    return bool(report.sections_added or report.sections_removed or report.sections_retitled
                or report.sections_renumbered)


def _verdict(report: Report) -> str:
    if report.ok:
        return f"exit 0: every quote still holds in {report.new_label}."
    return (f"exit 1: {len(report.broken)} quote(s) of {len(report.facts)} fact(s) are no longer in "
            f"{report.new_label}; update them, then run make kb.")


def _where(b: BrokenQuote) -> str:
    cited = "" if b.fact_section == b.section else f", cites {b.fact_section}"
    stood = f"stood in {b.section} {b.title}" if b.section else "not in the old document either"
    return f"{b.source}{cited}; {stood}" + (" (section removed)" if b.section_removed else "")


def _moved_by_fact(report: Report) -> list[tuple[MovedQuote, int]]:
    """The moved quotes one line per fact and move: the first quote, and how many moved alike."""
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[MovedQuote]] = {}
    for m in report.moved:
        groups.setdefault((m.fact, m.old_sections, m.new_sections), []).append(m)
    return [(quotes[0], len(quotes)) for quotes in groups.values()]


def _moved_line(m: MovedQuote, count: int) -> str:
    more = f" (and {count - 1} more quote(s))" if count > 1 else ""
    moved = f"{', '.join(m.old_sections)} → {', '.join(m.new_sections)}"
    return f"{m.fact} ({m.source}, cites {m.fact_section}): {moved}: {m.quote}{more}"


def _name(n: Name | None) -> str:
    if n is None:
        return "—"
    return f"{n.chinese}" + (f" / {n.english}" if n.english and n.english != n.short else "") + f" ({n.section})"


def render_text(report: Report) -> str:
    out = [f"Knowledge impact: {report.old_label} → {report.new_label}", _summary(report), ""]
    if report.broken:
        out.append("QUOTES NO LONGER IN THE DOCUMENT — update these facts")
        for b in report.broken:
            out.append(f"  {b.fact}  [{b.status}]  {_where(b)}")
            out.append(f"    old ({b.section or '-'}, line {b.old_line or '-'}): {b.old}")
            if b.new:
                out.append(f"    new ({b.new_section}, line {b.new_line}, similarity {b.similarity:.2f}): {b.new}")
            else:
                out.append("    new: (no close text in the new document)")
            if b.changes:
                out.append("    changed: " + "; ".join(map(str, b.changes)))
        out.append("")
    if report.new_statements:
        out.append("NEW STATEMENTS NO FACT COVERS — sellers get them as written; curate a fact if needed")
        for s in report.new_statements:
            note = f"  (new text of {', '.join(s.replaces)})" if s.replaces else ""
            out.append(f"  {s.section} line {s.line} [{s.kind}] {s.text}{note}")
        out.append("")
    if report.review:
        out.append("CHANGED STATEMENTS STILL QUOTED — the quotes hold; re-read these facts' answers")
        for s in report.review:
            out.append(f"  {s.section} line {s.line} [{', '.join(s.facts)}] {s.text}")
        out.append("")
    if _sections_changed(report):
        out.append("SECTIONS")
        out += [f"  added: {s.label}" for s in report.sections_added]
        out += [f"  removed: {s.label}" for s in report.sections_removed]
        out += [f"  retitled: {o.label} → {n.title}" for o, n in report.sections_retitled]
        out += [f"  renumbered: {o.label} → {n.id}" for o, n in report.sections_renumbered]
        out.append("")
    if report.moved:
        out.append("QUOTES NOW IN OTHER SECTIONS — check the facts' sections (citations)")
        out += [f"  {_moved_line(m, count)}" for m, count in _moved_by_fact(report)]
        out.append("")
    if report.quantities_added or report.quantities_removed:
        out.append("QUANTITIES — tests/conversation/test_coverage.py asks for each quantity the document states")
        out += [f"  added: {q} ({', '.join(where)})" for q, where in report.quantities_added]
        out += [f"  removed: {q} ({', '.join(where)})" for q, where in report.quantities_removed]
        out.append("")
    if report.names_changed:
        out.append("NAMES (what abbreviations stand for) — check the service's name and aliases")
        for c in report.names_changed:
            out.append(f"  {c.short}{' [' + c.service + ']' if c.service else ''}: {_name(c.old)} → {_name(c.new)}")
        out.append("")
    out.append(_verdict(report))
    return "\n".join(out) + "\n"


def _code(text: str) -> str:
    """Verbatim text in a Markdown table cell: a code span, pipes escaped (GFM)."""
    if not text:
        return "—"
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _cell(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text)


def render_markdown(report: Report) -> str:
    out = [f"# Knowledge impact: {_cell(report.old_label)} → {_cell(report.new_label)}", "",
           _cell(_summary(report)) + ".", "", f"**{_cell(_verdict(report))}**", ""]
    if report.broken:
        out += ["## Quotes no longer in the document", "",
                "| fact | file | section | old quote | closest new text | changed |",
                "|---|---|---|---|---|---|"]
        for b in report.broken:
            section = (b.section or "—") + (" (removed)" if b.section_removed else "")
            if b.fact_section != b.section:
                section += f", cites {b.fact_section}"
            new = _code(b.new) + (f" ({b.new_section}, {b.similarity:.2f})" if b.new else "")
            out.append(f"| `{b.fact}` {b.status} | {b.source} | {_cell(section)} | {_code(b.old)} | {new} | "
                       f"{'; '.join(_code(str(c)) for c in b.changes) or '—'} |")
        out.append("")
    if report.new_statements:
        out += ["## New statements no fact covers", "", "| section | line | kind | statement |", "|---|---|---|---|"]
        for s in report.new_statements:
            note = f" (new text of {', '.join(s.replaces)})" if s.replaces else ""
            out.append(f"| {_cell(s.section)} | {s.line} | {s.kind} | {_code(s.text)}{_cell(note)} |")
        out.append("")
    if report.review:
        out += ["## Changed statements still quoted", "", "| section | line | facts | statement |", "|---|---|---|---|"]
        for s in report.review:
            out.append(f"| {_cell(s.section)} | {s.line} | {', '.join(s.facts)} | {_code(s.text)} |")
        out.append("")
    if _sections_changed(report):
        out += ["## Sections", ""]
        out += [f"- added: {_cell(s.label)}" for s in report.sections_added]
        out += [f"- removed: {_cell(s.label)}" for s in report.sections_removed]
        out += [f"- retitled: {_cell(o.label)} → {_cell(n.title)}" for o, n in report.sections_retitled]
        out += [f"- renumbered: {_cell(o.label)} → {_cell(n.id)}" for o, n in report.sections_renumbered]
        out.append("")
    if report.moved:
        out += ["## Quotes now in other sections", ""]
        out += [f"- {_cell(_moved_line(m, count))}" for m, count in _moved_by_fact(report)]
        out.append("")
    if report.quantities_added or report.quantities_removed:
        out += ["## Quantities", "", "`tests/conversation/test_coverage.py` asks for each quantity the document states.", ""]
        out += [f"- added: {_code(q)} ({', '.join(where)})" for q, where in report.quantities_added]
        out += [f"- removed: {_code(q)} ({', '.join(where)})" for q, where in report.quantities_removed]
        out.append("")
    if report.names_changed:
        out += ["## Names", ""]
        out += [f"- {_cell(c.short)}{' (' + c.service + ')' if c.service else ''}: {_cell(_name(c.old))} → "
                f"{_cell(_name(c.new))}" for c in report.names_changed]
        out.append("")
    return "\n".join(out)


def _marked(a: str, b: str) -> tuple[str, str]:
    """Both texts escaped, what differs marked: <del> in the old, <ins> in the new."""
    old, new = [], []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        x, y = html.escape(a[i1:i2]), html.escape(b[j1:j2])
        if tag == "equal":
            old.append(x)
            new.append(y)
        else:
            old.append(f"<del>{x}</del>" if x else "")
            new.append(f"<ins>{y}</ins>" if y else "")
    return "".join(old), "".join(new)


_CSS = """
body{font:14px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.4em .6em;vertical-align:top;text-align:left}
th{background:#f3f3f3}del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}
.verdict{font-weight:bold}.fail{color:#a00}.ok{color:#070}.meta{color:#666;font-size:.9em}
code{font-family:inherit;white-space:pre-wrap}
"""


def render_html(report: Report) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
           f"<title>Knowledge impact: {e(report.old_label)} → {e(report.new_label)}</title>",
           f"<style>{_CSS}</style></head><body>",
           f"<h1>Knowledge impact: {e(report.old_label)} → {e(report.new_label)}</h1>",
           f"<p>{e(_summary(report))}.</p>",
           f'<p class="verdict {"ok" if report.ok else "fail"}">{e(_verdict(report))}</p>']
    if report.broken:
        out += ["<h2>Quotes no longer in the document</h2>",
                "<table><tr><th>fact</th><th>old quote</th><th>closest new text</th><th>changed</th></tr>"]
        for b in report.broken:
            old, new = _marked(b.old, b.new) if b.new else (e(b.old), "<em>no close text</em>")
            out.append(
                f"<tr><td><code>{e(b.fact)}</code><br><span class=\"meta\">{e(b.status)} · {e(_where(b))}</span></td>"
                f"<td><code>{old}</code><br><span class=\"meta\">{e(b.section or '—')}, line {b.old_line or '—'}"
                f"</span></td><td><code>{new}</code>"
                + (f"<br><span class=\"meta\">{e(b.new_section)}, line {b.new_line}, similarity "
                   f"{b.similarity:.2f}</span>" if b.new else "")
                + f"</td><td>{'<br>'.join(e(str(c)) for c in b.changes) or '—'}</td></tr>")
        out.append("</table>")
    if report.new_statements:
        out += ["<h2>New statements no fact covers</h2>",
                "<table><tr><th>section</th><th>line</th><th>kind</th><th>statement</th></tr>"]
        for s in report.new_statements:
            note = f'<br><span class="meta">new text of {e(", ".join(s.replaces))}</span>' if s.replaces else ""
            out.append(f"<tr><td>{e(s.section)}</td><td>{s.line}</td><td>{e(s.kind)}</td>"
                       f"<td>{e(s.text)}{note}</td></tr>")
        out.append("</table>")
    if report.review:
        out += ["<h2>Changed statements still quoted</h2>",
                "<table><tr><th>section</th><th>line</th><th>facts</th><th>statement</th></tr>"]
        out += [f"<tr><td>{e(s.section)}</td><td>{s.line}</td><td>{e(', '.join(s.facts))}</td><td>{e(s.text)}</td></tr>"
                for s in report.review]
        out.append("</table>")
    if _sections_changed(report):
        out.append("<h2>Sections</h2><ul>")
        out += [f"<li>added: {e(s.label)}</li>" for s in report.sections_added]
        out += [f"<li>removed: {e(s.label)}</li>" for s in report.sections_removed]
        out += [f"<li>retitled: {e(o.label)} → {e(n.title)}</li>" for o, n in report.sections_retitled]
        out += [f"<li>renumbered: {e(o.label)} → {e(n.id)}</li>" for o, n in report.sections_renumbered]
        out.append("</ul>")
    if report.moved:
        out.append("<h2>Quotes now in other sections</h2><ul>")
        out += [f"<li>{e(_moved_line(m, count))}</li>" for m, count in _moved_by_fact(report)]
        out.append("</ul>")
    if report.quantities_added or report.quantities_removed:
        out.append("<h2>Quantities</h2><p>tests/conversation/test_coverage.py asks for each quantity the document "
                   "states.</p><ul>")
        out += [f"<li>added: {e(q)} ({e(', '.join(where))})</li>" for q, where in report.quantities_added]
        out += [f"<li>removed: {e(q)} ({e(', '.join(where))})</li>" for q, where in report.quantities_removed]
        out.append("</ul>")
    if report.names_changed:
        out.append("<h2>Names</h2><ul>")
        out += [f"<li>{e(c.short)}{' (' + e(c.service) + ')' if c.service else ''}: {e(_name(c.old))} → "
                f"{e(_name(c.new))}</li>" for c in report.names_changed]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# -- the command line ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m knowledge.diff",
        description="What a new version of the source document does to the knowledge. Exit status: 0 when "
                    "every quote still holds in NEW, 1 while any quote is no longer in NEW, 2 on bad input.")
    parser.add_argument("old", type=Path, help="the version the knowledge was written for")
    parser.add_argument("new", type=Path, help="the new version")
    parser.add_argument("--markdown", type=Path, metavar="OUT.md", help="also write the report as Markdown")
    parser.add_argument("--html", type=Path, metavar="OUT.html", help="also write a self-contained HTML page")
    args = parser.parse_args(argv)
    try:
        old_text, new_text = (p.read_text(encoding="utf-8") for p in (args.old, args.new))
        report = impact(old_text, new_text, old_label=str(args.old), new_label=str(args.new))
    except (OSError, UnicodeDecodeError, ValueError) as error:  # statements.py: "document layout changed"
        print(f"knowledge.diff: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(report.text())
    for path, content in ((args.markdown, report.markdown), (args.html, report.html)):
        if path is not None:
            path.write_text(content(), encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
