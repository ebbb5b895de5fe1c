"""A conversation through the conversation logic (conversation/), without Rasa: the intent is given,
the entities come from the knowledge base's mention finder, the slots carry over between turns."""
from conversation.dialogue import respond
from conversation.focus import Focus
from conversation.turn import Turn


class Conversation:
    def __init__(self, base):
        self.base, self.slots = base, {}

    def say(self, intent: str, text: str, ranking=None, confidence: float = 0.9):
        normal = self.base.normalize(text)
        entities = [m.as_entity() for m in self.base.message_finder.find(normal)]
        outcome = respond(self.base, Turn(intent, normal, entities, dict(self.slots), ranking or [], confidence))
        self.slots.update(outcome.slots)
        self.buttons = outcome.reply.buttons
        return outcome.reply.text

    @property
    def focus(self) -> Focus:
        return Focus.from_slot(self.slots.get("focus"))
