"""The patches to Rasa (addons/patches/): each applied once, only on the Rasa it was written for;
action-result validation accepts what Rasa accepts and refuses what it refuses; action calls reuse
their connection; SQLite runs in WAL mode; RulePolicy and the applied events give Rasa's results."""
import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from addons import patches
from tests.support.servers import ROOT, model_path

patches.apply()


def test_the_patches_are_installed_once():
    assert RemoteAction._validate_action_result.__module__ == "addons.patches.action_validation"
    run = RemoteAction.run
    patches.apply()
    assert RemoteAction.run is run and run.__module__ == "addons.patches.action_failures"


def test_another_rasa_release_is_refused():
    with pytest.raises(patches.RasaVersionMismatch, match="3.7.0"):
        patches.check_version("3.7.0")
    patches.check_version(__import__("rasa").__version__)


def test_importing_rasa_free_modules_imports_no_rasa():
    import subprocess
    import sys

    code = ("import sys; import addons.channels.input_guard, addons.channels.wechat.crypto, "
            "addons.channels.wechat.state, addons.channels.wechat.text, addons.channels.wechat.xml, "
            "addons.channels.wechat.customer_service, addons.stores.database, conversation.dialogue, knowledge.kb, "
            "addons.metrics.core, addons.metrics.exposition, addons.metrics.replylog, addons.metrics.web, "
            "addons.metrics.wechat, addons.metrics.action_server, "
            "knowledge.grounding, staff.api, staff.takeover; print(sorted(m for m in sys.modules if m.split('.')[0] in ('rasa', 'tensorflow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.strip()
    assert out == "[]"


def test_a_valid_action_reply_passes():
    action = RemoteAction("action_x", None)
    reply = {"events": [{"event": "slot", "name": "service", "value": "AWD"}], "responses": [{"text": "hi"}]}
    assert action._validate_action_result(reply) is True


def test_an_invalid_action_reply_raises_rasas_error():
    action = RemoteAction("action_x", None)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


EVENT_NAMES = ["user", "action", "slot", "bot", "followup", "active_loop", "reset_slots", "session_started",
               "restart", "undo", "reminder", "entities", "not_an_event"]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
EVENTS = st.one_of(
    st.fixed_dictionaries({"event": st.sampled_from(EVENT_NAMES)},
                          optional={k: VALUES for k in ("name", "value", "text", "timestamp", "metadata",
                                                        "parse_data", "policy", "confidence", "data", "entities",
                                                        "date_time", "kill_on_user_msg", "intent")}),
    VALUES)
REPLIES = st.one_of(
    st.fixed_dictionaries({}, optional={"events": st.one_of(st.lists(EVENTS, max_size=4), VALUES),
                                        "responses": st.one_of(st.lists(st.one_of(st.dictionaries(st.text(max_size=3), VALUES, max_size=2), VALUES), max_size=2), VALUES)}),
    VALUES)


@settings(max_examples=600, deadline=None)
@given(REPLIES)
def test_the_per_event_type_check_accepts_exactly_what_the_whole_schema_accepts(reply):
    from addons.patches.action_validation import _action_result_validator, _passes_by_event_type

    assert _passes_by_event_type(reply) == _action_result_validator().is_valid(reply)


def test_the_replies_the_actions_send_pass_the_quick_check():
    from addons.patches.action_validation import _passes_by_event_type

    reply = {"events": [{"event": "slot", "timestamp": None, "name": "last_service", "value": "AWD"},
                        {"event": "followup", "name": "action_listen"},
                        {"event": "bot", "text": "AWD 仓储费…", "data": {"buttons": [{"title": "t", "payload": "/x"}]}}],
             "responses": [{"text": "AWD 仓储费…", "buttons": [{"title": "t", "payload": "/x"}]}]}
    assert _passes_by_event_type(reply)
    assert not _passes_by_event_type({**reply, "events": [{"event": "slot", "name": 3}]})


def test_sqlite_connections_use_wal(tmp_path):
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


async def _count_connections(make_endpoint) -> tuple[int, list]:
    """Calls an action-server stand-in three times through the endpoint; returns how many TCP
    connections the server saw and the replies."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    peers = set()

    async def webhook(request):
        peers.add(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": [], "echo": await request.json()})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        endpoint = make_endpoint(EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
        replies = [await endpoint.request(json={"n": n}, method="post") for n in range(3)]
        for session in getattr(endpoint, "_shared_sessions", {}).values():
            await session.close()
    finally:
        await runner.cleanup()
    return len(peers), replies


def test_action_calls_reuse_one_connection():
    from addons.patches.action_connections import _keep_connections_alive

    def kept(endpoint):
        _keep_connections_alive(endpoint)
        return endpoint

    connections, replies = asyncio.run(_count_connections(kept))
    assert connections == 1
    assert [r["echo"] for r in replies] == [{"n": 0}, {"n": 1}, {"n": 2}]
    # Rasa's own endpoint opens one per call: what the patch changes.
    assert asyncio.run(_count_connections(lambda endpoint: endpoint))[0] == 3


@pytest.mark.model
def test_the_sequential_graph_runner_gives_what_dask_gives(tmp_path):
    """The trained model's parse and prediction graphs, run by Rasa's dask runner and by the
    project's, on held-out questions and the trackers they lead to."""
    import yaml
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.engine import loader
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.patches.graph_runner import SequentialGraphRunner

    agent = Agent.load(model_path())
    assert isinstance(agent.processor.graph_runner, SequentialGraphRunner)
    metadata, dask_runner = loader.load_predict_graph_runner(
        tmp_path, Path(model_path()), LocalModelStorage, DaskGraphRunner)
    ours = agent.processor.graph_runner
    domain = agent.processor.domain
    questions = yaml.safe_load((ROOT / "tests/heldout/questions.yml").read_text(encoding="utf-8"))[::9]
    for question in questions:
        tracker = DialogueStateTracker("s", domain.slots)
        parsed = []
        for runner in (dask_runner, ours):
            out = runner.run(inputs={PLACEHOLDER_MESSAGE: [UserMessage(question["text"], message_id="q")],
                                     PLACEHOLDER_TRACKER: tracker}, targets=[metadata.nlu_target])
            parsed.append(out[metadata.nlu_target][0].as_dict())
        assert parsed[0] == parsed[1], question["text"]
        tracker.update(UserUttered(question["text"], parsed[0]["intent"], parsed[0]["entities"]))
        predictions = [runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=[metadata.core_target])
                       [metadata.core_target] for runner in (dask_runner, ours)]
        assert predictions[0].probabilities == predictions[1].probabilities
        assert predictions[0].policy_name == predictions[1].policy_name


def test_the_heap_is_frozen_once_rasa_has_loaded_its_model(monkeypatch):
    """What `rasa run` calls after loading the model is Rasa's loader followed by gc.freeze: the
    agent comes back unchanged and the objects alive then are out of the collector's generations."""
    import gc

    import rasa.core.run

    from addons.patches import gc_freeze

    agent = object()

    async def rasas_loader(*args, **kwargs):
        assert args == ("model.tar.gz", None, None)
        return agent

    monkeypatch.setattr(gc_freeze._load_agent_then_freeze_heap, "rasas", rasas_loader)
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        assert asyncio.run(rasa.core.run.load_agent_on_start("model.tar.gz", None, None)) is agent
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


_TEST_DOMAIN_YAML = """
version: "3.1"
intents: [greet, ask, inform]
entities: [service]
slots:
  service:
    type: categorical
    values: [AWD, AGL]
    influence_conversation: true
    mappings: [{type: from_entity, entity: service}]
actions: [action_answer]
responses:
  utter_hi: [{text: hi}]
"""


def _event(kind: str, n: int):
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    return {
        "user": lambda: UserUttered(f"m{n}", {"name": ["greet", "ask", "inform"][n % 3], "confidence": 1.0},
                                    [{"entity": "service", "value": "AWD"}] if n % 2 else []),
        "action": lambda: ActionExecuted(["action_answer", "utter_hi", "action_listen"][n % 3]),
        "slot": lambda: SlotSet("service", ["AWD", "AGL", None][n % 3]),
        "undo": lambda: UserUtteranceReverted(),
        "restart": lambda: Restarted(),
        "session": lambda: SessionStarted(),
        "revert": lambda: ActionReverted(),
        "loop": lambda: ActiveLoop(["a_form", None][n % 2]),
        "loop action": lambda: ActionExecuted("a_form"),
    }[kind]()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["user", "action", "action", "slot", "undo", "restart", "session"]),
                          st.integers(0, 5)), max_size=40),
       st.integers(1, 6))
def test_recent_states_are_the_end_of_rasas_past_states(steps, how_many):
    """After every event, continuing the tracker's replay gives the same last states as Rasa's
    replay from the start — through undone turns, restarts and new sessions."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.patches.rule_states import _recent_states

    domain = Domain.from_yaml(_TEST_DOMAIN_YAML)
    tracker = DialogueStateTracker("s", domain.slots)
    for kind, n in steps:
        tracker.update(_event(kind, n))
        assert _recent_states(tracker, domain, how_many) == tracker.past_states(domain)[-how_many:]
    # Each call gets its own copies: changing one does not change the next answer.
    recent = _recent_states(tracker, domain, how_many)
    for state in recent:
        state.clear()
    assert _recent_states(tracker, domain, how_many) == tracker.past_states(domain)[-how_many:]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["user", "action", "slot", "undo", "restart", "session", "revert", "loop",
                                           "loop action", "drop oldest"]), st.integers(0, 5), st.booleans()),
                max_size=50))
def test_applied_events_continued_are_rasas(steps):
    """After every change to a tracker's events (appended of any kind, or the oldest dropped as the
    tracker store does for an earlier session), the continued list equals Rasa's recomputation."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.patches.applied_events import _applied_events

    tracker = DialogueStateTracker("s", Domain.from_yaml(_TEST_DOMAIN_YAML).slots)
    for kind, n, look in steps:
        if kind == "drop oldest":
            if tracker.events:
                tracker.events.popleft()
        else:
            tracker.update(_event(kind, n))
        if not look:  # several changes between two looks
            continue
        applied = tracker.applied_events()
        assert applied == _applied_events(tracker)
        applied.clear()  # a caller changing its list changes nothing for the next
        assert tracker.applied_events() == _applied_events(tracker)


@pytest.mark.model
def test_rule_policy_predicts_what_it_predicts_without_the_patch(monkeypatch):
    """The trained model's RulePolicy, plus a rule that applies only at a conversation's start
    and one of three turns (longer than the model's own), over one long conversation with an
    undone turn and a restart in it: every prediction equals Rasa's own, both extra rules fire,
    and the states are continued from one message to the next rather than replayed."""
    import json

    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RULES, RulePolicy
    from rasa.shared.core.events import ActionExecuted, BotUttered, Restarted, UserUtteranceReverted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from addons.patches import rule_states

    agent = Agent.load(model_path())
    domain = agent.processor.domain
    policy = next(node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(node._component, RulePolicy))

    def state(previous_action, intent):
        return {"prev_action": {"action_name": previous_action}, "user": {"intent": intent}}

    at_start = [{}, state("action_listen", "greet")]
    three_turns = [state("action_listen", "ask_service"), state("action_respond", "ask_service"),
                   state("action_listen", "compare_services")]
    lookup = {**policy.lookup, RULES: {**policy.lookup[RULES], json.dumps(at_start): "action_restart",
                                       json.dumps(three_turns): "action_back"}}
    monkeypatch.setattr(policy, "lookup", lookup)
    policy.__dict__.pop("_longest_rule", None)

    def predict(tracker, patched: bool):
        monkeypatch.setattr(RulePolicy, "_prediction_states", rule_states._rule_prediction_states if patched
                            else rule_states._rule_policy_prediction_states)
        prediction = policy.predict_action_probabilities(tracker, domain)
        return prediction.probabilities, prediction.hide_rule_turn, [e.as_dict() for e in prediction.events]

    intents = ["greet", "ask_service", "compare_services", "ask_service", "ask_service", "compare_services",
               "greet", "thank", "inform", "ask_why", "out_of_scope", "nlu_fallback", "ask_concept"]
    tracker = DialogueStateTracker("s", domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    actions = []
    for i in range(130):
        intent = intents[i % len(intents)]
        tracker.update(UserUttered(f"第{i}句", {"name": intent, "confidence": 0.9}))
        for step in ("action", "after it"):  # the next action, then (usually) action_listen
            ours, rasas = predict(tracker, True), predict(tracker, False)
            assert ours == rasas, (i, intent, step)
            action = domain.action_names_or_texts[max(range(len(ours[0])), key=ours[0].__getitem__)]
            actions.append(action)
            if step == "action":
                tracker.update(ActionExecuted(action))
                tracker.update(BotUttered("答案"))
        tracker.update(ActionExecuted("action_listen"))
        if i == 20:
            tracker.update(UserUtteranceReverted())
        if i == 44:  # the next message is a greeting
            tracker.update(Restarted())
            tracker.update(ActionExecuted("action_listen"))
    assert rule_states._longest_rule(policy) == 3
    assert actions.count("action_restart") == 2  # greet at the start, and again after the restart
    assert actions.count("action_back") >= 10
    assert len(tracker._states_so_far.replayed) > 300  # continued, not rebuilt, since the restart


def test_a_custom_action_gets_the_whole_state_with_this_turns_events(monkeypatch):
    """What the action server receives: Rasa's payload but with only the events from the latest
    user message on; the action server's view of slots and latest message is unchanged, and
    ACTION_EVENTS=all sends Rasa's full history."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa_sdk import Tracker

    from actions.actions import turn_from
    from addons.patches import action_events

    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker("s", domain.slots)
    for i, service in enumerate(["AWD", "AGL", "FBA"]):
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(f"{service}是什么", {"name": "ask_service", "confidence": 0.9},
                                   [{"entity": "service", "value": service, "start": 0, "end": 3}]))
        tracker.update(SlotSet("service", service))
        tracker.update(ActionExecuted("action_respond"))
        tracker.update(BotUttered(f"答案{i}"))
    action = RemoteAction("action_respond", None)
    ours = action._action_call_format(tracker, domain)
    rasas = action_events._action_call_format(action, tracker, domain)
    assert [e["event"] for e in ours["tracker"]["events"]] == ["user", "slot", "action", "bot"]
    assert ours["tracker"]["events"][0]["text"] == "FBA是什么"
    assert len(rasas["tracker"]["events"]) == 15
    assert {k: v for k, v in ours.items() if k != "tracker"} == {k: v for k, v in rasas.items() if k != "tracker"}
    assert {k: v for k, v in ours["tracker"].items() if k != "events"} == \
        {k: v for k, v in rasas["tracker"].items() if k != "events"}
    assert turn_from(Tracker.from_dict(ours["tracker"])) == turn_from(Tracker.from_dict(rasas["tracker"]))
    monkeypatch.setenv("ACTION_EVENTS", "all")
    assert action._action_call_format(tracker, domain) == rasas


class _DatabaseDown:
    """A tracker store whose database cannot be reached."""

    domain = None
    event_broker = None

    async def retrieve(self, sender_id):
        raise ConnectionError("database unreachable")

    retrieve_full_tracker = retrieve

    async def save(self, tracker):
        raise ConnectionError("database unreachable")


def _tracker():
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events("seller", [UserUttered("AWD仓储费多少？")])


def test_a_working_tracker_store_gives_what_rasas_fail_safe_store_gives():
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
    from rasa.shared.core.domain import Domain

    from addons.patches import tracker_store_failures as patch

    ours, rasas = (FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty())) for _ in range(2))
    tracker = _tracker()
    asyncio.run(ours.save(tracker))
    asyncio.run(patch.RASAS["save"](rasas, tracker))
    for name in ("retrieve", "retrieve_full_tracker"):
        mine = asyncio.run(getattr(ours, name)("seller"))
        stock = asyncio.run(patch.RASAS[name](rasas, "seller"))
        assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in stock.events]
        assert asyncio.run(getattr(ours, name)("nobody")) is None is asyncio.run(patch.RASAS[name](rasas, "nobody"))


def test_a_tracker_store_that_cannot_be_reached_fails_the_message_where_rasa_answered_from_nothing():
    from rasa.core.tracker_store import FailSafeTrackerStore

    from addons.patches import tracker_store_failures as patch

    rasas = FailSafeTrackerStore(_DatabaseDown())
    # Rasa: no tracker (the message is answered as a new conversation), the turn kept in memory only
    assert asyncio.run(patch.RASAS["retrieve"](rasas, "seller")) is None
    asyncio.run(patch.RASAS["save"](rasas, _tracker()))
    assert asyncio.run(rasas.fallback_tracker_store.retrieve("seller")) is not None
    # here: the failure reaches the channel, which apologises; nothing is kept anywhere
    ours = FailSafeTrackerStore(_DatabaseDown())
    for call in (lambda: ours.retrieve("seller"), lambda: ours.retrieve_full_tracker("seller"),
                 lambda: ours.save(_tracker())):
        with pytest.raises(ConnectionError):
            asyncio.run(call())
    assert ours._fallback_tracker_store is None


def test_an_action_server_that_refuses_while_restarting_is_tried_again_where_rasa_gave_up(monkeypatch):
    """Nothing listens on the action server's port for a moment (a restart): Rasa's RemoteAction
    fails at once; here the call is tried again and gets the server's answer once it is up."""
    from aiohttp import web
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.exceptions import RasaException
    from rasa.utils.endpoints import EndpointConfig

    from addons.patches import action_failures
    from tests.support.servers import free_port

    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", "5")
    monkeypatch.setenv("ACTION_RETRY_SECONDS", "3")
    port = free_port()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")

    async def webhook(request):
        return web.json_response({"events": [{"event": "slot", "name": "focus", "value": None}],
                                  "responses": [{"text": "答案「来源：1.4.1」"}]})

    async def server_up_after(seconds: float):
        await asyncio.sleep(seconds)
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    async def call(run):
        from rasa.core.channels.channel import CollectingOutputChannel
        from rasa.core.nlg import TemplatedNaturalLanguageGenerator

        action = RemoteAction("action_respond", endpoint)
        return await run(action, CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}),
                         DialogueStateTracker("seller", []), Domain.empty())

    async def rasa_then_ours():
        with pytest.raises(RasaException):  # Rasa: refused, failed
            await call(action_failures._run_or_apologise.rasas)
        starting = asyncio.create_task(server_up_after(0.6))
        events = await call(RemoteAction.run)  # ours: tried again until the server answered
        runner = await starting
        stock = await call(action_failures._run_or_apologise.rasas)  # now up: Rasa's own answer
        await runner.cleanup()
        return events, stock

    events, stock = asyncio.run(rasa_then_ours())
    assert [e.as_dict() | {"timestamp": 0} for e in events] == [e.as_dict() | {"timestamp": 0} for e in stock]
    assert events[0].text == "答案「来源：1.4.1」" and not events[0].metadata.get("action_failed")
