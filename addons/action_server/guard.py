"""Who reaches the action server. rasa-sdk listens on every interface (0.0.0.0) and answers anyone;
only Rasa needs it. By default it listens on localhost (ACTIONS_HOST to change, e.g. for another
machine in a topology); when ACTIONS_SECRET is set, /webhook answers only a request carrying it
(Rasa sends it as the action endpoint's `token`, scripts/runtime_config.py), 401 otherwise, so an
exposed action server is not an open door. /health stays open for probes."""
from __future__ import annotations

import hmac
import os

import pluggy
from sanic import response

hookimpl = pluggy.HookimplMarker("rasa_sdk")


def listen_address(env=os.environ) -> str:
    return env.get("ACTIONS_HOST") or env.get("SANIC_HOST") or "127.0.0.1"


def allowed(given: str | None, secret: str | None) -> bool:
    return not secret or (given is not None and hmac.compare_digest(given.encode(), secret.encode()))


class _Plugin:
    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:
        secret = os.environ.get("ACTIONS_SECRET") or None
        if not secret:
            return

        @app.middleware("request")
        async def require_secret(request):
            if request.path.rstrip("/") == "/webhook" and not allowed(request.args.get("token"), secret):
                return response.json({"error": "the action server needs its token"}, status=401)
            return None


def register(env=os.environ) -> None:
    """Before rasa-sdk starts: its listening address (rasa-sdk reads SANIC_HOST) and the secret check."""
    os.environ["SANIC_HOST"] = listen_address(env)
    from rasa_sdk.plugin import plugin_manager

    manager = plugin_manager()
    if not manager.has_plugin("assistant_action_guard"):
        manager.register(_Plugin(), name="assistant_action_guard")
