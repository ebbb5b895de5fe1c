"""Failure drills on the production topology (scripts/topology.sh) under a steady load.

Sellers' conversations (the test stories' dialogues, a new sender for each, every turn waiting for
its reply) run over REST through nginx the whole time. After a few seconds each drill breaks one
component, waits until it is back, and keeps the load going a few seconds more:

  rasa-killed          one Rasa replica SIGKILLed: nginx sends its traffic to the other one, the
                       supervisor starts it again
  postgres-restarted   PostgreSQL, the tracker store, restarted (fast shutdown, start)
  redis-restarted      Redis, the lock store, restarted (its locks are gone: nothing is kept on disk)
  actions-restarted    the action server restarted

For each drill: requests, replies, errors (no 200, or no reply), apologies (the assistant's "系统刚才
有点忙" line), when the first and the last of them came after the fault, when the component was back
(and answering), the time to recover (the later of the two), and from PostgreSQL: every turn
acknowledged with a 200 and a real reply is stored once and in the order it was sent ("lost",
"duplicated"); turns that were not acknowledged may be stored or not, and are counted.

    .venv/bin/python bench/drills.py [--topology-env .run/topology/topology.env] [--drills rasa-killed,...]
                                     [--conversations 16] [--before 5] [--after 10]

Against a running `make topology`; writes bench/results/drills.json. tests/e2e/test_topology.py runs
the same drills on a topology of its own.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import conversations, percentile, write_result  # noqa: E402
from bench.topology_load import read_env, served_by, stored_events  # noqa: E402
from conversation import replies  # noqa: E402

APOLOGY = replies.action_unavailable().text
BACK_WITHIN_SECONDS = 180  # a replica loading its model on a busy 2-core machine


@dataclass
class Turn:
    sender: str
    index: int
    text: str
    sent_at: float = 0.0  # seconds since the drill started
    done_at: float = 0.0
    status: int = 0
    replies: list = field(default_factory=list)
    error: str = ""

    @property
    def request_id(self) -> str:
        return f"{self.sender}:{self.index}"

    @property
    def apology(self) -> bool:
        return any(APOLOGY in r for r in self.replies)

    @property
    def acknowledged(self) -> bool:
        """A 200 with a real reply: the seller was answered, so the turn must be stored."""
        return self.status == 200 and bool(self.replies) and not self.apology and not self.error

    @property
    def failed(self) -> bool:
        return not self.acknowledged


# -- the load ----------------------------------------------------------------------------------------


async def _send(session: aiohttp.ClientSession, url: str, turn: Turn, clock: Callable[[], float]) -> None:
    turn.sent_at = clock()
    try:
        async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": turn.sender, "message": turn.text},
                                headers={"X-Request-ID": turn.request_id}) as response:
            turn.status = response.status
            if response.status != 200:
                turn.error = f"HTTP {response.status}"
                return
            body = await response.json(content_type=None)
            turn.replies = [m.get("text") for m in body if isinstance(m, dict) and m.get("text")] \
                if isinstance(body, list) else []
            if not turn.replies:
                turn.error = "no reply"
    except Exception as error:  # noqa: BLE001 - every failure is counted
        turn.error = type(error).__name__ + (f": {error}"[:120] if str(error) else "")
    finally:
        turn.done_at = clock()


async def _seller(session, url, scripts, tag: str, turns: list[Turn], stop: asyncio.Event, clock) -> None:
    while not stop.is_set():
        sender = f"drill-{tag}-{uuid.uuid4().hex[:10]}"
        for index, text in enumerate(next(scripts)):
            if stop.is_set():
                return
            turn = Turn(sender, index, text)
            turns.append(turn)
            await _send(session, url, turn, clock)
            if turn.failed:
                await asyncio.sleep(0.2)  # a seller reads the apology before typing on


# -- the faults and how to tell each component is back -------------------------------------------------


@dataclass
class Topology:
    url: str
    env: dict

    def ctl(self, *args: str, check: bool = True) -> str:
        done = subprocess.run([*shlex.split(self.env["SUPERVISORCTL"]), *args], capture_output=True, text=True,
                              timeout=180)
        if check and done.returncode not in (0,):
            raise RuntimeError(f"supervisorctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout.strip()

    def pid(self, program: str) -> int:
        return int(self.ctl("pid", program))

    def running(self, program: str) -> bool:
        return "RUNNING" in self.ctl("status", program, check=False)

    def replica_urls(self) -> list[str]:
        return self.env["RASA_URLS"].split()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except Exception:  # noqa: BLE001 - not yet
        return False


def _postgres_answers(db_url: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(db_url, connect_timeout=2).close()
        return True
    except Exception:  # noqa: BLE001 - not yet
        return False


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001 - not yet
        return False


@dataclass
class Drill:
    name: str
    program: str
    what: str
    fault: Callable[[Topology], dict]
    back: Callable[[Topology, dict], bool]


def _kill_replica(topo: Topology) -> dict:
    pid = topo.pid("rasa-1")
    at = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    return {"killed_pid": pid, "at": at}


def _replica_back(topo: Topology, fault: dict) -> bool:
    try:
        pid = topo.pid("rasa-1")
    except (RuntimeError, ValueError):
        return False
    return pid not in (0, fault["killed_pid"]) and topo.running("rasa-1") and _answers(topo.replica_urls()[0] + "/")


def _restart(program: str) -> Callable[[Topology], dict]:
    def fault(topo: Topology) -> dict:
        before = topo.pid(program)
        at = time.perf_counter()
        topo.ctl("restart", program)
        return {"old_pid": before, "at": at}
    return fault


def _actions_health(env: dict) -> str:
    return env["ACTIONS_URL"].rsplit("/webhook", 1)[0] + "/health"


DRILLS = [
    Drill("rasa-killed", "rasa-1", "one Rasa replica killed (SIGKILL)", _kill_replica, _replica_back),
    Drill("postgres-restarted", "postgres", "PostgreSQL (tracker store) restarted", _restart("postgres"),
          lambda topo, _: topo.running("postgres") and _postgres_answers(topo.env["TRACKER_DB_URL"])),
    Drill("redis-restarted", "redis", "Redis (lock store) restarted", _restart("redis"),
          lambda topo, _: topo.running("redis") and _redis_answers(topo.env["REDIS_URL"])),
    Drill("actions-restarted", "actions", "the action server restarted", _restart("actions"),
          lambda topo, _: topo.running("actions") and _answers(_actions_health(topo.env))),
]
BY_NAME = {d.name: d for d in DRILLS}


# -- one drill -----------------------------------------------------------------------------------------


async def _run(topo: Topology, drill: Drill, n_sellers: int, before: float, after: float) -> dict:
    started = time.perf_counter()

    def clock() -> float:
        return time.perf_counter() - started

    turns: list[Turn] = []
    stop = asyncio.Event()
    scripts = itertools.cycle(conversations())
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        sellers = [asyncio.create_task(_seller(session, topo.url, scripts, drill.name, turns, stop, clock))
                   for _ in range(n_sellers)]
        await asyncio.sleep(before)
        fault = await asyncio.to_thread(drill.fault, topo)
        fault_at = fault.pop("at") - started
        back_at = None
        while clock() - fault_at < BACK_WITHIN_SECONDS:
            if await asyncio.to_thread(drill.back, topo, fault):
                back_at = clock()
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(after)
        stop.set()
        await asyncio.gather(*sellers)
        ended_at = clock()
    return {"turns": turns, "fault_at": fault_at, "back_at": back_at, "ended_at": ended_at, "fault": fault}


def check_stored(db_url: str, turns: list[Turn]) -> dict:
    """Every acknowledged turn stored once and in order; what else was stored."""
    by_sender: dict[str, list[Turn]] = {}
    for turn in turns:
        by_sender.setdefault(turn.sender, []).append(turn)
    stored = stored_events(db_url, list(by_sender))
    lost, duplicated, unacknowledged_stored = [], [], 0
    for sender, sent in by_sender.items():
        texts = [data.get("text") or "" for kind, _, data in stored.get(sender, []) if kind == "user"]
        position = 0
        for text in texts:  # each stored user turn is the next sent turn with its text, in order
            match = next((i for i in range(position, len(sent)) if sent[i].text == text), None)
            if match is None:
                duplicated.append(f"{sender}: {text!r} stored again or out of order")
                continue
            lost += [f"{sender}:{t.index} {t.text!r}" for t in sent[position:match] if t.acknowledged]
            unacknowledged_stored += not sent[match].acknowledged
            position = match + 1
        lost += [f"{sender}:{t.index} {t.text!r}" for t in sent[position:] if t.acknowledged]
    return {"lost": lost, "duplicated": duplicated, "unacknowledged_but_stored": unacknowledged_stored}


def report(topo: Topology, drill: Drill, run: dict) -> dict:
    turns: list[Turn] = run["turns"]
    fault_at, back_at, ended_at = run["fault_at"], run["back_at"], run["ended_at"]
    failures = [t for t in turns if t.failed]
    after_fault = [t for t in failures if t.done_at >= fault_at]
    last_failure = max((t.done_at for t in after_fault), default=None)
    settled = [t for t in turns if t.sent_at >= ended_at - 5]  # the last seconds of the run
    latencies = [(t.done_at - t.sent_at) * 1000 for t in turns if t.acknowledged]
    out = {
        "drill": drill.name, "what": drill.what,
        "requests": len(turns), "acknowledged": sum(t.acknowledged for t in turns),
        "errors": sum(1 for t in failures if t.error), "apologies": sum(t.apology for t in turns),
        "failures_before_fault": len(failures) - len(after_fault),
        "failures_sent_after_the_fault": sum(1 for t in failures if t.sent_at > fault_at),
        # nginx has seen the component fail by then: what fails later was not routed around
        "failures_sent_1s_after_the_fault": sum(1 for t in failures if t.sent_at > fault_at + 1),
        "error_kinds": sorted({t.error.split(":")[0] for t in failures if t.error}),
        "first_failure_s": round(min(t.done_at for t in after_fault) - fault_at, 2) if after_fault else None,
        "last_failure_s": round(last_failure - fault_at, 2) if last_failure is not None else None,
        "back_s": round(back_at - fault_at, 2) if back_at is not None else None,
        "recovered_s": round(max(back_at, last_failure or fault_at) - fault_at, 2) if back_at is not None else None,
        "failures_in_last_5s": sum(t.failed for t in settled),
        "p99_ms": round(percentile(latencies, 99), 1), "max_ms": round(max(latencies, default=0.0), 1),
        "failed_turns": [f"{t.request_id} sent {t.sent_at - fault_at:+.2f} s, took {t.done_at - t.sent_at:.2f} s: "
                         f"{t.error or 'apology'}" for t in failures][:50],
        **check_stored(topo.env["TRACKER_DB_URL"], turns),
    }
    if drill.name == "rasa-killed" and back_at is not None:
        # the restarted replica takes its share again (nginx's access log: which replica served what)
        replica = topo.replica_urls()[0].split("//", 1)[1]
        served = served_by(Path(topo.env["NGINX_ACCESS_LOG"]), {t.request_id for t in turns})
        out["served_by_restarted_replica_after_back"] = sum(
            1 for t in turns if t.sent_at > back_at and served.get(t.request_id) == replica)
    return out


def run_drill(topo: Topology, name: str, sellers: int = 16, before: float = 5, after: float = 10) -> dict:
    drill = BY_NAME[name]
    run = asyncio.run(_run(topo, drill, sellers, before, after))
    time.sleep(1)  # nginx writes the access log's last lines
    return report(topo, drill, run)


def table(results: list[dict]) -> str:
    rows = ["| drill | requests | errors | apologies | back (s) | recovered (s) | acknowledged lost | duplicated |",
            "|---|---|---|---|---|---|---|---|"]
    rows += [f"| {r['what']} | {r['requests']} | {r['errors']} | {r['apologies']} | {r['back_s']} | "
             f"{r['recovered_s']} | {len(r['lost'])} | {len(r['duplicated'])} |" for r in results]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topology-env", default=str(ROOT / ".run" / "topology" / "topology.env"))
    parser.add_argument("--drills", default=",".join(BY_NAME), help="comma-separated: " + ", ".join(BY_NAME))
    parser.add_argument("--conversations", type=int, default=16, help="sellers at once")
    parser.add_argument("--before", type=float, default=5, help="seconds of load before the fault")
    parser.add_argument("--after", type=float, default=10, help="seconds of load once the component is back")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "drills.json"))
    args = parser.parse_args()
    env = read_env(Path(args.topology_env))
    topo = Topology(env["TOPOLOGY_URL"], env)
    results = []
    for name in args.drills.split(","):
        result = run_drill(topo, name.strip(), args.conversations, args.before, args.after)
        print(json.dumps({k: (v[:5] if isinstance(v, list) else v) for k, v in result.items()}, ensure_ascii=False),
              flush=True)
        results.append(result)
    write_result(args.out, {"conversations": args.conversations, "drills": results})
    print(table(results))
    return 0 if all(not r["lost"] and not r["duplicated"] and r["back_s"] is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
