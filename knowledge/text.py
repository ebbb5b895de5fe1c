"""Normalising what sellers type, shared by the NLU component and every knowledge look-up.

Sellers type full-width letters (ＡＷＤ), Traditional characters (亞馬遜智能衛星倉) and acronyms in any
case (send, Awd). Everything that compares user text with the knowledge base goes through
`normalize` so both sides see the same characters.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Messages are cut to this many characters before understanding; longer ones are almost always pastes.
MAX_MESSAGE_CHARS = 500

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")
_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&-]*")
# Emoji and pictographs (😅, ❤, 👍): mood, not content; variation selectors and joiners go with them.
EMOJI = re.compile(r"[\U0001F000-\U0001FFFF\u2600-\u27BF\u2B00-\u2BFF\uFE0E\uFE0F\u200D]")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC  # opencc-python-reimplemented: pure Python, no system library

    return OpenCC("t2s")


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese; cheap no-op for text without CJK characters."""
    return _t2s().convert(text) if _has_cjk(text) else text


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation → half-width (NFKC), e.g. ＡＷＤ？ → AWD?."""
    return unicodedata.normalize("NFKC", text)


class AcronymCase:
    """Upper-cases the acronyms the knowledge base knows (send → SEND), leaving other English alone."""

    def __init__(self, acronyms: set[str]):
        self._acronyms = {a.upper() for a in acronyms}

    def __call__(self, text: str) -> str:
        return _ASCII_WORD.sub(self._fix, text)

    def _fix(self, match: re.Match) -> str:
        word = match.group(0)
        return word.upper() if word.upper() in self._acronyms else word


def clean(text: str | None, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Control characters out, whitespace collapsed, cut to `limit` characters."""
    text = _CONTROL.sub("", text or "")
    text = _SPACES.sub(" ", text).strip()
    return text[:limit]


def blank_emoji(text: str) -> str:
    """Each emoji → one space: "有库容限制吗😅" still ends in 吗, and entity offsets still hold."""
    return EMOJI.sub(" ", text)


def normalize(text: str | None, acronym_case: AcronymCase | None = None) -> str:
    """The one normal form of seller text: cleaned, half-width, Simplified, acronyms upper-cased."""
    text = to_simplified(fold_width(clean(text)))
    if acronym_case is not None:
        text = acronym_case(text)
    return text


def collapse_whitespace(text: str) -> str:
    """For comparing quotes with the document, whose layout (tabs, double spaces) is not content."""
    return _SPACES.sub(" ", text).strip()
