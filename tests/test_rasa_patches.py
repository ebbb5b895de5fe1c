"""The cached action-result validation accepts what Rasa accepts and refuses what it refuses."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import addons  # noqa: F401 - applies the patches


def test_the_patch_is_installed():
    assert RemoteAction._validate_action_result.__module__ == "addons.rasa_patches"


def test_a_valid_action_reply_passes():
    action = RemoteAction("action_x", None)
    reply = {"events": [{"event": "slot", "name": "service", "value": "AWD"}], "responses": [{"text": "hi"}]}
    assert action._validate_action_result(reply) is True


def test_an_invalid_action_reply_raises_rasas_error():
    action = RemoteAction("action_x", None)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_sqlite_connections_use_wal(tmp_path):
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
