"""The web server's (web/server.py, aiohttp on :8080) /metrics and request metrics: every request
counted by route, method and status, and timed by route. The route is the pattern the request
matched ("/staff/api/conversations/{sender_id}", the static prefix "/chat"), "unmatched" for a 404
without a route — never the path itself, which a client chooses."""
from __future__ import annotations

from time import perf_counter

from aiohttp import web
from prometheus_client import Counter, Histogram

from addons.metrics import exposition

# Pages and the console's API answer in ms; a takeover message waits for Rasa's HTTP API.
WEB_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = Counter("assistant_web_requests", "Requests to the web server (chat page, staff console and "
                   "its API), by route pattern, method and status", ["route", "method", "status"])
SECONDS = Histogram("assistant_web_request_seconds", "The web server's time for one request, by route pattern",
                    ["route"], buckets=WEB_BUCKETS)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def measure(request: web.Request, handler):
    started = perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        route = route_of(request)
        SECONDS.labels(route).observe(perf_counter() - started)
        REQUESTS.labels(route, request.method if request.method in METHODS else "other", str(status)).inc()


async def metrics(request: web.Request) -> web.Response:
    status, body, content_type = exposition.answer(request.remote, request.headers.get("Authorization"),
                                                   request.headers.get("Accept"))
    response = web.Response(body=body, status=status)
    response.headers["Content-Type"] = content_type
    return response


def setup(app: web.Application) -> None:
    """GET /metrics and the measuring middleware (outermost, so it sees every other one's answer)."""
    exposition.describe_process("web")
    app.middlewares.insert(0, measure)
    app.router.add_get("/metrics", metrics)
