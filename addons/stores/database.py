"""Where the conversations are stored, for everyone who opens the database: Rasa's tracker store
(scripts/runtime_config.py writes its endpoint), the staff console and its command line. Rasa-free."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / ".run" / "tracker.db"


def tracker_db_url(env: Mapping[str, str] = os.environ, url: str | None = None) -> str:
    """The tracker store's SQLAlchemy URL: `url`, else TRACKER_DB_URL, else the SQLite file in .run/."""
    url = url or env.get("TRACKER_DB_URL") or f"sqlite:///{DEFAULT_DB}"
    if url.startswith("postgres://"):  # the Heroku-style scheme SQLAlchemy 1.4 no longer accepts
        url = "postgresql://" + url[len("postgres://"):]
    return url
