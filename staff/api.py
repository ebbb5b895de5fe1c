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
    GET  /staff/api/analytics?since=&until=&channel=&tz=   the dashboard's figures (staff/analytics.py)
    GET  /staff/api/analytics.csv?...             one row per day × channel with every figure
    GET  /staff/api/feedback?handled=false&since=&until=   the 👎 triage list, newest first
    POST /staff/api/feedback/{id}                 {"handled": true, "by": "小王"}: mark it handled (false: reopen)
    GET  /staff/api/feedback.csv?kind=training|gap&...     the 👎 questions grouped as the unanswered CSV

Every /staff/api/ request needs `Authorization: Bearer <token>`: a staff account's own token
(staff/accounts.py: the account is who acts, and it may reveal or administer as it was created),
the shared STAFF_TOKEN (the name is what the agent types) or STAFF_ADMIN_TOKEN. None → 401, a wrong
one → 403, neither STAFF_TOKEN nor any account on the server → 503 (there is no default token). The
API sends no CORS headers, so other origins' pages cannot read it. Times are epoch seconds or ISO 8601.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import signal
import time
from collections import defaultdict, deque
from pathlib import Path

from aiohttp import web

from addons.privacy import mask
from conversation.handoff import settings as handoff_settings
from knowledge import grounding, kb
from staff import search as search_mod
from staff import unanswered as unanswered_mod
from staff.accounts import Accounts, Identity
from staff.analytics import Analytics, tz_offset
from staff.analytics import to_csv as analytics_to_csv
from staff.store import HANDOFF_STATUSES, Conflict, NotFound, Store, iso, parse_time
from staff.takeover import Refused, Takeover

logger = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).resolve().parents[1] / "web" / "staff"
STORE = web.AppKey("staff_store", Store)
TOKEN = web.AppKey("staff_token", str)
FAILURES = web.AppKey("staff_auth_failures", dict)
WARM_UP = web.AppKey("staff_warm_up", asyncio.Task)
TAKEOVER = web.AppKey("staff_takeover", Takeover)
NOTICES = web.AppKey("staff_wait_notices", asyncio.Task)
ANALYTICS = web.AppKey("staff_analytics", Analytics)
ANALYTICS_START = web.AppKey("staff_analytics_start", asyncio.Task)
NOTICE_EVERY_SECONDS = 15.0
ADMIN_TOKEN = web.AppKey("staff_admin_token", str)
SEEN = web.AppKey("staff_views_recorded", dict)
ACCOUNTS = web.AppKey("staff_accounts", Accounts)
IDENTITY = "staff_identity"  # the request's Identity, set once its token is checked
RETENTION = web.AppKey("staff_retention", asyncio.Task)
VIEW_RECORD_SECONDS = 600.0
RETENTION_EVERY_SECONDS = 6 * 3600.0
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
    """None when the request carries a console token (the shared one, the admin one or an account's,
    staff/accounts.py), remembering who it is; otherwise the response refusing it."""
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
        if not request.app[TOKEN] and not _any_account(request.app):
            return _error(503, "控制台未启用：服务器没有设置 STAFF_TOKEN，也没有客服账号")
        return _error(401, "需要令牌：Authorization: Bearer <令牌>", **{"WWW-Authenticate": 'Bearer realm="staff"'})
    identity = _identify(request.app, token)
    if identity is None:
        if not request.app[TOKEN] and not _any_account(request.app):
            return _error(503, "控制台未启用：服务器没有设置 STAFF_TOKEN，也没有客服账号")
        failures.append(now)
        return _error(403, "令牌不正确", **{"WWW-Authenticate": 'Bearer realm="staff", error="invalid_token"'})
    request[IDENTITY] = identity
    return None


def _identify(app: web.Application, token: str) -> Identity | None:
    shared, admin = app[TOKEN], app[ADMIN_TOKEN]
    if shared and hmac.compare_digest(token.encode(), shared.encode()):
        return Identity(None)
    if admin and hmac.compare_digest(token.encode(), admin.encode()):  # opens everything
        return Identity(None, admin=True, can_reveal=True)
    try:
        return app[ACCOUNTS].identify(token)
    except Exception:  # noqa: BLE001 - the database unreachable: refuse, say why in the log
        logger.exception("staff accounts could not be read")
        return None


def _any_account(app: web.Application) -> bool:
    try:
        return bool(app[ACCOUNTS].list())
    except Exception:  # noqa: BLE001
        return False


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
    """The log-in check; with an account's token, who it is and what it may do (the page fills the
    name in and shows the reveal and admin controls accordingly)."""
    store: Store = request.app[STORE]
    identity: Identity = request[IDENTITY]
    return _json({"ok": True, "database": store.dialect, "name": identity.name, "account": identity.is_account,
                  "can_reveal": identity.can_reveal, "admin": identity.admin})


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
    """Personal data masked; `?reveal=1` with the admin token shows it, recorded like every view."""
    sender_id, reveal = request.match_info["sender_id"], request.query.get("reveal") in ("1", "true")
    if reveal and not request[IDENTITY].can_reveal:
        return _error(403, "查看未遮盖的个人信息需要有查看权限的账号（accounts add --reveal）或管理员令牌")
    found = await asyncio.to_thread(request.app[STORE].transcript, sender_id, reveal)
    await _record(request, sender_id, "reveal" if reveal else "view")
    return _json(found)


@protected
async def erase(request: web.Request) -> web.Response:
    """Everything kept about one seller, deleted on request (PIPL); the erasure is recorded by hash."""
    sender_id = request.match_info["sender_id"]
    counts = await asyncio.to_thread(request.app[STORE].erase, sender_id, _staff_name(request))
    if not any(counts.values()):
        raise NotFound(f"没有这个会话：{sender_id}")
    logger.info("erased a conversation on request (%s)", ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return _json({"erased": counts})


# -- 知识版本: the knowledge release the action server serves (knowledge/release.py) ------------------


def _release_status_path() -> Path:
    return Path(os.environ.get("KNOWLEDGE_STATUS") or Path(__file__).resolve().parents[1] / ".run" / "knowledge.json")


def _release_view() -> dict:
    from knowledge import kb

    path = _release_status_path()
    directory = Path(os.environ.get("KNOWLEDGE_DIR") or kb.HERE)  # where the action server reads releases
    status = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    impact = path.with_name(path.stem + "-impact.md")
    return {
        "status": status,  # None: no action server has written one (not started by make run)
        "loaded_iso": iso(status["loaded_at"]) if status else None,
        "sources": [{"name": p.name, "bytes": p.stat().st_size} for p in kb.source_files(directory)],
        "files_version": kb.version(directory),  # what `make kb` built; ≠ status.version: not reloaded yet
        "impact": impact.read_text(encoding="utf-8") if impact.exists() else None,
    }


@protected
async def release(request: web.Request) -> web.Response:
    return _json(await asyncio.to_thread(_release_view))


@protected
async def release_action(request: web.Request) -> web.Response:
    """{"action": "reload" | "rollback"} with the admin token: signals the action server, as
    scripts/reload.sh does, and answers with the status it then writes."""
    if not _is_admin(request):
        return _error(403, "发布或回滚知识需要管理员令牌（STAFF_ADMIN_TOKEN）或管理员账号")
    body = await _body(request, '{"action": "reload"}')
    signals = {"reload": signal.SIGHUP, "rollback": signal.SIGUSR1}
    if body.get("action") not in signals:
        raise ValueError("action 应为 reload 或 rollback")
    path = _release_status_path()
    if not path.exists():
        return _error(503, "没有在运行的动作服务器状态（请用 make run 启动）")
    before = json.loads(path.read_text(encoding="utf-8"))
    try:
        os.kill(int(before["pid"]), signals[body["action"]])
    except (ProcessLookupError, PermissionError, KeyError, ValueError):
        return _error(503, "动作服务器没有在运行")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        now = json.loads(path.read_text(encoding="utf-8"))
        if now.get("updated_at") != before.get("updated_at"):
            await _record(request, "*", "release", f"{body['action']}: {before.get('version')} → {now.get('version')}")
            view = await asyncio.to_thread(_release_view)
            return _json(view, status=409 if now.get("error") else 200)
    return _error(504, "动作服务器 60 秒内没有回应")


def _is_admin(request: web.Request) -> bool:
    return request[IDENTITY].admin


def _staff_name(request: web.Request, typed: object = None) -> str | None:
    """Who acts: the account's name; with a shared token, the name the agent typed (the body's
    "by", the X-Staff-Name header or ?by=)."""
    identity: Identity = request[IDENTITY]
    if identity.is_account:
        return identity.name
    if not isinstance(typed, str):
        typed = request.headers.get("X-Staff-Name") or request.query.get("by") or ""
    return typed.strip()[:64] or None


async def _record(request: web.Request, sender_id: str, action: str, text: str | None = None) -> None:
    """A staff member's view of a transcript, export or reveal: one audit row (a view at most once
    per conversation and name in VIEW_RECORD_SECONDS, since the page polls an open transcript)."""
    who = _staff_name(request) or "staff"
    seen = request.app[SEEN]
    key, now = (sender_id, who, action), time.monotonic()
    if action == "view" and now - seen.get(key, -VIEW_RECORD_SECONDS) < VIEW_RECORD_SECONDS:
        return
    if len(seen) > 10_000:
        seen.clear()
    seen[key] = now
    await asyncio.to_thread(request.app[STORE].audit, sender_id, action, who, text)


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
        result = await takeover.take(sender_id, _staff_name(request, body.get("by")))
    else:
        result = await takeover.finish(sender_id, _staff_name(request, body.get("by")), status)
    logger.info("hand-off %s → %s by %s", result["sender_id"], result["status"], result["actor"])
    return _json(result)


@protected
async def send_message(request: web.Request) -> web.Response:
    body = await _body(request, '{"text": "……", "by": "姓名"}')
    text = body.get("text")
    if not isinstance(text, str):
        raise ValueError("text 应为字符串")
    result = await request.app[TAKEOVER].send(request.match_info["sender_id"], text,
                                              _staff_name(request, body.get("by")), force=body.get("force") is True)
    logger.info("staff message to %s by %s via %s", request.match_info["sender_id"], result["message"]["staff"],
                result["delivered"])
    return _json(result)


@protected
async def audit(request: web.Request) -> web.Response:
    if not _is_admin(request):
        return _error(403, "审计记录需要管理员令牌（STAFF_ADMIN_TOKEN）或管理员账号")
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
    await _record(request, "*", "export", "unanswered.csv")
    return web.Response(text=body, content_type="text/csv", charset="utf-8", headers={
        **API_HEADERS, "Content-Disposition": 'attachment; filename="unanswered.csv"'})


def _csv(body: str, filename: str) -> web.Response:
    return web.Response(text=body, content_type="text/csv", charset="utf-8", headers={
        **API_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})


def _summary_args(request: web.Request) -> dict:
    since, until = _range(request)
    return {"since": since, "until": until, "channel": (request.query.get("channel") or "").strip() or None,
            "offset": tz_offset(request.query.get("tz")), "threshold": _threshold(request)}


@protected
async def analytics_summary(request: web.Request) -> web.Response:
    args = _summary_args(request)
    return _json(await asyncio.to_thread(lambda: request.app[ANALYTICS].summary(**args)))


@protected
async def analytics_csv(request: web.Request) -> web.Response:
    args = _summary_args(request)
    summary = await asyncio.to_thread(lambda: request.app[ANALYTICS].summary(**args))
    await _record(request, "*", "export", "analytics.csv")
    return _csv(analytics_to_csv(summary), "analytics.csv")


def _handled(request: web.Request) -> bool | None:
    raw = (request.query.get("handled") or "").strip().lower()
    if raw in ("", "all"):
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ValueError("handled 应为 true、false 或 all")


@protected
async def feedback_list(request: web.Request) -> web.Response:
    since, until = _range(request)
    handled = _handled(request)
    rows = await asyncio.to_thread(request.app[ANALYTICS].feedback_list, since, until, handled,
                                   _int(request, "limit", 200, 1, 1000))
    total = await asyncio.to_thread(request.app[ANALYTICS].feedback_count, since, until, handled)
    for row in rows:
        for field in ("question", "answer", "note"):
            if field in row:
                row[field] = mask(row[field])
    return _json({"feedback": rows, "total": total})


@protected
async def feedback_mark(request: web.Request) -> web.Response:
    body = await _body(request, '{"handled": true, "by": "姓名"}')
    handled = body.get("handled", True)
    if not isinstance(handled, bool):
        raise ValueError("handled 应为 true 或 false")
    by = body.get("by")
    if by is not None and not isinstance(by, str):
        raise ValueError("by 应为字符串")
    by = _staff_name(request, by)
    feedback_id = int(request.match_info["feedback_id"])
    if feedback_id > 2**31 - 1:  # beyond the id column's integers
        raise NotFound(f"没有这条反馈：{feedback_id}")
    row = await asyncio.to_thread(request.app[ANALYTICS].mark_handled, feedback_id, by, handled)
    if row is None:
        raise NotFound(f"没有这条反馈：{feedback_id}")
    logger.info("feedback %s marked %s by %s", feedback_id, "handled" if handled else "open", row["handled_by"])
    return _json(row)


@protected
async def feedback_csv(request: web.Request) -> web.Response:
    since, until = _range(request)
    kind = request.query.get("kind") or ""
    handled = _handled(request)
    groups = await asyncio.to_thread(request.app[ANALYTICS].feedback_groups, kind, since, until, handled)
    for group in groups:  # the sellers' words, masked as everywhere the console shows them
        group["text"] = mask(group.get("text"))
        for variant in group.get("variants") or []:
            variant["text"] = mask(variant.get("text"))
    await _record(request, "*", "export", f"feedback-{kind}.csv")
    return _csv(unanswered_mod.to_csv(groups), f"feedback-{kind}.csv")


# -- mounting ---------------------------------------------------------------------------------------


async def _warm_up(app: web.Application) -> None:
    async def load():
        try:
            await asyncio.to_thread(search_mod.index)
            await asyncio.to_thread(grounding.unsupported_claims, kb.load(), "")  # the first check's index
        except Exception:  # reported again on the first search
            logger.exception("loading the knowledge base for the staff console failed")
    app[WARM_UP] = asyncio.get_running_loop().create_task(load())


async def _start_retention(app: web.Application) -> None:
    """Conversations idle longer than RETENTION_DAYS (180; 0 keeps them) are erased: a minute after
    start, then every six hours (`python -m staff purge` does the same by hand)."""
    days = float(os.environ.get("RETENTION_DAYS", "180"))
    if days <= 0:
        return

    async def loop():
        await asyncio.sleep(60)
        while True:
            try:
                result = await asyncio.to_thread(app[STORE].purge, days, "retention")
                if result["conversations"]:
                    logger.info("retention: erased %d conversations idle for over %g days",
                                result["conversations"], days)
            except Exception:  # the database is away for a moment: next round
                logger.exception("retention purge failed")
            await asyncio.sleep(RETENTION_EVERY_SECONDS)
    app[RETENTION] = asyncio.get_running_loop().create_task(loop())


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


async def _start_analytics(app: web.Application) -> None:
    """The dashboard's tables and the indexes on `events` (staff/analytics.py), then its ledger
    brought up to date, in the background: the console answers meanwhile."""
    async def prepare():
        try:
            await asyncio.to_thread(app[ANALYTICS].prepare)
            await asyncio.to_thread(app[ANALYTICS].refresh)
        except Exception:  # the database is away for a moment: the dashboard's first view tries again
            logger.exception("preparing the dashboard's tables failed")
    app[ANALYTICS_START] = asyncio.get_running_loop().create_task(prepare())


async def _close(app: web.Application) -> None:
    for task in (NOTICES, RETENTION):
        if task in app:
            app[task].cancel()
    app[ANALYTICS].close()
    if ANALYTICS_START in app:
        await asyncio.gather(app[ANALYTICS_START], return_exceptions=True)
    app[STORE].close()


def setup(app: web.Application, store: Store | None = None, token: str | None = None,
          takeover: Takeover | None = None, analytics: Analytics | None = None) -> None:
    """Adds the console's page and API to an aiohttp application."""
    app[STORE] = store or Store()
    app[TAKEOVER] = takeover or Takeover(app[STORE])
    app[ANALYTICS] = analytics or Analytics(app[STORE])
    app[TOKEN] = token if token is not None else os.environ.get("STAFF_TOKEN", "").strip()
    app[ADMIN_TOKEN] = os.environ.get("STAFF_ADMIN_TOKEN", "").strip()
    app[SEEN] = {}
    app[FAILURES] = defaultdict(deque)
    app[ACCOUNTS] = Accounts(app[STORE].engine)
    if not app[TOKEN]:
        logger.warning("STAFF_TOKEN is not set: the staff console API answers staff accounts' tokens only")
    r = app.router
    r.add_get("/staff", page)
    r.add_get("/staff/", page_slash)
    r.add_static("/staff/static/", PAGE_DIR, show_index=False)
    r.add_get("/staff/api/session", session)
    r.add_get("/staff/api/knowledge/options", knowledge_options)
    r.add_get("/staff/api/knowledge/search", knowledge_search)
    r.add_get("/staff/api/knowledge/sections/{section}", knowledge_section)
    r.add_get("/staff/api/conversations", conversations)
    r.add_get("/staff/api/knowledge/release", release)
    r.add_post("/staff/api/knowledge/release", release_action)
    r.add_get("/staff/api/conversations/{sender_id}", transcript)
    r.add_delete("/staff/api/conversations/{sender_id}", erase)
    r.add_get("/staff/api/handoffs", handoffs)
    r.add_post("/staff/api/handoffs/{sender_id}", set_handoff)
    r.add_post("/staff/api/conversations/{sender_id}/messages", send_message)
    r.add_get("/staff/api/audit", audit)
    r.add_get("/staff/api/unanswered", unanswered)
    r.add_get("/staff/api/unanswered.csv", unanswered_csv)
    r.add_get("/staff/api/analytics", analytics_summary)
    r.add_get("/staff/api/analytics.csv", analytics_csv)
    r.add_get("/staff/api/feedback", feedback_list)
    r.add_post(r"/staff/api/feedback/{feedback_id:\d+}", feedback_mark)
    r.add_get("/staff/api/feedback.csv", feedback_csv)
    # aiohttp 3.9 declares its signals with aiosignal 1.3's generic, which aiosignal 1.4 redefined.
    app.on_startup.append(_warm_up)  # type: ignore[arg-type]
    app.on_startup.append(_start_notices)  # type: ignore[arg-type]
    app.on_startup.append(_start_retention)  # type: ignore[arg-type]
    app.on_startup.append(_start_analytics)  # type: ignore[arg-type]
    app.on_cleanup.append(_close)  # type: ignore[arg-type]
