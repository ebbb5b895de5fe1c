"""Each message Rasa handles is counted and timed (addons/metrics/core.py): by channel and the intent
Rasa read, whether it was a fallback or asked for a human, and — with LOG_FORMAT=json — written as one
log line (addons/metrics/replylog.py). Rasa 3.6 measures nothing of the kind.

Measured where every channel hands a message over, `Agent.handle_message`: the time includes
waiting for the conversation's lock, the NLU, the policy, the custom action and the tracker store —
what a seller waits for, less the network. The intent and this turn's events are read from the
tracker `MessageProcessor.log_message` returns inside that call (a context variable carries it out;
nothing is retrieved again). The message's handling, its result and its exceptions are Rasa's:
recording never raises, and costs a few microseconds (docs/metrics.md)."""
from __future__ import annotations

import contextvars
import logging
from time import perf_counter

from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

from addons.metrics import core, labels, replylog
from conversation import handoff

WRITTEN_FOR = "3.6.21"
logger = logging.getLogger(__name__)
_log: logging.Logger | None = None  # the reply log (LOG_FORMAT=json), set by apply()


class _Handling:
    __slots__ = ("tracker",)

    def __init__(self) -> None:
        self.tracker = None


_handling: contextvars.ContextVar[_Handling | None] = contextvars.ContextVar("handling", default=None)


async def _handle_message_measured(self, message):
    started = perf_counter()
    handling = _Handling()
    token = _handling.set(handling)
    try:
        result = await _handle_message_measured.rasas(self, message)
    except BaseException:
        _handling.reset(token)
        _record(message, handling.tracker, perf_counter() - started, ok=False)
        raise
    _handling.reset(token)
    _record(message, handling.tracker, perf_counter() - started, ok=True)
    return result


async def _log_message_kept(self, message, *args, **kwargs):
    tracker = await _log_message_kept.rasas(self, message, *args, **kwargs)
    handling = _handling.get()
    if handling is not None and handling.tracker is None:
        handling.tracker = tracker
    return tracker


def read_turn(tracker) -> tuple[str | None, float | None, str | None, bool]:
    """(intent, confidence, the last action run for it, whether it asked for a human) of the
    tracker's latest message; only this turn's events are looked at."""
    if tracker is None:
        return None, None, None, False
    parsed = tracker.latest_message.intent if tracker.latest_message else {}
    intent, confidence = parsed.get("name"), parsed.get("confidence")
    action, asked = None, intent == handoff.INTENT
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if action is None and isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            action = event.action_name
        elif isinstance(event, SlotSet) and event.key == handoff.SLOT and event.value == handoff.REQUESTED:
            asked = True
    return intent, confidence, action, asked


def _record(message, tracker, seconds: float, ok: bool) -> None:
    try:
        channel = message.input_channel
        intent, confidence, action, asked = read_turn(tracker)
        if ok:
            core.reply(channel, intent, seconds, asked)
        else:
            core.reply_failed(channel)
        if _log is not None:
            _log.info(replylog.line(sender_id=message.sender_id, channel=channel, intent=intent,
                                    confidence=confidence, action=action, seconds=seconds,
                                    message_id=message.message_id, ok=ok, handoff=asked,
                                    fallback=intent in labels.FALLBACK_KINDS))
    except Exception:  # measuring must never cost a reply
        logger.exception("recording the metrics of a message failed")


def apply() -> None:
    global _log
    if Agent.handle_message is not _handle_message_measured:
        _handle_message_measured.rasas = Agent.handle_message
        Agent.handle_message = _handle_message_measured
    if MessageProcessor.log_message is not _log_message_kept:
        _log_message_kept.rasas = MessageProcessor.log_message
        MessageProcessor.log_message = _log_message_kept
    _log = replylog.configure() if replylog.enabled() else None
