"""KnowledgeEntityExtractor: adds the knowledge base's deterministic mentions (services, marketplaces,
attributes, quantities ...) with canonical values; where it and another extractor disagree on a
span, the knowledge base wins."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge import kb


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class KnowledgeEntityExtractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KnowledgeEntityExtractor":
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.component_config = config

    def process(self, messages: List[Message]) -> List[Message]:
        finder = kb.load().message_finder
        for message in messages:
            found = [m.as_entity() for m in finder.find(message.get(TEXT) or "")]
            kept = [e for e in message.get(ENTITIES, []) if not any(_overlap(e, f) for f in found)]
            message.set(ENTITIES, kept + self.add_extractor_name(found), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


def _overlap(a: Dict[Text, Any], b: Dict[Text, Any]) -> bool:
    return a.get("start", 0) < b["end"] and b["start"] < a.get("end", 0)
