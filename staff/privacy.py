"""Personal data masked in what staff see and export: mainland mobile numbers, landlines, e-mail
addresses, ID-card numbers, bank-card numbers and Amazon order numbers (3-7-7 digits) in sellers'
and agents' texts. What stays shows the kind and enough to tell two apart (the last digits), never
enough to use. Revealing a conversation unmasked needs the admin token and is recorded (staff/api.py).
"""
from __future__ import annotations

import re

# Most specific first: an order number holds digit runs a card or phone pattern would also take.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("order", re.compile(r"(?<!\d)\d{3}-\d{7}-\d{7}(?!\d)")),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("id_card", re.compile(r"(?<![\dA-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])")),
    ("bank_card", re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")),
    ("mobile", re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")),
    ("landline", re.compile(r"(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)")),
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
