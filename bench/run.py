"""Every benchmark in one run, against this project's configuration and Rasa's stock configuration
on the same data, so the ratios stay comparable on a noisy machine.

    .venv/bin/python bench/run.py                 # load + start-up + memory + held-out accuracy
    .venv/bin/python bench/run.py --training      # also training time from scratch and after a change
    .venv/bin/python bench/run.py --cv            # also 3-fold NLU cross-validation of both (stock: slow)
    .venv/bin/python bench/run.py --no-stock      # skip the stock comparison
    .venv/bin/python bench/run.py --long 0        # skip the long conversation (default 300 messages)
    .venv/bin/python bench/run.py --sealed        # also the sealed answer set (pass rates only)

Answer quality (bench/answer_quality.py) is measured on the project's assistant: the development set
always, the sealed set with --sealed.

Prints tables and writes bench/results/latest.json. The stock configuration is bench/stock_config.yml:
Rasa's default pipeline and policies (TED, UnexpecTED, Memoization, Rule) with the Chinese tokenizer
in place of the whitespace one, which Rasa refuses for zh; its model is trained once per data change.
It is served as stock Rasa is (scripts/runtime_config.py `stock`): Rasa's REST channel and SQL tracker
store, no selective domain, nothing from addons/; the action server and the database are the same.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import answer_quality, long_conversation  # noqa: E402
from bench import load as loadbench  # noqa: E402
from tests.support.servers import model_path, start_assistant  # noqa: E402

RESULTS = ROOT / "bench" / "results"
STOCK_CONFIG = ROOT / "bench" / "stock_config.yml"
RASA = str(ROOT / ".venv" / "bin" / "rasa")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M")}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def stock_model() -> str:
    fingerprint = hashlib.sha256(Path(model_path()).name.encode() + STOCK_CONFIG.read_bytes()).hexdigest()[:16]
    path = ROOT / "models" / f"stock-{fingerprint}.tar.gz"
    if not path.exists():
        print("training the stock configuration once for this data ...", flush=True)
        started = time.perf_counter()
        subprocess.run([RASA, "train", "--config", str(STOCK_CONFIG), "--domain", "domain.yml", "--data", "data",
                        "--out", "models", "--fixed-model-name", path.name.removesuffix(".tar.gz"), "--quiet"],
                       cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)
        print(f"  stock model trained in {time.perf_counter() - started:.0f}s", flush=True)
    return str(path)


def serve_and_measure(label: str, model: str, levels: list[int], seconds: float, long_messages: int,
                      stock_rasa: bool = False, answer_sets: tuple[str, ...] = ()) -> dict:
    started = time.perf_counter()
    # Throughput is measured, not abuse: the long conversation sends 300 messages as fast as it can.
    assistant = start_assistant(model=model, stock_rasa=stock_rasa, extra_env={"RATE_LIMIT_MESSAGES": "0"})
    try:
        assistant.reply("你好")
        cold_start = time.perf_counter() - started
        rows = loadbench.run(assistant.url, levels, seconds)
        rasa, actions = assistant.processes
        memory = {"rasa_mb": rss_mb(rasa.pid), "actions_mb": rss_mb(actions.pid)}
        long = long_conversation.run(assistant.url, long_messages) if long_messages else None
        answers = {name: answer_quality.evaluate(assistant.url, name) for name in answer_sets}
    finally:
        assistant.stop()
    for result in answers.values():
        answer_quality.report(result, show=False)
    print(loadbench.table(rows, f"\n[{label}] cold start {cold_start:.1f}s, RSS rasa {memory['rasa_mb']} MB, "
                                f"actions {memory['actions_mb']} MB, model {Path(model).stat().st_size / 1e6:.1f} MB"))
    if long:
        print(long_conversation.table(long, f"[{label}] one conversation of {long_messages} messages"))
    return {"label": label, "model": Path(model).name, "model_mb": round(Path(model).stat().st_size / 1e6, 1),
            "cold_start_s": round(cold_start, 1), "memory": memory, "load": rows, "long_conversation": long,
            "answers": {name: answer_quality.summary(r) for name, r in answers.items()}}


def training_times() -> dict:
    """From scratch (empty cache) and after a one-line change to the training data, in a copy."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in ("config.yml", "domain.yml", "data", "addons", "knowledge"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, work / name)
        env = {**ENV, "PYTHONPATH": f"{work}:{ROOT}"}

        def train(tag: str) -> float:
            began = time.perf_counter()
            subprocess.run([RASA, "train", "--out", "models", "--fixed-model-name", tag, "--quiet"],
                           cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
            return round(time.perf_counter() - began, 1)

        scratch = train("scratch")
        with open(work / "data" / "nlu" / "services.yml", "a", encoding="utf-8") as f:
            f.write("- intent: ask_service\n  examples: |\n    - 卫星仓一个月仓储费大概多少钱呀\n")
        changed = train("changed")
    return {"from_scratch_s": scratch, "after_one_line_change_s": changed}


def heldout() -> dict:
    out = RESULTS / "nlu_heldout.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "nlu_heldout.py"), "--out", str(out)], cwd=ROOT, env=ENV,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = json.loads(out.read_text(encoding="utf-8"))
    print(f"\nheld-out intent accuracy: {result['accuracy']:.1%} of {result['n']}, F1 {result['f1']}")
    return {"accuracy": result["accuracy"], "n": result["n"], "f1": result["f1"], "misses": len(result["misses"])}


def cross_validation(config: Path = ROOT / "config.yml", label: str = "project") -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        subprocess.run([RASA, "test", "nlu", "--nlu", "data/nlu", "--config", str(config), "--cross-validation",
                        "--folds", "3", "--out", str(out)], cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)
        reports = {path.name: json.loads(path.read_text()) for path in out.glob("*_report.json")}
    intent = reports.pop("intent_report.json")
    reports.pop("response_selection_report.json", None)
    result = {"intent_f1_weighted": round(intent["weighted avg"]["f1-score"], 3),
              "intent_f1_macro": round(intent["macro avg"]["f1-score"], 3)}
    for name, report in sorted(reports.items()):  # one per entity extractor (DIETClassifier's included)
        result[f"entity_f1_{name.removesuffix('_report.json')}"] = round(report["weighted avg"]["f1-score"], 3)
    print(f"\n[{label}] cross-validation (3 folds): {result}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-stock", action="store_true")
    parser.add_argument("--training", action="store_true")
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--long", type=int, default=300, help="messages in the one long conversation (0: skip)")
    parser.add_argument("--sealed", action="store_true",
                        help="also the sealed answer set (at the end of a piece of work; pass rates only)")
    args = parser.parse_args()
    results: dict = {"machine": machine()}
    print(json.dumps(results["machine"], ensure_ascii=False))
    sets = ("dev", "sealed") if args.sealed else ("dev",)
    results["project"] = serve_and_measure("project", model_path(), args.levels, args.seconds, args.long,
                                           answer_sets=sets)
    if not args.no_stock:
        results["stock"] = serve_and_measure("stock", stock_model(), args.levels, args.seconds, args.long,
                                             stock_rasa=True)
        results["ratios"] = ratios(results["project"], results["stock"])
        print("\nproject ÷ stock:", json.dumps(results["ratios"]))
    results["heldout"] = heldout()
    if args.training:
        results["training"] = training_times()
        print(f"\ntraining: {results['training']}")
    if args.cv:
        results["cross_validation"] = {"project": cross_validation()}
        if not args.no_stock:
            results["cross_validation"]["stock"] = cross_validation(STOCK_CONFIG, "stock")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nwrote {RESULTS / 'latest.json'}")
    return 0


def ratios(project: dict, stock: dict) -> dict:
    out = {}
    for p, s in zip(project["load"], stock["load"], strict=False):
        c = p["concurrency"]
        out[f"c{c}_throughput_x"] = round(p["throughput_rps"] / s["throughput_rps"], 2) if s["throughput_rps"] else None
        out[f"c{c}_p50_x"] = round(p["p50_ms"] / s["p50_ms"], 2) if s["p50_ms"] else None
    out["cold_start_x"] = round(project["cold_start_s"] / stock["cold_start_s"], 2)
    out["rasa_memory_x"] = round(project["memory"]["rasa_mb"] / stock["memory"]["rasa_mb"], 2)
    if project.get("long_conversation") and stock.get("long_conversation"):
        out["long_conversation_last_block_p50_x"] = round(
            project["long_conversation"]["blocks"][-1]["p50_ms"] / stock["long_conversation"]["blocks"][-1]["p50_ms"], 2)
    return out


if __name__ == "__main__":
    sys.exit(main())
