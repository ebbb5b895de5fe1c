"""Who reaches the action server (addons/action_server/guard.py): it listens on localhost only, and
with ACTIONS_SECRET set it answers Rasa (which sends the secret) and refuses a call without it."""
import json
import socket
import urllib.error
import urllib.request

import pytest

from tests.support.servers import start_assistant

pytestmark = [pytest.mark.servers, pytest.mark.model]


def call_actions(port: int, query: str = "") -> int:
    body = json.dumps({"next_action": "action_respond", "tracker": {"sender_id": "x", "slots": {}, "events": []},
                       "domain": {}, "version": "3.6.2"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhook{query}", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def own_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_with_a_secret_rasa_is_answered_and_a_call_without_it_is_refused():
    bot = start_assistant(extra_env={"ACTIONS_SECRET": "s3cret-for-this-test"})
    try:
        assert "0.48" in bot.reply("AWD仓储费多少？")
        assert call_actions(bot.actions_port) == 401
        assert call_actions(bot.actions_port, "?token=wrong") == 401
        assert call_actions(bot.actions_port, "?token=s3cret-for-this-test") != 401
        health = urllib.request.urlopen(f"http://127.0.0.1:{bot.actions_port}/health", timeout=10)
        assert health.status == 200
    finally:
        bot.stop()


def test_the_action_server_listens_on_localhost_only(assistant):
    address = own_address()
    if address is None:
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError):
        socket.create_connection((address, assistant.actions_port), timeout=3).close()
    socket.create_connection(("127.0.0.1", assistant.actions_port), timeout=3).close()
