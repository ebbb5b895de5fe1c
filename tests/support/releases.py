"""Copies of the knowledge files for release tests: changed the way a reviewer changes them."""
from __future__ import annotations

import shutil
from pathlib import Path

from knowledge import kb


def copy_knowledge(to: Path) -> Path:
    """The document and the data files, as knowledge.kb reads them from a KNOWLEDGE_DIR."""
    (to / "source").mkdir(parents=True, exist_ok=True)
    shutil.copy(kb.SOURCE, to / "source" / kb.SOURCE.name)
    for name in kb.DATA_FILES:
        shutil.copy(kb.HERE / name, to / name)
    return to


def change_everywhere(directory: Path, old: str, new: str) -> None:
    """The same edit in the document and in every data file quoting it (a fee Amazon changed)."""
    for path in [directory / "source" / kb.SOURCE.name, *(directory / name for name in kb.DATA_FILES)]:
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
