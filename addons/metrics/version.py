"""The knowledge version a process reports (metrics' build info, the JSON reply log): the version in
service when this process has loaded the knowledge (the action server, after any reload), else the
version of the files it would load (knowledge.kb.version: one definition of a version id)."""
from __future__ import annotations

from knowledge import kb


def knowledge_version() -> str:
    return kb.serving_version()
