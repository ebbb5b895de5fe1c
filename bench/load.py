"""REST load: realistic multi-turn seller conversations at several concurrency levels.

Each virtual seller plays one conversation from tests/stories/conversations.yml (the same dialogues
the test stories check: advice with corrections, skips, side questions, follow-ups — every turn runs a
custom action) under its own sender id, then starts another with a new id. Per concurrency level the
run is bounded in time. Reports reply latency percentiles, throughput and errors.

    .venv/bin/python bench/load.py --url http://localhost:5005 --levels 1 4 16 64 --seconds 20
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]


def conversations() -> list[list[str]]:
    stories = yaml.safe_load((ROOT / "tests" / "stories" / "conversations.yml").read_text(encoding="utf-8"))
    return [[step["user"].strip() for step in story["steps"] if "user" in step] for story in stories["stories"]]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def seller(session, url, scripts, deadline, latencies, errors, counter):
    while time.perf_counter() < deadline:
        script = next(scripts)
        sender = uuid.uuid4().hex
        for text in script:
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            try:
                async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as r:
                    body = await r.json(content_type=None)
                    if r.status != 200 or not body:
                        errors.append(f"{r.status}: {str(body)[:80]}")
                        continue
            except Exception as error:  # noqa: BLE001 - every failure counts as an error
                errors.append(repr(error)[:120])
                continue
            latencies.append((time.perf_counter() - started) * 1000)
        counter[0] += 1


async def level(url: str, concurrency: int, seconds: float) -> dict:
    scripts = itertools.cycle(conversations())
    latencies: list[float] = []
    errors: list[str] = []
    finished = [0]
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(seller(session, url, scripts, deadline, latencies, errors, finished)
                               for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "replies": len(latencies),
        "conversations_finished": finished[0],
        "errors": len(errors),
        "error_samples": errors[:5],
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
    }


async def warm_up(url: str, n: int = 20) -> None:
    async with aiohttp.ClientSession() as session:
        for text in itertools.islice(itertools.chain.from_iterable(conversations()), n):
            async with session.post(f"{url}/webhooks/rest/webhook",
                                    json={"sender": "warmup-" + uuid.uuid4().hex, "message": text}) as r:
                await r.read()


def run(url: str, levels: list[int], seconds: float) -> list[dict]:
    asyncio.run(warm_up(url))
    return [asyncio.run(level(url, c, seconds)) for c in levels]


def table(rows: list[dict], title: str = "") -> str:
    head = f"{title}\n" if title else ""
    lines = ["conc  replies  err   rps    p50ms   p95ms   p99ms"]
    for r in rows:
        lines.append(f"{r['concurrency']:>4}  {r['replies']:>7}  {r['errors']:>3}  {r['throughput_rps']:>5}  "
                     f"{r['p50_ms']:>6}  {r['p95_ms']:>6}  {r['p99_ms']:>6}")
    return head + "\n".join(lines)


def write_result(path: str, data) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "load.json"))
    args = parser.parse_args()
    rows = run(args.url, args.levels, args.seconds)
    print(table(rows, f"load on {args.url}"))
    write_result(args.out, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
