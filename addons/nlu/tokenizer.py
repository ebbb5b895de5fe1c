"""NormalizingJiebaTokenizer: normalises the text (full-width → half-width, Traditional → Simplified,
acronym case) and then tokenises it with jieba and the generated domain dictionary, so every later
component sees the same normal form (knowledge/text.py)."""
from __future__ import annotations

from typing import List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge import kb


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["zh"]

    def process(self, messages: List[Message]) -> List[Message]:
        base = kb.load()
        for message in messages:
            if message.get(TEXT):
                message.set(TEXT, base.normalize(message.get(TEXT)))
        return super().process(messages)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        base = kb.load()
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if text:
                normal = base.normalize(text)
                # Annotated entity offsets must stay valid: only length-preserving changes apply.
                if len(normal) == len(text):
                    example.set(TEXT, normal)
                    _renormalize_entity_values(example, text, normal)
        return super().process_training_data(training_data)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        # jieba returns spaces as tokens; they carry no meaning for the featurizers.
        return [t for t in super().tokenize(message, attribute) if t.text.strip()]


def _renormalize_entity_values(example: Message, before: Text, after: Text) -> None:
    """An annotation's value is its text ("[awd](service)"); keep it equal to the normalised text,
    or the synonym mapper would learn "awd" → "awd" and "Awd" → "Awd" as conflicting synonyms."""
    for entity in example.get(ENTITIES) or []:
        start, end = entity.get("start"), entity.get("end")
        if start is not None and entity.get("value") == before[start:end]:
            entity["value"] = after[start:end]
