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
