"""Action-server failures: Rasa 3.6 logs an action server that is down, erroring or slow (it waits up
to 5 minutes) and sends the seller nothing. A custom action that fails, or takes longer than
ACTION_TIMEOUT_SECONDS (default 4), instead answers with a short apology (conversation.replies), the
failure is logged and counted (assistant_action_failures_total, addons/metrics/core.py), and the
conversation goes on normally once the action server is back.

An action server that refuses the connection, or closes a kept-alive one before the request was
written (restarting: bench/drills.py), is tried again every fraction of a second for up to
ACTION_RETRY_SECONDS (default: until the timeout): it never received the request, so trying again
cannot run an action twice, and a restart of a few seconds delays the replies instead of
apologising for them. Any other failure (an answer that never came, a 500) is not retried.

Applied after action_connections, so the apology wraps the call that keeps connections.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time

import aiohttp
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered
from rasa.shared.exceptions import RasaException

from addons.metrics import core as metrics

WRITTEN_FOR = "3.6.21"
logger = logging.getLogger(__name__)


async def _run_or_apologise(self, output_channel, nlg, tracker, domain):
    timeout = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "4"))
    try:
        retry = float(os.environ.get("ACTION_RETRY_SECONDS", timeout))
        return await asyncio.wait_for(_run_when_reachable(self, retry, output_channel, nlg, tracker, domain), timeout)
    except ActionExecutionRejection:
        raise
    except Exception as error:  # down, erroring, too slow or an invalid reply
        logger.error("custom action %s failed for %s: %r", self.name(), tracker.sender_id, error)
        metrics.action_failed(self.name(), timeout=isinstance(error, asyncio.TimeoutError))
        from conversation import replies

        return [BotUttered(replies.action_unavailable().text, metadata={"action_failed": self.name()})]


def _never_received(error: BaseException | None) -> bool:
    """Refused, or the connection closed while aiohttp was still writing the request."""
    if isinstance(error, aiohttp.ClientConnectorError):
        return True
    return isinstance(error, aiohttp.ClientOSError) and "Can not write request body" in str(error)


async def _run_when_reachable(self, retry_seconds: float, *args):
    give_up = time.monotonic() + retry_seconds
    delay = 0.1
    while True:
        try:
            return await _run_or_apologise.rasas(self, *args)
        except RasaException as error:
            if not _never_received(error.__cause__ or error.__context__) or time.monotonic() + delay > give_up:
                raise
            logger.warning("action server refused %s; trying again in %.1f s", self.name(), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)


def apply() -> None:
    if RemoteAction.run is not _run_or_apologise:
        _run_or_apologise.rasas = RemoteAction.run
        RemoteAction.run = _run_or_apologise
