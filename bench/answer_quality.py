"""Answer quality over REST: single questions (a fresh sender each) and dialogues (one sender each),
checked by tests/support/quality.py against the facts each reply must contain.

    .venv/bin/python bench/answer_quality.py                 # the development set (tests/heldout/)
    .venv/bin/python bench/answer_quality.py --set sealed    # the sealed set: numbers only, at the end of a piece of work
    .venv/bin/python bench/answer_quality.py --url http://localhost:5005   # against a running assistant
    .venv/bin/python bench/answer_quality.py --set dev21 --url ... --against before.json   # what a change broke or fixed

The development set is tuned on; its failures are printed. The sealed set (tests/sealed/) is never
tuned on: by default only its pass rates are printed (per type), not its questions.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import quality  # noqa: E402

HELDOUT = ROOT / "tests/heldout"
SETS = {
    # everything tuned on: the project's first set and every blind development set
    "dev": {"questions": sorted(HELDOUT.glob("*questions.yml")), "dialogues": sorted(HELDOUT.glob("*dialogues.yml"))},
    # each later blind development set alone: measured once, fresh, before anything was tuned on it
    **{f"dev{n}": {"questions": [HELDOUT / f"blind{n}_questions.yml"], "dialogues": [HELDOUT / f"blind{n}_dialogues.yml"]}
       for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31)},
    "sealed": {"questions": [ROOT / "tests/sealed/questions.yml"], "dialogues": [ROOT / "tests/sealed/dialogues.yml"]},
}


def legacy(item: dict) -> dict:
    """The first held-out file's entries (intent, expect, note) in the blind sets' shape."""
    if "type" in item:
        return item
    kind = "not_in_document" if item.get("note") == "not in document" else item.get("intent", "")
    return {**item, "type": kind}


def questions(name: str) -> list[dict]:
    return [legacy(q) for path in SETS[name]["questions"] if path.exists() for q in quality.load_set(path)]


def dialogues(name: str) -> list[dict]:
    return [d for path in SETS[name]["dialogues"] if path.exists() for d in quality.load_set(path)]


def ask(url: str, text: str, sender: str) -> str:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return "\n".join(m.get("text", "") for m in json.load(response))


def run_question(url: str, item: dict) -> dict:
    reply = ask(url, item["text"], uuid.uuid4().hex)
    return {"text": item["text"], "type": item.get("type", ""), "reply": reply, "problems": quality.problems(item, reply)}


def run_dialogue(url: str, dialogue: dict) -> dict:
    sender, turns = uuid.uuid4().hex, []
    for turn in dialogue["turns"]:
        item = quality.turn_item(turn)
        reply = ask(url, item["text"], sender)
        turns.append({"user": item["text"], "reply": reply, "problems": quality.problems(item, reply)})
    return {"name": dialogue.get("name", ""), "turns": turns, "passed": all(not t["problems"] for t in turns)}


def evaluate(url: str, name: str, workers: int = 4) -> dict:
    items, convs = questions(name), dialogues(name)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        single = list(pool.map(lambda q: run_question(url, q), items))
        multi = list(pool.map(lambda d: run_dialogue(url, d), convs))
    by_type: dict[str, Counter] = defaultdict(Counter)
    for result in single:
        by_type[result["type"]]["passed" if not result["problems"] else "failed"] += 1
    passed = sum(not r["problems"] for r in single)
    dialogues_passed = sum(d["passed"] for d in multi)
    turns = [t for d in multi for t in d["turns"]]
    return {
        "set": name, "seconds": round(time.perf_counter() - started, 1),
        "questions": len(single), "questions_passed": passed,
        "question_rate": round(passed / max(1, len(single)), 4),
        "dialogues": len(multi), "dialogues_passed": dialogues_passed,
        "dialogue_rate": round(dialogues_passed / max(1, len(multi)), 4),
        "turn_rate": round(sum(not t["problems"] for t in turns) / max(1, len(turns)), 4),
        "by_type": {k: dict(v) for k, v in sorted(by_type.items())},
        "failures": [r for r in single if r["problems"]],
        "failed_dialogues": [d for d in multi if not d["passed"]],
    }


def summary(result: dict) -> dict:
    """The pass rates, without the questions (what is kept of the sealed set)."""
    return {k: v for k, v in result.items() if k not in ("failures", "failed_dialogues")}


def report(result: dict, show: bool) -> None:
    print(f"{result['set']}: single questions {result['question_rate']:.1%} "
          f"({result['questions_passed']}/{result['questions']}); dialogues {result['dialogue_rate']:.1%} "
          f"({result['dialogues_passed']}/{result['dialogues']}, turns {result['turn_rate']:.1%}); "
          f"{result['seconds']}s")
    print("  by type: " + ", ".join(f"{k} {v.get('passed', 0)}/{v.get('passed', 0) + v.get('failed', 0)}"
                                   for k, v in result["by_type"].items()))
    if not show:
        return
    for failure in result["failures"]:
        print(f"\n✗ [{failure['type']}] {failure['text']}\n  {'; '.join(failure['problems'])}\n  → "
              + failure["reply"].replace("\n", "\n    "))
    for dialogue in result["failed_dialogues"]:
        print(f"\n✗ dialogue: {dialogue['name']}")
        for turn in dialogue["turns"]:
            mark = "✗" if turn["problems"] else "✓"
            print(f"  {mark} {turn['user']}  {'; '.join(turn['problems'])}\n    → " + turn["reply"].replace("\n", "\n      "))


def changes(result: dict, before: dict) -> list[str]:
    """What a change broke (NEW ✗) or fixed (fixed ✓), against an earlier run of the same set."""
    def failing(run: dict) -> tuple[set, set]:
        return ({f["text"] for f in run.get("failures", [])}, {d["name"] for d in run.get("failed_dialogues", [])})
    now_q, now_d = failing(result)
    old_q, old_d = failing(before)
    lines = [f"NEW ✗ {r['text']}: {'; '.join(r['problems'])}\n    → " + r["reply"].replace("\n", "\n      ")
             for r in result["failures"] if r["text"] not in old_q]
    for d in result["failed_dialogues"]:
        if d["name"] not in old_d:
            lines.append(f"NEW ✗ dialogue: {d['name']}")
            lines += [f"   {'✗' if t['problems'] else '✓'} {t['user']}  {'; '.join(t['problems'])}\n      → "
                      + t["reply"].replace("\n", "\n        ") for t in d["turns"]]
    lines += [f"fixed ✓ {text}" for text in sorted(old_q - now_q)]
    lines += [f"fixed ✓ dialogue: {name}" for name in sorted(old_d - now_d)]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=sorted(SETS), default="dev")
    parser.add_argument("--url", help="a running assistant; default: start one with the current model")
    parser.add_argument("--show", action="store_true", help="print failures (default for the development set)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--against", type=Path, help="an earlier --out of the same set: print only what changed")
    args = parser.parse_args()
    if args.against and args.set == "sealed":
        parser.error("the sealed set is never compared question by question")
    assistant = None
    url = args.url
    if url is None:
        from tests.support.servers import start_assistant

        assistant = start_assistant()
        url = assistant.url
    try:
        result = evaluate(url, args.set)
    finally:
        if assistant is not None:
            assistant.stop()
    report(result, show=(args.show or args.set == "dev") and not args.against)
    if args.against:
        print("\n".join(changes(result, json.loads(args.against.read_text(encoding="utf-8")))))
    out = Path(args.out or ROOT / "bench" / "results" / f"answer_quality_{args.set}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    kept = summary(result) if args.set == "sealed" else result
    out.write_text(json.dumps(kept, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
