"""The only values metric labels take. A label value that came straight from a request (a sender
id, free text, a client's channel name) would make a new time series each time; here every value is
mapped onto a fixed set first, and anything else becomes OTHER.

The intents and actions are domain.yml's, read with yaml (no Rasa), plus Rasa's own fallback
intent; the channels are the ones credentials.yml can enable (addons/channels/)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "domain.yml"

# The names of addons.channels' input channels (their name() methods; tests/metrics checks them).
CHANNELS = ("rest", "socketio", "wechat")
NLU_FALLBACK = "nlu_fallback"  # Rasa's FallbackClassifier (config.yml); not listed in domain.yml
OUT_OF_SCOPE = "out_of_scope"
FALLBACK_KINDS = (NLU_FALLBACK, OUT_OF_SCOPE)
OTHER = "other"
NONE = "none"  # no intent: the message failed before Rasa read it


@lru_cache(maxsize=1)
def _domain() -> dict:
    try:
        return yaml.safe_load(DOMAIN.read_text(encoding="utf-8")) or {}
    except OSError:  # a deployment without the checkout's domain.yml: every intent is "other"
        return {}


@lru_cache(maxsize=1)
def intents() -> tuple[str, ...]:
    names = [i if isinstance(i, str) else next(iter(i)) for i in _domain().get("intents") or []]
    return tuple(dict.fromkeys([*names, NLU_FALLBACK]))


@lru_cache(maxsize=1)
def actions() -> tuple[str, ...]:
    return tuple(str(a) for a in _domain().get("actions") or [])


def channel(name: object) -> str:
    return name if isinstance(name, str) and name in CHANNELS else OTHER


def intent(name: object) -> str:
    if not name:
        return NONE
    return name if isinstance(name, str) and name in _intent_set() else OTHER


def action(name: object) -> str:
    return name if isinstance(name, str) and name in _action_set() else OTHER


@lru_cache(maxsize=1)
def _intent_set() -> frozenset[str]:
    return frozenset(intents())


@lru_cache(maxsize=1)
def _action_set() -> frozenset[str]:
    return frozenset(actions())
