"""Staff accounts: each support agent logs in to the console with a token of their own, so the console
knows who viewed, took, wrote, revealed and erased — the audit's "who" is the account, not a name
typed into a box — and what each may do beyond the ordinary work: reveal one conversation's personal
data (`reveal`), or everything the admin token allows (`admin`: the audit, knowledge releases).

    python -m staff accounts add 小王 [--reveal] [--admin]    prints the new token, once
    python -m staff accounts list | remove 小王 | renew 小王

Only a token's SHA-256 is stored (table `staff_accounts`, in the tracker store's database beside the
console's other tables). The shared STAFF_TOKEN and STAFF_ADMIN_TOKEN keep working (an
installation without accounts, scripts); with them, the name is what the agent typed.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

_meta = sa.MetaData()
ACCOUNTS = sa.Table(
    "staff_accounts", _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("can_reveal", sa.Boolean, nullable=False, default=False),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
# An account removed or renewed stops working within this many seconds on a running console.
CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Identity:
    """Who a request comes from: an account (name set), or a shared token (name typed per action)."""

    name: str | None
    admin: bool = False
    can_reveal: bool = False

    @property
    def is_account(self) -> bool:
        return self.name is not None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64 or any(c.isspace() or ord(c) < 32 for c in name):
        raise ValueError("账号名需为 1–64 个字符，不含空白")
    return name


class Accounts:
    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine
        self._ready = False
        self._cache: dict[str, tuple[float, Identity | None]] = {}

    def _ensure(self) -> None:
        if not self._ready:
            _meta.create_all(self.engine, checkfirst=True)
            self._ready = True

    def add(self, name: str, can_reveal: bool = False, admin: bool = False) -> str:
        """A new account; returns its token (shown once, never stored)."""
        name, token = _valid_name(name), secrets.token_urlsafe(24)
        self._ensure()
        with self.engine.begin() as conn:
            if conn.execute(sa.select(ACCOUNTS.c.name).where(ACCOUNTS.c.name == name)).first():
                raise ValueError(f"账号 {name} 已存在（换令牌：accounts renew {name}）")
            conn.execute(ACCOUNTS.insert().values(name=name, token_sha256=_digest(token), can_reveal=can_reveal,
                                                  admin=admin, created_at=time.time()))
        return token

    def renew(self, name: str) -> str:
        """A new token for the account; the old one stops working."""
        token = secrets.token_urlsafe(24)
        self._ensure()
        with self.engine.begin() as conn:
            if not conn.execute(ACCOUNTS.update().where(ACCOUNTS.c.name == name)
                                .values(token_sha256=_digest(token))).rowcount:
                raise ValueError(f"没有账号 {name}")
        self._cache.clear()
        return token

    def remove(self, name: str) -> bool:
        self._ensure()
        with self.engine.begin() as conn:
            removed = bool(conn.execute(ACCOUNTS.delete().where(ACCOUNTS.c.name == name)).rowcount)
        self._cache.clear()
        return removed

    def list(self) -> list[dict]:
        self._ensure()
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(ACCOUNTS.c.name, ACCOUNTS.c.can_reveal, ACCOUNTS.c.admin,
                                          ACCOUNTS.c.created_at).order_by(ACCOUNTS.c.name))
            return [dict(row._mapping) for row in rows]

    def identify(self, token: str) -> Identity | None:
        """The account a token belongs to, or None. Looked up by the token's digest, so no
        comparison leaks how much of a token was right."""
        digest = _digest(token)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        self._ensure()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(ACCOUNTS.c.name, ACCOUNTS.c.can_reveal, ACCOUNTS.c.admin)
                               .where(ACCOUNTS.c.token_sha256 == digest)).first()
        identity = Identity(row.name, admin=bool(row.admin), can_reveal=bool(row.can_reveal or row.admin)) if row else None
        if len(self._cache) > 1000:  # wrong tokens must not grow it without bound
            self._cache.clear()
        self._cache[digest] = (now, identity)
        return identity
