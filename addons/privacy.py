"""Personal data masked in what staff see and export, and in every server's logs: mainland mobile
numbers, landlines, e-mail addresses, ID-card numbers, bank-card numbers and Amazon order numbers
(3-7-7 digits) in sellers' and agents' texts. What stays shows the kind and enough to tell two apart
(the last digits), never enough to use. Revealing a conversation unmasked needs the admin token and
is recorded (staff/api.py). Rasa-free: the console (staff/) and the servers (addons/launch.py,
web/server.py) use this one module.
"""
from __future__ import annotations

import logging
import re

# Most specific first: an order number holds digit runs a card or phone pattern would also take.
# Digits inside a hex token (a knowledge version "07997163370b", a request id) are no phone or card.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("order", re.compile(r"(?<!\d)\d{3}-\d{7}-\d{7}(?!\d)")),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("id_card", re.compile(r"(?<![\dA-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])")),
    ("bank_card", re.compile(r"(?<![\dA-Fa-f])(?:\d[ -]?){15,18}\d(?![\dA-Fa-f])")),
    ("mobile", re.compile(r"(?<![\dA-Fa-f])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\dA-Fa-f])")),
    ("landline", re.compile(r"(?<![\dA-Fa-f])0\d{2,3}[ -]?\d{7,8}(?![\dA-Fa-f])")),
]


def _keep_last(value: str, keep: int = 4) -> str:
    digits = [c for c in value if c.isalnum()]
    tail = "".join(digits[-keep:])
    return "*" * max(0, len(digits) - keep) + tail


def _masked(kind: str, value: str) -> str:
    if kind == "email":
        name, _, domain = value.partition("@")
        return f"{name[:1]}***@{domain}"
    if kind == "order":
        return "***-*******-" + value[-4:].rjust(4, "*")
    return _keep_last(value)


def mask(text: str | None) -> str | None:
    """The text with personal data masked; None stays None."""
    if not text:
        return text
    for kind, pattern in _PATTERNS:
        text = pattern.sub(_replacer(kind), text)
    return text


def _replacer(kind: str):
    def replace(match: re.Match[str]) -> str:
        return _masked(kind, match.group(0))
    return replace


def found(text: str) -> list[str]:
    """The kinds of personal data in a text (for tests and the audit)."""
    return [kind for kind, pattern in _PATTERNS if pattern.search(text or "")]


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def mask_logs() -> None:
    """From now on every log record this process creates has personal data masked in its message —
    ours, Rasa's (its REST channel logs a message's text when it times out), Sanic's, aiohttp's —
    whichever handler writes it: the record factory does it, so handlers configured later are
    covered. Tracebacks are left as they are. Calling it again changes nothing."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "masks_personal_data", False):
        return

    def masked_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's to report, as before
            return record
        # Rasa's structured lines are JSON with Chinese as \\uXXXX escapes, whose hex digits would
        # hide a number's start from the patterns: masked as the text they stand for.
        readable = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), message)
        safe = mask(readable)
        if safe != readable:
            record.msg, record.args = safe, ()
        return record

    masked_record.masks_personal_data = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)
