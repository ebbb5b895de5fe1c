"""Garbage-collector pauses: once the model is loaded, the process holds hundreds of thousands of
long-lived objects (Rasa, TensorFlow, which Rasa 3.6 imports, and the model), and every full
collection walks them all: a pause during which no message is answered — the slowest replies under
load (docs/performance.md). After
Rasa has loaded its model, what is on the heap then is moved out of the collector's reach
(`gc.freeze`); it is still freed normally if it stops being referenced (only cycles among those
objects would stay), and newer objects are collected as before."""
from __future__ import annotations

import gc

import rasa.core.run

WRITTEN_FOR = "3.6.21"


async def _load_agent_then_freeze_heap(*args, **kwargs):
    agent = await _load_agent_then_freeze_heap.rasas(*args, **kwargs)
    gc.collect()
    gc.freeze()
    return agent


def apply() -> None:
    # serve_application registers this listener after loading the channels: apply before Rasa serves.
    if rasa.core.run.load_agent_on_start is not _load_agent_then_freeze_heap:
        _load_agent_then_freeze_heap.rasas = rasa.core.run.load_agent_on_start
        rasa.core.run.load_agent_on_start = _load_agent_then_freeze_heap
