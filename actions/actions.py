"""Rasa SDK actions: each adapts the tracker to a dialogue.Turn, runs its handler, and sends the
reply and slot changes back. No logic here beyond the adaptation, so every answer is testable
without Rasa (tests/test_dialogue.py)."""
from __future__ import annotations

import abc
import logging
from typing import Any, Callable, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue import HANDLERS, Outcome, Turn
from knowledge import kb

logger = logging.getLogger(__name__)


def turn_from(tracker: Tracker) -> Turn:
    message = tracker.latest_message or {}
    return Turn(
        intent=(message.get("intent") or {}).get("name") or "",
        text=message.get("text") or "",
        entities=list(message.get("entities") or []),
        slots=dict(tracker.slots),
        ranking=list(message.get("intent_ranking") or []),
    )


def send(outcome: Outcome, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    buttons = [{"title": title, "payload": payload} for title, payload in outcome.reply.buttons]
    dispatcher.utter_message(text=outcome.reply.text, buttons=buttons or None)
    return [SlotSet(name, value) for name, value in outcome.slots.items() if tracker.slots.get(name) != value]


class KnowledgeAction(Action, abc.ABC):
    """One Rasa action per handler in dialogue.HANDLERS (abstract: only the subclasses register)."""

    action_name: str

    @abc.abstractmethod
    def name(self) -> Text: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]):
        handler: Callable = HANDLERS[self.action_name]
        return send(handler(kb.load(), turn_from(tracker)), dispatcher, tracker)


def _action_class(action_name: str) -> type:
    class_name = "".join(part.title() for part in action_name.split("_"))
    return type(class_name, (KnowledgeAction,), {"action_name": action_name, "name": lambda self: self.action_name})


# rasa_sdk registers every Action subclass it finds in this module.
for _name in HANDLERS:
    _cls = _action_class(_name)
    globals()[_cls.__name__] = _cls

# Load (and verify) the knowledge when the action server starts, not on the first message.
kb.load().warm_up()
