"""A hand-off to a human as the conversation records it, and when people are there to take one.

The `handoff` slot is the state both sides read: `requested` (queued; the bot keeps helping),
`taken` (an agent has the conversation; the bot stays silent), unset (the bot's). The staff console
(staff/takeover.py) sets `taken` and unsets it through Rasa's HTTP API; the conversation logic sets
`requested`, and unsets it when the seller ends the hand-off. Being in the tracker, the state holds
on every replica and across restarts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, time
from typing import Mapping
from zoneinfo import ZoneInfo

INTENT = "request_human"
SLOT = "handoff"
REQUESTED = "requested"
TAKEN = "taken"
# Consecutive turns the bot could not answer; at MISSES_BEFORE_OFFER it offers a human.
MISSES_SLOT = "misses"
# In a bot message's metadata: the agent who wrote it (staff/takeover.py); absent for the bot's own.
STAFF_KEY = "staff"
MISSES_BEFORE_OFFER = 2


@dataclass(frozen=True)
class Hours:
    """When agents answer: days of the week (1 = Monday) and a daily window in one time zone."""
    start: time
    end: time
    days: frozenset[int]
    zone: ZoneInfo

    def open_at(self, epoch: float) -> bool:
        local = datetime.fromtimestamp(epoch, self.zone)
        in_window = self.start == self.end or self.start <= local.time() < self.end  # 00:00-00:00: all day
        return local.isoweekday() in self.days and in_window

    def describe(self) -> str:
        days = sorted(self.days)
        names = "一二三四五六日"
        span = ("每天" if len(days) == 7 else
                f"周{names[days[0] - 1]}至周{names[days[-1] - 1]}" if days == list(range(days[0], days[-1] + 1))
                else "、".join(f"周{names[d - 1]}" for d in days))
        return f"{span} 全天" if self.start == self.end else f"{span} {self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class Settings:
    hours: Hours
    wait_seconds: float  # unanswered this long, the seller is told and offered the bot's help


def _days(text: str) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        out.update(range(int(first), int(last or first) + 1))
    if not out or not out <= set(range(1, 8)):
        raise ValueError(f"HANDOFF_DAYS: days are 1 (Monday) to 7, e.g. 1-5 or 1-5,7; got {text!r}")
    return frozenset(out)


def settings(env: Mapping[str, str] = os.environ) -> Settings:
    """From HANDOFF_HOURS ("09:00-18:00"; "00:00-00:00" all day), HANDOFF_DAYS ("1-5", Monday = 1), HANDOFF_TZ (an IANA
    zone, "Asia/Shanghai") and HANDOFF_WAIT_SECONDS (300)."""
    start, _, end = env.get("HANDOFF_HOURS", "09:00-18:00").partition("-")
    return Settings(
        hours=Hours(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()),
                    _days(env.get("HANDOFF_DAYS", "1-5")), ZoneInfo(env.get("HANDOFF_TZ", "Asia/Shanghai"))),
        wait_seconds=float(env.get("HANDOFF_WAIT_SECONDS", "300")),
    )
