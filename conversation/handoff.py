"""A hand-off to a human as the conversation records it, read by the staff console's queue
(staff/store.py): the intent that asks for one, and the slot and value set when the bot hands over."""
INTENT = "request_human"
SLOT = "handoff"
REQUESTED = "requested"
