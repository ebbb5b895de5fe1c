"""Action-server connections: Rasa 3.6 opens a new aiohttp session, so a new TCP connection (and a DNS
lookup in a thread), for every custom action call and closes it afterwards. The action endpoint
instead keeps one session per event loop and reuses its connections; idle ones are dropped after 2
s, before the action server's own 5 s keep-alive timeout, so a request never goes out on a
connection the server is closing. Everything else about the request is Rasa's."""
from __future__ import annotations

import asyncio

import aiohttp
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

WRITTEN_FOR = "3.6.21"


class _SharedSession:
    """Stands in for the session Rasa opens with `async with endpoint.session() as session`:
    hands out the endpoint's long-lived session and leaves it open afterwards."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info) -> bool:
        return False


def _keep_connections_alive(endpoint: EndpointConfig) -> None:
    if getattr(endpoint, "_shared_sessions", None) is not None:
        return
    sessions: dict = {}

    def session() -> _SharedSession:
        loop = asyncio.get_running_loop()
        shared = sessions.get(loop)
        if shared is None or shared.closed:
            for stale in [lo for lo in sessions if lo.is_closed()]:
                del sessions[stale]
            # As EndpointConfig.session builds it, plus a connector that keeps connections.
            auth = (aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
                    if endpoint.basic_auth else None)
            shared = aiohttp.ClientSession(headers=endpoint.headers, auth=auth,
                                           timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                           connector=aiohttp.TCPConnector(keepalive_timeout=2))
            sessions[loop] = shared
        return _SharedSession(shared)

    endpoint._shared_sessions = sessions
    endpoint.session = session


async def _run_with_kept_connections(self, *args, **kwargs):
    if self.action_endpoint is not None:
        _keep_connections_alive(self.action_endpoint)
    return await _run_with_kept_connections.rasas(self, *args, **kwargs)


def apply() -> None:
    if RemoteAction.run is not _run_with_kept_connections:
        _run_with_kept_connections.rasas = RemoteAction.run
        RemoteAction.run = _run_with_kept_connections
