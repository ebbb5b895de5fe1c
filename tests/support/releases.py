"""Copies of the knowledge files for release tests: changed the way a reviewer changes them."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from knowledge import kb, sources


def copy_knowledge(to: Path) -> Path:
    """The source documents with their checksums, and the data files, as knowledge.kb reads them from
    a KNOWLEDGE_DIR."""
    (to / "source").mkdir(parents=True, exist_ok=True)
    for path in kb.SOURCE.parent.iterdir():
        if path.is_file():
            shutil.copy(path, to / "source" / path.name)
    for name in kb.DATA_FILES:
        shutil.copy(kb.HERE / name, to / name)
    return to


def accept_sources(directory: Path) -> None:
    """What a reviewer does after reading a new or changed document: `sha256sum *.* > SHA256SUMS`."""
    source = directory / "source"
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sources.files(source)]
    (source / sources.SUMS).write_text("".join(lines), encoding="utf-8")


def change_everywhere(directory: Path, old: str, new: str) -> None:
    """The same edit in the document and in every data file quoting it (a fee Amazon changed), the
    document's new version accepted."""
    for path in [directory / "source" / kb.SOURCE.name, *(directory / name for name in kb.DATA_FILES)]:
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    accept_sources(directory)
