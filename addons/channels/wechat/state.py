"""In-process memory of the WeChat channel: processed messages (for WeChat's retries) and each
user's last numbered options.

Both are bounded (least recently used entries go first) and expire. They live in the Rasa process:
with several Rasa replicas behind a load balancer, route a user's requests to one replica (e.g. hash
on the `openid` query parameter) or retries may be processed twice.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Generic, TypeVar

V = TypeVar("V")


class ExpiringLRU(Generic[V]):
    def __init__(self, ttl: float, max_items: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.max_items, self._clock = ttl, max_items, clock
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] < self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: str, value: V) -> None:
        self._items[key] = (self._clock() + self.ttl, value)
        self._items.move_to_end(key)
        self._evict()

    def pop(self, key: str) -> V | None:
        item = self._items.pop(key, None)
        return item[1] if item else None

    def _evict(self) -> None:
        now = self._clock()
        while self._items:
            key, (expires, _) = next(iter(self._items.items()))
            if len(self._items) > self.max_items or expires < now:
                del self._items[key]
            else:
                break

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Delivery:
    """One incoming message (or event) and its reply, shared by WeChat's retries of it."""

    task: asyncio.Task
    reply_time: int = field(default_factory=lambda: int(time.time()))
    deferred: bool = False        # "success" was given: the whole reply goes by the customer-service API
    followups_sent: bool = False  # the parts after the passive reply were handed to that API
