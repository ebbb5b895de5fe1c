"""The checks every public channel applies to a seller's raw message."""
import pytest

from addons.channels.input_guard import check_message, valid_sender


@pytest.mark.parametrize("raw", ["", "   ", "\u0000\u0007", None, 42, ["x"], "<br/><p></p>"])
def test_nothing_to_read_is_answered_here(raw):
    checked = check_message(raw)
    assert checked.text is None and "请用文字描述你的问题" in checked.reply


def test_text_is_cleaned_and_tags_dropped():
    assert check_message("  AWD\u0000仓储费\n\n多少 ").text == "AWD仓储费 多少"
    assert check_message("<script>alert(1)</script>AWD是什么").text == "alert(1) AWD是什么"


def test_long_text_is_cut_with_a_note():
    checked = check_message("问" * 900)
    assert len(checked.text) == 500 and "只读了前500个字" in checked.notes[0]


def test_button_payloads_pass_unchanged():
    payload = '/ask_service{"service":"AWD","attribute":"fee"}'
    assert check_message(payload).text == payload


@pytest.mark.parametrize("sender, ok", [("abc", True), ("o6_bmjrPTlm6_2sgVt7hMZOPfL2M", True), ("", False),
                                        ("x" * 129, False), ("a\nb", False), (None, False), (5, False)])
def test_senders(sender, ok):
    assert valid_sender(sender) is ok
