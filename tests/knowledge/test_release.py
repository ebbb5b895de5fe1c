"""Knowledge releases in one process (knowledge/kb.py, knowledge/release.py): a version id per build,
a reload that serves a verified new version or keeps the old one, a rollback, and the signals."""
import json
import os
import signal
import time

import pytest

from knowledge import kb, release
from tests.support.releases import change_everywhere, copy_knowledge


@pytest.fixture
def serving():
    """Restores the knowledge in service after a test that reloads it."""
    before = list(kb._serving)
    yield
    kb._serving[:] = before


def fee(base) -> str:
    return base.services["AWD"].fact("fee").answer


def test_the_version_is_the_same_for_the_same_files_and_changes_with_any_edit(tmp_path):
    copy = copy_knowledge(tmp_path)
    assert kb.version(copy) == kb.version(kb.HERE) == kb.load().version
    change_everywhere(copy, "$0.48", "$0.52")
    assert kb.version(copy) != kb.version(kb.HERE)


def test_a_reload_serves_the_new_version_and_a_rollback_the_old_one(tmp_path, serving):
    old = kb.load()
    copy = copy_knowledge(tmp_path)
    change_everywhere(copy, "$0.48", "$0.52")
    new = kb.reload(copy)
    assert kb.load() is new and "0.52" in fee(new) and new.version == kb.version(copy)
    assert kb.rollback() is old and "0.48" in fee(kb.load())
    with pytest.raises(kb.KnowledgeError, match="no earlier version"):
        kb.rollback()


def test_a_release_whose_quote_the_document_lacks_is_refused_and_the_old_one_stays(tmp_path, serving):
    old = kb.load()
    copy = copy_knowledge(tmp_path)
    document = copy / "source" / kb.SOURCE.name
    document.write_text(document.read_text(encoding="utf-8").replace("$0.48", "$0.52"), encoding="utf-8")
    with pytest.raises(kb.KnowledgeError, match="does not match the document"):
        kb.reload(copy)  # the fee changed in the document, not yet in the facts that quote it
    assert kb.load() is old


def test_signals_reload_and_roll_back_and_the_status_says_so(tmp_path, serving, monkeypatch):
    copy = copy_knowledge(tmp_path / "knowledge")
    status = tmp_path / "status.json"
    monkeypatch.setattr(kb, "_directory", [copy])
    releases = release.Releases(status)
    previous_handlers = signal.getsignal(signal.SIGHUP), signal.getsignal(signal.SIGUSR1)
    try:
        releases.listen()
        first = json.loads(status.read_text())
        assert first["pid"] == os.getpid() and first["version"] == kb.load().version and first["error"] is None

        def after(sig) -> dict:
            before = json.loads(status.read_text())["updated_at"]
            os.kill(os.getpid(), sig)
            deadline = time.time() + 60
            while json.loads(status.read_text())["updated_at"] == before:
                assert time.time() < deadline, "no status after the signal"
                time.sleep(0.05)
            return json.loads(status.read_text())

        change_everywhere(copy, "$0.48", "$0.52")
        reloaded = after(signal.SIGHUP)
        assert reloaded["version"] == kb.version(copy) and reloaded["previous"] == first["version"]
        assert "0.52" in fee(kb.load())
        rolled = after(signal.SIGUSR1)
        assert rolled["version"] == first["version"] and "0.48" in fee(kb.load())
    finally:
        signal.signal(signal.SIGHUP, previous_handlers[0])
        signal.signal(signal.SIGUSR1, previous_handlers[1])


def test_a_retrain_is_flagged_when_the_nlus_inputs_change(tmp_path):
    root = tmp_path
    for name in ("config.yml", "domain.yml"):
        (root / name).write_text("a: 1\n")
    before = release.nlu_fingerprint(root)
    assert release.nlu_fingerprint(root) == before
    (root / "domain.yml").write_text("a: 2\n")
    assert release.nlu_fingerprint(root) != before
