"""The staff console over HTTP, mounted on the web server (web/server.py calls `setup(app)`).

    GET  /staff                                   the page (web/staff/); it asks for the token
    GET  /staff/api/session                       200 when the token is right (the page's log-in)
    GET  /staff/api/knowledge/options             services and attributes to search by
    GET  /staff/api/knowledge/search?q=&service=&attribute=&limit=
    GET  /staff/api/knowledge/sections/{section}  the passages of one section ("1.4.1")
    GET  /staff/api/conversations?sender=&since=&until=&limit=
    GET  /staff/api/conversations/{sender_id}     the transcript
    GET  /staff/api/handoffs?status=open,taken    the hand-off queue, newest request first
    POST /staff/api/handoffs/{sender_id}          {"status": "taken"|"done"|"open", "by": "小王"}: take the
                                                  conversation (the bot steps aside), hand it back, requeue
    POST /staff/api/conversations/{sender_id}/messages  {"text": "...", "by": "小王", "force": false}
    GET  /staff/api/audit?sender=                 takes, hand-backs and messages sent by staff
    GET  /staff/api/unanswered?threshold=0.6&since=&until=
    GET  /staff/api/unanswered.csv?...            the same as CSV

Every /staff/api/ request needs `Authorization: Bearer <STAFF_TOKEN>`: none → 401, a wrong one → 403,
STAFF_TOKEN unset on the server → 503 (there is no default token). The API sends no CORS headers,
so other origins' pages cannot read it. Times are epoch seconds or ISO 8601.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time
from collections import defaultdict, deque
from pathlib import Path

from aiohttp import web

from conversation.handoff import settings as handoff_settings
from knowledge import grounding, kb
from staff import search as search_mod
from staff import unanswered as unanswered_mod
from staff.store import HANDOFF_STATUSES, Conflict, NotFound, Store, parse_time
from staff.takeover import Refused, Takeover

logger = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).resolve().parents[1] / "web" / "staff"
STORE = web.AppKey("staff_store", Store)
TOKEN = web.AppKey("staff_token", str)
FAILURES = web.AppKey("staff_auth_failures", dict)
WARM_UP = web.AppKey("staff_warm_up", asyncio.Task)
TAKEOVER = web.AppKey("staff_takeover", Takeover)
NOTICES = web.AppKey("staff_wait_notices", asyncio.Task)
NOTICE_EVERY_SECONDS = 15.0
# More wrong tokens than this from one address within a minute are answered 429 without checking.
MAX_FAILURES_PER_MINUTE = 30

API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS = {
    **API_HEADERS,
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
}


def _json(data, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers=API_HEADERS,
                             dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _error(status: int, message: str, **headers) -> web.Response:
    return web.json_response({"error": message}, status=status, headers={**API_HEADERS, **headers},
                             dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _refusal(request: web.Request) -> web.Response | None:
    """None when the request carries the console token; otherwise the response refusing it."""
    expected = request.app[TOKEN]
    if not expected:
        return _error(503, "控制台未启用：服务器没有设置 STAFF_TOKEN")
    if len(request.app[FAILURES]) > 10_000:  # forget old addresses rather than grow without bound
        request.app[FAILURES].clear()
    failures: deque = request.app[FAILURES][request.remote or "?"]
    now = time.monotonic()
    while failures and now - failures[0] > 60:
        failures.popleft()
    if len(failures) >= MAX_FAILURES_PER_MINUTE:
        return _error(429, "尝试次数过多，请稍后再试", **{"Retry-After": "60"})
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return _error(401, "需要令牌：Authorization: Bearer <STAFF_TOKEN>", **{"WWW-Authenticate": 'Bearer realm="staff"'})
    if not hmac.compare_digest(token.encode(), expected.encode()):
        failures.append(now)
        return _error(403, "令牌不正确", **{"WWW-Authenticate": 'Bearer realm="staff", error="invalid_token"'})
    return None


def protected(handler):
    async def wrapper(request: web.Request) -> web.StreamResponse:
        refusal = _refusal(request)
        if refusal is not None:
            return refusal
        try:
            return await handler(request)
        except NotFound as error:
            return _error(404, str(error))
        except Conflict as error:
            return _json({"error": str(error), "code": "taken_by_other", "actor": error.actor}, status=409)
        except Refused as error:
            return _json({"error": str(error), "code": error.code, **error.details}, status=error.status)
        except ValueError as error:  # SearchError, bad times, bad status, bad numbers
            return _error(400, str(error))
    wrapper.__name__ = handler.__name__
    return wrapper


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw in (None, ""):
        return default
    try:
        return max(low, min(high, int(raw)))
    except ValueError:
        raise ValueError(f"{name} 应为整数") from None


def _range(request: web.Request) -> tuple[float | None, float | None]:
    return parse_time(request.query.get("since")), parse_time(request.query.get("until"))


def _threshold(request: web.Request) -> float:
    raw = request.query.get("threshold")
    if raw in (None, ""):
        return unanswered_mod.DEFAULT_THRESHOLD
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("threshold 应为 0 到 1 之间的数") from None
    if not 0 <= value <= 1:
        raise ValueError("threshold 应为 0 到 1 之间的数")
    return value


# -- handlers ---------------------------------------------------------------------------------------


async def page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(PAGE_DIR / "index.html", headers=PAGE_HEADERS)


async def page_slash(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/staff")


@protected
async def session(request: web.Request) -> web.Response:
    store: Store = request.app[STORE]
    return _json({"ok": True, "database": store.dialect})


@protected
async def knowledge_options(request: web.Request) -> web.Response:
    index = await asyncio.to_thread(search_mod.index)
    return _json(index.options())


@protected
async def knowledge_search(request: web.Request) -> web.Response:
    index = await asyncio.to_thread(search_mod.index)
    q = request.query
    hits = await asyncio.to_thread(index.search, q.get("q"), q.get("service") or None, q.get("attribute") or None,
                                   _int(request, "limit", 20, 1, 200))
    return _json({"hits": hits})


@protected
async def knowledge_section(request: web.Request) -> web.Response:
    index = await asyncio.to_thread(search_mod.index)
    return _json(index.passages(request.match_info["section"]))


@protected
async def conversations(request: web.Request) -> web.Response:
    since, until = _range(request)
    found = await asyncio.to_thread(request.app[STORE].conversations, request.query.get("sender") or None,
                                    since, until, _int(request, "limit", 50, 1, 500))
    return _json({"conversations": found})


@protected
async def transcript(request: web.Request) -> web.Response:
    return _json(await asyncio.to_thread(request.app[STORE].transcript, request.match_info["sender_id"]))


@protected
async def handoffs(request: web.Request) -> web.Response:
    raw = request.query.get("status")
    statuses = [s.strip() for s in raw.split(",") if s.strip()] if raw else None
    queue = await asyncio.to_thread(request.app[STORE].handoffs, statuses, _int(request, "limit", 200, 1, 1000))
    return _json({"handoffs": queue, "statuses": list(HANDOFF_STATUSES)})


async def _body(request: web.Request, example: str) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(f"请求体应为 JSON：{example}") from None
    if not isinstance(body, dict):
        raise ValueError(f"请求体应为 JSON 对象：{example}")
    return body


@protected
async def set_handoff(request: web.Request) -> web.Response:
    body = await _body(request, '{"status": "taken", "by": "姓名"}')
    sender_id, status = request.match_info["sender_id"], str(body.get("status", ""))
    if status not in HANDOFF_STATUSES:
        raise ValueError(f"未知状态 {status!r}；可用：{', '.join(HANDOFF_STATUSES)}")
    takeover = request.app[TAKEOVER]
    if status == "taken":
        result = await takeover.take(sender_id, body.get("by"))
    else:
        result = await takeover.finish(sender_id, body.get("by"), status)
    logger.info("hand-off %s → %s by %s", result["sender_id"], result["status"], result["actor"])
    return _json(result)


@protected
async def send_message(request: web.Request) -> web.Response:
    body = await _body(request, '{"text": "……", "by": "姓名"}')
    text = body.get("text")
    if not isinstance(text, str):
        raise ValueError("text 应为字符串")
    result = await request.app[TAKEOVER].send(request.match_info["sender_id"], text, body.get("by"),
                                              force=body.get("force") is True)
    logger.info("staff message to %s by %s via %s", request.match_info["sender_id"], result["message"]["staff"],
                result["delivered"])
    return _json(result)


@protected
async def audit(request: web.Request) -> web.Response:
    rows = await asyncio.to_thread(request.app[STORE].audit_log, request.query.get("sender") or None,
                                   _int(request, "limit", 200, 1, 1000))
    return _json({"audit": rows})


async def _groups(request: web.Request) -> list[dict]:
    since, until = _range(request)
    threshold = _threshold(request)
    store: Store = request.app[STORE]
    return await asyncio.to_thread(lambda: unanswered_mod.group(store.user_messages(since, until), threshold))


@protected
async def unanswered(request: web.Request) -> web.Response:
    groups = await _groups(request)
    return _json({"threshold": _threshold(request), "groups": groups,
                  "messages": sum(g["count"] for g in groups)})


@protected
async def unanswered_csv(request: web.Request) -> web.Response:
    body = unanswered_mod.to_csv(await _groups(request))
    return web.Response(text=body, content_type="text/csv", charset="utf-8", headers={
        **API_HEADERS, "Content-Disposition": 'attachment; filename="unanswered.csv"'})


# -- mounting ---------------------------------------------------------------------------------------


async def _warm_up(app: web.Application) -> None:
    async def load():
        try:
            await asyncio.to_thread(search_mod.index)
            await asyncio.to_thread(grounding.unsupported_claims, kb.load(), "")  # the first check's index
        except Exception:  # reported again on the first search
            logger.exception("loading the knowledge base for the staff console failed")
    app[WARM_UP] = asyncio.get_running_loop().create_task(load())


async def _start_notices(app: web.Application) -> None:
    every = max(1.0, min(NOTICE_EVERY_SECONDS, handoff_settings().wait_seconds / 4))

    async def loop():
        while True:
            await asyncio.sleep(every)
            try:
                await app[TAKEOVER].notify_waiting()
            except Exception:  # the database or Rasa is away for a moment: try again next round
                logger.exception("hand-off wait notices failed")
    app[NOTICES] = asyncio.get_running_loop().create_task(loop())


async def _close(app: web.Application) -> None:
    if NOTICES in app:
        app[NOTICES].cancel()
    app[STORE].close()


def setup(app: web.Application, store: Store | None = None, token: str | None = None,
          takeover: Takeover | None = None) -> None:
    """Adds the console's page and API to an aiohttp application."""
    app[STORE] = store or Store()
    app[TAKEOVER] = takeover or Takeover(app[STORE])
    app[TOKEN] = token if token is not None else os.environ.get("STAFF_TOKEN", "").strip()
    app[FAILURES] = defaultdict(deque)
    if not app[TOKEN]:
        logger.warning("STAFF_TOKEN is not set: the staff console API refuses every request")
    r = app.router
    r.add_get("/staff", page)
    r.add_get("/staff/", page_slash)
    r.add_static("/staff/static/", PAGE_DIR, show_index=False)
    r.add_get("/staff/api/session", session)
    r.add_get("/staff/api/knowledge/options", knowledge_options)
    r.add_get("/staff/api/knowledge/search", knowledge_search)
    r.add_get("/staff/api/knowledge/sections/{section}", knowledge_section)
    r.add_get("/staff/api/conversations", conversations)
    r.add_get("/staff/api/conversations/{sender_id}", transcript)
    r.add_get("/staff/api/handoffs", handoffs)
    r.add_post("/staff/api/handoffs/{sender_id}", set_handoff)
    r.add_post("/staff/api/conversations/{sender_id}/messages", send_message)
    r.add_get("/staff/api/audit", audit)
    r.add_get("/staff/api/unanswered", unanswered)
    r.add_get("/staff/api/unanswered.csv", unanswered_csv)
    # aiohttp 3.9 declares its signals with aiosignal 1.3's generic, which aiosignal 1.4 redefined.
    app.on_startup.append(_warm_up)  # type: ignore[arg-type]
    app.on_startup.append(_start_notices)  # type: ignore[arg-type]
    app.on_cleanup.append(_close)  # type: ignore[arg-type]
