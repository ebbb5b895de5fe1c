"""A message as the conversation logic sees it, and what answering it produced."""
from __future__ import annotations

from dataclasses import dataclass, field

from conversation.replies import Reply
from knowledge.text import blank_emoji


@dataclass
class Turn:
    intent: str
    text: str
    entities: list[dict]
    slots: dict
    ranking: list[dict] = field(default_factory=list)
    confidence: float = 1.0
    now: float | None = field(default=None, compare=False)  # epoch seconds, for the hand-off's service hours
    queue_ahead: int | None = None  # other sellers waiting for a human, when known

    def __post_init__(self) -> None:
        # The logic reads words and endings ("…吗😅" asks yes or no); an emoji-only message keeps its
        # text, so it is still recognised as saying nothing answerable.
        self.text = blank_emoji(self.text).rstrip() or self.text

    def values(self, entity: str) -> list[str]:
        return list(dict.fromkeys(str(e["value"]) for e in self.entities if e.get("entity") == entity))

    def first(self, entity: str) -> str | None:
        found = self.values(entity)
        return found[0] if found else None

    def has(self, *entities: str) -> bool:
        return any(e.get("entity") in entities for e in self.entities)

    def slot(self, name: str):
        return self.slots.get(name)


@dataclass
class Outcome:
    reply: Reply  # an empty text sends nothing (an agent has the conversation)
    slots: dict = field(default_factory=dict)
    answered: bool = True  # False: out of scope or not understood (counted for the hand-off offer)
    # What the seller said about an answer, for the action to store: {"rating": "down", "section": …},
    # {"reason": "wrong"} or {"note": "…"} (conversation/feedback.py).
    feedback: dict | None = None
