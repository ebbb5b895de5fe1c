"""The Redis lock store the replicas share (addons/stores/lock_store.py), against a real Redis server:
Rasa's lock format and ticket semantics, and one holder at a time across processes.

Redis: scripts/system_deps.sh redis installs it when missing (as root; CI runs as root); a server is
started on a free loopback port with no persistence and stopped at the end."""
from __future__ import annotations

import asyncio
import json
import multiprocessing
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from tests.support.servers import ROOT, free_port, runtime_config

pytestmark = [pytest.mark.servers, pytest.mark.system]


@pytest.fixture(scope="module")
def redis_port():
    installed = subprocess.run([str(ROOT / "scripts" / "system_deps.sh"), "redis"], capture_output=True, text=True)
    if installed.returncode != 0:
        pytest.fail(f"Redis is needed for the lock store tests: {installed.stderr.strip()}")
    port, workdir = free_port(), Path(tempfile.mkdtemp(prefix="lockstore-redis-"))
    server = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(workdir),
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield port
    server.terminate()
    server.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)


def atomic(port: int):
    from addons.stores.lock_store import AtomicRedisLockStore

    return AtomicRedisLockStore(host="127.0.0.1", port=port, db=0)


def test_runtime_config_and_rasa_build_the_atomic_store(redis_port):
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.core.utils import number_of_sanic_workers
    from rasa.utils.endpoints import EndpointConfig

    from addons.stores.lock_store import AtomicRedisLockStore

    config = runtime_config.endpoints({"REDIS_URL": f"redis://127.0.0.1:{redis_port}/3"})["lock_store"]
    assert config == {"type": "addons.stores.lock_store.AtomicRedisLockStore", "url": "127.0.0.1",
                      "port": redis_port, "db": 3}
    store = LockStore.create(EndpointConfig.from_dict(config))
    assert isinstance(store, AtomicRedisLockStore) and isinstance(store, RedisLockStore)
    assert store.red.connection_pool.connection_kwargs["db"] == 3
    assert number_of_sanic_workers(store) == 1  # SANIC_WORKERS > 1 is allowed with it (not in-memory)
    assert runtime_config.lock_store("rediss://u:pw@redis.internal:6380/1") == {
        "type": "addons.stores.lock_store.AtomicRedisLockStore", "url": "redis.internal", "port": 6380, "db": 1,
        "username": "u", "password": "pw", "use_ssl": True}


def test_tickets_are_rasas_tickets_in_rasas_format(redis_port):
    from rasa.core.lock_store import RedisLockStore

    store, stock = atomic(redis_port), RedisLockStore(host="127.0.0.1", port=redis_port, db=0)
    conversation = "seller/" + uuid.uuid4().hex  # a "/" and a quote survive the round trip
    conversation += '"'
    assert [store.issue_ticket(conversation) for _ in range(3)] == [0, 1, 2]
    raw = json.loads(store.red.get("lock:" + conversation))
    assert raw["conversation_id"] == conversation and all(isinstance(t, str) for t in raw["tickets"])
    lock = stock.get_lock(conversation)  # Rasa's own reader
    assert [t.number for t in lock.tickets] == [0, 1, 2] and lock.now_serving == 0
    assert stock.issue_ticket(conversation) == 3  # Rasa's writer continues the same lock ...
    assert store.issue_ticket(conversation) == 4  # ... and so does this one
    store.cleanup(conversation, 0)
    assert store.get_lock(conversation).now_serving == 1
    for number in (2, 1, 3):
        store.cleanup(conversation, number)
    assert [t.number for t in store.get_lock(conversation).tickets] == [4]
    store.cleanup(conversation, 4)
    assert store.red.get("lock:" + conversation) is None  # nobody waiting: the lock is gone
    assert store.issue_ticket(conversation) == 0


def test_expired_tickets_are_dropped(redis_port):
    store = atomic(redis_port)
    conversation = uuid.uuid4().hex
    store.issue_ticket(conversation, lock_lifetime=0.05)
    waiting = store.issue_ticket(conversation, lock_lifetime=60)
    assert store.get_lock(conversation).is_locked(waiting)
    time.sleep(0.1)
    store.update_lock(conversation)  # what a waiting message does between attempts
    assert [t.number for t in store.get_lock(conversation).tickets] == [waiting]
    assert not store.get_lock(conversation).is_locked(waiting)


def test_waiters_are_served_in_ticket_order(redis_port):
    store = atomic(redis_port)
    conversation, served = uuid.uuid4().hex, []

    async def message(i):
        await asyncio.sleep(i * 0.01)  # tickets in this order
        async with store.lock(conversation, wait_time_in_seconds=0.01):
            served.append(i)
            await asyncio.sleep(0.02)

    async def main():
        await asyncio.gather(*(message(i) for i in range(8)))

    asyncio.run(main())
    assert served == list(range(8))
    assert store.get_lock(conversation) is None


def _hold_lock_repeatedly(port: int, conversation: str, rounds: int, queue) -> None:
    """In another process: take the conversation's lock `rounds` times; count a second holder."""
    store = atomic(port)
    result = {"overlaps": 0, "errors": 0, "rounds": 0}

    async def main():
        for _ in range(rounds):
            try:
                async with store.lock(conversation, wait_time_in_seconds=0.002):
                    if store.red.incr("holders:" + conversation) != 1:
                        result["overlaps"] += 1
                    await asyncio.sleep(0.001)
                    store.red.decr("holders:" + conversation)
                    result["rounds"] += 1
            except Exception as error:  # noqa: BLE001 - a LockError is what the stock store produces
                result["errors"] += 1
                result["error"] = repr(error)[:200]

    asyncio.run(main())
    queue.put(result)


def test_processes_never_hold_one_conversation_at_once(redis_port):
    """Four processes (as four replicas would) take one conversation's lock 100 times each. Rasa's
    stock RedisLockStore fails this within seconds: two holders at once, LockErrors, and messages
    stalled for the 60 s ticket lifetime."""
    context = multiprocessing.get_context("spawn")
    queue, conversation = context.Queue(), uuid.uuid4().hex
    workers = [context.Process(target=_hold_lock_repeatedly, args=(redis_port, conversation, 100, queue))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    assert [r["overlaps"] for r in results] == [0, 0, 0, 0], results
    assert [r["errors"] for r in results] == [0, 0, 0, 0], results
    assert sum(r["rounds"] for r in results) == 400
    assert atomic(redis_port).get_lock(conversation) is None


def test_a_message_queued_behind_a_dead_holder_is_served_where_rasas_waits_forever(redis_port):
    """A replica killed mid-message leaves its ticket. Rasa's waiter looks once per interval, and its
    own ticket's lifetime runs from when it was issued: when both expire between two looks, it waits
    until the web server gives up. Here the waiter renews its ticket and is served."""
    from rasa.core.lock_store import RedisLockStore

    async def behind_a_dead_holder(store) -> bool:
        conversation = uuid.uuid4().hex
        store.issue_ticket(conversation, lock_lifetime=0.5)  # the dead holder's, never finished
        try:
            async with asyncio.timeout(3):
                async with store.lock(conversation, lock_lifetime=0.5, wait_time_in_seconds=0.4):
                    return True
        except TimeoutError:
            return False

    assert asyncio.run(behind_a_dead_holder(atomic(redis_port)))
    assert not asyncio.run(behind_a_dead_holder(RedisLockStore(host="127.0.0.1", port=redis_port, db=0)))


def test_a_lock_lost_while_waiting_is_joined_again(redis_port):
    """Redis restarted (nothing on disk): the waiting message queues again instead of failing."""
    store = atomic(redis_port)
    conversation = uuid.uuid4().hex
    holder = store.issue_ticket(conversation)

    async def main():
        async def lose_the_lock():
            await asyncio.sleep(0.1)
            store.red.delete("lock:" + conversation)

        loser = asyncio.create_task(lose_the_lock())
        async with store.lock(conversation, wait_time_in_seconds=0.02) as lock:
            assert lock.now_serving is not None
        await loser

    asyncio.run(main())
    assert holder == 0 and store.get_lock(conversation) is None


def test_redis_restarting_is_waited_out_then_the_lock_is_taken(monkeypatch, tmp_path):
    """Nothing listens on Redis's port for a moment: the message waits (Rasa's store fails it with a
    LockError at once, and so does this one when the outage outlasts LOCK_STORE_RETRY_SECONDS)."""
    from rasa.core.lock_store import LockError, RedisLockStore

    port = free_port()
    monkeypatch.setenv("LOCK_STORE_RETRY_SECONDS", "3")

    def start_redis():
        return subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp_path),
                                 "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)

    async def take(store) -> bool:
        async with store.lock("seller", wait_time_in_seconds=0.02):
            return True

    with pytest.raises(LockError):
        asyncio.run(take(RedisLockStore(host="127.0.0.1", port=port, db=0)))
    server = None

    async def redis_comes_back():
        nonlocal server
        await asyncio.sleep(0.5)
        server = start_redis()

    async def main():
        back = asyncio.create_task(redis_comes_back())
        taken = await take(atomic(port))
        await back
        return taken

    try:
        assert asyncio.run(main())
        monkeypatch.setenv("LOCK_STORE_RETRY_SECONDS", "0")
        server.terminate()
        server.wait(timeout=10)
        server = None
        with pytest.raises(LockError):
            asyncio.run(take(atomic(port)))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
