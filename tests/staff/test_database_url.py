"""The tracker store URL means the same database to Rasa (scripts/runtime_config.py) and to the console."""
import sqlalchemy as sa

from addons.stores.database import DEFAULT_DB
from staff.store import database_url
from tests.support.servers import runtime_config


def test_default_is_the_sqlite_file_in_run(monkeypatch):
    monkeypatch.delenv("TRACKER_DB_URL", raising=False)
    assert runtime_config.tracker_store({}) == {"type": runtime_config.TRACKER_STORE_TYPE, "dialect": "sqlite",
                                                "db": str(DEFAULT_DB)}
    assert database_url() == f"sqlite:///{DEFAULT_DB}"


def test_postgresql_url_with_an_encoded_password():
    url = "postgres://rasa:p%40ss%3Aw0rd@db.example:6543/tracker"
    config = runtime_config.tracker_store({"TRACKER_DB_URL": url})
    assert config == {"type": runtime_config.TRACKER_STORE_TYPE, "dialect": "postgresql", "url": "db.example", "port": 6543,
                      "username": "rasa", "password": "p@ss:w0rd", "db": "tracker", "login_db": "tracker"}
    parsed = sa.engine.make_url(database_url(url))
    assert (parsed.drivername, parsed.password, parsed.host, parsed.port, parsed.database) == \
        ("postgresql", "p@ss:w0rd", "db.example", 6543, "tracker")
