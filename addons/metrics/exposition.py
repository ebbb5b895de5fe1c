"""GET /metrics, the same on every server: who may read it, and the answer in Prometheus' text format.

The metrics say how busy the assistant is and how often it fails, which is nobody's business outside
the deployment. A request is allowed when it comes from this machine (127.0.0.0/8, ::1) — judged by
the connection's peer address, never by X-Forwarded-For, which any client can write — or, when
METRICS_TOKEN is set, when it carries `Authorization: Bearer $METRICS_TOKEN` (compared in constant
time). Everything else gets 403. A reverse proxy on the same machine would make every client look
local, so /metrics must not be proxied (the topology's nginx answers 404 for it); scrape each
process on its own port instead (docs/metrics.md).

Each process answers with its own registry (prometheus_client's default: its metrics plus the
process' CPU, memory and garbage collector), so each Rasa replica has its own /metrics."""
from __future__ import annotations

import hmac
import ipaddress
import os
from typing import Mapping

from prometheus_client import REGISTRY, Info, disable_created_metrics
from prometheus_client.exposition import choose_encoder

from addons.metrics.version import knowledge_version

TOKEN_ENV = "METRICS_TOKEN"
FORBIDDEN = b"forbidden: /metrics is for this machine, or needs Authorization: Bearer $METRICS_TOKEN\n"

_info: Info | None = None


def describe_process(server: str) -> None:
    """assistant_build_info{server, knowledge_version}: which server this is and which knowledge it
    answers from (so a dashboard sees replicas on different knowledge). Once per process.

    Also drops prometheus_client's `*_created` samples: in the text format each is one more series
    per labelled child (the start time of a counter nobody graphs), doubling the scrape."""
    global _info
    disable_created_metrics()
    if _info is None:
        _info = Info("assistant_build", "This server and the knowledge version it answers from")
        _info.info({"server": server, "knowledge_version": knowledge_version()})


def is_local(peer: str | None) -> bool:
    if not peer:
        return False
    try:
        address = ipaddress.ip_address(peer.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def has_token(authorization: str | None, token: str | None) -> bool:
    if not token or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def allowed(peer: str | None, authorization: str | None, env: Mapping[str, str] = os.environ) -> bool:
    """Local peers always; others only with the bearer token, and only when METRICS_TOKEN is set."""
    return is_local(peer) or has_token(authorization, (env.get(TOKEN_ENV) or "").strip() or None)


def answer(peer: str | None, authorization: str | None, accept: str | None = None,
           env: Mapping[str, str] = os.environ) -> tuple[int, bytes, str]:
    """(status, body, content type) for a GET /metrics, whichever web framework carries it."""
    if not allowed(peer, authorization, env):
        return 403, FORBIDDEN, "text/plain; charset=utf-8"
    encoder, content_type = choose_encoder(accept or "")  # text 0.0.4 unless OpenMetrics is asked for
    return 200, encoder(REGISTRY), content_type


async def sanic_handler(request):
    """The route Rasa's app (addons/patches/metrics_route.py) and the action server's get."""
    from sanic import response

    status, body, content_type = answer(request.ip, request.headers.get("authorization"),
                                        request.headers.get("accept"))
    return response.raw(body, status=status, content_type=content_type)


def add_sanic_route(app, server: str) -> None:
    describe_process(server)
    app.add_route(sanic_handler, "/metrics", methods=["GET"], name="assistant_metrics")
