"""RulePolicy's view of the conversation: to predict each action, RulePolicy asks for the state of
every earlier turn (twice per prediction), which Rasa rebuilds by replaying the conversation
from its first event, then compares them with its rules and formats them all for a debug log:
a reply's cost grows with the conversation (docs/performance.md). A
rule of k states only ever compares the last k states (RulePolicy._is_rule_applicable accepts
every earlier turn), so RulePolicy gets the last states up to its longest rule — the same
rules match, the same action is predicted. And since a turn's state depends only on the events
before it, each tracker keeps the states computed so far and the replay that produced them;
the next call replays only the events added since, when the events already replayed are
still, object for object, the start of the tracker's applied events (anything else, e.g. an
undone turn or a new session, replays from the start as Rasa does). Training keeps Rasa's code.
"""
from __future__ import annotations

import operator

from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

WRITTEN_FOR = "3.6.21"
_rule_policy_prediction_states = RulePolicy._prediction_states


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


def apply() -> None:
    RulePolicy._prediction_states = _rule_prediction_states
