"""Who may read /metrics, as a unit: this machine by its peer address (never a forwarded header), or
another address with `Authorization: Bearer $METRICS_TOKEN` when METRICS_TOKEN is set; everyone else
403. Checked on the rule itself and on the Sanic (Rasa, action server) and aiohttp (web server)
handlers with fake requests from other addresses."""
import asyncio
from unittest import mock

import pytest

from addons.metrics import exposition
from tests.support.metrics import samples

TOKEN = {"METRICS_TOKEN": "s3cret-token"}


@pytest.mark.parametrize("peer", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "::ffff:127.0.0.1"])
def test_this_machine_is_local(peer):
    assert exposition.is_local(peer)
    assert exposition.allowed(peer, None, {})


@pytest.mark.parametrize("peer", ["10.0.0.7", "192.168.1.20", "::ffff:10.0.0.7", "2001:db8::1", "0.0.0.0", "",
                                  None, "localhost", "not an address"])
def test_any_other_peer_is_refused_without_the_token(peer):
    assert not exposition.is_local(peer)
    assert not exposition.allowed(peer, None, {})
    assert not exposition.allowed(peer, None, TOKEN)
    assert not exposition.allowed(peer, "Bearer s3cret-token", {})  # no METRICS_TOKEN: no token works
    assert not exposition.allowed(peer, "Bearer s3cret-token", {"METRICS_TOKEN": "  "})


def test_another_address_needs_exactly_the_bearer_token():
    peer = "10.0.0.7"
    assert exposition.allowed(peer, "Bearer s3cret-token", TOKEN)
    assert exposition.allowed(peer, "bearer s3cret-token", TOKEN)
    for wrong in ("Bearer s3cret", "Bearer s3cret-token2", "s3cret-token", "Basic s3cret-token", "Bearer ", ""):
        assert not exposition.allowed(peer, wrong, TOKEN), wrong


def test_the_answer_is_prometheus_text_or_403():
    status, body, content_type = exposition.answer("127.0.0.1", None, env={})
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    assert samples(body.decode())  # parses
    status, body, content_type = exposition.answer("10.0.0.7", None, env=TOKEN)
    assert status == 403 and b"forbidden" in body and b"assistant_" not in body
    status, body, content_type = exposition.answer("10.0.0.7", None, "application/openmetrics-text", env={})
    assert status == 403


class _SanicRequest:
    def __init__(self, ip: str, headers: dict) -> None:
        self.ip = ip
        self.headers = {k.lower(): v for k, v in headers.items()}


@pytest.mark.parametrize("ip, headers, token, status", [
    ("127.0.0.1", {}, None, 200),
    ("10.1.2.3", {}, None, 403),
    ("10.1.2.3", {"X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1"}, None, 403),  # headers lie
    ("10.1.2.3", {"Authorization": "Bearer s3cret-token"}, None, 403),
    ("10.1.2.3", {"Authorization": "Bearer s3cret-token"}, "s3cret-token", 200),
    ("10.1.2.3", {"Authorization": "Bearer wrong"}, "s3cret-token", 403),
])
def test_the_sanic_handler_judges_the_peer(monkeypatch, ip, headers, token, status):
    if token:
        monkeypatch.setenv("METRICS_TOKEN", token)
    else:
        monkeypatch.delenv("METRICS_TOKEN", raising=False)
    response = asyncio.run(exposition.sanic_handler(_SanicRequest(ip, headers)))
    assert response.status == status
    if status == 200:
        assert samples(response.body.decode())


@pytest.mark.parametrize("peer, headers, token, status", [
    (("127.0.0.1", 5555), {}, None, 200),
    (("::1", 5555, 0, 0), {}, None, 200),
    (("10.1.2.3", 5555), {"X-Forwarded-For": "127.0.0.1"}, None, 403),
    (("10.1.2.3", 5555), {"Authorization": "Bearer s3cret-token"}, "s3cret-token", 200),
    (("10.1.2.3", 5555), {}, "s3cret-token", 403),
])
def test_the_aiohttp_handler_judges_the_peer(monkeypatch, peer, headers, token, status):
    from aiohttp.test_utils import make_mocked_request

    from addons.metrics import web as web_metrics

    if token:
        monkeypatch.setenv("METRICS_TOKEN", token)
    else:
        monkeypatch.delenv("METRICS_TOKEN", raising=False)
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: peer if name == "peername" else default
    request = make_mocked_request("GET", "/metrics", headers=headers, transport=transport)
    response = asyncio.run(web_metrics.metrics(request))
    assert response.status == status
    if status == 200:
        assert samples(response.body.decode())
