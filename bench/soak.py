"""Soak: the single-process set-up (one Rasa, one action server, SQLite) under a steady paced load
for a long time, to see whether anything grows: throughput, p99 and resident memory of each process,
per interval. Memory must level off (the kept trackers and caches are bounded).

The load is paced at a share of the measured capacity (default half): first a short unpaced run at
16 concurrent conversations measures it, then sellers send at that rate for the soak's length.

    .venv/bin/python bench/soak.py --minutes 30 [--share 0.5] [--interval 60]

It starts its own assistant (tests/support/servers.py) and writes bench/results/soak.json.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
import uuid
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import conversations, level, percentile, write_result  # noqa: E402
from tests.support.servers import start_assistant  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


async def paced(url: str, rate: float, minutes: float, interval: float, pids: dict[str, int]) -> list[dict]:
    """Sends `rate` messages a second (conversations of the test stories, a new sender each) and
    reports every `interval` seconds."""
    scripts = itertools.cycle(conversations())
    timeline: list[dict] = []
    latencies: list[float] = []
    errors = [0]
    started = time.perf_counter()
    end = started + minutes * 60

    async def one(session, sender: str, text: str) -> None:
        sent = time.perf_counter()
        try:
            async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as r:
                body = await r.json(content_type=None)
                if r.status != 200 or not body:
                    errors[0] += 1
                    return
        except Exception:  # noqa: BLE001 - every failure counts
            errors[0] += 1
            return
        latencies.append((time.perf_counter() - sent) * 1000)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        pending: set[asyncio.Task] = set()
        next_report, sent_count = started + interval, 0
        while time.perf_counter() < end:
            script, sender = next(scripts), uuid.uuid4().hex
            for text in script:  # a conversation's turns in order, paced like the rest
                due = started + sent_count / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                task = asyncio.create_task(one(session, sender, text))
                pending.add(task)
                task.add_done_callback(pending.discard)
                await task  # the next turn of a conversation follows its reply, as a seller's does
                sent_count += 1
                if time.perf_counter() >= next_report:
                    timeline.append({"minute": round((time.perf_counter() - started) / 60, 1),
                                     "replies": len(latencies), "errors": errors[0],
                                     "throughput_rps": round(len(latencies) / interval, 1),
                                     "p99_ms": round(percentile(latencies, 99), 1),
                                     **{f"rss_{name}_mb": rss_mb(pid) for name, pid in pids.items()}})
                    print(json.dumps(timeline[-1]), flush=True)
                    latencies.clear()
                    next_report += interval
        await asyncio.gather(*pending)
    return timeline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--share", type=float, default=0.5, help="share of the measured capacity to send")
    parser.add_argument("--interval", type=float, default=60, help="seconds per reported interval")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "soak.json"))
    args = parser.parse_args()
    bot = start_assistant(extra_env={"RATE_LIMIT_MESSAGES": "0"})
    try:
        capacity = asyncio.run(level(bot.url, 16, 10))["throughput_rps"]
        rate = max(1.0, capacity * args.share)
        print(f"capacity {capacity} replies/s; soaking at {rate:.1f}/s for {args.minutes:g} min", flush=True)
        pids = {"rasa": bot.processes[0].pid, "actions": bot.processes[1].pid}
        # One conversation at a time would never reach the rate: as many as the rate needs in parallel.
        workers = max(1, round(rate * 0.05))  # ~50 ms per reply at this load

        async def soak() -> list[list[dict]]:
            return await asyncio.gather(*(paced(bot.url, rate / workers, args.minutes, args.interval, pids)
                                          for _ in range(workers)))

        timelines = asyncio.run(soak())
    finally:
        bot.stop()
    merged = [{"minute": parts[0]["minute"], "throughput_rps": round(sum(p["throughput_rps"] for p in parts), 1),
               "errors": sum(p["errors"] for p in parts), "p99_ms": max(p["p99_ms"] for p in parts),
               "rss_rasa_mb": parts[0]["rss_rasa_mb"], "rss_actions_mb": parts[0]["rss_actions_mb"]}
              for parts in zip(*timelines, strict=False)]
    first, last = merged[0] if merged else {}, merged[-1] if merged else {}
    result = {"capacity_rps": capacity, "rate_rps": rate, "minutes": args.minutes, "timeline": merged,
              "rss_growth_mb": {k: round(last.get(k, 0) - first.get(k, 0), 1) for k in ("rss_rasa_mb", "rss_actions_mb")}}
    write_result(args.out, result)
    print(json.dumps({k: v for k, v in result.items() if k != "timeline"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
