"""Action-server failures: Rasa 3.6 logs an action server that is down, erroring or slow (it waits up
to 5 minutes) and sends the seller nothing. A custom action that fails, or takes longer than
ACTION_TIMEOUT_SECONDS (default 4), instead answers with a short apology (conversation.replies), the
failure is logged and counted (assistant_action_failures_total, addons/metrics/core.py), and the
conversation goes on normally once the action server is back.

Applied after action_connections, so the apology wraps the call that keeps connections.
"""
from __future__ import annotations

import asyncio
import logging
import os

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered

from addons.metrics import core as metrics

WRITTEN_FOR = "3.6.21"
logger = logging.getLogger(__name__)


async def _run_or_apologise(self, output_channel, nlg, tracker, domain):
    timeout = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "4"))
    try:
        return await asyncio.wait_for(_run_or_apologise.rasas(self, output_channel, nlg, tracker, domain), timeout)
    except ActionExecutionRejection:
        raise
    except Exception as error:  # down, erroring, too slow or an invalid reply
        logger.error("custom action %s failed for %s: %r", self.name(), tracker.sender_id, error)
        metrics.action_failed(self.name(), timeout=isinstance(error, asyncio.TimeoutError))
        from conversation import replies

        return [BotUttered(replies.action_unavailable().text, metadata={"action_failed": self.name()})]


def apply() -> None:
    if RemoteAction.run is not _run_or_apologise:
        _run_or_apologise.rasas = RemoteAction.run
        RemoteAction.run = _run_or_apologise
