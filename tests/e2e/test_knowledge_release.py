"""A knowledge release into the running assistant (knowledge/release.py, scripts/reload.sh): a fee
changed in a copy of the knowledge is answered after the reload without a restart, with no failed
reply under load meanwhile; replies name the version that answered; the rollback restores it."""
import os
import subprocess
import threading
import uuid

import pytest
import sqlalchemy as sa

from tests.support.releases import change_everywhere, copy_knowledge
from tests.support.servers import ROOT, start_assistant

pytestmark = [pytest.mark.servers, pytest.mark.model]


@pytest.fixture
def release_bot(tmp_path):
    knowledge = copy_knowledge(tmp_path / "knowledge")
    status = tmp_path / "knowledge.json"
    bot = start_assistant(extra_env={"KNOWLEDGE_DIR": str(knowledge), "KNOWLEDGE_STATUS": str(status)})
    yield bot, knowledge, status
    bot.stop()


def reload(status, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "scripts" / "reload.sh"), *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "KNOWLEDGE_STATUS": str(status)}, timeout=120)


def versions_answering(bot, sender) -> list[str]:
    engine = sa.create_engine(bot.env["TRACKER_DB_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select data from events where sender_id = :s and type_name = 'bot' "
                                        "order by id"), {"s": sender}).all()
    finally:
        engine.dispose()
    import json

    return [json.loads(r.data).get("metadata", {}).get("knowledge_version") for r in rows]


def test_a_new_fee_is_answered_after_a_reload_under_load_and_the_rollback_restores_it(release_bot):
    from knowledge import kb

    bot, knowledge, status = release_bot
    me = "release-" + uuid.uuid4().hex[:8]
    assert "0.48" in bot.reply("AWD仓储费多少？", me)
    old_version = kb.version(knowledge)

    failures, replies, stop = [], [], threading.Event()

    def steady_load():
        while not stop.is_set():
            try:
                text = bot.reply("AWD仓储费多少？")
                replies.append(text)
                if "0.48" not in text and "0.52" not in text:
                    failures.append(text)
            except Exception as error:  # a failed request is what this test is about
                failures.append(repr(error))

    load = threading.Thread(target=steady_load)
    load.start()
    try:
        change_everywhere(knowledge, "$0.48", "$0.52")
        done = reload(status)
        assert done.returncode == 0, done.stderr
        assert f"knowledge {kb.version(knowledge)}" in done.stdout and old_version in done.stdout
    finally:
        stop.set()
        load.join()
    assert failures == [] and len(replies) >= 5
    assert "0.52" in bot.reply("AWD仓储费多少？", me)

    back = reload(status, "--rollback")
    assert back.returncode == 0 and f"knowledge {old_version}" in back.stdout, back.stderr
    assert "0.48" in bot.reply("AWD仓储费多少？", me)
    assert versions_answering(bot, me)[-3:] == [old_version, kb.version(knowledge), old_version]


def test_a_broken_release_is_refused_and_the_old_one_keeps_answering(release_bot):
    bot, knowledge, status = release_bot
    document = knowledge / "source" / "amazon_3_1_supply_chain.txt"
    document.write_text(document.read_text(encoding="utf-8").replace("$0.48", "$0.52"), encoding="utf-8")
    refused = reload(status)
    assert refused.returncode == 1 and "does not match the document" in refused.stderr
    assert "0.48" in bot.reply("AWD仓储费多少？")


def test_the_consoles_release_page_shows_the_version_reloads_with_the_admin_token_and_reports_the_impact(release_bot):
    """知识版本 in the staff console: the version in service, the sources; a reload there (admin token
    only) serves the changed fee and leaves the impact report of the change."""
    from knowledge import kb
    from tests.support.staff import start_web

    bot, knowledge, status = release_bot
    console = start_web({"TRACKER_DB_URL": bot.env["TRACKER_DB_URL"], "KNOWLEDGE_STATUS": str(status),
                         "KNOWLEDGE_DIR": str(knowledge)}, f"release-{bot.tag}")
    try:
        seen = console.get("/staff/api/knowledge/release")
        assert seen["status"]["version"] == seen["files_version"] == kb.version(knowledge) and seen["impact"] is None
        assert [s["name"] for s in seen["sources"]] == ["amazon_3_1_supply_chain.txt"]
        change_everywhere(knowledge, "$0.48", "$0.52")
        assert console.request("/staff/api/knowledge/release", method="POST", body={"action": "reload"})[0] == 403
        code, _, after = console.request("/staff/api/knowledge/release", method="POST", body={"action": "reload"},
                                         token=console.admin_token)
        assert code == 200 and after["status"]["version"] == kb.version(knowledge), after
        assert "AWD.fee" in after["impact"] and "0.52" in after["impact"]
        assert "0.52" in bot.reply("AWD仓储费多少？")
        code, _, back = console.request("/staff/api/knowledge/release", method="POST", body={"action": "rollback"},
                                        token=console.admin_token)
        assert code == 200 and back["status"]["version"] == seen["status"]["version"]
    finally:
        console.stop()
