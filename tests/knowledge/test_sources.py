"""Further source documents beside the course chapter (knowledge/sources.py): a new chapter as Markdown,
.docx, .pdf or .txt joins the statements with citations that name it, is refused until its checksum is
accepted, answers at once through the conversation, and leaves the chapter-only knowledge as it was."""
import shutil
import subprocess
from pathlib import Path

import pytest

from knowledge import kb, sources
from knowledge.statements import split as split_statements
from tests.support.conversation import Conversation
from tests.support.releases import accept_sources, copy_knowledge

# A small chapter 3.5 of the course map (亚马逊跨境收款解决方案), written for these tests: numbered
# sections, a fee, a list, a table.
TITLE = "3.5 亚马逊跨境收款解决方案"
LABEL = TITLE  # how citations name the document
SECTIONS = [  # (number, title, paragraphs, list items, table rows)
    ("1", "什么是亚马逊跨境收款", [
        "亚马逊跨境收款是亚马逊为中国卖家提供的官方收款服务，卖家可以用人民币直接收取全球站点的销售款，"
        "资金由亚马逊直接结算到卖家绑定的国内银行账户。"], [], []),
    ("2", "费用与到账", ["亚马逊跨境收款按每笔提现收费，不收取开户费和年费。"], [], []),
    ("2.1", "提现手续费", ["每笔提现收取提现金额 0.3% 的手续费，单笔最低 $1.50。"], [], []),
    ("2.2", "到账时间", ["提现申请提交后，资金通常在 1-2 天内到账。"], [],
     [("币种", "到账时间"), ("美元", "1 天"), ("欧元", "2 天")]),
    ("3", "开通步骤", ["开通亚马逊跨境收款只需三步："],
     ["登录卖家平台，进入“付款”页面", "选择亚马逊跨境收款并填写企业信息", "绑定国内银行账户并完成验证"], []),
]
FEE = "每笔提现收取提现金额 0.3% 的手续费，单笔最低 $1.50。"
FEE_QUESTION = "跨境收款的提现手续费是多少？"
STEPS = ["登录卖家平台，进入“付款”页面", "选择亚马逊跨境收款并填写企业信息", "绑定国内银行账户并完成验证"]


def markdown() -> str:
    lines = [f"# {TITLE}", ""]
    for number, title, paragraphs, items, table in SECTIONS:
        lines += [f"{'###' if '.' in number else '##'} {number} {title}", ""]
        for paragraph in paragraphs:
            lines += [paragraph, ""]
        lines += [f"{n}. {item}" for n, item in enumerate(items, start=1)] + [""]
        if table:
            lines += ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
            lines += ["| " + " | ".join(row) + " |" for row in table[1:]] + [""]
    return "\n".join(lines)


def plain_text() -> str:
    """The .txt form: the title on the first line, numbered headings, tab-separated table rows."""
    lines = [TITLE, ""]
    for number, title, paragraphs, items, table in SECTIONS:
        lines += [f"{number} {title}", *paragraphs, *(f"• {item}" for item in items),
                  *("\t".join(row) for row in table), ""]
    return "\n".join(lines)


def write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading(TITLE, 0)
    for number, title, paragraphs, items, table in SECTIONS:
        document.add_heading(f"{number} {title}", 2 if "." in number else 1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        for item in items:
            document.add_paragraph(item, style="List Number")
        if table:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, text in enumerate(row):
                    grid.cell(r, c).text = text
    document.save(str(path))


def chinese_font() -> tuple[str, int]:
    """A font with Simplified Chinese (Debian's fonts-noto-cjk, which scripts/system_deps.sh installs
    with Chromium): its file and its index in a font collection."""
    listing = shutil.which("fc-list") and subprocess.run(
        ["fc-list", "-f", "%{file}|%{index}|%{family}\n", ":lang=zh-cn"], capture_output=True, text=True).stdout
    fonts = sorted((line.split("|") for line in (listing or "").splitlines() if line.count("|") == 2),
                   key=lambda f: ("SC" not in f[2], "Bold" in f[0], f[0]))
    if not fonts:
        pytest.fail("no font with Chinese glyphs: apt-get install fonts-noto-cjk (scripts/system_deps.sh chromium)")
    return fonts[0][0], int(fonts[0][1] or 0)


def write_pdf(path: Path) -> None:
    """fpdf2 with a Chinese font: the headings, the paragraphs (wrapped by the layout) and the list;
    the table is left out (a PDF's text keeps no table)."""
    from fpdf import FPDF

    font, index = chinese_font()
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", fname=font, collection_font_number=index)

    def write(text: str, size: int = 12) -> None:
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")

    write(TITLE, 16)
    for number, title, paragraphs, items, _ in SECTIONS:
        write(f"{number} {title}", 14)
        for paragraph in paragraphs:
            write(paragraph)
        for n, item in enumerate(items, start=1):
            write(f"{n}. {item}")
    pdf.output(str(path))


WRITERS = {
    "md": lambda path: path.write_text(markdown(), encoding="utf-8"),
    "txt": lambda path: path.write_text(plain_text(), encoding="utf-8"),
    "docx": write_docx,
    "pdf": write_pdf,
}
FORMATS = ["md", "txt", "docx", pytest.param("pdf", marks=pytest.mark.system)]  # pdf: a Debian font


def with_document(tmp: Path, fmt: str, name: str = "3.5_payments", accept: bool = True) -> Path:
    copy = copy_knowledge(tmp / "knowledge")
    WRITERS[fmt](copy / "source" / f"{name}.{fmt}")
    if accept:
        accept_sources(copy)
    return copy


@pytest.fixture(scope="module", params=FORMATS)
def added(request, tmp_path_factory):
    """(format, the knowledge base with the chapter 3.5 document in that format)."""
    copy = with_document(tmp_path_factory.mktemp(request.param), request.param)
    return request.param, kb._build(copy)


def of_document(base) -> list:
    return [s for s in base.statements if s.id.startswith("3.5_payments/")]


def test_each_format_is_split_into_sections_named_by_the_document(added):
    fmt, base = added
    (document,) = base.documents
    assert document.file == f"3.5_payments.{fmt}" and document.title == LABEL and document.number == "3.5"
    statements = of_document(base)
    assert {s.section for s in statements} == {f"{LABEL} · {n}" for n, *_ in SECTIONS}
    fee = next(s for s in statements if s.text == FEE)
    assert (fee.section, fee.title, fee.kind) == (f"{LABEL} · 2.1", "提现手续费", "sentence")
    steps = [s for s in statements if s.kind == "item"]
    assert [s.text for s in steps] == STEPS and len({s.group for s in steps}) == 1
    assert {s.heading for s in steps} == {"开通亚马逊跨境收款只需三步"}  # the lead-in heads its list
    if fmt != "pdf":  # a PDF's text keeps no table
        assert [s.text for s in statements if s.kind == "cell"] == ["美元 到账时间：1 天", "欧元 到账时间：2 天"]
    ids = [s.id for s in base.statements]
    assert len(ids) == len(set(ids))
    assert base.statements[:len(base.statements) - len(statements)] == split_statements(base.document)
    assert base.statement_counts() == [
        (kb.SOURCE.name, "3.1 亚马逊的跨境供应链服务", len(split_statements(base.document))),
        (document.file, LABEL, len(statements))]


def test_a_question_about_the_new_chapters_fee_finds_its_statement(added):
    _, base = added
    best = base.find_statements(FEE_QUESTION, base.question_type(FEE_QUESTION))[0]
    assert best.statement.text == FEE and best.statement.section == f"{LABEL} · 2.1"


def test_the_conversation_answers_from_the_document_citing_it(added):
    _, base = added
    reply = Conversation(base).say("ask_service", FEE_QUESTION)
    assert "0.3%" in reply and "$1.50" in reply and f"「来源：{LABEL} · 2.1」" in reply, reply
    steps = Conversation(base).say("ask_service", "怎么开通亚马逊跨境收款")
    assert all(step in steps for step in STEPS) and f"「来源：{LABEL} · 3」" in steps, steps


def test_the_course_maps_chapter_is_answered_from_its_document_not_called_another_chapter(added, base):
    _, with_it = added
    question = "亚马逊跨境收款提现手续费是多少"
    assert base.chapter_for(question).id == "3.5"
    assert "这属于课程 3.5" in Conversation(base).say("out_of_scope", question)
    assert with_it.chapter_for(question) is None and set(with_it.documented_chapters) == {"3.5"}
    assert with_it.chapter_for("企业购怎么加入").id == "3.3"  # the chapters without a document stay elsewhere
    reply = Conversation(with_it).say("out_of_scope", question)  # as the NLU, trained before, files it
    assert "0.3%" in reply and f"{LABEL} · 2.1" in reply, reply


def test_a_document_whose_checksum_is_not_accepted_is_refused_saying_how_to_accept_it(tmp_path):
    copy = with_document(tmp_path, "md", accept=False)
    with pytest.raises(kb.KnowledgeError) as refused:
        kb._build(copy)
    message = str(refused.value)
    assert "3.5_payments.md: not listed in SHA256SUMS" in message and "sha256sum *.* > SHA256SUMS" in message
    accept_sources(copy)
    assert kb._build(copy).documents[0].file == "3.5_payments.md"
    document = copy / "source" / "3.5_payments.md"
    document.write_text(document.read_text(encoding="utf-8").replace("0.3%", "0.2%"), encoding="utf-8")
    with pytest.raises(kb.KnowledgeError, match="3.5_payments.md: changed since its checksum was accepted"):
        kb._build(copy)
    document.unlink()
    with pytest.raises(kb.KnowledgeError, match="3.5_payments.md: listed in SHA256SUMS but not there"):
        kb._build(copy)


def test_the_accept_command_accepts_what_it_lists(tmp_path):
    copy = with_document(tmp_path, "md", accept=False)
    source = copy / "source"
    command = sources.accept_command(source)
    assert command.startswith(f"(cd {source.resolve()} && ")
    subprocess.run(command, shell=True, check=True)
    assert sources.checksum_problems(source) == []
    assert set(sources.recorded(source)) == {kb.SOURCE.name, "3.5_payments.md"}


def test_an_unreadable_document_is_refused_by_name(tmp_path):
    copy = copy_knowledge(tmp_path / "knowledge")
    (copy / "source" / "3.6_gift.pdf").write_bytes(b"not a pdf")
    (copy / "source" / "3.7_spn.docx").write_bytes(b"not a docx either")
    accept_sources(copy)
    with pytest.raises(kb.KnowledgeError, match="3.6_gift.pdf: cannot be read as .pdf"):
        kb._build(copy)
    (copy / "source" / "3.6_gift.pdf").unlink()
    accept_sources(copy)
    with pytest.raises(kb.KnowledgeError, match="3.7_spn.docx: cannot be read as .docx"):
        kb._build(copy)


def test_two_documents_of_one_name_are_refused(tmp_path):
    copy = with_document(tmp_path, "md")
    WRITERS["txt"](copy / "source" / "3.5_payments.txt")
    accept_sources(copy)
    with pytest.raises(kb.KnowledgeError, match="two source documents named 3.5_payments"):
        kb._build(copy)


def test_without_a_further_document_the_knowledge_is_the_chapter_alone_as_before(tmp_path, base):
    copy = copy_knowledge(tmp_path / "alone")
    alone = kb._build(copy)
    assert alone.documents == () and alone.statements == base.statements == split_statements(base.document)
    assert alone.passages == base.passages and kb.version(copy) == kb.version(kb.HERE) == base.version
    added = with_document(tmp_path / "added", "md")
    assert kb.version(added) != kb.version(kb.HERE)


def test_a_file_name_gives_the_chapter_number_and_the_first_heading_the_title(tmp_path):
    copy = copy_knowledge(tmp_path / "knowledge")
    (copy / "source" / "3.2_fba_inbound.md").write_text(
        "# 入仓指南\n\n## 1 准备货件\n\n货件需要贴好亚马逊条码后再发往运营中心。\n\n"
        "## 2 费用\n\n### 2.1 贴标服务费\n\n由亚马逊代贴标签的商品，每件收取 $0.55 的贴标服务费。\n", encoding="utf-8")
    accept_sources(copy)
    base = kb._build(copy)
    assert base.documents[0].title == "3.2 入仓指南"
    fee = next(s for s in base.statements if "$0.55" in s.text)
    assert fee.section == "3.2 入仓指南 · 2.1" and fee.id == "3.2_fba_inbound/2.1#1"
    assert set(base.documented_chapters) == {"3.2"} and base.chapter_for("卖家成长服务怎么申请") is None
    reply = Conversation(base).say("ask_service", "入仓贴标服务费一件多少钱？")
    assert "$0.55" in reply and "「来源：3.2 入仓指南 · 2.1」" in reply, reply


def test_a_reload_serves_the_new_document_and_the_version_covers_it(tmp_path):
    before = list(kb._serving)
    try:
        copy = with_document(tmp_path, "md")
        served = kb.reload(copy)
        assert kb.load() is served and served.version == kb.version(copy) != kb.version(kb.HERE)
        assert any(s.text == FEE for s in served.statements)
        assert [h.passage.section for h in served.search("提现手续费")][:1] == [f"{LABEL} · 2.1"]
    finally:
        kb._serving[:] = before
