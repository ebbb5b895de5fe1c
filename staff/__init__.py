"""The support staff console: knowledge search, conversations, the hand-off queue and unanswered
questions, over the same knowledge API the assistant uses (knowledge.kb) and Rasa's SQL tracker store
(read directly with SQLAlchemy; no Rasa import).

    staff.store      reading conversations from the tracker store; the hand-off state table
    staff.search     searching the knowledge base's facts (by words, service, attribute) and passages
    staff.unanswered grouping the messages the assistant could not place, CSV export
    staff.api        the JSON API under /staff/api/ and the page at /staff (web/staff/), token-protected
    python -m staff  the same functions from the command line
"""
