"""The applied events (the history without undone turns; Rasa recomputes them from the first
event several times per message, for the session check and the states) are continued the same
way: a tracker keeps the list it last computed, and when the only events added since are ones
that Rasa's own computation would simply append (no restart, new session, undo, or form loop
event), it appends them too; otherwise it recomputes with Rasa's code. Each caller gets a copy.
"""
from __future__ import annotations

import itertools

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

WRITTEN_FOR = "3.6.21"
_applied_events = DialogueStateTracker.applied_events


# Events after which Rasa's applied_events does more than append the event.
_NOT_SIMPLY_APPENDED = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted, ActiveLoop)


class _AppliedSoFar:
    """A tracker's applied events as of its first `length` events."""

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self.events = tracker.events
        self.length = len(tracker.events)
        self.first = tracker.events[0] if tracker.events else None
        self.last = tracker.events[-1] if tracker.events else None
        self.loop_names = {e.name for e in tracker.events if isinstance(e, ActiveLoop) and e.name}
        self.applied = _applied_events(tracker)

    def still_the_start_of(self, events) -> bool:
        """The events it was computed on are still, unchanged, the first of `events`."""
        n = self.length
        return (events is self.events and len(events) >= n
                and (n == 0 or (events[0] is self.first and events[n - 1] is self.last)))

    def extend(self, events) -> bool:
        """Appends the events added since, when Rasa's computation would only append them."""
        added = list(itertools.islice(events, self.length, None))
        if any(isinstance(e, _NOT_SIMPLY_APPENDED) or
               (isinstance(e, ActionExecuted) and e.action_name in self.loop_names) for e in added):
            return False
        self.applied.extend(added)
        self.length = len(events)
        if added:
            self.last = added[-1]
        return True


def _applied_events_continued(self) -> list:
    so_far = self.__dict__.get("_applied_so_far")
    if so_far is None or not so_far.still_the_start_of(self.events) or not so_far.extend(self.events):
        so_far = self._applied_so_far = _AppliedSoFar(self)
    return list(so_far.applied)

def apply() -> None:
    DialogueStateTracker.applied_events = _applied_events_continued
