"""The chat widget's socket.io channel (addons/channels/socketio.py) and its configuration, without
servers: the settings reach Engine.IO, a session request joins the session's room, and the websocket
shim lets Sanic wait on coroutines. Over a running assistant: test_bad_input.py here, and the page in
Chromium in tests/channels/test_web_widget.py."""
from __future__ import annotations

import asyncio
import re
import sys

import pytest

from tests.support.servers import runtime_config

# -- the channel, without servers -------------------------------------------------------------------

def _channel(**credentials):
    from addons import patches
    from addons.channels.socketio import SocketIOInput

    patches.apply()  # as addons/launch.py does before Rasa builds its channels (the websocket shim)

    channel = SocketIOInput.from_credentials({"session_persistence": True, **credentials})

    async def on_new_message(message):  # pragma: no cover - not called here
        return None

    channel.blueprint(on_new_message)
    return channel


def test_runtime_config_uses_the_fixed_channel_limited_to_the_page_origin():
    creds = runtime_config.credentials({"WEB_ORIGIN": "http://localhost:9999"})
    assert "socketio" not in creds
    channel = creds["addons.channels.socketio.SocketIOInput"]
    assert channel["session_persistence"] is True
    assert channel["user_message_evt"] == "user_uttered" and channel["bot_message_evt"] == "bot_uttered"
    assert channel["cors_allowed_origins"] == ["http://localhost:9999"]
    assert channel["websockets"] is True
    default = runtime_config.credentials({})["addons.channels.socketio.SocketIOInput"]
    assert default["cors_allowed_origins"] == ["http://localhost:8080"]
    assert runtime_config.credentials({"SOCKETIO_WEBSOCKETS": "false"})[
        "addons.channels.socketio.SocketIOInput"]["websockets"] is False


def test_channel_settings_reach_engineio():
    channel = _channel(cors_allowed_origins=["http://localhost:8080/"])
    assert channel.name() == "socketio"
    assert channel.sio.eio.cors_allowed_origins == ["http://localhost:8080"]
    assert channel.sio.eio.allow_upgrades is True
    polling = _channel(websockets=False)
    assert polling.sio.eio.allow_upgrades is False
    assert polling.sio.eio.cors_allowed_origins == []  # not configured: the stock channel's behaviour


def test_session_request_puts_the_socket_in_the_session_room():
    """Rasa 3.6 forgot to await enter_room (a coroutine since python-socketio 5.10): the socket never
    joined the session's room, so replies went to an empty room."""
    channel = _channel()
    sio = channel.sio
    calls = []

    async def enter_room(sid, room, namespace=None):  # as python-socketio ≥ 5.10: a coroutine
        calls.append(("enter_room", sid, room))

    async def emit(event, data=None, room=None, namespace=None, **kwargs):
        calls.append(("emit", event, data, room))

    sio.enter_room, sio.emit = enter_room, emit
    handler = sio.handlers["/"]["session_request"]
    asyncio.run(handler("socket-1", {"session_id": "session-abc"}))
    assert calls == [("enter_room", "socket-1", "session-abc"), ("emit", "session_confirm", "session-abc", "socket-1")]

    calls.clear()
    sio.enter_room = lambda sid, room, namespace=None: calls.append(("enter_room", sid, room))  # older, sync
    asyncio.run(handler("socket-2", None))  # no session id yet: a new one is made
    (_, sid, room), (_, event, confirmed, to) = calls
    assert sid == "socket-2" and re.fullmatch(r"[0-9a-f]{32}", room) and (event, confirmed, to) == ("session_confirm", room, "socket-2")


def test_websocket_shim_lets_sanic_wait_on_coroutines():
    from sanic.server.websockets import impl

    from addons.patches import socketio_websocket

    if sys.version_info < (3, 11):
        pytest.skip("the shim is only needed on Python 3.11+")
    socketio_websocket.apply()
    assert socketio_websocket.usable()

    async def value():
        return 42

    async def run():
        cancel = asyncio.get_running_loop().create_future()
        done, pending = await impl.asyncio.wait((cancel, value()), return_when=asyncio.FIRST_COMPLETED)
        assert cancel in pending  # Futures are passed through unchanged (Sanic compares identities)
        return next(iter(done)).result()

    assert asyncio.run(run()) == 42
