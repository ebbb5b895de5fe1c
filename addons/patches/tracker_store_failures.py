"""Tracker-store failures fail the message instead of answering it from nothing.

Rasa 3.6 wraps the configured tracker store in a FailSafeTrackerStore. When the database cannot be
read, it hands Rasa no tracker, so the message is answered as the first of a new conversation (the
seller's context gone); when it cannot be written, the turn is kept in that process's memory only.
Either way the seller gets an ordinary-looking reply to a turn the database never holds: lost for
the staff console, the analytics, the other replicas and the next restart, although it was
acknowledged (bench/drills.py showed it when PostgreSQL restarted under load). Here a failed
retrieve or save raises, so the channel apologises (addons/channels/rest.py, socketio.py, WeChat)
and nothing is acknowledged that is not stored. The store itself first waits out a short outage
(addons/stores/tracker_store.py). `keys()` keeps Rasa's fallback: an empty list for the HTTP API.
"""
from __future__ import annotations

import logging

from rasa.core.tracker_store import FailSafeTrackerStore

WRITTEN_FOR = "3.6.21"
logger = logging.getLogger(__name__)


async def _retrieve_or_fail(self, sender_id):
    try:
        return await self._tracker_store.retrieve(sender_id)
    except Exception as error:
        logger.error("tracker store: cannot read %s, the message fails: %r", sender_id, error)
        raise


async def _retrieve_full_or_fail(self, sender_id):
    try:
        return await self._tracker_store.retrieve_full_tracker(sender_id)
    except Exception as error:
        logger.error("tracker store: cannot read %s, the request fails: %r", sender_id, error)
        raise


async def _save_or_fail(self, tracker):
    try:
        await self._tracker_store.save(tracker)
    except Exception as error:
        logger.error("tracker store: cannot save %s, the message fails: %r", tracker.sender_id, error)
        raise


PATCHED = {"retrieve": _retrieve_or_fail, "retrieve_full_tracker": _retrieve_full_or_fail, "save": _save_or_fail}
RASAS: dict = {}  # Rasa's own methods, kept for the tests that compare the two


def apply() -> None:
    for name, method in PATCHED.items():
        if getattr(FailSafeTrackerStore, name) is not method:
            RASAS[name] = getattr(FailSafeTrackerStore, name)
            setattr(FailSafeTrackerStore, name, method)
