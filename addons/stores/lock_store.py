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

`AtomicRedisLockStore` keeps Rasa's ticket lock exactly — the same keys (`lock:<sender_id>`), the
same JSON value, the same ticket numbers and lifetimes, the same `lock()` and waiting — but every
change to a lock is one Lua script that Redis runs atomically. Reads (`get_lock`) are Rasa's own.

endpoints.yml (scripts/runtime_config.py writes it when REDIS_URL is set):

    lock_store:
      type: addons.stores.lock_store.AtomicRedisLockStore
      url: redis.example.internal
      port: 6379
      db: 0
      password: ...        # optional, like Rasa's `redis` lock store
"""
from __future__ import annotations

import json
import time
from typing import Any, Optional, Text

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

    def _key(self, conversation_id: Text) -> Text:
        return self.key_prefix + conversation_id

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        now = time.time()
        try:
            return int(self._issue(keys=[self._key(conversation_id)],
                                   args=[conversation_id, repr(now), json.dumps(now + lock_lifetime)]))
        except Exception as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def update_lock(self, conversation_id: Text) -> None:
        self._expire(keys=[self._key(conversation_id)], args=[conversation_id, repr(time.time())])

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._finish(keys=[self._key(conversation_id)], args=[conversation_id, repr(time.time()), ticket_number])

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # finish_serving already deletes a lock nobody waits for, in the same atomic step
        self.finish_serving(conversation_id, ticket_number)
