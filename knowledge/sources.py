"""The source documents: the course chapter and any further document beside it in knowledge/source/,
their checksums, and each further document read into sections, passages and statements.

The chapter (amazon_3_1_supply_chain.txt) keeps its own treatment (knowledge/statements.py and
passages.py know its layout). Every further document is read by its format and split generically:

    .md    Markdown: `#` headings, `-`/`*`/`1.` list items, `|` tables, paragraphs (soft wraps joined)
    .txt   lines: numbered headings ("2.1 提现手续费", "一、费用"), list items, tab-separated table rows
    .docx  python-docx: Title and Heading styles (or a numbered heading in an ordinary paragraph), list
           styles and numbered paragraphs, tables, in document order
    .pdf   pypdf's text, page by page, read as .txt is; a line wrapped by the layout is joined again

A heading starts a section, named by its number ("2.1") or, unnumbered, by its text. A statement's
`section` names the document and the section, "3.5 亚马逊跨境收款解决方案 · 2.1", so the reply's
citation (「来源：…」) says where it comes from; the document is named by its title or first heading,
with the chapter number its file name carries ("3.2_fba_inbound.md" whose title is 入仓指南 →
"3.2 入仓指南"). Statement ids start with the document's id (its file name without the extension).

Every file is listed with its SHA256 in SHA256SUMS: a document not listed, or changed since, is refused
until someone has read it and accepted it (`accept_command`), since sellers are told what it says.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.passages import Passage, _chunks
from knowledge.statements import Statement, _pieces, _unstarred, clean

SUMS = "SHA256SUMS"
FORMATS = (".txt", ".md", ".docx", ".pdf")

# "2.1 提现手续费", "3 开通步骤", "2.1. 费用"; "一、费用说明", "（二）到账时间"
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)+)\.?[ \t\u3000]+(\S.*)$|^(\d+)[ \t\u3000]+(\S.*)$")  # "1. …" is an item
# A heading marked as one may write its number as "1." or "1、" too.
_HEADING_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)(?:[.、]\s*|\s+)(\S.*)$")
# "第二章 …", "二、…", "（二）…": the section is named by its number as written ("第二章", "二", "（二）")
_CHINESE_NUMBERED = re.compile(r"^(第[一二三四五六七八九十]+[章节部分]|[一二三四五六七八九十]+(?=、)|[（(][一二三四五六七八九十]+[）)])"
                               r"、?\s*(\S.*)$")
_ITEM = re.compile(r"^\s*(?:[-•·●▪■◆➤*+]|\d+[.)、）]|[（(]\d+[)）])\s*(\S.*)$")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(\S.*)$")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_UNIT = re.compile(r"^(?:%|元|美元|天|个|件|年|月|日|周|小时|分钟|万|亿|倍|次|kg|KG|CBM)")
_CHAPTER_NUMBER = re.compile(r"^(\d+\.\d+)(?=[\s_\-.]|$)")
# A line or paragraph that ends a sentence (or leads into a list) is not continued on the next line.
_ENDS = ("。", "！", "？", "；", "!", "?", ";", "：", ":", "”", "」", "）", ")")
# A line this short without a sentence's end stands over what follows it (statements.py's measure).
_HEADING_MAX_CHARS = 24
_TITLE_MAX_CHARS = 40
_PAGE_NUMBER = re.compile(r"^\s*(?:第\s*)?\d+\s*(?:页|/\s*\d+)?\s*$|^\s*-\s*\d+\s*-\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


class SourceError(ValueError):
    """A source document that cannot be read."""


@dataclass(frozen=True)
class Document:
    id: str  # the file name without its extension: "3.5_payments"
    file: str  # "3.5_payments.md"
    title: str  # how citations name it: "3.5 亚马逊跨境收款解决方案"
    number: str  # the course chapter number it carries ("3.5"), "" when none
    statements: tuple[Statement, ...] = field(repr=False)
    passages: tuple[Passage, ...] = field(repr=False)


@dataclass
class _Block:
    kind: str  # heading | text | item | row
    text: str = ""
    line: int = 0
    number: str = ""  # a heading's number ("2.1")
    level: int = 0  # a Markdown or docx heading's level (1 is the top)
    cells: tuple[str, ...] = ()
    table: int = 0  # the rows of one table share it
    title: bool = False  # the document's title (a docx Title paragraph)


# -- files and checksums --------------------------------------------------------------------------


def files(source: Path) -> list[Path]:
    """Every source file (a document): the files of knowledge/source/ but SHA256SUMS and hidden ones."""
    return sorted(p for p in source.iterdir() if p.is_file() and p.name != SUMS and not p.name.startswith("."))


def recorded(source: Path) -> dict[str, str]:
    """file name → checksum, as `sha256sum` writes them (a path's directory is not part of the name)."""
    path = source / SUMS
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([0-9a-fA-F]{64}) [ *](.+)$", line.strip())
        if match and Path(match.group(2)).name != SUMS:
            out[Path(match.group(2)).name] = match.group(1).lower()
    return out


def checksum_problems(source: Path) -> list[str]:
    """Each document whose checksum SHA256SUMS lacks or disagrees with, each listed file that is gone,
    each file of a format that cannot be read."""
    sums = recorded(source)
    present = files(source)
    problems = []
    for path in present:
        if path.suffix.lower() not in FORMATS:
            problems.append(f"{path.name}: not a document format the knowledge base reads ({', '.join(FORMATS)})")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if path.name not in sums:
            problems.append(f"{path.name}: not listed in {SUMS} (a new document?)")
        elif sums[path.name] != digest:
            problems.append(f"{path.name}: changed since its checksum was accepted in {SUMS}")
    problems += [f"{name}: listed in {SUMS} but not there (removed?)"
                 for name in sorted(set(sums) - {p.name for p in present})]
    return problems


def accept_command(source: Path) -> str:
    """The command that accepts the documents as they are now (every document has an extension,
    SHA256SUMS none, so `*.*` lists the documents alone)."""
    root = Path(__file__).resolve().parents[1]
    try:
        shown = source.resolve().relative_to(root)
    except ValueError:
        shown = source.resolve()
    return f"(cd {shown} && sha256sum *.* > {SUMS})"


def checksum_error(source: Path, problems: list[str]) -> str:
    return (f"source documents not accepted ({source / SUMS}):\n  " + "\n  ".join(problems)
            + "\n  Review each new or changed document (sellers are told what it says), then accept them: "
            + accept_command(source))


# -- reading each format --------------------------------------------------------------------------


def read(path: Path) -> Document:
    """A further document, split into sections, passages and statements."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".md":
            blocks, hint = _markdown(path.read_text(encoding="utf-8-sig")), ""
        elif suffix == ".txt":
            blocks, hint = _plain(path.read_text(encoding="utf-8-sig").splitlines()), ""
        elif suffix == ".docx":
            blocks, hint = _docx(path)
        elif suffix == ".pdf":
            blocks, hint = _pdf(path)
        else:
            raise SourceError(f"{path.name}: not a document format the knowledge base reads ({', '.join(FORMATS)})")
    except SourceError:
        raise
    except Exception as error:  # a damaged file: each library has its own errors
        raise SourceError(f"{path.name}: cannot be read as {suffix}: {type(error).__name__}: {error}") from error
    return _document(path, blocks, hint)


def _markdown(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    paragraph: list[tuple[int, str]] = []
    tables = 0
    in_fence = False

    def flush() -> None:
        if paragraph:
            blocks.append(_Block("text", _joined(t for _, t in paragraph), paragraph[0][0]))
            paragraph.clear()

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if line.lstrip().startswith(("```", "~~~")):
            flush()
            in_fence = not in_fence
            continue
        stripped = re.sub(r"^\s*(?:>\s*)+", "", line) if not in_fence else line
        heading = _MD_HEADING.match(stripped) if not in_fence else None
        if not stripped.strip() or _MD_RULE.match(stripped) or "|" in stripped and _MD_TABLE_RULE.match(stripped):
            flush()
            continue
        if heading:
            flush()
            blocks.append(_heading(_inline(heading.group(2)), number, len(heading.group(1))))
        elif stripped.strip().startswith("|") and stripped.strip().endswith("|") and not in_fence:
            flush()
            if not blocks or blocks[-1].kind != "row":
                tables += 1
            cells = tuple(_inline(c) for c in stripped.strip().strip("|").split("|"))
            blocks.append(_Block("row", line=number, cells=cells, table=tables))
        elif (item := _MD_ITEM.match(stripped)) and not in_fence:
            flush()
            blocks.append(_Block("item", _inline(item.group(1)), number))
        elif blocks and blocks[-1].kind == "item" and not paragraph and raw[:1].isspace():
            blocks[-1].text = _joined([blocks[-1].text, _inline(stripped)])  # an item's continued line
        else:
            paragraph.append((number, _inline(stripped)))
    flush()
    return blocks


def _inline(text: str) -> str:
    """Markdown's inline markup removed: images, links, code, emphasis."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    return text.replace("\\*", "*").replace("\\_", "_").replace("\\#", "#").strip()


def _plain(lines: list[str], first_line: int = 1) -> list[_Block]:
    """Lines of text (a .txt, a PDF's extracted text): numbered headings, list items, tab-separated
    rows, paragraphs; a long line without a sentence's end is a line the layout wrapped."""
    blocks: list[_Block] = []
    tables = 0
    continues = False  # the last text block goes on on the next line
    for number, raw in enumerate(lines, start=first_line):
        line = _CONTROL.sub("", raw).replace("\u3000", " ").rstrip()
        text = line.strip()
        if not text:
            continues = False
            continue
        cells = [c.strip() for c in line.split("\t")]
        heading = _numbered_heading(text)
        item = _ITEM.match(text)
        if len([c for c in cells if c]) >= 2:
            if not blocks or blocks[-1].kind != "row":
                tables += 1
            blocks.append(_Block("row", line=number, cells=tuple(cells), table=tables))
            continues = False
            continue
        if heading is not None:
            heading.line = number
            blocks.append(heading)
            continues = False
            continue
        if continues and blocks and not item:
            blocks[-1].text = _joined([blocks[-1].text, text])
        elif item:
            blocks.append(_Block("item", item.group(1).strip(), number))
        else:
            blocks.append(_Block("text", text, number))
        last = blocks[-1].text
        continues = not last.endswith(_ENDS) and len(last) > _HEADING_MAX_CHARS
    return blocks


def _numbered_heading(text: str) -> _Block | None:
    """"2.1 提现手续费" or "一、费用说明" as a heading: short, without a sentence's end."""
    plain = text.strip()
    if len(plain) > _TITLE_MAX_CHARS or plain.endswith(("。", "；", ";", "，", ",", "！", "？", "!", "?")):
        return None
    numbered = _NUMBERED.match(plain)
    if numbered:
        number, text = (numbered.group(1), numbered.group(2)) if numbered.group(1) else numbered.group(3, 4)
        if not _UNIT.match(text):  # "5 元起" is a quantity, not section 5
            return _Block("heading", text.strip(), number=number)
    chinese = _CHINESE_NUMBERED.match(plain)
    if chinese:
        return _Block("heading", chinese.group(2).strip(), number=chinese.group(1).replace("(", "（").replace(")", "）"))
    return None


def _heading(text: str, line: int, level: int) -> _Block:
    """A heading marked as one (Markdown `#`, a docx Heading style), with its number when it has one."""
    numbered = _HEADING_NUMBER.match(text.strip())
    if numbered and not _UNIT.match(numbered.group(2)):
        return _Block("heading", numbered.group(2).strip(), line, number=numbered.group(1), level=level)
    chinese = _CHINESE_NUMBERED.match(text.strip())
    if chinese:
        number = chinese.group(1).replace("(", "（").replace(")", "）")
        return _Block("heading", chinese.group(2).strip(), line, number=number, level=level)
    return _Block("heading", text.strip(), line, level=level)


def _docx(path: Path) -> tuple[list[_Block], str]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    blocks: list[_Block] = []
    tables = 0
    for number, part in enumerate(document.iter_inner_content(), start=1):
        if isinstance(part, Table):
            tables += 1
            for row in part.rows:
                cells: list[str] = []
                seen = None
                for cell in row.cells:
                    if cell._tc is not seen:  # a merged cell is given once for each column it spans
                        cells.append(" ".join(cell.text.split()))
                    seen = cell._tc
                blocks.append(_Block("row", line=number, cells=tuple(cells), table=tables))
            continue
        assert isinstance(part, Paragraph)
        text = " ".join(part.text.split())
        if not text:
            continue
        style = (part.style.name if part.style is not None else "") or ""
        lowered = style.lower()
        properties = part._p.pPr
        listed = properties is not None and properties.numPr is not None
        level = re.search(r"(\d+)$", lowered)
        if lowered in ("title", "标题"):
            blocks.append(_Block("heading", text, number, title=True))
        elif lowered.startswith(("heading", "标题")):
            blocks.append(_heading(text, number, int(level.group(1)) if level else 1))
        elif lowered.startswith("list") or listed:
            item = _ITEM.match(text)
            blocks.append(_Block("item", item.group(1) if item else text, number))
        elif (heading := _numbered_heading(text)) is not None:
            heading.line = number
            blocks.append(heading)
        elif (item := _ITEM.match(text)) is not None:
            blocks.append(_Block("item", item.group(1), number))
        else:
            blocks.append(_Block("text", text, number))
    return blocks, (document.core_properties.title or "").strip()


def _pdf(path: Path) -> tuple[list[_Block], str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    lines: list[str] = []
    for page in reader.pages:  # a paragraph a page break cuts goes on: no blank line between pages
        text = _CONTROL.sub("", page.extract_text() or "")  # some fonts' text comes with NULs between characters
        lines += [x for x in text.splitlines() if not _PAGE_NUMBER.match(x)]
    title = str(reader.metadata.title or "") if reader.metadata is not None else ""
    return _plain(lines), _CONTROL.sub("", title).strip()


def _joined(parts) -> str:
    """Lines of one paragraph: Chinese joins without a space, other text with one."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and not (_CJK.match(part[0]) or _CJK.match(out[-1])):
            out += " "
        out += part
    return out


# -- sections, passages and statements -----------------------------------------------------------


def _document(path: Path, blocks: list[_Block], hint: str) -> Document:
    doc_id = path.stem
    blocks = [b for b in blocks if b.kind == "row" or b.text]
    from_name = _CHAPTER_NUMBER.match(doc_id)
    title = _title(blocks, from_name.group(1) if from_name else "")
    if title is not None:
        blocks = blocks[blocks.index(title) + 1:]
    name = title.text if title is not None and not title.number else \
        f"{title.number} {title.text}" if title is not None else hint or doc_id.replace("_", " ")
    in_name = _CHAPTER_NUMBER.match(name)
    number = in_name.group(1) if in_name else from_name.group(1) if from_name else ""
    if number and not name.startswith(number):
        name = f"{number} {name}"
    builder = _Builder(doc_id, " ".join(name.split()), number)
    for i, block in enumerate(blocks):
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if block.kind == "heading":
            builder.section(block.number, block.text)
        elif block.kind == "row":
            builder.row(block)
        elif block.kind == "item":
            builder.item(block)
        elif following is not None and following.kind != "heading" and len(block.text) <= _HEADING_MAX_CHARS \
                and not clean(block.text).endswith(_ENDS) and not re.search(r"[。；;！!？?]", block.text):
            builder.subheading(block.text)  # "费用说明" over what follows it
        else:
            builder.text(block, leads_a_list=following is not None and following.kind in ("item", "row"))
    builder.end_table()
    return Document(doc_id, path.name, builder.label, number, tuple(builder.out), tuple(builder.passages()))


def _title(blocks: list[_Block], number: str) -> _Block | None:
    """The document's title: a Title paragraph; else its first heading when it stands above the rest
    (a lower Markdown or docx level than every other heading; or a number that is the file name's
    chapter number, or that no later heading continues: "3.5 …" over "1 概述" is the title, "1 概述"
    over "1.1 …" or "2 …" is not); else a short first line without a sentence's end."""
    marked = next((b for b in blocks if b.title), None)
    if marked is not None or not blocks:
        return marked
    first, others = blocks[0], [b for b in blocks[1:] if b.kind == "heading"]
    if first.kind == "heading":
        if first.level and others and all(h.level > first.level for h in others):
            return first
        if first.number:
            return first if first.number == number or not any(_continues(first.number, h.number) for h in others) \
                else None
        return first if not others else None
    if first.kind == "text" and len(first.text) <= _TITLE_MAX_CHARS and not re.search(r"[。；;！!？?，,]", first.text):
        return first
    return None


def _continues(number: str, later: str) -> bool:
    """Whether a later heading's number goes on from this one: a part of it ("1" → "1.2") or the next
    at its depth ("1" → "2", "2.1" → "2.3")."""
    parent, _, _ = number.rpartition(".")
    later_parent, _, _ = later.rpartition(".")
    return later.startswith(number + ".") or bool(later) and later_parent == parent and later != number


class _Builder:
    """Statements of a further document, made as knowledge/statements.py makes the chapter's: the
    text without layout, sentence by sentence, under the nearest heading."""

    def __init__(self, doc_id: str, label: str, number: str):
        self.doc_id, self.label = doc_id, label
        # over every statement, for retrieval and 「查看原文」: the document's title without its number (a
        # "3.5" on every statement would make "3.5那章讲啥" match them all instead of the course map)
        self.parent = label.removeprefix(number).strip() or label
        self.out: list[Statement] = []
        self.name, self.title, self.heading = "", label, ""
        self.counts: dict[str, int] = {}
        self.groups = 0
        self.list_group = ""
        self.list_heading: str | None = None
        self.rows: list[_Block] = []
        self.paragraphs: dict[str, list[str]] = {}
        self.titles: dict[str, str] = {label: label}

    @property
    def where(self) -> str:
        """The section as a citation names it: "3.5 亚马逊跨境收款解决方案 · 2.1"."""
        return f"{self.label} · {self.name}" if self.name else self.label

    def section(self, number: str, text: str) -> None:
        self.end_table()
        self.name = number or _unstarred(clean(text))[0]
        self.title = self.heading = _unstarred(clean(text))[0]
        self.titles[self.where] = self.title
        self.list_group, self.list_heading = "", None

    def subheading(self, text: str) -> None:
        self.end_table()
        self.heading = _unstarred(clean(text))[0].rstrip("：:")
        self.list_group, self.list_heading = "", None

    def group(self) -> str:
        self.groups += 1
        return f"{self.doc_id}#g{self.groups}"

    def add(self, text: str, kind: str, group: str, line: int, heading: str | None = None) -> None:
        text = clean(text)
        if not re.search(r"[\w\u4e00-\u9fff]", text):
            return
        self.paragraphs.setdefault(self.where, []).append(text)
        for piece in _pieces(text):
            piece = _unstarred(piece)[0]
            if not piece:
                continue
            piece_kind = "question" if kind == "sentence" and piece.endswith(("？", "?")) else kind
            key = f"{self.doc_id}/{self.name}" if self.name else self.doc_id
            self.counts[key] = self.counts.get(key, 0) + 1
            self.out.append(Statement(f"{key}#{self.counts[key]}", self.where, self.title,
                                      self.heading if heading is None else heading, piece, piece_kind, group, line,
                                      parent=self.parent))

    def text(self, block: _Block, leads_a_list: bool) -> None:
        self.end_table()
        self.list_group, self.list_heading = "", None
        self.add(block.text, "sentence", self.group(), block.line)
        plain = clean(block.text)
        if leads_a_list and plain.endswith(("：", ":")):  # "开通只需三步：" heads the list below
            self.list_heading = re.split(r"(?<=[。！？；!?;])", plain.rstrip("：:"))[-1].strip() or None

    def item(self, block: _Block) -> None:
        self.end_table()
        if not self.list_group:
            self.list_group = self.group()
        self.add(block.text, "item", self.list_group, block.line, heading=self.list_heading)

    def row(self, block: _Block) -> None:
        if self.rows and self.rows[-1].table != block.table:
            self.end_table()
        self.list_group = ""
        self.rows.append(block)

    def end_table(self) -> None:
        """A table's cells, each with its row's and its column's label ("美元 手续费：0.3%"); a table
        of one row is one statement."""
        rows = [r for r in self.rows if any(c.strip() for c in r.cells)]
        self.rows = []
        if not rows:
            return
        group = self.group()
        if len(rows) == 1 or max(len(r.cells) for r in rows) == 1:
            for row in rows:
                self.add("，".join(c for c in row.cells if c.strip()), "cell", group, row.line)
            return
        header, *body = [list(r.cells) for r in rows]
        for cells, line in zip(body, [r.line for r in rows[1:]], strict=True):
            label = cells[0].strip()
            values = [(header[j].strip() if j < len(header) else "", c.strip()) for j, c in enumerate(cells) if j]
            values = [(h, c) for h, c in values if c and c not in ("-", "--", "—")]
            if not values:
                self.add(label, "cell", group, line)
            for column, value in values:
                name = " ".join(x for x in (label, column) if x)
                self.add(f"{name}：{value}" if name else value, "cell", group, line)

    def passages(self) -> list[Passage]:
        out = []
        for section, texts in self.paragraphs.items():
            for n, chunk in enumerate(_chunks(texts), start=1):
                out.append(Passage(f"{self.doc_id}:{section}#{n}", section, self.titles.get(section, section), chunk))
        return out
