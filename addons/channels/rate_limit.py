"""Message rate limits for the public channels: token buckets per sender and per address, so a
script cannot flood the assistant while a person typing never meets the limit. Rasa-free.

Defaults (environment): RATE_LIMIT_MESSAGES=20 per RATE_LIMIT_SECONDS=10 for one sender (a
conversation id, a WeChat OpenID), RATE_LIMIT_ADDRESS_MESSAGES=120 per the same window for one
client address (several sellers may share an office's address), RATE_LIMIT_SOCKETS=20 open chat
sockets per address. RATE_LIMIT_MESSAGES=0 turns the limits off. Limits are kept in each process:
with several Rasa replicas a sender's REST messages spread over them, so the effective limit is
higher by their number (socket.io and WeChat are pinned to one replica by nginx).
A limited message is refused before Rasa sees it: nothing of it reaches the tracker store.
"""
from __future__ import annotations

import math
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Mapping

# Buckets kept at most; the least recently used are forgotten first (a full bucket is the default).
MAX_KEYS = 50_000


class TokenBucket:
    """`capacity` messages at once, refilled at capacity / window per second, per key."""

    def __init__(self, capacity: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.rate, self.clock = capacity, capacity / window, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, when)

    def take(self, key: str) -> float:
        """0 when a message may pass (and it is counted), else the seconds until one may."""
        if self.capacity <= 0:
            return 0.0
        now = self.clock()
        tokens, when = self._buckets.pop(key, (float(self.capacity), now))
        tokens = min(self.capacity, tokens + (now - when) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1 - tokens) / self.rate
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return wait


@dataclass
class Verdict:
    retry_after: float  # 0: allowed
    first: bool  # the first refusal since the sender was last allowed: tell them, once

    @property
    def allowed(self) -> bool:
        return self.retry_after <= 0


class MessageLimits:
    def __init__(self, env: Mapping[str, str] = os.environ, clock: Callable[[], float] = time.monotonic) -> None:
        window = float(env.get("RATE_LIMIT_SECONDS", "10"))
        self.per_sender = TokenBucket(int(env.get("RATE_LIMIT_MESSAGES", "20")), window, clock)
        self.per_address = TokenBucket(int(env.get("RATE_LIMIT_ADDRESS_MESSAGES", "120")), window, clock)
        self.sockets_per_address = int(env.get("RATE_LIMIT_SOCKETS", "20"))
        self._told: set[str] = set()

    def check(self, sender: str, address: str | None) -> Verdict:
        wait = self.per_sender.take("s:" + sender)
        if wait <= 0 and address:
            wait = self.per_address.take("a:" + address)
        if wait <= 0:
            self._told.discard(sender)
            return Verdict(0.0, False)
        first = sender not in self._told
        if first:
            if len(self._told) > MAX_KEYS:
                self._told.clear()
            self._told.add(sender)
        return Verdict(wait, first)


_LOOPBACK = ("127.", "::1", "localhost")


def client_address(peer: str | None, forwarded_for: str | None = None) -> str | None:
    """The address a per-address limit counts: the peer's, or, behind a local proxy (nginx on this
    machine: only it can connect from loopback), the address it forwarded. None for a local client
    with nothing forwarded (a benchmark, a test, the console): not limited by address."""
    if peer and not peer.startswith(_LOOPBACK):
        return peer
    forwarded = (forwarded_for or "").split(",")[-1].strip()  # the hop nginx itself added
    return forwarded if forwarded and not forwarded.startswith(_LOOPBACK) else None


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
