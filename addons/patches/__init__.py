"""The project's only changes to Rasa's own behaviour: one module per change, each keeping Rasa's
contract and saying why. Nothing is changed on import; `apply()` applies them all, once, where Rasa
starts (addons/launch.py, which scripts/ and the tests use to run Rasa) and refuses a Rasa other than
the one each patch was written for.

action_connections  one kept-alive session per event loop for action-server calls
action_failures     a failed or slow custom action answers with an apology instead of nothing
action_validation   action results validated with validators built once, per event type
graph_runner        serving runs the model's graph in a planned loop instead of dask's scheduler
sqlite_wal          SQLite tracker store in WAL mode with synchronous=NORMAL
tracker_store_failures  a tracker store that cannot be read or written fails the message (an apology)
                    instead of answering from an empty conversation and keeping the turn in memory
gc_freeze           the heap after loading the model moved out of the garbage collector's reach
rule_states         RulePolicy gets only the states its longest rule compares, replayed incrementally
applied_events      a tracker's applied events continued instead of recomputed
action_events       custom actions receive the current turn's events (ACTION_EVENTS=all: every one)
socketio_websocket  Sanic 21.12 websockets on Python 3.11 (the web widget's socket.io upgrade)
metrics_route       GET /metrics on Rasa's app (addons/metrics; localhost or a bearer token)
reply_metrics       each handled message counted and timed; LOG_FORMAT=json: one log line
"""
from __future__ import annotations

import rasa

from addons.patches import (
    action_connections,
    action_events,
    action_failures,
    action_validation,
    applied_events,
    gc_freeze,
    graph_runner,
    metrics_route,
    reply_metrics,
    rule_states,
    socketio_websocket,
    sqlite_wal,
    tracker_store_failures,
)

# In the order they are applied (action_failures wraps the call action_connections made).
PATCHES = (action_connections, action_failures, action_validation, graph_runner, sqlite_wal, gc_freeze,
           rule_states, applied_events, action_events, socketio_websocket, metrics_route, reply_metrics,
           tracker_store_failures)
_applied = False


class RasaVersionMismatch(RuntimeError):
    pass


def check_version(installed: str = rasa.__version__) -> None:
    """Each patch replaces a piece of one Rasa release: on any other, stop rather than guess."""
    wrong = [p.__name__.rsplit(".", 1)[-1] for p in PATCHES if p.WRITTEN_FOR != installed]
    if wrong:
        raise RasaVersionMismatch(f"patches written for Rasa {PATCHES[0].WRITTEN_FOR}, installed {installed}: "
                                  f"check {', '.join(wrong)} against the new Rasa (addons/patches/)")


def apply() -> None:
    """Applies every patch; calling it again changes nothing."""
    global _applied
    if _applied:
        return
    check_version()
    for patch in PATCHES:
        patch.apply()
    _applied = True


def applied() -> bool:
    return _applied
