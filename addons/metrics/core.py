"""What Rasa's process measures: every message it handles (replies by channel and intent, their
latency, failures, fallbacks, hand-offs), custom actions that failed or timed out, and the tracker
store's latency. Recorded by addons/patches/reply_metrics.py (messages), action_failures.py
(actions) and addons/stores/tracker_store.py; exposed on Rasa's /metrics.

Counters and histograms only, each labelled child made once here, so recording a reply is a few
dictionary lookups and additions (about 6 µs of a reply's ~3.5 ms of CPU; docs/performance.md)."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

from addons.metrics import labels

# Seconds. Replies take ~3–60 ms at the benchmark's load, an apology for a slow action 4 s, a lock
# that never frees 60 s.
REPLY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# A kept tracker's check is a fraction of a millisecond; a rebuild from PostgreSQL a few ms.
STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REPLIES = Counter("assistant_replies", "Messages Rasa handled to the end (a reply, or silence while an "
                  "agent has the conversation), by channel and the intent Rasa read", ["channel", "intent"])
REPLY_SECONDS = Histogram("assistant_reply_seconds", "From the channel handing a message to Rasa until it is "
                          "handled: lock wait, NLU, policy, action call, tracker store", ["channel"],
                          buckets=REPLY_BUCKETS)
REPLY_FAILURES = Counter("assistant_reply_failures", "Messages whose handling raised (the channel apologised "
                         "or answered nothing); not in assistant_replies", ["channel"])
FALLBACKS = Counter("assistant_fallbacks", "Replies to a message Rasa could not place (nlu_fallback) or "
                    "found outside the assistant's subject (out_of_scope)", ["channel", "kind"])
HANDOFFS = Counter("assistant_handoffs", "Messages asking for a human: intent request_human, or the "
                   "message set the handoff slot to requested", ["channel"])
ACTION_FAILURES = Counter("assistant_action_failures", "Custom actions that failed (action server down, "
                          "erroring, invalid reply) or took longer than ACTION_TIMEOUT_SECONDS; the seller "
                          "got an apology", ["action", "reason"])
TRACKER_STORE_SECONDS = Histogram("assistant_tracker_store_seconds", "The tracker store's retrieve and save",
                                  ["operation"], buckets=STORE_BUCKETS)

# Every labelled child made once (also so each series is exported, at 0, from the start).
_replies = {(c, i): REPLIES.labels(c, i) for c in (*labels.CHANNELS, labels.OTHER)
            for i in (*labels.intents(), labels.OTHER, labels.NONE)}
_reply_seconds = {c: REPLY_SECONDS.labels(c) for c in (*labels.CHANNELS, labels.OTHER)}
_failures = {c: REPLY_FAILURES.labels(c) for c in (*labels.CHANNELS, labels.OTHER)}
_fallbacks = {(c, k): FALLBACKS.labels(c, k) for c in (*labels.CHANNELS, labels.OTHER) for k in labels.FALLBACK_KINDS}
_handoffs = {c: HANDOFFS.labels(c) for c in (*labels.CHANNELS, labels.OTHER)}
_action_failures = {(a, r): ACTION_FAILURES.labels(a, r) for a in (*labels.actions(), labels.OTHER)
                    for r in ("error", "timeout")}
TRACKER_RETRIEVE = TRACKER_STORE_SECONDS.labels("retrieve")
TRACKER_SAVE = TRACKER_STORE_SECONDS.labels("save")


def reply(channel: object, intent: object, seconds: float, handoff: bool = False) -> None:
    """One message handled: `channel` and `intent` as Rasa has them (mapped onto labels here)."""
    c, i = labels.channel(channel), labels.intent(intent)
    _replies[c, i].inc()
    _reply_seconds[c].observe(seconds)
    if i in labels.FALLBACK_KINDS:
        _fallbacks[c, i].inc()
    if handoff:
        _handoffs[c].inc()


def reply_failed(channel: object) -> None:
    _failures[labels.channel(channel)].inc()


def action_failed(action: object, timeout: bool) -> None:
    _action_failures[labels.action(action), "timeout" if timeout else "error"].inc()
