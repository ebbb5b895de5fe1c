"""Every statement of a source document as an answerable unit: a sentence, a list item, a figure's
caption line, a table cell with its row and column labels, a footnote, a chapter of the course map or
a line of the table of contents, each with its section, the heading it stands under and the footnote
it points to.

Statements are the document's own text with layout removed (bold markers, HTML tags, link syntax,
footnote stars): every number in one is the document's number, so an answer made of statements is a
quote by construction. The curated facts (services.yml, concepts.yml) answer what they cover better;
statements answer everything else the document says.

    statements = split(document)
    statements[42].section, statements[42].heading, statements[42].text
      -> "1.5.1", "提供世界领先的亚马逊物流基础设施", "400+运营中心"
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# "1.3.2 Amazon SEND (亚马逊跨境承运伙伴方案)"; "1.3 从工厂供应商到目的国：头程物流" in the overview too.
_HEADING = re.compile(r"^(1(?:\.\d){1,2})\s+(\S.*)$")
_CHAPTER = re.compile(r"^3\.\d$")
_TOC_LINE = re.compile(r"^(.+?)\t+(\d+)$")
_LIST_MARK = re.compile(r"^\s*(?:[-•➤]\s*)+(?:★\s*)?")
_NUMBERED = re.compile(r"^\d\.\s+")
_FOOTNOTE = re.compile(r"^(\*{1,2})\s*(.+)$")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])")
_DIGIT = re.compile(r"\d")
# A line this short, without a sentence's end, stands over what follows it.
_HEADING_MAX_CHARS = 24
_MAX_STATEMENT_CHARS = 220

PREFACE_MAP, PREFACE_TOC, PREFACE_OVERVIEW = "课程路径图", "目录", "卖家百科划重点"
FURTHER_COURSES = "延伸学习课程"
# The headings after the last section that start parts of their own.
CLOSING = {PREFACE_MAP: PREFACE_MAP, FURTHER_COURSES: FURTHER_COURSES}


@dataclass(frozen=True)
class Statement:
    id: str  # "1.5.1#12"
    section: str  # "1.5.1"; "1.3" for the overview's short definitions; "课程路径图", "目录"
    title: str  # the section's title
    heading: str  # the nearest heading above it ("" when none)
    text: str
    kind: str  # sentence | question | item | link | caption | cell | note | chapter | toc
    group: str  # the list, table or caption set it belongs to (siblings share it)
    line: int  # 1-based line in the document
    note: str = ""  # the footnote its star points to
    parent: str = ""  # the heading above `heading`, when one heads several


@dataclass
class _Section:
    id: str
    title: str
    lines: list[tuple[int, str]] = field(default_factory=list)
    key: str = ""  # unique among sections: the overview's "1.3" is not the body's

    def __post_init__(self):
        self.key = self.key or self.id


def clean(text: str) -> str:
    """The document's text without layout: bold markers, HTML tags, link syntax, escapes."""
    text = re.sub(r"\[([^\]]*)\]\(#\)", r"\1", text)
    text = text.replace("\\(", "(").replace("\\)", ")").replace("\\$", "$")
    text = re.sub(r"<p>(.*?)</p>\s*<ul[^>]*>\s*(.*)$", r"\1（\2）", text.strip())  # FIST's pain points
    text = re.sub(r"</?[a-z]+[^>]*>", " ", text)
    text = re.sub(r"\*\*([^*]+?)\*\*", r"\1", text)  # bold; what stars are left point to footnotes
    return re.sub(r"[ \u3000]+", " ", text).strip()


def plain(text: str) -> str:
    """Document text as statements show it: without layout and footnote stars."""
    return _unstarred(clean(text))[0]


def _unstarred(text: str) -> tuple[str, int]:
    """Text without footnote stars, and how many stars its last reference had (0: none)."""
    stars = max((len(m) for m in re.findall(r"(?<=[^\s\d])\*{1,2}", text)), default=0)
    return re.sub(r"(?<=[^\s\d])\*{1,2}", "", text).strip(), stars


def split(document: str) -> list[Statement]:
    lines = document.splitlines()
    out: list[Statement] = []
    for section in _sections(lines):
        if section.id == PREFACE_MAP:
            out += _course_map(section)
        elif section.id == PREFACE_TOC:
            out += _toc(section)
        else:
            out += _body(section)
    return out


# -- sections ------------------------------------------------------------------------------------


def _sections(lines: list[str]) -> list[_Section]:
    """The course map, the table of contents, the overview (its 1.x parts) and the body's sections."""
    toc_start = _nth_line(lines, lambda line: line == PREFACE_TOC, 1)
    overview_start = _nth_line(lines, lambda line: line == PREFACE_OVERVIEW, 1)
    body_start = _nth_line(lines, lambda line: line.startswith("1.1 跨境供应链介绍"), 3)
    sections = [_Section(PREFACE_MAP, "课程路径图及内容"), _Section(PREFACE_TOC, PREFACE_TOC),
                _Section(PREFACE_OVERVIEW, PREFACE_OVERVIEW)]
    for index, raw in enumerate(lines):
        line = raw.strip()
        heading = _HEADING.match(line) if index > overview_start else None
        if index > body_start and line in CLOSING:  # the chapter's end: the course map again, further courses
            sections.append(_Section(CLOSING[line], line, key=f"{CLOSING[line]}/end"))
            continue
        if heading:  # the overview's "1.3 从工厂供应商到目的国：头程物流" heads a short definition
            in_body = index >= body_start
            title = heading.group(2).strip() if in_body else f"{PREFACE_OVERVIEW} · {line}"
            key = heading.group(1) if in_body else f"{PREFACE_OVERVIEW}/{heading.group(1)}"
            sections.append(_Section(heading.group(1), title, key=key))
            continue
        current = sections[0] if index < toc_start else sections[1] if index < overview_start else sections[-1]
        current.lines.append((index + 1, raw.rstrip()))
    return sections


def _nth_line(lines: list[str], test, n: int) -> int:
    seen = 0
    for i, line in enumerate(lines):
        if test(line.strip()):
            seen += 1
            if seen == n:
                return i
    raise ValueError("document layout changed: a preface heading or the body's first heading is missing")


# -- the preface ---------------------------------------------------------------------------------


def _course_map(section: _Section) -> list[Statement]:
    texts = [(n, t.strip()) for n, t in section.lines if t.strip()]
    out = []
    for i, (number, text) in enumerate(texts):
        if _CHAPTER.match(text) and i + 2 < len(texts):
            title, summary = texts[i + 1][1], texts[i + 2][1]
            out.append(Statement(f"{PREFACE_MAP}#{text}", PREFACE_MAP, section.title, text,
                                 f"{text} {title}：{summary}", "chapter", PREFACE_MAP, number))
    return out


def _toc(section: _Section) -> list[Statement]:
    out: list[Statement] = []
    for number, text in section.lines:
        match = _TOC_LINE.match(text.strip())
        if match:
            out.append(Statement(f"{PREFACE_TOC}#{len(out) + 1}", PREFACE_TOC, PREFACE_TOC, match.group(1).strip(),
                                 f"{match.group(1).strip()}（第{match.group(2)}页）", "toc", PREFACE_TOC, number))
    return out


# -- the body ------------------------------------------------------------------------------------


def _blocks(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Runs of lines without a blank line between them."""
    blocks, current = [], []
    for number, text in lines:
        if text.strip():
            current.append((number, text))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _is_heading(text: str, before_list: bool = False) -> bool:
    """A line that stands over what follows it: short, without a sentence's end; longer when a list or
    table follows ("Amazon SEND (亚马逊跨境承运伙伴方案) 空运服务"); a numbered or bulleted title."""
    plain = clean(text)
    if "\t" in text or plain.startswith("*") or re.search(r"[。；;]$", plain):
        return False
    if plain.startswith(("•", "➤")) or _NUMBERED.match(plain) or plain.endswith(("：", ":")):
        return len(plain) <= 40  # "如果是亚马逊物流中心的库存，为亚马逊买家进行配送：" states the case below
    if _LIST_MARK.match(text):
        return False
    return len(plain) <= (40 if before_list else _HEADING_MAX_CHARS)


class _Builder:
    def __init__(self, section: _Section):
        self.section = section
        self.out: list[Statement] = []
        self.heading, self.parent = "", ""
        self.headings_in_a_row = 0
        self.groups = 0
        self.pending_notes: list[tuple[int, int]] = []  # (statement index, stars) awaiting a footnote

    def group(self) -> str:
        self.groups += 1
        return f"{self.section.key}/{self.groups}"

    def add(self, text: str, kind: str, group: str, line: int, heading: str | None = None) -> None:
        text = clean(text)
        if not re.search(r"[\w\u4e00-\u9fff]", _unstarred(text)[0]):
            return
        for piece in ([text] if kind == "note" else _pieces(text)):
            piece, stars = _unstarred(piece)
            piece_kind = "question" if kind == "sentence" and piece.endswith(("？", "?")) else kind
            self.out.append(Statement(f"{self.section.key}#{len(self.out) + 1}", self.section.id, self.section.title,
                                      self.heading if heading is None else heading, piece, piece_kind, group, line,
                                      parent=self.parent))
            if stars:
                self.pending_notes.append((len(self.out) - 1, stars))
        self.headings_in_a_row = 0

    def set_heading(self, text: str) -> None:
        numbered = bool(_NUMBERED.match(clean(text)))
        text = _unstarred(clean(text))[0].rstrip("：:")
        text = _NUMBERED.sub("", re.sub(r"^[★•➤]\s*", "", text))
        self.headings_in_a_row += 1
        if self.headings_in_a_row > 1:  # a heading right under another: that one heads the part
            self.parent = self.heading
        elif numbered:  # "2. 选择亚马逊多渠道分拨（MCD）…" after the first item's text: a sibling, not a child
            self.parent = ""
        self.heading = text

    def footnote(self, stars: int, text: str, line: int) -> None:
        """A footnote is a statement of its own, and the note of the statements whose star points to it."""
        note = _unstarred(clean(text))[0]
        if not note:
            return
        waiting = [(i, s) for i, s in self.pending_notes if s == stars]
        for i, _ in waiting:
            self.out[i] = _with_note(self.out[i], note)
        self.pending_notes = [(i, s) for i, s in self.pending_notes if s != stars]
        heading = self.out[waiting[-1][0]].heading if waiting else self.heading
        self.add(note, "note", self.group(), line, heading=heading)


def _with_note(statement: Statement, note: str) -> Statement:
    return Statement(statement.id, statement.section, statement.title, statement.heading, statement.text,
                     statement.kind, statement.group, statement.line, note, statement.parent)


def _pieces(text: str) -> list[str]:
    """A paragraph's sentences; a sentence too long to quote whole is split at its commas."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    merged: list[str] = []
    for sentence in sentences:  # "什么是跨境供应链？简单来说，…": the question leads its answer
        asks = sentence.endswith(("？", "?"))
        if merged and not asks and (merged[-1].endswith(("？", "?")) or len(merged[-1]) <= 6):
            merged[-1] += sentence
        else:
            merged.append(sentence)
    sentences = merged
    out = []
    for sentence in sentences:
        if len(sentence) <= _MAX_STATEMENT_CHARS:
            out.append(sentence)
            continue
        chunk = ""
        for clause in re.split(r"(?<=[，,])", sentence):
            if chunk and len(chunk) + len(clause) > _MAX_STATEMENT_CHARS:
                out.append(chunk)
                chunk = ""
            chunk += clause
        if chunk:
            out.append(chunk)
    return out


def _kind(block: list[tuple[int, str]]) -> str:
    texts = [t for _, t in block]
    if any("\t" in t for t in texts):
        return "table"
    if len(texts) == 1 and _FOOTNOTE.match(texts[0].strip()):
        return "footnote"
    if all(_LIST_MARK.match(t) and not t.strip().startswith(("•", "➤")) for t in texts):
        return "list"
    return "text"


def _body(section: _Section) -> list[Statement]:
    b = _Builder(section)
    blocks = _blocks(section.lines)
    kinds = [_kind(block) for block in blocks]
    for i, block in enumerate(blocks):
        texts = [t for _, t in block]
        first_line, kind = block[0][0], kinds[i]
        before_list = i + 1 < len(blocks) and kinds[i + 1] in ("list", "table")
        if kind == "table":
            _table(b, block)
        elif kind == "footnote":
            footnote = _FOOTNOTE.match(texts[0].strip())
            assert footnote is not None  # _kind() calls a block a footnote only when it matches
            b.footnote(len(footnote.group(1)), footnote.group(2), first_line)
        elif kind == "list":
            group = b.group()
            for number, text in block:
                b.add(_LIST_MARK.sub("", text), "link" if "](#)" in text else "item", group, number)
        elif all(_is_heading(t, before_list) for t in texts):  # "全程可视化" + "管理": one heading
            joined = "".join(t.strip() for t in texts)
            if _DIGIT.search(joined) and not _NUMBERED.match(joined) and _is_caption_run(blocks, i):
                kind = "chapter" if _CHAPTER.match(joined.split(" ")[0]) else "caption"  # the course map again
                b.add(joined, kind, _caption_group(b), first_line)
            else:
                b.set_heading(joined)
        else:
            for number, text in block:
                if text is texts[0] and len(texts) > 1 and _is_heading(text):  # "什么是头程物流？" over its answer
                    b.set_heading(text)
                    continue
                b.add(text, "sentence", b.group(), number)
            last = clean(texts[-1])
            if before_list and last.endswith(("：", ":")):  # "尤其适用于：" heads the list below
                b.set_heading(_SENTENCE_END.split(last.rstrip("：:"))[-1] or last)
    return b.out


def _is_caption_run(blocks, i: int) -> bool:
    """A figure's caption lines: short lines with a number, next to another such line."""
    def caption(j: int) -> bool:
        if not 0 <= j < len(blocks) or len(blocks[j]) != 1:
            return False
        text = blocks[j][0][1]
        return _is_heading(text) and bool(_DIGIT.search(text))
    return caption(i - 1) or caption(i + 1)


def _caption_group(b: _Builder) -> str:
    last = b.out[-1] if b.out else None
    if last is not None and last.kind == "caption" and last.heading == b.heading:
        return last.group
    return b.group()


def _table(b: _Builder, block: list[tuple[int, str]]) -> None:
    """Rows of cells: a row of "label value" cells, a header row over value rows, or key-value rows.
    A row of one cell titles the rows below it ("美国 (开船次日算起)" over the sea transit table)."""
    rows = [(n, [clean(c) for c in t.split("\t")]) for n, t in block]
    rows = [(n, cells) for n, cells in rows if any(c and c != "--" for c in cells)]
    group = b.group()
    header: list[str] = []
    title = ""
    for index, (number, cells) in enumerate(rows):
        filled = [c for c in cells if c]
        next_is_header = index + 1 < len(rows) and not rows[index + 1][1][0]
        if len(filled) >= 3 and all(_DIGIT.search(c) for c in filled):  # "中国至美国 最快4天 | 中国至英国 ..."
            for cell in filled:
                b.add(cell, "cell", group, number)
        elif len(filled) == 1:
            title = filled[0]
        elif len(filled) == 2 and next_is_header:  # "运输方式 | 美国 (开船次日算起)" over "| 西部 | 中部 | 东部"
            title = filled[1]
        elif not cells[0] and len(filled) >= 2:
            header = cells
        elif header and len(cells) == len(header) and all(cells[1:]):  # "普船 | 28-30天 | 34-50天 | 34-50天"
            parts = "，".join(f"{h}{c}" for h, c in zip(header[1:], cells[1:], strict=True))
            b.add(f"{title} {cells[0]}：{parts}".strip(), "cell", group, number)
        elif len(filled) == 2:  # "承运方 | 由亚马逊筛选的物流合作承运人"
            b.add(f"{filled[0]}：{filled[1]}", "cell", group, number, heading=title or None)
        else:
            b.add("，".join(filled), "cell", group, number)


# -- names: what an abbreviation stands for -------------------------------------------------------

@dataclass(frozen=True)
class Name:
    short: str  # "FIST", "FCL", "A to Z"
    chinese: str  # "FBA 入仓货件追踪智控系统"
    english: str  # "FBA Inbound Shipment Tracking" ("" when the document gives none)
    section: str  # where the document first gives the fullest form


_PAREN = re.compile(r"([^\s，。；：:,、(（）)*\[\]]+(?: [^\s，。；：:,、(（）)*\[\]]+)?)\s*[(（]\s*([A-Za-z][^()（）]*?)\s*[)）]")
# Words that lead into a name in running text ("可选择亚马逊合作承运人计划（PCP）").
_LEAD_INS = re.compile(r"^(?:\d\.\s*)?(?:请注意！|什么是|后续|卖家需|才可把商品从|能够将存放在|运送到|了解|可|亚马逊推出)*"
                       r"(?:选择|使用|通过)?\s*")
_ACRONYM = re.compile(r"^[A-Z][A-Za-z]{1,5}$")


def names(document: str) -> list[Name]:
    """Abbreviations and names from the document's parentheses: "海运整箱 (FCL)", "亚马逊 FBA 入仓货件追踪
    智控系统 (FIST, FBA Inbound Shipment Tracking)", "“购买配送”服务（Buy Shipping）". A Chinese name
    written several ways is the part all its occurrences share ("可使用亚马逊物流" and "亚马逊物流" → 亚马逊物流)."""
    seen: dict[str, list[tuple[str, str, str]]] = {}
    english_of: dict[str, tuple[str, str]] = {}
    for section in _sections(document.splitlines()):
        for _, raw in section.lines:
            for chinese, inside in _PAREN.findall(_LIST_MARK.sub("", clean(raw))):
                chinese = _chinese_name(chinese)
                if not chinese or not re.search(r"[\u4e00-\u9fff]", chinese):
                    continue
                short, _, english = (p.strip() for p in inside.partition(","))
                if _ACRONYM.match(short):
                    seen.setdefault(short, []).append((chinese, english, section.id))
                elif not re.search(r"\b[A-Z]{2,}\b", short):
                    # "亚马逊多渠道分拨 (Multi Channel Distribution)": an English name, no abbreviation
                    # ("Ship to AWD" is a title about AWD, not its name)
                    english_of.setdefault(chinese, (short, section.id))
    out = []
    for short, found in seen.items():
        chinese = _common_suffix([c for c, _, _ in found]) or found[0][0]
        english, where = next(((e, s) for _, e, s in found if e), ("", ""))
        if not english:
            english, where = english_of.get(chinese) or next(
                (v for c, v in english_of.items() if c.endswith(chinese) or chinese.endswith(c)), ("", ""))
        where = where or next((s for _, _, s in found if re.match(r"1\.", s)), found[0][2])
        out.append(Name(short, chinese, english, where))
    for chinese, (english, where) in english_of.items():
        if not any(chinese.endswith(n.chinese) or n.chinese.endswith(chinese) for n in out):
            out.append(Name(english, chinese, english, where))
    return out


def _chinese_name(text: str) -> str:
    quoted = re.search(r"[“\"]([^”\"]+)[”\"]", text)
    if quoted:
        return quoted.group(1)
    return _LEAD_INS.sub("", text).strip()


def _common_suffix(texts: list[str]) -> str:
    if len(texts) < 2:
        return ""
    shortest = min(texts, key=len)
    for size in range(len(shortest), 1, -1):
        tail = shortest[-size:]
        if all(t.endswith(tail) for t in texts):
            return tail.strip()
    return ""
