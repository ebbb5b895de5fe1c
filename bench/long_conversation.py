"""One long conversation: does a reply get slower as the conversation grows?

A seller who keeps one chat open asks question after question under the same sender id; Rasa keeps
every turn in the tracker until the session expires (domain.yml `session_config`). This sends the
held-out seller questions (tests/heldout/questions.yml; none that restarts the conversation or
asks for a human) one after another, waiting for each reply, and reports latency per block of
messages, so growth shows as a rising p50 from the first block to the last.

    .venv/bin/python bench/long_conversation.py --url http://localhost:5005 --messages 600
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import percentile, write_result  # noqa: E402

# Questions that end or hand off the conversation would reset what this measures.
SKIPPED_INTENTS = {"start_over", "request_human", "goodbye"}


def questions() -> list[str]:
    entries = yaml.safe_load((ROOT / "tests" / "heldout" / "questions.yml").read_text(encoding="utf-8"))
    return [e["text"] for e in entries if e["intent"] not in SKIPPED_INTENTS]


async def converse(url: str, messages: int) -> tuple[list[float], int]:
    sender = "long-" + uuid.uuid4().hex
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for text in itertools.islice(itertools.cycle(questions()), messages):
            started = time.perf_counter()
            async with session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as r:
                body = await r.json(content_type=None)
            if r.status != 200 or not body:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies, errors


def run(url: str, messages: int, block: int = 100) -> dict:
    latencies, errors = asyncio.run(converse(url, messages))
    parts = [latencies[start:start + block] for start in range(0, len(latencies), block)]
    p50s = [round(percentile(part, 50), 1) for part in parts]
    blocks = [{"messages": f"{i * block + 1}-{i * block + len(part)}", "p50_ms": p50,
               "p95_ms": round(percentile(part, 95), 1)} for i, (part, p50) in enumerate(zip(parts, p50s, strict=True))]
    first, last = p50s[0], p50s[-1]
    return {"messages": messages, "errors": errors, "blocks": blocks,
            "last_over_first_p50": round(last / first, 2) if first else None}


def table(result: dict, title: str = "") -> str:
    lines = [title] if title else []
    lines.append("messages     p50ms   p95ms")
    lines += [f"{b['messages']:<11}  {b['p50_ms']:>6}  {b['p95_ms']:>6}" for b in result["blocks"]]
    lines.append(f"errors {result['errors']}; last block's p50 ÷ first's: {result['last_over_first_p50']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "long_conversation.json"))
    args = parser.parse_args()
    result = run(args.url, args.messages)
    print(table(result, f"one conversation of {args.messages} messages on {args.url}"))
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
