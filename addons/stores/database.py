"""Where the conversations are stored, for everyone who opens the database: Rasa's tracker store
(scripts/runtime_config.py writes its endpoint), the staff console and its command line. Rasa-free."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / ".run" / "tracker.db"


def tracker_db_url(env: Mapping[str, str] = os.environ, url: str | None = None) -> str:
    """The tracker store's SQLAlchemy URL: `url`, else TRACKER_DB_URL, else the SQLite file in .run/."""
    url = url or env.get("TRACKER_DB_URL") or f"sqlite:///{DEFAULT_DB}"
    if url.startswith("postgres://"):  # the Heroku-style scheme SQLAlchemy 1.4 no longer accepts
        url = "postgresql://" + url[len("postgres://"):]
    return url


def erase_sender(connection: sa.engine.Connection, sender_id: str) -> dict[str, int]:
    """Deletes one seller's rows from every table of the database that keeps a sender: Rasa's events,
    the console's hand-off, audit and feedback tables, the dashboard's, and any added later — so an
    erasure (the console, `python -m staff erase`, WeChat's unsubscribe) cannot miss one. Returns the
    rows deleted per table; the caller's transaction commits them together."""
    inspector = sa.inspect(connection)
    counts: dict[str, int] = {}
    for name in sorted(inspector.get_table_names()):
        if "sender_id" in {c["name"] for c in inspector.get_columns(name)}:
            table = sa.table(name, sa.column("sender_id"))
            counts[name] = connection.execute(sa.delete(table).where(table.c.sender_id == sender_id)).rowcount
    return counts
