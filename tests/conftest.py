"""Fixtures for the whole suite: the knowledge base, and the one running assistant shared by every test
that needs an ordinary one (Rasa with the REST and socket.io channels, and the action server).

Markers (pyproject.toml): `servers` starts processes (Rasa, the action server, the web server,
PostgreSQL, Redis, nginx), `model` needs the trained model, `system` needs a Debian package
(PostgreSQL, Redis, nginx, Chromium). `make test-fast` runs what has none of them; `make test` all.
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from knowledge import kb  # noqa: E402


@pytest.fixture(scope="session")
def base():
    return kb.load()


@pytest.fixture(scope="session")
def assistant():
    """The running assistant, started once for the session. Its socket.io channel accepts one origin,
    `assistant.web_origin`, a free port the chat page's server (tests/channels/test_web_widget.py)
    is started on; REST allows that origin for CORS, as scripts/run.sh configures Rasa."""
    from tests.support.servers import free_port, start_assistant

    bot = start_assistant(web_origin=f"http://localhost:{free_port()}")
    yield bot
    bot.stop()


# Fixtures that start processes, and the markers a test using them must carry so that `make test-fast`
# (-m "not servers and not model and not system") never starts one.
NEEDS = {"assistant": ("servers", "model"), "postgres": ("servers", "system")}


def pytest_collection_modifyitems(config, items):
    unmarked = [f"{item.nodeid} (uses `{name}`: mark it {' and '.join(markers)})"
                for item in items for name, markers in NEEDS.items()
                if name in item.fixturenames and not all(item.get_closest_marker(m) for m in markers)]
    if unmarked:
        raise pytest.UsageError("tests missing the markers of the fixtures they use:\n  " + "\n  ".join(unmarked))
