"""Action-result validation: Rasa 3.6 validates every action server reply with `jsonschema.validate`,
which checks the schema and builds a new validator on each call, a large share of every custom-action
turn (measured in docs/performance.md). The same schema is validated with validators built once, and each event only
against the branch of the schema's `oneOf` whose `event` constant it names (the branches differ in
that constant, so this accepts exactly what the whole schema accepts, at a tenth of the cost); a
reply that fails is validated again with the whole schema, so it raises the same ValidationError
with Rasa's message."""
from __future__ import annotations

from functools import lru_cache

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

WRITTEN_FOR = "3.6.21"


@lru_cache(maxsize=1)
def _action_result_validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _event_validators() -> tuple:
    """The reply without its events' `oneOf`, the common part of an event, and one validator per
    event type (the `oneOf` branch with that `event` constant)."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    item = schema["properties"]["events"]["items"]
    envelope = {**schema, "properties": {**schema["properties"],
                                         "events": {**schema["properties"]["events"], "items": {"type": "object"}}}}
    common = {k: v for k, v in item.items() if k != "oneOf"}
    branches = {}
    for branch in item["oneOf"]:
        branches.setdefault(branch["properties"]["event"]["const"], []).append(cls(branch))
    return cls(envelope), cls(common), branches


def _passes_by_event_type(result) -> bool:
    envelope, common, branches = _event_validators()
    if not envelope.is_valid(result):
        return False
    for event in result.get("events") or []:
        matching = branches.get(event.get("event"), []) if isinstance(event.get("event"), str) else []
        if len(matching) != 1 or not common.is_valid(event) or not matching[0].is_valid(event):
            return False
    return True


def _validate_action_result(self, result) -> bool:
    if _passes_by_event_type(result):
        return True
    try:
        _action_result_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result
