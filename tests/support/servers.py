"""Starting the assistant for end-to-end tests: the action server and Rasa on free ports, with the
model `make train` produced. tests/conftest.py's `assistant` fixture is the one shared by every test
that needs an ordinary running assistant; tests with their own settings call start_assistant."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "tests" / "artifacts"
sys.path.insert(0, str(ROOT / "scripts"))
import runtime_config  # noqa: E402


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
    processes: list  # [rasa, action server]
    env: dict
    actions_port: int = 0
    tag: str = ""
    web_origin: str = "http://localhost:8080"  # the one origin socket.io accepts (WEB_ORIGIN)

    def send(self, message: str, sender: str | None = None) -> list[dict]:
        body = json.dumps({"sender": sender or uuid.uuid4().hex, "message": message}).encode()
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def reply(self, message: str, sender: str | None = None) -> str:
        return "\n".join(m.get("text", "") for m in self.send(message, sender))

    def restart_actions(self) -> None:
        """Start the action server again on its port (after a test stopped it)."""
        self.processes[1] = _start_actions(self.actions_port, self.env, self.tag)
        wait_for(f"http://localhost:{self.actions_port}/health", process=self.processes[1])

    def stop(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _start_actions(port: int, env: dict, tag: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*RASA_PATCHED, "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=ROOT, env=env, stdout=open(LOGS / f"actions-{tag}.log", "a"), stderr=subprocess.STDOUT)


def model_path() -> str:
    return str(ROOT / subprocess.check_output([str(ROOT / "scripts" / "model_path.sh")], text=True).strip())


# The project's Rasa runs with its patches (addons/launch.py), and the action server through the same
# launcher (`run actions`: rasa-sdk with its /metrics); the stock comparison's Rasa without them.
RASA_PATCHED = (str(ROOT / ".venv/bin/python"), "-m", "addons.launch")
RASA_STOCK = (str(ROOT / ".venv/bin/rasa"),)


def start_assistant(extra_args: tuple[str, ...] = (), extra_env: dict | None = None, model: str | None = None,
                    endpoints: Path | None = None, credentials: Path | None = None,
                    stock_rasa: bool = False, web_origin: str | None = None) -> Assistant:
    """web_origin: the chat page's origin, the only one socket.io accepts (WEB_ORIGIN) and the one
    REST's CORS allows (`--cors`), as scripts/run.sh starts Rasa for the page."""
    model = model or model_path()
    if not Path(model).exists():
        raise RuntimeError(f"no trained model at {model}: run `make train` first")
    LOGS.mkdir(parents=True, exist_ok=True)
    rasa_port, actions_port = free_port(), free_port()
    tag = uuid.uuid4().hex[:6]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "ACTIONS_URL": f"http://localhost:{actions_port}/webhook",
           "TRACKER_DB_URL": f"sqlite:///{LOGS / f'tracker-{tag}.db'}", **(extra_env or {})}
    if web_origin:
        env["WEB_ORIGIN"] = web_origin
        extra_args = ("--cors", web_origin, *extra_args)
    config_dir = LOGS / f"config-{tag}"
    runtime_config.write(config_dir, env, stock_rasa)
    actions = _start_actions(actions_port, env, tag)
    rasa = subprocess.Popen(
        [*(RASA_STOCK if stock_rasa else RASA_PATCHED), "run", "--model", model, "--port", str(rasa_port),
         "--credentials", str(credentials or config_dir / "credentials.yml"),
         "--endpoints", str(endpoints or config_dir / "endpoints.yml"), *extra_args],
        cwd=ROOT, env=env, stdout=open(LOGS / f"rasa-{tag}.log", "w"), stderr=subprocess.STDOUT)
    assistant = Assistant(f"http://localhost:{rasa_port}", [rasa, actions], env, actions_port, tag,
                          runtime_config.web_origins(env)[0])
    try:
        wait_for(f"http://localhost:{actions_port}/health", process=actions)
        wait_for(f"{assistant.url}/", process=rasa)
    except Exception:
        assistant.stop()
        raise
    return assistant
