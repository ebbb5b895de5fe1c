"""Rasa's Redis lock store with atomic updates, for several Rasa replicas (docs/deployment.md).

Rasa 3.6's `RedisLockStore` changes a conversation's ticket lock with GET, change in Python, SET.
Two replicas handling messages of the same conversation at the same moment can interleave those
steps, and one replica's write then undoes the other's:
  * a replica finishing a message (`cleanup`) and another issuing a ticket for the next one: the
    finished ticket is written back, so the next message waits for the ticket lifetime (60 s) and
    then fails, or the new ticket is dropped and its message fails with a LockError;
  * two replicas issuing tickets at once: both get the same number and run concurrently.
The topology's burst test (tests/e2e/test_topology.py) met these within a few runs: a message hung for
87 s, got a 503 and was never stored. Rasa Plus added a separate "concurrent" Redis lock store for
this (RasaHQ/rasa#11256); Rasa Open Source 3.6 has none.

`AtomicRedisLockStore` keeps Rasa's ticket lock — the same keys (`lock:<sender_id>`), the same JSON
value, the same ticket numbers and lifetimes — but every change to a lock is one Lua script that
Redis runs atomically. Reads (`get_lock`) are Rasa's own. Waiting differs in three ways, each found
by the failure drills (bench/drills.py) when a replica was killed mid-message:
  * a waiting message renews its own ticket each time it looks: in Rasa a ticket's lifetime runs
    from the moment it is issued, so a message queued behind a dead replica's ticket could see its
    own expire in the same second as that one (it looks once a second) and then wait forever —
    the seller's next message hung for Sanic's 60 s and failed. Lifetimes now bound only how long
    a holder may take (TICKET_LOCK_LIFETIME; the topology sets 10 s);
  * it looks every WAIT_SECONDS (50 ms) instead of every second, so a message typed while the
    previous one is being answered starts as soon as that one finishes;
  * a lock that vanished while waiting (Redis restarted; nothing is kept on disk) is joined again
    at the end of the queue, where Rasa failed the message with a LockError;
  * Redis refusing connections (restarting) is waited out for up to LOCK_STORE_RETRY_SECONDS
    (default 3) before the message fails with that LockError (and the seller's apology).

endpoints.yml (scripts/runtime_config.py writes it when REDIS_URL is set):

    lock_store:
      type: addons.stores.lock_store.AtomicRedisLockStore
      url: redis.example.internal
      port: 6379
      db: 0
      password: ...        # optional, like Rasa's `redis` lock store
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# Rasa's format: {"conversation_id": id, "tickets": ["{\"number\": n, \"expires\": t}", ...]} — each
# ticket is itself a JSON string. The scripts keep the strings of the tickets they keep unchanged.
_LUA_COMMON = """
local function live_tickets(raw, now)
  local kept = {}
  if not raw then return kept end
  local lock = cjson.decode(raw)
  local tickets = lock['tickets']
  if type(tickets) ~= 'table' then return kept end
  for _, t in ipairs(tickets) do
    local ticket = cjson.decode(t)
    if tonumber(ticket['expires']) >= now then
      table.insert(kept, {number = tonumber(ticket['number']), raw = t})
    end
  end
  return kept
end
local function encode(conversation_id, tickets)
  local parts = {}
  for i, t in ipairs(tickets) do parts[i] = cjson.encode(t.raw) end
  return '{"conversation_id": ' .. cjson.encode(conversation_id) .. ', "tickets": [' .. table.concat(parts, ', ') .. ']}'
end
"""

# KEYS[1] lock key; ARGV: conversation id, now, expiry of the new ticket (as Python writes it).
# Drops expired tickets, appends ticket last+1 (0 for a new lock) and returns its number.
_ISSUE = _LUA_COMMON + """
local tickets = live_tickets(redis.call('GET', KEYS[1]), tonumber(ARGV[2]))
local number = 0
if #tickets > 0 then number = tickets[#tickets].number + 1 end
table.insert(tickets, {number = number, raw = '{"number": ' .. number .. ', "expires": ' .. ARGV[3] .. '}'})
redis.call('SET', KEYS[1], encode(ARGV[1], tickets))
return number
"""

# KEYS[1] lock key; ARGV: conversation id, now, ticket number. Removes the ticket; deletes the lock
# when no live ticket is left (Rasa's finish_serving + cleanup). Returns the tickets left.
_FINISH = _LUA_COMMON + """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local kept = {}
for _, t in ipairs(live_tickets(raw, tonumber(ARGV[2]))) do
  if t.number ~= tonumber(ARGV[3]) then table.insert(kept, t) end
end
if #kept == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], encode(ARGV[1], kept))
end
return #kept
"""

# KEYS[1] lock key; ARGV: conversation id, now. Drops expired tickets (Rasa's update_lock).
_EXPIRE = _LUA_COMMON + """
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local kept = live_tickets(raw, tonumber(ARGV[2]))
redis.call('SET', KEYS[1], encode(ARGV[1], kept))
return #kept
"""


# KEYS[1] lock key; ARGV: conversation id, now, ticket number, its new expiry. A waiting message's
# look: drops expired tickets, renews this one (or queues it again, last, when it is gone) and
# returns {its number, the number now served}.
_WAIT = _LUA_COMMON + """
local tickets = live_tickets(redis.call('GET', KEYS[1]), tonumber(ARGV[2]))
local number = tonumber(ARGV[3])
local mine = nil
for i, t in ipairs(tickets) do
  if t.number == number then mine = i end
end
if mine == nil then
  number = 0
  if #tickets > 0 then number = tickets[#tickets].number + 1 end
  table.insert(tickets, {number = number})
  mine = #tickets
end
tickets[mine].raw = '{"number": ' .. number .. ', "expires": ' .. ARGV[4] .. '}'
redis.call('SET', KEYS[1], encode(ARGV[1], tickets))
return {number, tickets[1].number}
"""

WAIT_SECONDS = 0.05
logger = logging.getLogger(__name__)


class _Outage:
    """Waits out Redis refusing connections, up to `seconds` in all; re-raises anything else."""

    def __init__(self, seconds: float) -> None:
        self.give_up, self.delay = time.monotonic() + seconds, 0.1

    async def wait_out(self, error: LockError, cause: Optional[BaseException] = None) -> None:
        cause = cause or error.__cause__
        if not isinstance(cause, redis.exceptions.ConnectionError) or time.monotonic() + self.delay > self.give_up:
            raise error
        logger.warning("lock store: Redis unreachable (%s); trying again in %.1f s", cause, self.delay)
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, 1.0)


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose lock changes are atomic across processes (see the module docstring)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        # Rasa builds custom lock stores as `cls(endpoint_config=...)`; tests may pass kwargs.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self._issue = self.red.register_script(_ISSUE)
        self._finish = self.red.register_script(_FINISH)
        self._expire = self.red.register_script(_EXPIRE)
        self._wait = self.red.register_script(_WAIT)

    def _key(self, conversation_id: Text) -> Text:
        return self.key_prefix + conversation_id

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        now = time.time()
        try:
            return int(self._issue(keys=[self._key(conversation_id)],
                                   args=[conversation_id, repr(now), json.dumps(now + lock_lifetime)]))
        except Exception as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = WAIT_SECONDS) -> AsyncGenerator[TicketLock, None]:
        """Rasa's `lock()`: a ticket, then the wait for its turn (renewing it), then the ticket
        finished, whatever happens in between."""
        outage = _Outage(float(os.environ.get("LOCK_STORE_RETRY_SECONDS", "3")))
        while True:
            try:
                held = [self.issue_ticket(conversation_id, lock_lifetime)]
                break
            except LockError as e:
                await outage.wait_out(e)
        try:
            while True:
                now = time.time()
                try:
                    ticket, serving = self._wait(keys=[self._key(conversation_id)],
                                                 args=[conversation_id, repr(now), held[0], json.dumps(now + lock_lifetime)])
                    held[0] = int(ticket)
                    if int(serving) != held[0]:
                        await asyncio.sleep(wait_time_in_seconds)
                        continue
                    lock = self.get_lock(conversation_id)
                except redis.exceptions.ConnectionError as e:
                    await outage.wait_out(LockError(f"Error while waiting for the lock. Error:\n{e}"), e)
                    continue
                if lock is not None:  # else it vanished in between: join it again
                    break
            yield lock
        finally:
            try:
                self.cleanup(conversation_id, held[0])
            except Exception as e:  # Redis gone: the message was answered; its ticket expires by itself
                logger.warning("lock store: could not finish ticket %s of %s: %r", held[0], conversation_id, e)

    def update_lock(self, conversation_id: Text) -> None:
        self._expire(keys=[self._key(conversation_id)], args=[conversation_id, repr(time.time())])

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._finish(keys=[self._key(conversation_id)], args=[conversation_id, repr(time.time()), ticket_number])

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # finish_serving already deletes a lock nobody waits for, in the same atomic step
        self.finish_serving(conversation_id, ticket_number)
