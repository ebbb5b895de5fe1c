"""Turning the bot's messages into WeChat text: buttons become numbered options, long text is split.

WeChat text has no buttons, so a reply's buttons are listed at its end ("回复数字选择：" then
"1. …" per line) and the channel remembers them per user: a reply that is only a number picks that
option's payload. A passive text reply may carry at most 2048 bytes (UTF-8); longer replies are cut
into chunks at paragraph, line or sentence ends, and the options always stay together at the end.
"""
from __future__ import annotations

import re
import unicodedata

MAX_TEXT_BYTES = 2048
OPTIONS_HEADER = "回复数字选择："
_SENTENCE_ENDS = "。！？；!?;"


def byte_len(text: str) -> int:
    return len(text.encode("utf-8"))


def render(messages: list[dict]) -> tuple[str, list[tuple[str, str]]]:
    """Rasa's collected messages → (text, [(title, payload)])."""
    parts: list[str] = []
    options: list[tuple[str, str]] = []
    for message in messages:
        if message.get("text"):
            parts.append(str(message["text"]).strip())
        if message.get("image"):
            parts.append(str(message["image"]))
        if message.get("attachment") and isinstance(message["attachment"], str):
            parts.append(message["attachment"])
        for button in message.get("buttons") or []:
            title, payload = str(button.get("title", "")).strip(), button.get("payload")
            if title and payload and (title, payload) not in options:
                options.append((title, str(payload)))
    return "\n\n".join(p for p in parts if p), options


def options_block(options: list[tuple[str, str]]) -> str:
    if not options:
        return ""
    return OPTIONS_HEADER + "\n" + "\n".join(f"{i}. {title}" for i, (title, _) in enumerate(options, 1))


_CHOICE = re.compile(r"^\s*(?:第\s*)?(\d{1,2})\s*(?:[.、。)）]|个|项)?\s*$")


def choice(text: str, options: list[tuple[str, str]]) -> str | None:
    """The payload of option `text` ("2", "２", "2.", "第2个") when it names one; else None."""
    if not options or not text:
        return None
    match = _CHOICE.match(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    number = int(match.group(1))
    return options[number - 1][1] if 1 <= number <= len(options) else None


def _cut(text: str, limit: int) -> int:
    """Where to cut `text` so its head fits in `limit` bytes, preferring a natural boundary."""
    end, size = 0, 0
    for i, ch in enumerate(text):
        size += byte_len(ch)
        if size > limit:
            break
        end = i + 1
    head = text[:end]
    floor = end // 3  # never cut so early that the chunks become tiny
    for separator in ("\n\n", "\n"):
        at = head.rfind(separator)
        if at > floor:
            return at
    at = max(head.rfind(ch) for ch in _SENTENCE_ENDS)
    if at > floor:
        return at + 1
    return max(end, 1)


def split(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    chunks: list[str] = []
    text = text.strip()
    while byte_len(text) > limit:
        at = _cut(text, limit)
        head = text[:at].rstrip()
        if head:
            chunks.append(head)
        text = text[at:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def compose(text: str, options: list[tuple[str, str]], limit: int = MAX_TEXT_BYTES) -> list[str]:
    """The WeChat messages for one reply, each at most `limit` bytes, options last."""
    block = options_block(options)
    whole = "\n\n".join(p for p in (text.strip(), block) if p)
    if byte_len(whole) <= limit:
        return [whole] if whole else []
    chunks = split(text, limit)
    if block:
        if chunks and byte_len(chunks[-1] + "\n\n" + block) <= limit:
            chunks[-1] += "\n\n" + block
        else:
            chunks.extend(split(block, limit))
    return chunks


TRUNCATED = "……（回复较长，只显示了前一部分）"


def compose_single(text: str, options: list[tuple[str, str]], limit: int = MAX_TEXT_BYTES) -> str:
    """One message only (no customer-service API to send the rest): the head of the text, a note
    that it was shortened, and the options when they fit."""
    chunks = compose(text, options, limit)
    if len(chunks) <= 1:
        return chunks[0] if chunks else ""
    block = options_block(options)
    tail = "\n\n".join(p for p in (TRUNCATED, block) if p)
    if byte_len(tail) > limit // 2:
        tail = TRUNCATED
    head = split(text, limit - byte_len(tail) - 2)[0]
    return head + "\n" + tail
