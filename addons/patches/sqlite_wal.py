"""SQLite tracker store: Rasa opens the SQLite file with the default rollback journal and a full sync
on every commit. Connections to SQLite use WAL with synchronous=NORMAL instead (still durable across
a crash of the application; readers such as the staff console don't block Rasa's writes). Other
databases are untouched."""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

WRITTEN_FOR = "3.6.21"


def _sqlite_wal(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def apply() -> None:
    if not event.contains(Engine, "connect", _sqlite_wal):
        event.listen(Engine, "connect", _sqlite_wal)
