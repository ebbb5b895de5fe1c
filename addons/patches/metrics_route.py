"""GET /metrics on Rasa's own app (addons/metrics/exposition.py: Prometheus' text format, for this
machine or a bearer token only). Rasa 3.6 has no hook for a route of the app itself: input channels'
blueprints are mounted under /webhooks/<name>/, and `configure_app`'s `server_listeners` run after
Sanic has frozen its router. So Rasa's `configure_app` is wrapped: the app it builds (with or without
--enable-api) is returned with one more route, every route of Rasa's untouched. Each replica's app
answers with its own process' metrics.

With LOG_FORMAT=json the app also remembers each request's X-Request-ID for the reply log line
(addons/metrics/replylog.py): a request middleware that sets a context variable, nothing else."""
from __future__ import annotations

import rasa.core.run

from addons.metrics import exposition, replylog

WRITTEN_FOR = "3.6.21"


async def _remember_request_id(request) -> None:
    replylog.REQUEST_ID.set(replylog.clean_request_id(request.headers.get("x-request-id")))


def add_routes(app) -> None:
    exposition.add_sanic_route(app, "rasa")
    if replylog.enabled():
        app.register_middleware(_remember_request_id, "request")


def _configure_app_with_metrics(*args, **kwargs):
    app = _configure_app_with_metrics.rasas(*args, **kwargs)
    add_routes(app)
    return app


def apply() -> None:
    # serve_application looks configure_app up in its module when it runs: apply before Rasa serves.
    if rasa.core.run.configure_app is not _configure_app_with_metrics:
        _configure_app_with_metrics.rasas = rasa.core.run.configure_app
        rasa.core.run.configure_app = _configure_app_with_metrics
