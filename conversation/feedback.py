"""Sellers rating answers: 👍 / 👎 on each answer that cites the document, a reason for a 👎, and an
optional note. The conversation logic decides what was said; the action stores it (staff/feedback.py)
and nothing else changes: a seller who ignores the buttons goes on as before."""
from __future__ import annotations

INTENT = "feedback"
RATING = "feedback"  # entity: up | down
REASON = "feedback_reason"  # entity: one of REASONS
# What the conversation waits for after a 👎: "reason" (a pick or typed label), then "note" after 其他.
PENDING_SLOT = "feedback_pending"
REASONS = ("irrelevant", "wrong", "unclear", "other")
# The vocabulary's cue words for each reason typed in words (knowledge/vocabulary.yml `cues`).
REASON_CUES = {reason: f"feedback_{reason}" for reason in REASONS}
