"""The web server on :8080: the sellers' chat page (web/chat/) at / and the support staff console
at /staff (its JSON API under /staff/api/, from the staff package); /metrics for Prometheus
(addons/metrics/web.py: this machine or METRICS_TOKEN only)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from addons.metrics import web as web_metrics
from staff.api import setup as setup_staff

HERE = Path(__file__).resolve().parent
CHAT = HERE / "chat"
CHAT_PAGES = ("/", "/chat/", "/chat/index.html")


def socket_url_from_env() -> str:
    """Where the page's widget finds Rasa's socket.io channel: CHAT_SOCKET_URL, else localhost:RASA_PORT."""
    return os.environ.get("CHAT_SOCKET_URL") or f"http://localhost:{os.environ.get('RASA_PORT', '5005')}"


def chat_csp(socket_url: str) -> str:
    """The chat page may run only its own scripts and talk only to itself and Rasa's socket.io: even a
    message that slipped past the widget's escaping could not run a script or load anything else
    (the widget's Google font @import is stripped from the bundle, and this would block it too)."""
    parts = urlsplit(socket_url)
    http_origin = f"{parts.scheme}://{parts.netloc}"
    ws_origin = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; "
            f"connect-src 'self' {http_origin} {ws_origin}; "
            "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def add_chat_routes(app: web.Application, socket_url: str) -> None:
    """The sellers' chat page: web/chat/ (the rasa-webchat bundle in web/chat/vendor/, put there by
    `make webchat`) and /chat/config.json, which tells the page where Rasa's socket.io is."""
    csp = chat_csp(socket_url)

    async def config(request: web.Request) -> web.Response:
        return web.json_response({"socketUrl": socket_url, "socketPath": "/socket.io/"},
                                 headers={"Cache-Control": "no-store"})

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(CHAT / "index.html")

    @web.middleware
    async def page_headers(request: web.Request, handler):
        response = await handler(request)
        if request.path in CHAT_PAGES or request.path.startswith("/chat/"):
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path in CHAT_PAGES:
            response.headers["Content-Security-Policy"] = csp
            response.headers["Cache-Control"] = "no-cache"
        return response

    app.middlewares.append(page_headers)
    app.router.add_get("/chat/config.json", config)
    app.router.add_get("/", index)
    app.router.add_get("/chat/", index)
    app.router.add_static("/chat/", CHAT, show_index=False)


def create_app(socket_url: str | None = None) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    web_metrics.setup(app)
    setup_staff(app)
    if CHAT.exists():
        add_chat_routes(app, socket_url or socket_url_from_env())
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", 8080)))
    parser.add_argument("--socket-url", default=None,
                        help="Rasa's socket.io URL for the chat page (default: $CHAT_SOCKET_URL or "
                             "http://localhost:$RASA_PORT, i.e. http://localhost:5005)")
    args = parser.parse_args()
    from addons.privacy import mask_logs

    mask_logs()  # the console's own lines and aiohttp's access log
    web.run_app(create_app(args.socket_url), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
