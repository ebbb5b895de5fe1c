"""The production topology (scripts/topology.sh; docs/deployment.md) under a bounded load:
PostgreSQL, Redis, one action server, two `rasa run` replicas and nginx round-robin in front, all
started by the script on free loopback ports (it installs the Debian packages itself when missing)
and stopped by Ctrl-C.

The load (bench/topology_load.py): 30 sellers' conversations at once plus 10 bursts — one sender's
4–5 messages sent 10 ms apart, each as soon as the previous one has reached a replica, without
waiting for replies — so a conversation's messages are queued on both replicas at the same time.
Then, from nginx's access log and the PostgreSQL tracker store: both replicas served, bursts were
split across them, no request failed, and every conversation's user turns are all stored, once, in
the order they were sent, each followed by the reply its sender got.

Then the failure drills (bench/drills.py) under a steady load: a replica killed, PostgreSQL, Redis
and the action server restarted — the supervisor brings each back, no acknowledged turn is lost or
stored twice, and the assistant answers every message again afterwards."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import drills, topology_load
from tests.support.servers import LOGS, ROOT, free_port

pytestmark = [pytest.mark.servers, pytest.mark.model, pytest.mark.system]

STARTUP_SECONDS = 300  # two replicas loading the model on a busy 2-core machine
RUN_SECONDS = 150  # the load and the checks


@dataclass
class Topology:
    process: subprocess.Popen
    dir: Path
    env: dict
    ports: dict
    log: Path

    @property
    def url(self) -> str:
        return self.env["TOPOLOGY_URL"]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, sig=signal.SIGINT, timeout: float = 90) -> int | None:
        """Ctrl-C for the script; if it does not finish, the supervisor's shutdown (its programs run
        in process groups of their own), then kill the script's group and PostgreSQL."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                if self.env.get("SUPERVISORCTL"):
                    subprocess.run([*self.env["SUPERVISORCTL"].split(), "shutdown"], capture_output=True, timeout=60)
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
                pg_data = self.dir / "postgres" / "data"
                if (pg_data / "postmaster.pid").exists():
                    pg_ctl = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
                    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
                    subprocess.run([*as_pg, str(pg_ctl), "-D", str(pg_data), "-m", "immediate", "stop"],
                                   capture_output=True, timeout=60)
        return self.process.returncode


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def topology():
    LOGS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="topology-test-"))
    os.chmod(workdir, 0o755)  # PostgreSQL runs as the postgres user when the tests run as root
    ports = {"TOPOLOGY_PORT": free_port(), "RASA_1": free_port(), "RASA_2": free_port(),
             "ACTIONS_PORT": free_port(), "PG_PORT": free_port(), "REDIS_PORT": free_port()}
    env = {**os.environ, "TOPOLOGY_DIR": str(workdir), "TOPOLOGY_PORT": str(ports["TOPOLOGY_PORT"]),
           "RASA_PORTS": f"{ports['RASA_1']} {ports['RASA_2']}", "ACTIONS_PORT": str(ports["ACTIONS_PORT"]),
           "PG_PORT": str(ports["PG_PORT"]), "REDIS_PORT": str(ports["REDIS_PORT"]),
           # a shared 2-core CI machine: an action call slowed by other tests is not what this tests
           "ACTION_TIMEOUT_SECONDS": "15"}
    log = LOGS / f"topology-{uuid.uuid4().hex[:6]}.log"
    # Ctrl-C reaches the script as in a terminal even when the tests themselves were started in the
    # background of a non-interactive shell, which starts its children with SIGINT ignored (and a
    # shell cannot trap a signal ignored at its start).
    process = subprocess.Popen([str(ROOT / "scripts" / "topology.sh")], cwd=ROOT, env=env,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    topo = Topology(process, workdir, {}, ports, log)
    deadline = time.time() + STARTUP_SECONDS
    while not (workdir / "ready").exists():
        if process.poll() is not None or time.time() > deadline:
            topo.stop()
            shutil.rmtree(workdir, ignore_errors=True)
            pytest.fail(f"the topology did not start (exit {process.returncode}); {log}:\n{topo.log_tail()}")
        time.sleep(1)
    topo.env = topology_load.read_env(workdir / "topology.env")
    yield topo
    topo.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_nginx_fronts_two_replicas_sharing_postgres_and_redis(topology):
    for port in (topology.ports["RASA_1"], topology.ports["RASA_2"]):
        assert b"Hello from Rasa" in urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
    for name in ("rasa-1", "rasa-2"):
        endpoints = (topology.dir / name / "endpoints.yml").read_text()
        assert "dialect: postgresql" in endpoints and f"port: {topology.ports['PG_PORT']}" in endpoints
        assert "type: addons.stores.lock_store.AtomicRedisLockStore" in endpoints
    conf = (topology.dir / "nginx" / "nginx.conf").read_text()
    rest_upstream = conf.split("upstream rasa {", 1)[1].split("}", 1)[0]
    assert "hash" not in rest_upstream and "ip_hash" not in rest_upstream  # REST is round-robin
    assert "hash $remote_addr consistent" in conf.split("upstream rasa_socketio {", 1)[1].split("}", 1)[0]
    assert "hash $arg_openid consistent" in conf.split("upstream rasa_wechat {", 1)[1].split("}", 1)[0]
    assert topology.url == f"http://127.0.0.1:{topology.ports['TOPOLOGY_PORT']}"


def test_bursts_and_conversations_over_both_replicas_lose_and_reorder_nothing(topology):
    started = time.time()
    # gap=0: a burst's next message goes as soon as the earlier one holds its ticket in the lock store, while
    # that one is still being answered (a reply takes a few ms; a longer gap let it finish first)
    result = topology_load.run_load(topology.url, conversations=30, bursts=10, gap=0.0, spread=5,
                                    redis_url=topology.env["REDIS_URL"])
    summary = topology_load.summary(result)
    spread = topology_load.spread_report(Path(topology.env["NGINX_ACCESS_LOG"]), result)
    problems = topology_load.check_tracker_store(topology.env["TRACKER_DB_URL"], result)
    print(summary, spread, sep="\n")

    assert result.errors() == []
    assert summary["requests"] == len(result.sent) >= 120
    # both replicas served, round-robin: about half each
    assert spread["requests_logged"] == len(result.sent)
    assert len(spread["per_replica"]) == 2 and min(spread["per_replica"].values()) >= 0.3 * len(result.sent)
    # the bursts really put one conversation on both replicas at once
    assert spread["bursts_split_across_replicas"] >= 5
    assert spread["burst_messages_sent_while_one_was_pending_on_the_other_replica"] >= 10
    # PostgreSQL: every user turn stored once, in order, each followed by the reply its sender got
    assert problems == []
    # the lock store the replicas used is this Redis
    import redis

    stats = redis.Redis.from_url(topology.env["REDIS_URL"]).info("commandstats")
    scripts_run = sum(v["calls"] for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval"))
    assert scripts_run >= 2 * len(result.sent)  # a ticket issued and a ticket finished per message
    assert time.time() - started < RUN_SECONDS


def test_a_taken_conversation_stays_with_the_agent_on_both_replicas(topology):
    """The staff console's takeover (staff/takeover.py) against the topology: the `taken` state is in
    PostgreSQL, so neither replica answers while an agent has the conversation; the agent's message
    reaches a REST seller in the reply to the next message, whichever replica serves it."""
    from staff.store import Store
    from staff.takeover import RasaAPI, Takeover

    replicas = topology.env["RASA_URLS"].split()
    assert len(replicas) == 2

    def say(url: str, text: str) -> list[dict]:
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", method="POST", data=json.dumps(
            {"sender": seller, "message": text}).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    seller = "topo-takeover-" + uuid.uuid4().hex[:8]
    store = Store(topology.env["TRACKER_DB_URL"])
    desk = Takeover(store, RasaAPI(replicas[0], topology.env["RASA_AUTH_TOKEN"]))
    try:
        assert "人工" in say(replicas[1], "转人工")[0]["text"]
        asyncio.run(desk.take(seller, "小王"))
        assert [m["text"] for m in say(replicas[1], "在吗")][0].startswith("客服小王已接入")
        assert say(replicas[0], "AWD仓储费多少？") == [] and say(replicas[1], "AWD仓储费多少？") == []
        asyncio.run(desk.send(seller, "您好，我来帮您看看。", "小王"))
        assert [(m["text"], m.get("staff")) for m in say(topology.url, "好的")] == [("您好，我来帮您看看。", "小王")]
        asyncio.run(desk.finish(seller, "小王"))
        back = say(replicas[1], "AWD仓储费多少？")
        assert back[0]["text"].startswith("已切回智能助手") and "0.48" in back[-1]["text"], back
    finally:
        store.close()


def test_each_replica_answers_metrics_with_its_own_counts(topology):
    """docs/metrics.md: every replica and the action server answer /metrics on their own port; the
    replies sent through nginx are the sum of the replicas' counts; nginx does not proxy /metrics."""
    from tests.support.metrics import fetch, scrape, total

    urls = topology.env["METRICS_URLS"].split()
    replicas = [f"{u}/metrics" for u in topology.env["RASA_URLS"].split()]
    assert urls == [*replicas, f"http://127.0.0.1:{topology.ports['ACTIONS_PORT']}/metrics"]
    before = [scrape(url) for url in replicas]
    sender = "topo-metrics-" + uuid.uuid4().hex[:8]
    for text in ["AWD仓储费多少？", "那FBA呢", "谢谢", "AGL是什么", "日本呢", "好的"]:
        request = urllib.request.Request(f"{topology.url}/webhooks/rest/webhook", method="POST", data=json.dumps(
            {"sender": sender, "message": text}).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)
    after = [scrape(url) for url in replicas]
    assert sum(total(a, "assistant_replies_total", channel="rest") - total(b, "assistant_replies_total", channel="rest")
               for a, b in zip(after, before, strict=True)) == 6
    assert all(total(a, "assistant_build_info", server="rasa") == 1 for a in after)
    assert total(scrape(urls[-1]), "assistant_action_requests_total", status="200") > 0
    assert fetch(f"{topology.url}/metrics")[0] == 404


def test_socketio_through_nginx_upgrades_to_a_websocket(topology):
    """The chat widget's transport: a websocket to /socket.io/ through nginx (Engine.IO 4 and
    Socket.IO 5 framing spoken directly, as the widget does)."""
    from tests.support import socketio_client

    texts = asyncio.run(socketio_client.exchange(topology.url, [{"message": "AWD仓储费多少？"}], 1))
    assert any("0.48" in t for t in texts)
    for _ in range(50):  # nginx logs the websocket when it closes
        upgraded = [line for line in Path(topology.env["NGINX_ACCESS_LOG"]).read_text().splitlines()
                    if '"GET /socket.io/?EIO=4&transport=websocket' in line and " 101 " in line]
        if upgraded:
            break
        time.sleep(0.1)
    assert upgraded  # the upgrade went through nginx


def test_a_supervisor_runs_every_component_and_restarts_one_that_exits(topology):
    status = subprocess.run([*topology.env["SUPERVISORCTL"].split(), "status"], capture_output=True, text=True).stdout
    programs = {line.split()[0]: line.split()[1] for line in status.splitlines()}
    assert programs == {name: "RUNNING" for name in ("actions", "nginx", "postgres", "rasa-1", "rasa-2", "redis")}
    conf = (topology.dir / "nginx" / "nginx.conf").read_text()
    assert "max_fails=1 fail_timeout=5s" in conf  # a replica that is down is left alone for a while


@pytest.mark.parametrize("drill", [d.name for d in drills.DRILLS])
def test_a_component_failing_under_load_loses_no_acknowledged_turn(topology, drill):
    result = drills.run_drill(drills.Topology(topology.url, topology.env), drill, sellers=12, before=3, after=6)
    print({k: v for k, v in result.items() if k != "failed_turns"}, *result["failed_turns"], sep="\n")
    assert result["failures_before_fault"] == 0 and result["requests"] > 100
    assert result["back_s"] is not None, f"{drill}: the component did not come back"
    # every turn a seller was answered is in PostgreSQL, once, in the order it was sent
    assert result["lost"] == [] and result["duplicated"] == []
    # and the assistant answers every message again
    assert result["failures_in_last_5s"] == 0
    # nothing failed outright: nginx resent the POSTs a dead replica had taken (the REST channel
    # answers one already stored from the store), and each outage was waited out
    assert result["errors"] == 0, result["failed_turns"]
    assert result["apologies"] <= 3, result["failed_turns"]
    if drill == "rasa-killed":  # and the restarted replica took its share again
        assert result["served_by_restarted_replica_after_back"] > 0


def test_ctrl_c_stops_every_component(topology):
    pg_data = topology.dir / "postgres" / "data"
    assert (pg_data / "postmaster.pid").exists()
    assert topology.stop(signal.SIGINT, timeout=90) is not None
    assert "stopped." in topology.log_tail(5)
    for name, port in topology.ports.items():
        assert not listening(port), f"{name} (:{port}) still listening after Ctrl-C"
    assert not (pg_data / "postmaster.pid").exists()
    assert not (topology.dir / "ready").exists()
