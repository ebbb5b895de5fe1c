"""What the assistant says next: reading a message in the light of the conversation so far, and
choosing the one answer for it. Plain Python, no Rasa: actions/ adapts a Rasa tracker to a Turn and
the Outcome back to messages and slot events.

  turn.py        a message with its intent, entities and slots; the outcome of answering it
  focus.py       what the conversation is about now (services, stage, context, the last source)
  understand.py  reading a message: its subjects, references, kind of question, and the decision
                 of what kind of answer it gets
  advisor.py     the seller's situation for the routing advisor, accumulated over turns
  dialogue.py    `respond`: one decision, then the one handler that composes the answer
"""
