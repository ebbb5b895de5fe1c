"""The action server's /metrics and request metrics, without forking rasa-sdk: rasa_sdk 3.6 calls
its plugin hook `attach_sanic_app_extensions(app)` with the Sanic app it built (endpoint.run, before
the app runs) — the hook rasa-sdk provides for "listeners, routes and middlewares". `register()`
adds this module's implementation to rasa_sdk's plugin manager; addons/launch.py calls it for
`python -m addons.launch run actions …`, which is `rasa run actions …` otherwise unchanged.

The app gets GET /metrics (addons/metrics/exposition.py) and two middlewares timing each call of
/webhook: by action (the domain's actions; anything else "other") and status (200 done, 400 rejected,
404 unknown action, 500 the action raised)."""
from __future__ import annotations

import json
import zlib
from time import perf_counter

import pluggy
from prometheus_client import Counter, Histogram

from addons.metrics import exposition, labels

# The action itself is ~1–3 ms here; a slow one is what ACTION_TIMEOUT_SECONDS (4 s) cuts off in Rasa.
ACTION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = Counter("assistant_action_requests", "Calls of the action server's /webhook, by action and "
                   "HTTP status", ["action", "status"])
SECONDS = Histogram("assistant_action_seconds", "The action server's time for one /webhook call "
                    "(reading the request, running the action, writing the reply)", ["action"],
                    buckets=ACTION_BUCKETS)

_seconds = {a: SECONDS.labels(a) for a in (*labels.actions(), labels.OTHER)}
_requests = {(a, "200"): REQUESTS.labels(a, "200") for a in labels.actions()}  # exported at 0 from the start

hookimpl = pluggy.HookimplMarker("rasa_sdk")
_STARTED = "assistant_metrics_started"


def _action_of(request) -> str:
    try:
        if request.headers.get("content-encoding") == "deflate":
            call = json.loads(zlib.decompress(request.body))
        else:
            call = request.json  # already parsed by the webhook: Sanic keeps it
        return labels.action(call.get("next_action"))
    except Exception:
        return labels.OTHER


async def _start_timer(request) -> None:
    if request.path == "/webhook":
        setattr(request.ctx, _STARTED, perf_counter())


async def _observe(request, response) -> None:
    started = getattr(request.ctx, _STARTED, None)
    if started is None:
        return
    action = _action_of(request)
    _seconds[action].observe(perf_counter() - started)
    key = (action, str(getattr(response, "status", 500)))
    child = _requests.get(key)
    if child is None:  # a status first seen: made once
        child = _requests[key] = REQUESTS.labels(*key)
    child.inc()


class ActionServerMetrics:
    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:
        exposition.add_sanic_route(app, "actions")
        app.register_middleware(_start_timer, "request")
        app.register_middleware(_observe, "response")


_plugin = ActionServerMetrics()


def register() -> None:
    """Adds the plugin to rasa_sdk's plugin manager (once), before `rasa run actions` builds its app."""
    from rasa_sdk.plugin import plugin_manager

    manager = plugin_manager()
    if not manager.is_registered(_plugin):
        manager.register(_plugin, name="assistant_metrics")
