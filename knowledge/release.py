"""Knowledge releases in a running action server: load a new version without a restart, roll back.

`make kb` checks and builds the files; `scripts/reload.sh` (or `kill -HUP <pid>`) tells the action
server to load them: the new version is built and verified beside the one in service and replaces it
only when it loads, so a reply never meets a half-loaded or broken knowledge base. `scripts/reload.sh
--rollback` (SIGUSR1) serves the version before again. The answers come only from the action server,
so every Rasa replica of the topology serves the version of its one action server.

The NLU (Rasa's model) was trained on the aliases and vocabulary of its time: when a new version
changes them (the model's fingerprint inputs, scripts/model_path.sh), the new facts are answered at
once but new words are recognised only after `make train` and a Rasa restart; the status says so.

Only the action server serves releases (the NLU in Rasa reads knowledge/ as it was trained). The
status, for scripts/reload.sh and the staff console, is a JSON file (KNOWLEDGE_STATUS, written only
when set): the process id, the version in service and when it was loaded, the previous one, the
last error, and whether a retrain is needed.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

from knowledge import kb

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
# What `rasa train` reads, as scripts/model_path.sh fingerprints it.
_NLU_INPUTS = ("config.yml", "domain.yml", "data", "addons/nlu", "knowledge/text.py", "knowledge/vocabulary.yml",
               "knowledge/generated/jieba")
_SUFFIXES = (".yml", ".py", ".txt")


def nlu_fingerprint(root: Path = ROOT) -> str:
    files = []
    for name in _NLU_INPUTS:
        path = root / name
        files += [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES)
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class Releases:
    """The action server's side: reload and roll back on request, and report what is in service."""

    def __init__(self, status_path: Path | None) -> None:
        self.status_path = status_path
        self.trained_on = nlu_fingerprint()
        self.error: str | None = None
        self._lock = threading.Lock()

    def status(self) -> dict:
        serving = kb.load()
        previous = kb._serving[-2] if len(kb._serving) > 1 else None
        return {"pid": os.getpid(), "version": serving.version, "loaded_at": serving.loaded_at,
                "previous": previous.version if previous else None, "error": self.error,
                "retrain_needed": nlu_fingerprint() != self.trained_on, "updated_at": time.time()}

    def reload(self) -> None:
        with self._lock:
            try:
                before = kb.load()
                base = kb.reload()
                self.error = None
                logger.info("knowledge %s loaded", base.version)
                if base.document != before.document:
                    self._report_impact(before, base)
            except Exception as error:  # the version in service stays
                self.error = f"{type(error).__name__}: {error}"
                logger.error("knowledge reload failed, %s stays in service: %s", kb.load().version, self.error)
            self.write_status()

    def _report_impact(self, before: kb.KnowledgeBase, after: kb.KnowledgeBase) -> None:
        """What the new document changed for the facts written for the old one (knowledge/diff.py), kept
        beside the status for the staff console's 知识版本 page."""
        if self.status_path is None:
            return
        from knowledge import diff

        try:
            report = diff.impact(before.document, after.document, base=before, old_label=before.version,
                                 new_label=after.version)
            self.impact_path.write_text(report.markdown(), encoding="utf-8")
        except Exception:  # a report is for reading: it never holds a release back
            logger.exception("the impact report of knowledge %s could not be written", after.version)

    @property
    def impact_path(self) -> Path:
        assert self.status_path is not None
        return self.status_path.with_name(self.status_path.stem + "-impact.md")

    def rollback(self) -> None:
        with self._lock:
            try:
                base = kb.rollback()
                self.error = None
                logger.info("knowledge rolled back to %s", base.version)
            except kb.KnowledgeError as error:
                self.error = str(error)
            self.write_status()

    def write_status(self) -> None:
        if self.status_path is None:
            return
        self.status_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.status_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.status(), ensure_ascii=False), encoding="utf-8")
        temporary.replace(self.status_path)

    def listen(self) -> None:
        """SIGHUP: reload, SIGUSR1: roll back, each in a thread so that replies go on meanwhile."""
        def on(job):
            return lambda signum, frame: threading.Thread(target=job, name="knowledge-release", daemon=True).start()
        signal.signal(signal.SIGHUP, on(self.reload))
        signal.signal(signal.SIGUSR1, on(self.rollback))
        self.write_status()


def serve(env=os.environ) -> Releases:
    """In the action server, before the knowledge is first loaded: KNOWLEDGE_DIR (default knowledge/)
    is where releases are read from, KNOWLEDGE_STATUS where the status is written."""
    if env.get("KNOWLEDGE_DIR"):
        kb.read_from(Path(env["KNOWLEDGE_DIR"]))
    status = env.get("KNOWLEDGE_STATUS")
    releases = Releases(Path(status) if status else None)
    if threading.current_thread() is threading.main_thread():  # signals can only be set there
        releases.listen()
    return releases
