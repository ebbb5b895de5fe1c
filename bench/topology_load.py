"""A bounded load on the production topology (scripts/topology.sh), then a check of what it stored.

The load, over REST through nginx:
  * CONVERSATIONS sellers at once, each playing one of the conversations bench/load.py uses (the test
    stories' dialogues) under its own sender id, waiting for each reply before the next turn;
  * meanwhile BURSTS senders that each send the turns of a 4–5 turn conversation in quick succession
    without waiting for the replies (a seller typing several short messages in a row). nginx spreads
    one sender's requests over the replicas, so only the Redis lock store keeps them apart and in
    order. Paced (the default): each message goes GAP seconds after the previous one holds its
    ticket in the lock store (has reached a replica) — never waiting for its reply, so the messages
    queue behind each other in the lock. --unpaced: GAP seconds after the previous one was sent;
    then a replica busy with other work for longer than GAP may take up a later message first
    (Rasa orders a conversation's messages by their arrival at a replica), which this measures.
Every request carries an X-Request-ID (sender:turn) that nginx writes to its access log with the
replica ($upstream_addr) that served it.

The check, from the tracker store (PostgreSQL, table `events`) and the access log:
  * every request answered 200 with a reply that is not the "system busy" apology;
  * for every sender, the user turns stored are exactly the ones sent, in the order they were sent
    (nothing lost, duplicated or reordered), each followed by at least one bot reply, with
    non-decreasing timestamps;
  * both replicas served requests, and bursts really were split across replicas.

    .venv/bin/python bench/topology_load.py --topology-env .run/topology/topology.env
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import shlex
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import conversations, percentile  # noqa: E402
from conversation import replies  # noqa: E402

APOLOGY = replies.action_unavailable().text


@dataclass
class Sent:
    sender: str
    turn: int
    text: str
    kind: str  # "conversation" | "burst"
    status: int = 0
    latency_ms: float = 0.0
    replies: list = field(default_factory=list)  # the texts of the REST reply
    error: str = ""
    done: bool = False
    pending: list = field(default_factory=list)  # request ids of the sender's unanswered messages when sent
    queued_ms: float | None = None  # paced bursts: from sending until its ticket was in the lock store

    @property
    def request_id(self) -> str:
        return f"{self.sender}:{self.turn}"


@dataclass
class LoadResult:
    sent: list[Sent] = field(default_factory=list)
    seconds: float = 0.0

    def errors(self) -> list[str]:
        return [f"{s.request_id} {s.text!r}: {s.error}" for s in self.sent if s.error]

    def senders(self) -> dict[str, list[Sent]]:
        by_sender: dict[str, list[Sent]] = collections.defaultdict(list)
        for s in self.sent:
            by_sender[s.sender].append(s)
        return {k: sorted(v, key=lambda s: s.turn) for k, v in by_sender.items()}


async def _post(session: aiohttp.ClientSession, url: str, item: Sent, started: float) -> None:
    t0 = time.perf_counter()
    try:
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": item.sender, "message": item.text},
                                headers={"X-Request-ID": item.request_id}) as response:
            item.status = response.status
            body = await response.json(content_type=None)
    except Exception as error:  # noqa: BLE001 - every failure is an error of the run
        item.error = repr(error)[:200]
        return
    finally:
        item.latency_ms = (time.perf_counter() - t0) * 1000
        item.done = True
    texts = [m.get("text") or "" for m in body] if isinstance(body, list) else []
    item.replies = [t for t in texts if t]
    if item.status != 200:
        item.error = f"HTTP {item.status}: {str(body)[:120]}"
    elif not any(texts):
        item.error = f"no reply: {str(body)[:120]}"
    elif any(APOLOGY in t for t in texts):
        item.error = "the 'system busy' apology (an action failed or timed out)"


async def _conversation(session, url, script, items, started, delay):
    await asyncio.sleep(delay)
    sender = "topo-c-" + uuid.uuid4().hex[:12]
    for turn, text in enumerate(script):
        item = Sent(sender, turn, text, "conversation")
        items.append(item)
        await _post(session, url, item, started)


async def _queued(red, sender: str, inflight: list[Sent], timeout: float = 30.0) -> bool:
    """Until every unanswered message of `sender` holds a ticket in the lock store (Rasa's format:
    key lock:<sender>, {"tickets": [...]}; a ticket lives from arrival at a replica to the reply)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        waiting = sum(1 for s in inflight if not s.done)
        if not waiting:
            return True
        raw = await red.get("lock:" + sender)
        if raw and len(json.loads(raw).get("tickets", [])) >= waiting:
            return True
        await asyncio.sleep(0.005)
    return False


async def _burst(session, url, script, items, started, delay, gap, red):
    await asyncio.sleep(delay)
    sender = "topo-b-" + uuid.uuid4().hex[:12]
    posts: list = []
    sent: list[Sent] = []
    for turn, text in enumerate(script):
        if turn:
            if red is not None:
                t0 = time.perf_counter()
                if not await _queued(red, sender, sent):
                    sent[-1].error = sent[-1].error or "its ticket never appeared in the lock store"
                sent[-1].queued_ms = (time.perf_counter() - t0) * 1000
            await asyncio.sleep(gap)
        item = Sent(sender, turn, text, "burst")
        item.pending = [s.request_id for s in sent if not s.done]
        items.append(item)
        sent.append(item)
        posts.append(asyncio.create_task(_post(session, url, item, started)))
    await asyncio.gather(*posts)


async def _load(url: str, n_conversations: int, n_bursts: int, gap: float, spread: float,
                redis_url: str | None) -> LoadResult:
    scripts = conversations()
    # bursts: conversations of 4–5 turns whose turns differ (so a swap would be visible)
    burst_scripts = [s for s in scripts if len(s) >= 4 and len(set(s)) == len(s)]
    items: list[Sent] = []
    red = None
    if redis_url:
        import redis.asyncio

        red = redis.asyncio.from_url(redis_url)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.perf_counter()
        tasks = [_conversation(session, url, script, items, started, spread * i / max(1, n_conversations))
                 for i, script in zip(range(n_conversations), itertools.cycle(scripts))]
        tasks += [_burst(session, url, script, items, started, spread * (i + 0.5) / max(1, n_bursts), gap, red)
                  for i, script in zip(range(n_bursts), itertools.cycle(burst_scripts))]
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - started
    if red is not None:
        await red.close()
    return LoadResult(items, seconds)


def run_load(url: str, conversations: int = 30, bursts: int = 10, gap: float = 0.01, spread: float = 5.0,
             redis_url: str | None = None) -> LoadResult:
    """The load; conversations and bursts start spread over the first `spread` seconds. With
    `redis_url` (the lock store's), bursts are paced on the lock store's tickets (see above)."""
    return asyncio.run(_load(url.rstrip("/"), conversations, bursts, gap, spread, redis_url))


# -- the tracker store ---------------------------------------------------------------------------


def stored_events(db_url: str, senders: list[str]) -> dict[str, list[tuple[str, float, dict]]]:
    """sender → [(type_name, timestamp, data)] in the order the tracker store wrote them."""
    import psycopg2

    events: dict[str, list] = collections.defaultdict(list)
    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT sender_id, type_name, timestamp, data FROM events WHERE sender_id = ANY(%s) "
                       "ORDER BY id", (senders,))
        for sender, type_name, timestamp, data in cursor.fetchall():
            events[sender].append((type_name, timestamp, json.loads(data or "{}")))
    connection.close()
    return events


def check_tracker_store(db_url: str, result: LoadResult) -> list[str]:
    """What is wrong in the tracker store: lost, extra or reordered user turns, turns without a reply
    or with another reply than the sender got."""
    problems = []
    by_sender = result.senders()
    stored = stored_events(db_url, list(by_sender))
    for sender, sent in by_sender.items():
        events = stored.get(sender, [])
        user = [(i, e) for i, e in enumerate(events) if e[0] == "user"]
        got = [e[2].get("text") or "" for _, e in user]
        want = [s.text for s in sent]
        if got != want:
            what = "reordered" if sorted(got) == sorted(want) else "lost or duplicated"
            problems.append(f"{sender} ({sent[0].kind}) {what}: sent {want}, stored {got}")
            continue
        times = [e[1] for _, e in user]
        if times != sorted(times):
            problems.append(f"{sender}: user turns stored with decreasing timestamps {times}")
        bounds = [i for i, _ in user] + [len(events)]
        for item, (i, _), end in zip(sent, user, bounds[1:], strict=True):
            bot = [d.get("text") for t, _, d in events[i + 1:end] if t == "bot" and d.get("text")]
            if not bot:
                problems.append(f"{sender}: no bot reply stored after {item.text!r}")
            elif item.replies and bot != item.replies:
                problems.append(f"{sender}: the reply stored after {item.text!r} is not the one its sender got")
    return problems


# -- the load balancer's access log --------------------------------------------------------------


def served_by(access_log: Path, request_ids: set[str]) -> dict[str, str]:
    """request id → the replica ($upstream_addr) nginx sent it to."""
    wanted = request_ids
    replica = {}
    for line in access_log.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = shlex.split(line)  # msec addr request status upstream time upstream_time request_id
        if len(parts) >= 8 and parts[7] in wanted:
            replica[parts[7]] = parts[4]
    return replica


def spread_report(access_log: Path, result: LoadResult) -> dict:
    replica = served_by(access_log, {s.request_id for s in result.sent})
    per_replica = collections.Counter(replica.values())
    bursts = [v for v in result.senders().values() if v[0].kind == "burst"]
    split = sum(1 for b in bursts if len({replica.get(s.request_id) for s in b}) > 1)
    # a message taken up by one replica while the same conversation had one pending on another: the
    # case only a shared lock store gets right
    crossed = sum(1 for s in result.sent if any(replica.get(p) not in (None, replica.get(s.request_id))
                                                for p in s.pending))
    return {"requests_logged": len(replica), "per_replica": dict(per_replica),
            "bursts": len(bursts), "bursts_split_across_replicas": split,
            "burst_messages_sent_while_one_was_pending_on_the_other_replica": crossed}


def summary(result: LoadResult) -> dict:
    latencies = [s.latency_ms for s in result.sent if not s.error]
    bursts = [s for s in result.sent if s.kind == "burst"]
    queued = [s.queued_ms for s in bursts if s.queued_ms is not None]
    return {"requests": len(result.sent), "errors": len(result.errors()), "seconds": round(result.seconds, 1),
            "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies), 1) if latencies else None,
            "burst_messages": len(bursts),
            "burst_messages_sent_while_an_earlier_one_was_unanswered": sum(bool(s.pending) for s in bursts),
            "burst_ticket_wait_ms_p50_max": [round(percentile(queued, 50), 1), round(max(queued), 1)] if queued else None}


def read_env(path: Path) -> dict:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            env[key] = value.strip().strip('"')
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topology-env", default=str(ROOT / ".run" / "topology" / "topology.env"),
                        help="written by scripts/topology.sh: the URL, the tracker store, the access log")
    parser.add_argument("--conversations", type=int, default=30)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--gap", type=float, default=0.01, help="seconds between a burst's messages")
    parser.add_argument("--unpaced", action="store_true",
                        help="send a burst's messages GAP apart without waiting for their tickets")
    parser.add_argument("--spread", type=float, default=5.0, help="start everything within these seconds")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "topology.json"))
    args = parser.parse_args()
    env = read_env(Path(args.topology_env))
    result = run_load(env["TOPOLOGY_URL"], args.conversations, args.bursts, args.gap, args.spread,
                      None if args.unpaced else env["REDIS_URL"])
    report = {"load": summary(result), "spread": spread_report(Path(env["NGINX_ACCESS_LOG"]), result),
              "tracker_store_problems": check_tracker_store(env["TRACKER_DB_URL"], result),
              "error_samples": result.errors()[:10],
              "settings": {k: getattr(args, k) for k in ("conversations", "bursts", "gap", "unpaced", "spread")}}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    ok = not report["tracker_store_problems"] and not report["error_samples"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
