"""The project's only changes to Rasa's own behaviour, applied when `addons` is imported (Rasa
imports it to load the custom NLU components and channels). Each patch keeps Rasa's contract.

1. Action server failures: Rasa 3.6 logs an action server that is down, erroring or slow (it waits
   up to 5 minutes) and sends the seller nothing. A custom action that fails, or takes longer than
   ACTION_TIMEOUT_SECONDS (default 4), instead answers with a short apology (knowledge.replies), the
   failure is logged, and the conversation goes on normally once the action server is back.
2. Action-result validation: Rasa 3.6 validates every action server reply with
   `jsonschema.validate`, which checks the schema and builds a new validator on each call — about
   10 ms of every custom-action turn on this machine. The same schema is validated with validators
   built once, and each event only against the branch of the schema's `oneOf` whose `event` constant
   it names (the branches differ in that constant, so this accepts exactly what the whole schema
   accepts, at a tenth of the cost); a reply that fails is validated again with the whole schema, so
   it raises the same ValidationError with Rasa's message.
3. Action-server connections: Rasa 3.6 opens a new aiohttp session, so a new TCP connection (and a
   DNS lookup in a thread), for every custom action call and closes it afterwards. The action
   endpoint instead keeps one session per event loop and reuses its connections; idle ones are
   dropped after 2 s, before the action server's own 5 s keep-alive timeout, so a request never
   goes out on a connection the server is closing. Everything else about the request is Rasa's.
4. Running the model's graph: for every message Rasa runs its parse and prediction graphs through
   dask's scheduler, which plans and schedules the same dozen nodes again each time: about an
   eighth of the assistant's CPU time per reply. Serving (MessageProcessor) uses SequentialGraphRunner
   instead: the same nodes, called in dependency order planned once per set of targets, with the
   same inputs, outputs and errors. Training keeps dask.
5. SQLite tracker store: Rasa opens the SQLite file with the default rollback journal and a full
   sync on every commit. Connections to SQLite use WAL with synchronous=NORMAL instead (still
   durable across a crash of the application; readers such as the staff console don't block
   Rasa's writes). Other databases are untouched.
6. Garbage-collector pauses: once the model is loaded, the process holds about 420,000
   long-lived objects (Rasa, TensorFlow, which Rasa 3.6 imports, and the model), and every full
   collection walks them all: 220–330 ms during which no message is answered — the slowest
   replies under load. After Rasa has loaded its model, what is on the heap then is moved out of
   the collector's reach (`gc.freeze`); it is still freed normally if it stops being referenced
   (only cycles among those objects would stay), and newer objects are collected as before.
7. RulePolicy's view of the conversation: to predict each action, RulePolicy asks for the state of
   every earlier turn (twice per prediction), which Rasa rebuilds by replaying the conversation
   from its first event, then compares them with its rules and formats them all for a debug log:
   a reply's cost grows with the conversation (RulePolicy alone 40 ms at the 300th message). A
   rule of k states only ever compares the last k states (RulePolicy._is_rule_applicable accepts
   every earlier turn), so RulePolicy gets the last states up to its longest rule — the same
   rules match, the same action is predicted. And since a turn's state depends only on the events
   before it, each tracker keeps the states computed so far and the replay that produced them;
   the next call replays only the events added since, when the events already replayed are
   still, object for object, the start of the tracker's applied events (anything else, e.g. an
   undone turn or a new session, replays from the start as Rasa does). Training keeps Rasa's code.
   The applied events (the history without undone turns; Rasa recomputes them from the first
   event several times per message, for the session check and the states) are continued the same
   way: a tracker keeps the list it last computed, and when the only events added since are ones
   that Rasa's own computation would simply append (no restart, new session, undo, or form loop
   event), it appends them too; otherwise it recomputes with Rasa's code. Each caller gets a copy.
8. What a custom action receives: Rasa sends the action server every event of the conversation,
   serialised on every call (at the 300th message 18 % of Rasa's CPU and most of the action
   server's). This project's actions read only the slots and the latest message
   (actions/actions.py `turn_from`); they receive Rasa's full tracker state — slots, latest
   message, active loop, latest action — with the events of the current turn only (from the
   latest user message on, what rasa-sdk's form validation looks at). ACTION_EVENTS=all restores
   Rasa's full history.
"""
from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import operator
import os
import sqlite3
from functools import lru_cache
from typing import Optional

import aiohttp
import rasa.core.processor
import rasa.core.run
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, BotUttered, Restarted,
                                     SessionStarted, UserUttered, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)
_remote_run = RemoteAction.run
_load_agent_on_start = rasa.core.run.load_agent_on_start
_rule_policy_prediction_states = RulePolicy._prediction_states
_applied_events = DialogueStateTracker.applied_events
_action_call_format = RemoteAction._action_call_format


async def _run_or_apologise(self, output_channel, nlg, tracker, domain):
    timeout = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "4"))
    if self.action_endpoint is not None:
        _keep_connections_alive(self.action_endpoint)
    try:
        return await asyncio.wait_for(_remote_run(self, output_channel, nlg, tracker, domain), timeout)
    except ActionExecutionRejection:
        raise
    except Exception as error:  # down, erroring, too slow or an invalid reply
        logger.error("custom action %s failed for %s: %r", self.name(), tracker.sender_id, error)
        from knowledge import replies

        return [BotUttered(replies.action_unavailable().text, metadata={"action_failed": self.name()})]


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


@lru_cache(maxsize=1)
def _action_result_validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _event_validators() -> tuple:
    """The reply without its events' `oneOf`, the common part of an event, and one validator per
    event type (the `oneOf` branch with that `event` constant)."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    item = schema["properties"]["events"]["items"]
    envelope = {**schema, "properties": {**schema["properties"],
                                         "events": {**schema["properties"]["events"], "items": {"type": "object"}}}}
    common = {k: v for k, v in item.items() if k != "oneOf"}
    branches = {}
    for branch in item["oneOf"]:
        branches.setdefault(branch["properties"]["event"]["const"], []).append(cls(branch))
    return cls(envelope), cls(common), branches


def _passes_by_event_type(result) -> bool:
    envelope, common, branches = _event_validators()
    if not envelope.is_valid(result):
        return False
    for event in result.get("events") or []:
        matching = branches.get(event.get("event"), []) if isinstance(event.get("event"), str) else []
        if len(matching) != 1 or not common.is_valid(event) or not matching[0].is_valid(event):
            return False
    return True


def _validate_action_result(self, result) -> bool:
    if _passes_by_event_type(result):
        return True
    try:
        _action_result_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner's nodes and contract, run in one plain loop (see the module docstring)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict = {}  # targets → their nodes in dependency order

    def run(self, inputs: Optional[dict] = None, targets: Optional[list] = None) -> dict:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        results: dict = {}
        for name, value in (inputs or {}).items():
            if name in self._graph_schema.nodes:
                raise GraphRunError(f"Input '{name}' clashes with a node name of the graph schema.")
            results[name] = (name, value)  # what dask hands a node for an input
        try:
            for name, needs in self._plan(run_targets):
                # A need nothing provides reaches the node as its bare name, as with dask.
                results[name] = self._instantiated_nodes[name](*(results.get(n, n) for n in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets)

    def _plan(self, targets: tuple) -> list:
        """(node, the nodes it needs) for every node the targets depend on, each after its needs."""
        plans = self._plans
        if targets not in plans:
            order: list = []
            seen: set = set()

            def visit(name: str) -> None:
                node = self._graph_schema.nodes.get(name)
                if node is None or name in seen:  # an input, or already planned (the graph is acyclic)
                    return
                seen.add(name)
                for need in node.needs.values():
                    visit(need)
                order.append((name, tuple(node.needs.values())))

            for target in targets:
                visit(target)
            plans[targets] = order
        return plans[targets]


async def _load_agent_then_freeze_heap(*args, **kwargs):
    agent = await _load_agent_on_start(*args, **kwargs)
    gc.collect()
    gc.freeze()
    return agent


class _StatesSoFar:
    """One tracker's turn states computed so far (as Domain.states_for_tracker_history computes
    them for RulePolicy), and the replay they were computed on."""

    def __init__(self, tracker: DialogueStateTracker, domain: Domain) -> None:
        self.domain = domain
        self.replay = tracker.init_copy()
        self.replayed: list = []  # the applied events replayed so far
        self.states: list = []  # the state before each replayed ActionExecuted

    def fits(self, domain: Domain, applied: list) -> bool:
        n = len(self.replayed)
        # map stops at the shorter list: the first n applied events against the n replayed
        return self.domain is domain and n <= len(applied) and all(map(operator.is_, self.replayed, applied))

    def state_now(self) -> dict:
        return self.domain._clean_state(self.domain.get_active_state(self.replay))

    def replay_up_to(self, applied: list) -> None:
        for event in applied[len(self.replayed):]:
            if isinstance(event, ActionExecuted):
                self.states.append(self.state_now())
            self.replay.update(event)
            self.replayed.append(event)


# Events after which Rasa's applied_events does more than append the event.
_NOT_SIMPLY_APPENDED = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted, ActiveLoop)


class _AppliedSoFar:
    """A tracker's applied events as of its first `length` events."""

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self.events = tracker.events
        self.length = len(tracker.events)
        self.first = tracker.events[0] if tracker.events else None
        self.last = tracker.events[-1] if tracker.events else None
        self.loop_names = {e.name for e in tracker.events if isinstance(e, ActiveLoop) and e.name}
        self.applied = _applied_events(tracker)

    def still_the_start_of(self, events) -> bool:
        """The events it was computed on are still, unchanged, the first of `events`."""
        n = self.length
        return (events is self.events and len(events) >= n
                and (n == 0 or (events[0] is self.first and events[n - 1] is self.last)))

    def extend(self, events) -> bool:
        """Appends the events added since, when Rasa's computation would only append them."""
        added = list(itertools.islice(events, self.length, None))
        if any(isinstance(e, _NOT_SIMPLY_APPENDED) or
               (isinstance(e, ActionExecuted) and e.action_name in self.loop_names) for e in added):
            return False
        self.applied.extend(added)
        self.length = len(events)
        if added:
            self.last = added[-1]
        return True


def _applied_events_continued(self) -> list:
    so_far = self.__dict__.get("_applied_so_far")
    if so_far is None or not so_far.still_the_start_of(self.events) or not so_far.extend(self.events):
        so_far = self._applied_so_far = _AppliedSoFar(self)
    return list(so_far.applied)


def _copy_state(state: dict) -> dict:
    # A state's sub-state values are strings, numbers and tuples: two levels copy it entirely.
    return {name: dict(sub_state) for name, sub_state in state.items()}


def _recent_states(tracker: DialogueStateTracker, domain: Domain, how_many: int) -> list:
    """The last `how_many` of tracker.past_states(domain), continuing the tracker's earlier replay."""
    applied = tracker.applied_events()
    so_far = tracker.__dict__.get("_states_so_far")
    if so_far is None or not so_far.fits(domain, applied):
        so_far = tracker._states_so_far = _StatesSoFar(tracker, domain)
    so_far.replay_up_to(applied)
    earlier = so_far.states[max(0, len(so_far.states) - (how_many - 1)):] if how_many > 1 else []
    return [_copy_state(state) for state in earlier] + [so_far.state_now()]


def _longest_rule(policy: RulePolicy) -> int:
    longest = policy.__dict__.get("_longest_rule")
    if longest is None:
        keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        longest = policy._longest_rule = max((len(policy._rule_key_to_state(key)) for key in keys), default=1)
    return longest


def _rule_prediction_states(self, tracker, domain, use_text_for_last_user_input=False, rule_only_data=None):
    if type(tracker) is not DialogueStateTracker or type(self.featurizer) is not MaxHistoryTrackerFeaturizer:
        return _rule_policy_prediction_states(self, tracker, domain, use_text_for_last_user_input, rule_only_data)
    keep = _longest_rule(self)
    if self.featurizer.max_history:  # the featurizer would cut the history there (None for RulePolicy)
        keep = min(keep, self.featurizer.max_history)
    states = _recent_states(tracker, domain, keep)
    # As the featurizer does after building the states: the last user turn keeps text or intent.
    self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
    return states


def _action_call_with_current_turn(self, tracker, domain) -> dict:
    if os.environ.get("ACTION_EVENTS", "").lower() == "all":
        return _action_call_format(self, tracker, domain)
    events = tracker.events
    start = len(events)
    for event in reversed(events):
        start -= 1
        if isinstance(event, UserUttered):
            break
    events_of_turn = itertools.islice(events, start, None)
    # The whole state but its events (Rasa's NONE verbosity), then this turn's events.
    payload = _action_call_format(self, _WithoutEvents(tracker), domain)
    payload["tracker"]["events"] = [event.as_dict() for event in events_of_turn]
    return payload


class _WithoutEvents:
    """The tracker as _action_call_format sees it, with current_state at NONE verbosity."""

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self._tracker = tracker

    def current_state(self, event_verbosity=None) -> dict:
        return self._tracker.current_state()

    def __getattr__(self, name):
        return getattr(self._tracker, name)


def _sqlite_wal(dbapi_connection, connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def apply() -> None:
    RemoteAction.run = _run_or_apologise
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
    RemoteAction._validate_action_result = _validate_action_result
    # serve_application registers this listener after loading the channels, which imports addons.
    rasa.core.run.load_agent_on_start = _load_agent_then_freeze_heap
    RulePolicy._prediction_states = _rule_prediction_states
    DialogueStateTracker.applied_events = _applied_events_continued
    RemoteAction._action_call_format = _action_call_with_current_turn
    if not event.contains(Engine, "connect", _sqlite_wal):
        event.listen(Engine, "connect", _sqlite_wal)
