"""Conversations live in Rasa's SQL tracker store (SQLite by default, PostgreSQL with TRACKER_DB_URL)
and survive a restart of Rasa; Rasa's HTTP API needs the token while the public channels stay open;
CORS allows only the widget's origin."""
import json
import secrets
import urllib.error
import urllib.request

import pytest

from tests.support.servers import start_assistant
from tests.support.staff import BACKENDS

pytestmark = [pytest.mark.servers, pytest.mark.model]

WIDGET_ORIGIN = "http://localhost:8080"


def call(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture(scope="module", params=BACKENDS)
def restarted(request):
    """The seeded tracker store (the first assistant has stopped), served by a new Rasa process with
    the HTTP API enabled behind a token, as scripts/run.sh starts it (its own settings, so not the
    shared assistant)."""
    seed = request.getfixturevalue(f"{request.param}_seed")
    token = secrets.token_urlsafe(16)
    # "--auth-token=…": a token may start with "-", which argparse would read as an option
    bot = start_assistant(extra_args=("--enable-api", f"--auth-token={token}", "--cors", WIDGET_ORIGIN),
                          extra_env=seed.env)
    yield seed, bot, token
    bot.stop()


def test_the_conversation_survives_a_restart_of_rasa(restarted):
    seed, bot, token = restarted
    status, _, body = call(f"{bot.url}/conversations/{seed.restart_sender}/tracker?token={token}")
    assert status == 200, body
    texts = [e.get("text") for e in json.loads(body)["events"] if e["event"] == "user"]
    assert "AWD是什么" in texts
    # The slots came back too: "它" is still AWD after the restart.
    reply = bot.reply("那它的仓储费呢？", seed.restart_sender)
    assert "0.48" in reply and "1.4.1" in reply, reply


def test_the_tracker_store_is_the_configured_database(restarted):
    seed, bot, token = restarted
    import sqlalchemy as sa

    engine = sa.create_engine(seed.url)
    try:
        with engine.connect() as conn:
            assert engine.dialect.name == seed.backend
            senders = {r[0] for r in conn.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}
    finally:
        engine.dispose()
    assert {seed.fee_sender, seed.handoff_sender, seed.restart_sender, seed.old_handoff} <= senders


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/conversations/{sender}/tracker", None),
    ("GET", "/conversations/{sender}/story", None),
    ("POST", "/conversations/{sender}/tracker/events", {"event": "slot", "name": "handoff", "value": None}),
    ("POST", "/model/parse", {"text": "AWD仓储费多少？"}),
    ("GET", "/status", None),
    ("GET", "/domain", None),
])
def test_rasa_http_api_refuses_requests_without_the_token(restarted, method, path, body):
    seed, bot, token = restarted
    url = bot.url + path.format(sender=seed.fee_sender)
    assert call(url, method, body)[0] == 401
    assert call(url + "?token=wrong-" + token, method, body)[0] == 401
    assert call(url, method, body, headers={"Authorization": f"Bearer {token}"})[0] == 401  # not a JWT


def test_rasa_http_api_answers_with_the_token(restarted):
    seed, bot, token = restarted
    assert call(f"{bot.url}/status?token={token}")[0] == 200
    status, _, body = call(f"{bot.url}/model/parse?token={token}", "POST", {"text": "AWD仓储费多少？"})
    assert status == 200 and json.loads(body)["intent"]["name"] == "ask_service"


def test_the_public_rest_channel_needs_no_token(restarted):
    seed, bot, token = restarted
    assert "0.48" in bot.reply("AWD仓储费多少？")


def test_cors_allows_only_the_widget_origin(restarted):
    seed, bot, token = restarted
    _, headers, _ = call(f"{bot.url}/", headers={"Origin": WIDGET_ORIGIN})
    assert headers.get("Access-Control-Allow-Origin") == WIDGET_ORIGIN
    _, headers, _ = call(f"{bot.url}/", headers={"Origin": "http://evil.example"})
    assert headers.get("Access-Control-Allow-Origin") in (None, "")
