"""Starting the assistant for end-to-end tests: the action server and Rasa on free ports, with the
model `make train` produced, stopped when the test session ends."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 180, process: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@dataclass
class Assistant:
    url: str
    processes: list
    env: dict

    def send(self, message: str, sender: str | None = None) -> list[dict]:
        body = json.dumps({"sender": sender or uuid.uuid4().hex, "message": message}).encode()
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def reply(self, message: str, sender: str | None = None) -> str:
        return "\n".join(m.get("text", "") for m in self.send(message, sender))

    def stop(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def model_path() -> str:
    return str(ROOT / subprocess.check_output([str(ROOT / "scripts" / "model_path.sh")], text=True).strip())


def start_assistant(extra_args: tuple[str, ...] = (), extra_env: dict | None = None,
                    endpoints: Path | None = None, credentials: Path | None = None) -> Assistant:
    model = model_path()
    if not Path(model).exists():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    LOGS.mkdir(parents=True, exist_ok=True)
    rasa_port, actions_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", **(extra_env or {})}
    if endpoints is None:
        endpoints = LOGS / f"endpoints-{rasa_port}.yml"
        endpoints.write_text(f'action_endpoint:\n  url: "http://localhost:{actions_port}/webhook"\n')
    tag = uuid.uuid4().hex[:6]
    actions = subprocess.Popen(
        [str(ROOT / ".venv/bin/rasa"), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
        cwd=ROOT, env=env, stdout=open(LOGS / f"actions-{tag}.log", "w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen(
        [str(ROOT / ".venv/bin/rasa"), "run", "--model", model, "--port", str(rasa_port),
         "--credentials", str(credentials or ROOT / "credentials.yml"), "--endpoints", str(endpoints), *extra_args],
        cwd=ROOT, env=env, stdout=open(LOGS / f"rasa-{tag}.log", "w"), stderr=subprocess.STDOUT)
    assistant = Assistant(f"http://localhost:{rasa_port}", [rasa, actions], env)
    try:
        wait_for(f"http://localhost:{actions_port}/health", process=actions)
        wait_for(f"{assistant.url}/", process=rasa)
    except Exception:
        assistant.stop()
        raise
    return assistant
