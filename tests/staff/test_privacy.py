"""Personal data masked in what staff see and export and in the servers' logs (addons/privacy.py,
staff/store.py): generated phone numbers, e-mails, ID-card, bank-card and Amazon order numbers never
come out; the document's own figures are never touched."""
import io
import json
import logging
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from addons.privacy import found, mask, mask_logs
from staff import unanswered
from staff.store import Store
from tests.support.staff import save, session_start, turn

mobile = st.builds(lambda a, b: f"1{a}{b}", st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9))
landline = st.builds(lambda area, n: f"0{area}-{n}", st.text("123456789", min_size=2, max_size=3),
                     st.text("123456789", min_size=8, max_size=8))
email = st.builds(lambda u, d: f"{u}@{d}.com", st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=2, max_size=12)
                  .filter(lambda u: u[0].isalnum()), st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10))
id_card = st.builds(lambda region, y, m, d, seq, check: f"{region}{y}{m:02d}{d:02d}{seq}{check}",
                    st.text("123456789", min_size=6, max_size=6), st.integers(1950, 2015).map(str),
                    st.integers(1, 12), st.integers(1, 28), st.text("0123456789", min_size=3, max_size=3),
                    st.sampled_from("0123456789X"))
bank_card = st.text("0123456789", min_size=16, max_size=19).filter(lambda c: c[0] != "0")
order = st.builds(lambda a, b, c: f"{a}-{b}-{c}", st.text("0123456789", min_size=3, max_size=3),
                  st.text("0123456789", min_size=7, max_size=7), st.text("0123456789", min_size=7, max_size=7))
personal = st.one_of(mobile, landline, email, id_card, bank_card, order)
around = st.sampled_from(["我的", "联系我：", "订单", "请打", "卡号是", ""])


@settings(max_examples=500, deadline=None)
@given(personal, around, around)
def test_generated_personal_data_never_survives_masking(value, before, after):
    shown = mask(f"{before}{value}{after}，谢谢")
    assert value not in shown, shown
    assert not found(shown), shown


@settings(max_examples=200, deadline=None)
@given(st.text("0123456789", min_size=11, max_size=11), st.text("abcdef", min_size=1, max_size=1))
def test_digits_inside_a_hex_token_are_no_phone_number(digits, letter):
    """A knowledge version or a request id in a log line ("07997163370b") is left as it is."""
    token = f"0{digits}{letter}"
    assert mask(f'"knowledge_version": "{token}"') == f'"knowledge_version": "{token}"'


def test_the_documents_own_statements_and_the_bots_figures_are_left_as_they_are(base):
    for statement in base.statements:
        assert mask(statement.text) == statement.text, statement.id
    for text in ("AWD仓储费$0.48/立方英尺/月", "空运最快4天，海运28-30天", "起运量0.5KG或0.1CBM", "第 3 位 09:00–18:00",
                 "「来源：1.4.1」", "2024年"):
        assert mask(text) == text


def test_the_transcript_the_queue_and_the_unanswered_csv_show_it_masked(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    sender = "pii-" + uuid.uuid4().hex[:6]
    text = "我的订单113-1234567-7654321没到，电话13812345678，邮箱 li.si@example.com"
    save(url, sender, session_start(1_700_000_000) + turn(text, 1_700_000_001, "request_human", 0.3, "action_respond",
                                                          "好的", slots={"handoff": "requested"}))
    store = Store(url)
    try:
        transcript = store.transcript(sender)
        shown = [item["user"]["text"] for item in transcript["items"] if item["kind"] == "turn" and item["user"]]
        for value in ("113-1234567-7654321", "13812345678", "li.si@example.com"):
            assert all(value not in t for t in shown)
            assert value not in str(store.handoffs())
            assert value not in unanswered.to_csv(unanswered.group(store.user_messages(), 0.6))
            assert value not in str(store.conversations(sender))
        assert "***-*******-4321" in shown[0] and "*******5678" in shown[0]
        revealed = store.transcript(sender, reveal=True)
        assert text in [i["user"]["text"] for i in revealed["items"] if i["kind"] == "turn" and i["user"]]
    finally:
        store.close()


@settings(max_examples=200, deadline=None)
@given(personal, around)
def test_generated_personal_data_never_reaches_a_log(value, before):
    """Whatever logs it (a message of ours with %-arguments, Rasa's structlog JSON line, a handler set
    up after the masking was installed), the log holds the masked value."""
    mask_logs()
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    log = logging.getLogger("tests.privacy." + uuid.uuid4().hex[:6])
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        log.info("rest: message from %s failed: %r", "seller", f"{before}{value}")
        log.error(json.dumps({"text": f"{before}{value}", "event": "rest.message.received.timeout"}))
    finally:
        log.removeHandler(handler)
    assert value not in written.getvalue() and written.getvalue().count("\n") == 2
    assert not found(written.getvalue()), written.getvalue()


def test_every_server_masks_its_logs():
    """Rasa and the action server start through addons/launch.py, the web server through web/server.py:
    each installs the masking before anything logs."""
    from tests.support import ROOT

    assert "mask_logs()" in (ROOT / "addons" / "launch.py").read_text().split("def main", 1)[1].split("rasa_main()")[0]
    assert "mask_logs()" in (ROOT / "web" / "server.py").read_text().split("def main", 1)[1]
