"""Intent accuracy and F1 on the held-out seller questions (tests/heldout/questions.yml), which the
training data never saw. Prints accuracy, F1 (weighted and macro over intents), the misses and a
confusion summary; writes JSON. (Entities have no annotations there: their F1 comes from
bench/run.py --cv.)

    .venv/bin/python bench/nlu_heldout.py [--model models/x.tar.gz] [--out bench/results/nlu_heldout.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def heldout() -> list[dict]:
    return yaml.safe_load((ROOT / "tests" / "heldout" / "questions.yml").read_text(encoding="utf-8"))


async def parse_all(model: str, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [await agent.parse_message(t) for t in texts]


def intent_f1(expected: list[str], predicted: list[str]) -> dict:
    """F1 over the intents the questions expect (a fallback counts as a wrong intent)."""
    from sklearn.metrics import f1_score

    labels = sorted(set(expected))
    return {average: round(float(f1_score(expected, predicted, labels=labels, average=average, zero_division=0)), 3)
            for average in ("weighted", "macro")}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "nlu_heldout.json"))
    args = parser.parse_args()
    model = args.model or str(ROOT / subprocess.check_output([str(ROOT / "scripts" / "model_path.sh")], text=True).strip())
    items = heldout()
    started = time.perf_counter()
    parsed = asyncio.run(parse_all(model, [i["text"] for i in items]))
    elapsed = time.perf_counter() - started
    misses: list[dict] = []
    confusion: Counter[tuple[str, str]] = Counter()
    for item, result in zip(items, parsed, strict=True):
        got = result["intent"]["name"]
        if got != item["intent"]:
            misses.append({"text": item["text"], "expected": item["intent"], "got": got,
                           "confidence": round(result["intent"]["confidence"], 3)})
            confusion[(item["intent"], got)] += 1
    accuracy = 1 - len(misses) / len(items)
    f1 = intent_f1([i["intent"] for i in items], [r["intent"]["name"] for r in parsed])
    print(f"held-out intent accuracy: {accuracy:.1%} ({len(items) - len(misses)}/{len(items)}), "
          f"F1 weighted {f1['weighted']:.3f}, macro {f1['macro']:.3f}; model={Path(model).name}")
    for m in misses:
        print(f"  ✗ {m['text']!r}: expected {m['expected']}, got {m['got']} ({m['confidence']})")
    print("confusions:", ", ".join(f"{a}→{b}×{n}" for (a, b), n in confusion.most_common()))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"accuracy": accuracy, "n": len(items), "f1": f1, "misses": misses,
                                          "model": Path(model).name, "parse_seconds": elapsed},
                                         ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
