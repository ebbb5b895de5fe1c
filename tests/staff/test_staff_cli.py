"""`python -m staff ...`: the console's functions from the command line, on SQLite and PostgreSQL."""
import csv
import io
import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.support.servers import ROOT, free_port
from tests.support.staff import WINDOW

pytestmark = [pytest.mark.servers, pytest.mark.model]


def staff(seed, *args: str, check: bool = True, rasa=None, **extra_env: str) -> subprocess.CompletedProcess:
    """`rasa`: the console whose assistant a take-over talks to (its HTTP API and token)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TRACKER_DB_URL": seed.url, "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    if rasa is not None:
        env.update(RASA_URL=rasa.assistant.url, RASA_AUTH_TOKEN=rasa.rasa_token)
    env.update(extra_env)
    env.pop("STAFF_TOKEN", None)  # the command line reads the database itself and needs no token
    done = subprocess.run([sys.executable, "-m", "staff", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_cli_search_words_service_attribute_and_passages(sqlite_seed):
    out = staff(sqlite_seed, "search", "AWD", "仓储费", "--limit", "1").stdout
    assert "0.48" in out and "0.38" in out and "来源：1.4.1" in out and "> 仓储费仅需" in out
    hits = json.loads(staff(sqlite_seed, "search", "--service", "卫星仓", "--attribute", "费用", "--json").stdout)
    assert [(h["owner"], h["attribute"]) for h in hits] == [("AWD", "fee")]
    assert "1.4.1 亚马逊智能卫星仓 (AWD)" in staff(sqlite_seed, "passages", "1.4.1").stdout
    assert staff(sqlite_seed, "passages", "9.9", check=False).returncode == 1


def test_cli_conversations_transcript_handoffs_unanswered(seeded, console_for):
    out = staff(seeded, "conversations", "--sender", seeded.handoff_sender).stdout
    assert seeded.handoff_sender in out and "我要找人工客服" in out
    since, until = WINDOW
    found = json.loads(staff(seeded, "--json", "conversations", "--since", since, "--until", until).stdout)
    assert {seeded.old_handoff, *seeded.unanswered_senders} <= {c["sender_id"] for c in found}

    transcript = staff(seeded, "transcript", seeded.fee_sender).stdout
    assert "用户：AWD仓储费多少？" in transcript and "意图 ask_service" in transcript
    assert "动作 action_respond" in transcript and "0.48" in transcript and "话题 service：服务 AWD" in transcript
    assert staff(seeded, "transcript", "nobody-at-all", check=False).returncode == 1

    queue = staff(seeded, "handoffs").stdout
    assert seeded.handoff_sender in queue and "我要找人工客服" in queue
    rasa = console_for(seeded)
    asking = f"cli-{uuid.uuid4().hex[:8]}"  # a conversation of its own: the seeded ones are shared
    rasa.assistant.reply("我要找人工客服", asking)
    assert "→ taken（命令行）" in staff(seeded, "handoff", asking, "taken", "--by", "命令行", rasa=rasa).stdout
    taken = json.loads(staff(seeded, "handoffs", "--status", "taken", "--json").stdout)
    assert asking in {q["sender_id"] for q in taken}
    assert rasa.assistant.send("AWD仓储费多少？", asking) == [{  # the bot stepped aside
        "recipient_id": asking, "text": "客服命令行已接入，接下来由命令行为你解答。想回到智能助手，发「结束人工」即可。"}]
    staff(seeded, "handoff", asking, "open", rasa=rasa)
    unreachable = staff(seeded, "handoff", asking, "taken", "--by", "命令行", check=False,
                        RASA_URL=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    assert unreachable.returncode == 1 and "联系不上智能助手" in unreachable.stderr  # and nothing changed:
    assert asking not in {q["sender_id"] for q in json.loads(
        staff(seeded, "handoffs", "--status", "taken", "--json").stdout)}

    text = staff(seeded, "unanswered", "--since", since, "--until", until, "--csv", "-").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 7 and {"这个怎么退税啊？", "你们支持比特币付款吗"} <= {r["text"] for r in rows}
    listing = staff(seeded, "unanswered", "--since", since, "--until", until).stdout
    assert listing.splitlines()[0].split()[0] == "3"  # the biggest group first
