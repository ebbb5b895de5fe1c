"""Writes the run-time Rasa configuration from the environment, so no secret is ever committed:

    python scripts/runtime_config.py OUT_DIR   → OUT_DIR/credentials.yml, OUT_DIR/endpoints.yml

Environment (all optional):
  ACTIONS_URL         action server webhook (default http://localhost:5055/webhook)
  TRACKER_DB_URL      SQLAlchemy URL of the tracker store, e.g. postgresql://user:pw@localhost/rasa;
                      default: an SQLite file in .run/ (nothing to install)
  REDIS_URL           redis://[user:password@]host:port/db (rediss:// for TLS) — use a Redis lock
                      store (needed for several replicas; addons/stores/lock_store.py)
  WECHAT_TOKEN, WECHAT_APPID, WECHAT_AES_KEY   enable the WeChat Official Account channel
  WECHAT_SECRET       its AppSecret (customer-service API: late and long replies)
  WECHAT_API_BASE, WECHAT_REPLY_BUDGET, WECHAT_MAX_BODY_BYTES, WECHAT_MAX_CLOCK_SKEW,
  WECHAT_FOLLOWUP_DELAY, WECHAT_MAX_TEXT_BYTES   WeChat channel tuning (see addons/channels/wechat/channel.py)
  WEB_ORIGIN          the widget page's origin for socket.io CORS (default http://localhost:8080);
                      several: comma-separated
  SOCKETIO_WEBSOCKETS false: the widget's socket.io stays on HTTP long-polling (default true)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from addons.channels.wechat.customer_service import DEFAULT_API_BASE  # noqa: E402  (Rasa-free)
from addons.stores.database import tracker_db_url  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def web_origins(env: dict) -> list[str]:
    """The chat page's origin(s), comma-separated in WEB_ORIGIN; the only ones socket.io accepts."""
    origins = env.get("WEB_ORIGIN") or "http://localhost:8080"
    return [o.strip().rstrip("/") for o in origins.split(",") if o.strip()]


def credentials(env: dict) -> dict:
    # REST with input checks (addons/channels/rest.py); same URL as Rasa's: /webhooks/rest/webhook
    creds: dict = {"addons.channels.rest.GuardedRestInput": None}
    # Rasa's socket.io channel with the fixes in addons/channels/socketio.py (web chat widget).
    creds["addons.channels.socketio.SocketIOInput"] = {
        "user_message_evt": "user_uttered",
        "bot_message_evt": "bot_uttered",
        "session_persistence": True,
        "cors_allowed_origins": web_origins(env),
        "websockets": env.get("SOCKETIO_WEBSOCKETS", "true").lower() not in ("0", "false", "no"),
    }
    if env.get("WECHAT_TOKEN") and env.get("WECHAT_APPID"):
        creds["addons.channels.wechat.channel.WeChatInput"] = {
            "token": env["WECHAT_TOKEN"],
            "appid": env["WECHAT_APPID"],
            "aes_key": env.get("WECHAT_AES_KEY") or None,
            "api_base": env.get("WECHAT_API_BASE", DEFAULT_API_BASE),
            "secret": env.get("WECHAT_SECRET") or None,
        }
        # Optional tuning (addons/channels/wechat/channel.py): seconds to wait before answering "success" and
        # replying through the customer-service API, body limit, accepted clock skew.
        for name, key in (("WECHAT_REPLY_BUDGET", "reply_budget"), ("WECHAT_MAX_BODY_BYTES", "max_body_bytes"),
                          ("WECHAT_MAX_CLOCK_SKEW", "max_clock_skew"), ("WECHAT_FOLLOWUP_DELAY", "followup_delay"),
                          ("WECHAT_MAX_TEXT_BYTES", "max_text_bytes")):
            if env.get(name):
                creds["addons.channels.wechat.channel.WeChatInput"][key] = float(env[name])
    return creds


# Rasa's SQL tracker store that keeps each conversation's tracker between messages (same keys as "SQL").
TRACKER_STORE_TYPE = "addons.stores.tracker_store.CachedSQLTrackerStore"


def tracker_store(env: dict) -> dict:
    url = tracker_db_url(env)
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        return {"type": TRACKER_STORE_TYPE, "dialect": "sqlite", "db": url.split("sqlite:///", 1)[1]}
    return {
        "type": TRACKER_STORE_TYPE,
        # "postgres://" is an alias SQLAlchemy 1.4 no longer accepts; user and password may be %-encoded
        "dialect": {"postgres": "postgresql"}.get(parsed.scheme.split("+")[0], parsed.scheme.split("+")[0]),
        "url": parsed.hostname,
        "port": parsed.port or 5432,
        "username": unquote(parsed.username) if parsed.username else parsed.username,
        "password": unquote(parsed.password) if parsed.password else parsed.password,
        "db": parsed.path.lstrip("/"),
        "login_db": parsed.path.lstrip("/"),
    }


def endpoints(env: dict) -> dict:
    out = {
        # The actions read the latest message and slots only: Rasa need not send the whole domain
        # with every call (it does unless selective domain is on).
        "action_endpoint": {"url": env.get("ACTIONS_URL", "http://localhost:5055/webhook"),
                            "enable_selective_domain": True,
                            # the shared secret of an exposed action server (addons/action_server/guard.py)
                            **({"token": env["ACTIONS_SECRET"]} if env.get("ACTIONS_SECRET") else {})},
        "tracker_store": tracker_store(env),
    }
    if env.get("REDIS_URL"):
        out["lock_store"] = lock_store(env["REDIS_URL"])
    return out


def lock_store(url: str) -> dict:
    """Rasa's Redis lock store with atomic lock updates (addons/stores/lock_store.py): Rasa 3.6's own
    `type: redis` can lose or stall a message when two replicas touch one conversation at once."""
    parsed = urlparse(url)
    config = {"type": "addons.stores.lock_store.AtomicRedisLockStore", "url": parsed.hostname or "localhost",
              "port": parsed.port or 6379, "db": int((parsed.path or "/0").lstrip("/") or 0)}
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    if parsed.scheme == "rediss":
        config["use_ssl"] = True
    return config


def stock(env: dict) -> tuple[dict, dict]:
    """Credentials and endpoints of a stock Rasa set-up on the same database and action server, for
    the benchmark's comparison: Rasa's own REST channel and SQL tracker store, the whole domain sent
    with every action call, and nothing from addons/ (so none of its patches) loaded."""
    store = {**tracker_store(env), "type": "SQL"}
    return {"rest": None}, {"action_endpoint": {"url": env.get("ACTIONS_URL", "http://localhost:5055/webhook")},
                            "tracker_store": store}


def write(out_dir: Path, env: dict, stock_rasa: bool = False) -> None:
    creds, ends = stock(env) if stock_rasa else (credentials(env), endpoints(env))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "credentials.yml").write_text(yaml.safe_dump(creds, sort_keys=False), encoding="utf-8")
    (out_dir / "endpoints.yml").write_text(yaml.safe_dump(ends, sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / ".run"), dict(os.environ))
