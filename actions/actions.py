"""The Rasa SDK action: adapts the tracker to a conversation.Turn, lets conversation.dialogue decide
and compose the answer, and sends the reply and slot changes back. No logic here beyond the
adaptation, so every answer is testable without Rasa (tests/conversation/test_dialogue.py)."""
from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from conversation import handoff
from conversation.dialogue import respond
from conversation.turn import Outcome, Turn
from knowledge import kb, release

logger = logging.getLogger(__name__)

ACTION_NAME = "action_respond"


def turn_from(tracker: Tracker) -> Turn:
    message = tracker.latest_message or {}
    intent = message.get("intent") or {}
    name = intent.get("name") or ""
    return Turn(
        intent=name,
        text=message.get("text") or "",
        entities=list(message.get("entities") or []),
        slots=dict(tracker.slots),
        ranking=list(message.get("intent_ranking") or []),
        confidence=float(intent.get("confidence") or 0.0),
        now=time.time(),
        queue_ahead=_queue_ahead(tracker.sender_id) if name == handoff.INTENT else None,
    )


def _queue_ahead(sender_id: str) -> int | None:
    """How many other sellers wait for a human (the staff console's queue); None when it cannot be read."""
    try:
        return _queue_view().ahead(sender_id)
    except Exception:  # the place in the queue is a courtesy: never fail the reply for it
        logger.exception("reading the hand-off queue failed")
        return None


class QueueView:
    """The hand-off queue as this action server last read it (staff.store.Store.waiting), read again
    in a worker thread once it is REFRESH_SECONDS old. Reading it is a query over the day's requests
    for a human: with thousands waiting it took tens of milliseconds, and run on the event loop for
    every such request it held up every other reply (bench/soak.py: p99 rising for 30 minutes). A
    place may miss the requests of the last couple of seconds."""

    REFRESH_SECONDS = 2.0

    def __init__(self, read) -> None:
        self._read = read
        self._waiting: list[str] | None = None
        self._read_at = 0.0
        self._refreshing = threading.Lock()

    def ahead(self, sender_id: str) -> int:
        if self._waiting is None:
            self._refresh()  # the first request waits for the first reading
        elif time.monotonic() - self._read_at > self.REFRESH_SECONDS and self._refreshing.acquire(blocking=False):
            threading.Thread(target=self._refresh, args=(True,), daemon=True).start()
        return sum(1 for waiting in self._waiting or () if waiting != sender_id)

    def _refresh(self, locked: bool = False) -> None:
        try:
            self._waiting, self._read_at = self._read(), time.monotonic()
        except Exception:  # noqa: BLE001 - keep the last reading; the next request tries again
            if self._waiting is None:
                raise
            logger.exception("reading the hand-off queue failed; the last reading stays")
        finally:
            if locked:
                self._refreshing.release()


@functools.lru_cache(maxsize=1)
def _queue_view() -> QueueView:
    from staff.store import Store  # the tracker store's database, read as the console reads it

    return QueueView(Store().waiting)


def record_feedback(outcome: Outcome, tracker: Tracker) -> None:
    """Stores a rating, its reason or note (staff/feedback.py); a failure never costs the reply."""
    said = outcome.feedback
    if not said:
        return
    try:
        store = _feedback_store()
        if "rating" in said:
            store.rate(tracker.sender_id, said["rating"], tracker.get_latest_input_channel(),
                       section=said.get("section"))
        else:
            store.explain(tracker.sender_id, said.get("reason"), said.get("note"))
    except Exception:
        logger.exception("storing feedback failed")


@functools.lru_cache(maxsize=1)
def _feedback_store():
    from staff.feedback import FeedbackStore  # the tracker store's database

    return FeedbackStore()


def send(outcome: Outcome, dispatcher: CollectingDispatcher, tracker: Tracker,
         knowledge_version: str = "") -> List[Dict[Text, Any]]:
    if outcome.reply.text:  # empty while an agent has the conversation
        buttons = [{"title": title, "payload": payload} for title, payload in outcome.reply.buttons]
        # knowledge_version lands in the bot event's metadata: which release answered (transcripts)
        dispatcher.utter_message(text=outcome.reply.text, buttons=buttons or None,
                                 knowledge_version=knowledge_version or None)
    return [SlotSet(name, value) for name, value in outcome.slots.items() if tracker.slots.get(name) != value]


class ActionRespond(Action):
    """Every message's one action: what to say is decided in conversation/, from the message and the slots."""

    def name(self) -> Text:
        return ACTION_NAME

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]):
        base = kb.load()  # the version in service for this whole turn, even if a reload comes meanwhile
        outcome = respond(base, turn_from(tracker))
        record_feedback(outcome, tracker)
        return send(outcome, dispatcher, tracker, base.version)


# Serve knowledge releases (SIGHUP: scripts/reload.sh), then load and verify the knowledge when the
# action server starts, not on the first message.
RELEASES = release.serve()
kb.load().warm_up()
