"""What a custom action receives: Rasa sends the action server every event of the conversation,
serialised on every call, a cost that grows with the conversation (docs/performance.md).
This project's actions read only the slots and the latest message (actions/actions.py `turn_from`);
they receive Rasa's full tracker state — slots, latest message, active loop, latest action — with
the events of the current turn only (from the latest user message on, what rasa-sdk's form
validation looks at). ACTION_EVENTS=all restores Rasa's full history."""
from __future__ import annotations

import itertools
import os

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

WRITTEN_FOR = "3.6.21"
_action_call_format = RemoteAction._action_call_format


def _action_call_with_current_turn(self, tracker, domain) -> dict:
    if os.environ.get("ACTION_EVENTS", "").lower() == "all":
        return _action_call_format(self, tracker, domain)
    events = tracker.events
    start = len(events)
    for event in reversed(events):
        start -= 1
        if isinstance(event, UserUttered):
            break
    events_of_turn = itertools.islice(events, start, None)
    # The whole state but its events (Rasa's NONE verbosity), then this turn's events.
    payload = _action_call_format(self, _WithoutEvents(tracker), domain)
    payload["tracker"]["events"] = [event.as_dict() for event in events_of_turn]
    return payload


class _WithoutEvents:
    """The tracker as _action_call_format sees it, with current_state at NONE verbosity."""

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self._tracker = tracker

    def current_state(self, event_verbosity=None) -> dict:
        return self._tracker.current_state()

    def __getattr__(self, name):
        return getattr(self._tracker, name)

def apply() -> None:
    RemoteAction._action_call_format = _action_call_with_current_turn
