"""knowledge/diff.py: what a new version of the source document does to the knowledge. Each test edits a
copy of the document in tmp_path; the facts a change must name are computed from the knowledge files
(the quotes holding the changed text), never listed by hand."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge import diff, kb
from knowledge.text import collapse_whitespace

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = kb.SOURCE.read_text(encoding="utf-8")

FEE_LINE = "仓储费仅需\\$0.48/立方英尺/月, 可享折扣低至\\$0.38"
NEW_PARAGRAPH = "卖家可以在卖家平台的库存页面随时查看 AWD 库存的补货进度和预计到货时间。"


def edited(old: str, new: str, text: str = DOCUMENT) -> str:
    assert text.count(old) == 1, f"the edit must touch one place: {old!r}"
    return text.replace(old, new)


def write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(old: Path, new: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "knowledge.diff", str(old), str(new), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def quoting(base, text: str) -> set[str]:
    """The facts, rules and chapters with a quote that holds `text`."""
    return {item.name for item in diff.quoting_items(base)
            if any(text in collapse_whitespace(q) for q in item.quotes)}


def without_section(number: str) -> str:
    """The document without one body section: from its heading to the next heading of its level or above."""
    lines = DOCUMENT.split("\n")
    start = max(i for i, line in enumerate(lines) if line.startswith(f"{number} "))  # the body's, not the TOC's
    level = re.compile(r"^1(\.\d){0,%d} \S" % number.count("."))
    end = next(i for i in range(start + 1, len(lines)) if level.match(lines[i]))
    return "\n".join(lines[:start] + lines[end:])


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    return write(tmp_path_factory.mktemp("old"), "old.txt", DOCUMENT)


# -- (1) a fee changed ---------------------------------------------------------------------------


def test_a_changed_fee_names_exactly_the_facts_quoting_it_with_section_and_numbers(base, original, tmp_path):
    new_text = edited(FEE_LINE, FEE_LINE.replace("0.48", "0.52"))
    report = diff.impact(DOCUMENT, new_text, base)

    expected = quoting(base, "\\$0.48")
    assert "AWD.fee" in expected
    assert set(report.facts) == expected
    for broken in report.broken:
        assert (broken.section, broken.new_section, broken.status) == ("1.4.1", "1.4.1", "changed")
        assert "0.48" in broken.old and "0.52" in broken.new and "0.48" not in broken.new
        assert diff.Change("$0.48", "$0.52") in broken.changes
        assert collapse_whitespace(broken.new) in collapse_whitespace(new_text)  # verbatim: a quote to paste
    fee = next(b for b in report.broken if b.fact == "AWD.fee")
    assert fee.new == "仓储费仅需\\$0.52/立方英尺/月, 可享折扣低至\\$0.38"
    assert not report.ok and report.quantities_added == [("$0.52", ("1.4.1",))]

    result = run(original, write(tmp_path, "new.txt", new_text))
    assert result.returncode == 1, result.stderr
    assert "AWD.fee" in result.stdout and "1.4.1" in result.stdout and "$0.48 → $0.52" in result.stdout


# -- (2) a country removed from a coverage list --------------------------------------------------


@pytest.mark.parametrize("listed, removed, coverage", [
    ("德国、意大利、西班牙)", "西班牙", "AGL.coverage"),  # AGL's destinations, 1.3.1
    ("中东、日本、澳洲\n", "澳洲", "SEND.coverage"),  # Amazon SEND's 覆盖区域, 1.3.2
])
def test_a_country_removed_from_a_list_names_exactly_the_facts_quoting_the_list(base, listed, removed, coverage):
    new_text = edited(listed, listed.replace(f"、{removed}", ""))
    report = diff.impact(DOCUMENT, new_text, base)

    expected = quoting(base, listed.replace(")", "").strip())
    assert coverage in expected
    assert set(report.facts) == expected
    for broken in report.broken:
        assert diff.Change(removed, "") in broken.changes, broken
        assert removed in broken.old and removed not in broken.new
        assert broken.section == broken.new_section == base.fact(*coverage.split(".")).section
    assert all(removed not in s.text for s in report.new_statements)


# -- (3) a section deleted -----------------------------------------------------------------------


def test_a_deleted_section_is_reported_removed_and_its_quoting_facts_broken(base, original, tmp_path):
    new_text = without_section("1.3.3")
    report = diff.impact(DOCUMENT, new_text, base)

    assert [s.id for s in report.sections_removed] == ["1.3.3"]
    assert report.sections_added == []
    flat = collapse_whitespace(new_text)
    gone = {item.name for item in diff.quoting_items(base) if any(collapse_whitespace(q) not in flat for q in item.quotes)}
    assert set(report.facts) == gone
    assert {"FIST.definition", "FIST.coverage", "FIST.pain_points", "FIST.advantages"} <= gone
    assert "FIST.carrier" not in gone  # its quotes stand in 1.1.3's summary of FIST too
    assert all(b.section == "1.3.3" and b.section_removed for b in report.broken)

    result = run(original, write(tmp_path, "new.txt", new_text))
    assert result.returncode == 1
    assert "removed: 1.3.3 FBA 入仓货件追踪智控系统 (FIST)" in result.stdout


# -- (4) an unchanged copy -----------------------------------------------------------------------


def test_an_unchanged_copy_breaks_nothing_and_exits_0(base, original, tmp_path):
    report = diff.impact(DOCUMENT, DOCUMENT, base)
    assert report.ok and report.broken == [] and report.new_statements == [] and report.review == []
    assert report.sections_added == report.sections_removed == report.moved == report.names_changed == []

    result = run(original, write(tmp_path, "copy.txt", DOCUMENT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "exit 0" in result.stdout


# -- (5) a new paragraph -------------------------------------------------------------------------


def test_a_new_paragraph_is_a_new_statement_no_fact_covers_and_exits_0(base, original, tmp_path):
    anchor = "还可以将库存批量运往亚马逊以外的销售渠道的仓库。\n"
    new_text = edited(anchor, f"{anchor}\n{NEW_PARAGRAPH}\n")
    report = diff.impact(DOCUMENT, new_text, base)

    assert report.ok and report.broken == []
    assert [(s.section, s.text, s.facts) for s in report.new_statements] == [("1.4.1", NEW_PARAGRAPH, ())]

    result = run(original, write(tmp_path, "new.txt", new_text))
    assert result.returncode == 0, result.stdout + result.stderr
    assert NEW_PARAGRAPH in result.stdout


# -- (6) Markdown and HTML -----------------------------------------------------------------------


def test_markdown_and_html_carry_the_fact_and_numbers_and_html_escapes_markup(original, tmp_path):
    changed = FEE_LINE.replace("0.48", "0.52").replace("/月,", "/月<script>alert(1)</script>,")
    new = write(tmp_path, "new.txt", edited(FEE_LINE, changed))
    markdown, page = tmp_path / "report.md", tmp_path / "report.html"

    result = run(original, new, "--markdown", str(markdown), "--html", str(page))
    assert result.returncode == 1, result.stderr
    md, html = markdown.read_text(encoding="utf-8"), page.read_text(encoding="utf-8")
    for output in (md, html):
        assert "AWD.fee" in output and "1.4.1" in output
        assert "$0.48 → $0.52" in output
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert not any(external in html for external in ("http://", "https://", "<link", "src="))


# -- what changed, and a quote OLD lacks ---------------------------------------------------------


@pytest.mark.parametrize("old, new, expected", [
    ("仓储费仅需\\$0.48/立方英尺/月", "仓储费仅需\\$0.52/立方英尺/月", ["$0.48 → $0.52"]),
    ("中国至日本 最快4天", "中国至日本 最快14天", ["4天 → 14天"]),
    ("普船 28-30天 34-50天", "普船 28-31天 34-50天", ["28-30天 → 28-31天"]),
    ("美国、欧洲 (英国、法国、德国)", "美国、欧洲 (英国、德国)", ["removed: 法国"]),
    ("中国至美国、英国", "中国至美国、英国、加拿大", ["added: 加拿大"]),
    ("全程可追踪", "全程可在线追踪", ["全程可追踪 → 全程可在线追踪"]),
])
def test_changes_name_the_numbers_and_items_that_differ(old, new, expected):
    assert [str(c) for c in diff.changes(old, new)] == expected


def test_a_quote_the_old_document_already_lacked_is_broken_too(base):
    new_text = edited(FEE_LINE, FEE_LINE.replace("0.48", "0.52"))
    report = diff.impact(new_text, new_text, base)
    assert set(report.facts) == quoting(base, "\\$0.48")
    assert {b.status for b in report.broken} == {"not in OLD"}
    assert all("0.52" in b.new for b in report.broken)
