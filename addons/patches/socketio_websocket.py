"""Sanic 21.12 websockets on Python 3.11 (the web chat widget's socket.io upgrade). Sanic 21.12's
websocket implementation passes bare coroutines to `asyncio.wait`, which Python 3.11 forbids
("Passing coroutines is forbidden", sanic-org/sanic#2377; fixed in later Sanic, but Rasa 3.6 pins
sanic <21.13). `sanic.server.websockets.impl` gets an `asyncio` whose `wait` wraps coroutines in
tasks first — exactly what `asyncio.wait` itself did up to Python 3.10. Until it is applied, the
socket.io channel keeps the widget on HTTP long-polling (`usable()`).
"""
from __future__ import annotations

import asyncio
import logging
import sys
import types
from typing import Any, Iterable

WRITTEN_FOR = "3.6.21"
logger = logging.getLogger(__name__)


class _AsyncioWithLegacyWait(types.ModuleType):
    """Stands in for the `asyncio` module inside sanic.server.websockets.impl: everything is asyncio's,
    except `wait`, which accepts coroutines again by wrapping them in tasks (Futures pass unchanged,
    so Sanic's `done_task is self.recv_cancel` checks keep working)."""

    def __init__(self) -> None:
        super().__init__("asyncio")

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def wait(fs: Iterable[Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.wait([asyncio.ensure_future(f) for f in fs], *args, **kwargs)


def _sanic_needs_shim() -> bool:
    if sys.version_info < (3, 11):
        return False
    try:
        import sanic

        major = int(sanic.__version__.split(".")[0])
    except (ImportError, ValueError):
        return False
    return major < 22


def install_sanic_websocket_shim() -> bool:
    """Makes Sanic 21.x websockets usable on Python 3.11; idempotent. Returns whether it is in place."""
    if not _sanic_needs_shim():
        return False
    try:
        from sanic.server.websockets import impl
    except ImportError:  # another Sanic layout: nothing to patch
        return False
    if not isinstance(impl.asyncio, _AsyncioWithLegacyWait):
        impl.asyncio = _AsyncioWithLegacyWait()
        logger.debug("sanic websockets: asyncio.wait shim for Python 3.11 installed")
    return True


def usable() -> bool:
    """Whether websockets work: the shim is in place, or this Sanic does not need it."""
    if not _sanic_needs_shim():
        return True
    try:
        from sanic.server.websockets import impl
    except ImportError:
        return False
    return isinstance(impl.asyncio, _AsyncioWithLegacyWait)


def apply() -> None:
    install_sanic_websocket_shim()
