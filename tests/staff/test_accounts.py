"""Staff accounts (staff/accounts.py) through the console's API, on SQLite and PostgreSQL: an agent's
own token logs in as that agent, whose name — not a typed one — is what the audit and the hand-off
record; only accounts made with --reveal (or admin) may see a conversation unmasked; a removed
account's token stops working. Accounts are made with the command line, as an operator would."""
import time
import uuid

import pytest

from staff.__main__ import main as staff_cli
from tests.support.staff import save, session_start, turn

pytestmark = [pytest.mark.servers, pytest.mark.model]

PHONE = "13912345678"


def _account(url: str, name: str, *flags: str, capsys) -> str:
    capsys.readouterr()
    assert staff_cli(["accounts", "add", name, *flags, "--db", url]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.fixture
def agents(seeded, capsys):
    tag = uuid.uuid4().hex[:6]
    names = {"plain": f"小李{tag}", "revealer": f"小张{tag}"}
    tokens = {"plain": _account(seeded.url, names["plain"], capsys=capsys),
              "revealer": _account(seeded.url, names["revealer"], "--reveal", capsys=capsys)}
    seller = f"acct-{tag}"
    save(seeded.url, seller, session_start(time.time() - 60) + turn(
        f"转人工，电话{PHONE}", time.time() - 50, "request_human", 0.95, "action_respond", "好的，已为你转接人工客服。",
        slots={"handoff": "requested"}))
    return names, tokens, seller


def _user_texts(body: dict) -> list[str]:
    return [i["user"]["text"] for i in body["items"] if i["kind"] == "turn" and i["user"]]


def test_an_agents_own_token_logs_in_as_that_agent(console, agents):
    names, tokens, _ = agents
    status, _, session = console.request("/staff/api/session", token=tokens["plain"])
    assert status == 200 and session["name"] == names["plain"] and session["account"]
    assert not session["can_reveal"] and not session["admin"]
    status, _, session = console.request("/staff/api/session", token=tokens["revealer"])
    assert session["name"] == names["revealer"] and session["can_reveal"] and not session["admin"]
    assert console.request("/staff/api/session", token=tokens["plain"] + "x")[0] == 403


def test_only_an_account_allowed_to_reveal_sees_personal_data_and_the_audit_names_it(console, agents):
    names, tokens, seller = agents
    path = f"/staff/api/conversations/{seller}"
    status, _, masked = console.request(path, token=tokens["plain"])
    assert status == 200 and all(PHONE not in t for t in _user_texts(masked))
    assert console.request(path, token=tokens["plain"], params={"reveal": "1"})[0] == 403
    status, _, shown = console.request(path, token=tokens["revealer"], params={"reveal": "1"},
                                       headers={"X-Staff-Name": "impostor"})  # a typed name changes nothing
    assert status == 200 and any(PHONE in t for t in _user_texts(shown))
    assert console.request("/staff/api/audit", token=tokens["revealer"])[0] == 403  # the audit is the admin's
    audit = console.request("/staff/api/audit", token=console.admin_token, params={"sender": seller})[2]["audit"]
    assert {(a["action"], a["actor"]) for a in audit} >= {("view", names["plain"]), ("reveal", names["revealer"])}
    assert all(a["actor"] != "impostor" for a in audit)


def test_a_take_is_recorded_under_the_account_whatever_name_is_typed(console, agents):
    names, tokens, seller = agents
    status, _, taken = console.request(f"/staff/api/handoffs/{seller}", "POST", token=tokens["plain"],
                                       body={"status": "taken", "by": "别人"})
    assert status == 200 and taken["actor"] == names["plain"]
    status, _, done = console.request(f"/staff/api/handoffs/{seller}", "POST", token=tokens["plain"],
                                      body={"status": "done"})
    assert status == 200 and done["actor"] == names["plain"]


def test_a_removed_account_is_refused(console, agents, seeded, capsys):
    names, tokens, _ = agents
    assert console.request("/staff/api/session", token=tokens["plain"])[0] == 200
    assert staff_cli(["accounts", "remove", names["plain"], "--db", seeded.url]) == 0
    deadline = time.time() + 15  # a running console reads accounts again within seconds
    while console.request("/staff/api/session", token=tokens["plain"])[0] == 200 and time.time() < deadline:
        time.sleep(0.5)
    assert console.request("/staff/api/session", token=tokens["plain"])[0] == 403
    assert console.request("/staff/api/session", token=tokens["revealer"])[0] == 200
    capsys.readouterr()
    assert staff_cli(["accounts", "list", "--db", seeded.url]) == 0
    listed = capsys.readouterr().out
    assert names["revealer"] in listed and names["plain"] not in listed and tokens["revealer"] not in listed
