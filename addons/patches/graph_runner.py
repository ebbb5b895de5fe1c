"""Running the model's graph: for every message Rasa runs its parse and prediction graphs through
dask's scheduler, which plans and schedules the same dozen nodes again each time: about an eighth of
the assistant's CPU time per reply. Serving (MessageProcessor) uses SequentialGraphRunner instead:
the same nodes, called in dependency order planned once per set of targets, with the same inputs,
outputs and errors. Training keeps dask."""
from __future__ import annotations

from typing import Optional

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

WRITTEN_FOR = "3.6.21"


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


def apply() -> None:
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
