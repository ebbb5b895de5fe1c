"""The rate limits over REST with the real assistant: a sender flooding it gets 429 with Retry-After
after the limit, and the tracker store holds only the messages that were accepted."""
import json
import urllib.error
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

pytestmark = [pytest.mark.servers, pytest.mark.model]


def post(url: str, sender: str, text: str):
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({"sender": sender, "message": text}).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_200_rapid_messages_from_one_sender_are_cut_at_the_limit_and_only_the_accepted_are_stored(assistant):
    me = "flood-" + uuid.uuid4().hex[:8]
    results = [post(assistant.url, me, f"AWD仓储费多少？{i}") for i in range(200)]
    statuses = [status for status, _, _ in results]
    accepted = statuses.count(200)
    assert 20 <= accepted < 60 and statuses[:20] == [200] * 20, statuses
    refused = [r for r in results if r[0] == 429]
    assert len(refused) == 200 - accepted
    assert all(int(headers["Retry-After"]) >= 1 for _, headers, _ in refused)
    assert "太快" in refused[0][2]["text"]
    engine = sa.create_engine(assistant.env["TRACKER_DB_URL"])
    try:
        with engine.connect() as conn:
            stored = conn.execute(sa.text("select count(*) from events where sender_id = :s and type_name = 'user'"),
                                  {"s": me}).scalar()
    finally:
        engine.dispose()
    assert stored == accepted
    assert post(assistant.url, "other-" + uuid.uuid4().hex[:8], "AWD仓储费多少？")[0] == 200  # others go on
