"""Fixtures for the staff console tests: a tracker store on SQLite and on a real PostgreSQL server
(tests/support/postgres.py), each seeded by talking to the real assistant and by writing events with
Rasa's own SQLTrackerStore, and the web server (web/server.py with the staff API) on each
(tests/support/staff.py). The seeds need an assistant on their own tracker store, so they start one
each rather than use the shared one of tests/conftest.py. `seeded` gives each backend in turn; its
PostgreSQL half is marked `system`."""
from __future__ import annotations

import uuid

import pytest

from tests.support import browser as chromium
from tests.support.postgres import start_postgres
from tests.support.servers import LOGS
from tests.support.staff import BACKENDS, Console, Seed, seed, start_console


@pytest.fixture(scope="session")
def postgres():
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_seed():
    LOGS.mkdir(parents=True, exist_ok=True)
    return seed("sqlite", f"sqlite:///{LOGS / f'staff-{uuid.uuid4().hex[:6]}.db'}")


@pytest.fixture(scope="session")
def postgresql_seed(postgres):
    return seed("postgresql", postgres.create_database(f"staff_{uuid.uuid4().hex[:6]}"))


@pytest.fixture(scope="session", params=BACKENDS)
def seeded(request) -> Seed:
    return request.getfixturevalue(f"{request.param}_seed")


@pytest.fixture(scope="session")
def consoles():
    running: dict[str, Console] = {}
    yield running
    for console in running.values():
        console.stop()


@pytest.fixture(scope="session")
def console_for(consoles):
    def get(seed_: Seed) -> Console:
        if seed_.url not in consoles:
            consoles[seed_.url] = start_console(seed_)
        return consoles[seed_.url]
    return get


@pytest.fixture
def console(seeded, console_for) -> Console:
    return console_for(seeded)


@pytest.fixture(scope="module")
def chromium_browser():
    """Headless Chromium (tests/support/browser.py) for one page test module."""
    with chromium.sync_playwright() as p:
        browser = chromium.launch(p)
        yield browser
        browser.close()
