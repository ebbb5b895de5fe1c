"""What every public channel does with a seller's raw message before Rasa sees it: remove markup tags
and control characters, collapse whitespace, cut very long messages (with a note for the seller), and
answer an empty message politely without touching the conversation."""
from __future__ import annotations

import re
from dataclasses import dataclass

from conversation import replies
from knowledge.text import MAX_MESSAGE_CHARS, clean

MAX_SENDER_CHARS = 128
MAX_BODY_BYTES = 64 * 1024
# Markup carries no question; the assistant reads the words between the tags.
_TAG = re.compile(r"<[^<>]{0,200}>")


@dataclass(frozen=True)
class Checked:
    text: str | None  # what goes to Rasa; None: nothing to process
    notes: tuple[str, ...] = ()  # extra messages for the seller
    reply: str | None = None  # answered here instead of by Rasa


def check_message(raw) -> Checked:
    if not isinstance(raw, str):
        return Checked(None, reply=replies.bad_input().text)
    if raw.startswith("/"):  # a button payload: Rasa parses it, it is not free text
        return Checked(raw[:MAX_MESSAGE_CHARS])
    full = clean(_TAG.sub(" ", raw), limit=len(raw))
    if not full:
        return Checked(None, reply=replies.bad_input().text)
    if len(full) > MAX_MESSAGE_CHARS:
        return Checked(full[:MAX_MESSAGE_CHARS], notes=(replies.message_cut(MAX_MESSAGE_CHARS).text,))
    return Checked(full)


def valid_sender(sender) -> bool:
    return isinstance(sender, str) and 0 < len(sender) <= MAX_SENDER_CHARS and sender.isprintable()
