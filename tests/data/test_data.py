"""The training data and the held-out set: varied, complete, and kept apart."""
import re
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def training_examples():
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" in block:
                for line in block["examples"].splitlines():
                    yield block["intent"], line.strip()[2:]


def plain(example: str) -> str:
    return ANNOTATION.sub(r"\1", example)


def domain():
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def heldout():
    return yaml.safe_load((ROOT / "tests" / "heldout" / "questions.yml").read_text(encoding="utf-8"))


def test_every_intent_has_at_least_25_varied_examples():
    counts = Counter(intent for intent, _ in training_examples())
    assert set(counts) == set(domain()["intents"])
    assert min(counts.values()) >= 25, counts


def test_no_example_is_repeated(base):
    normal = Counter(base.normalize(plain(e)) for _, e in training_examples())
    assert [t for t, n in normal.items() if n > 1] == []


def test_annotations_use_the_domain_entities():
    entities = set(domain()["entities"])
    used = {kind for _, e in training_examples() for _, kind in ANNOTATION.findall(e)}
    assert used <= entities


def test_the_generated_rule_sends_every_domain_intent_and_the_fallback_to_the_one_action():
    """data/nlu/generated/rules.yml is written by the knowledge build from domain.yml: a new intent
    needs no hand-written rule, and a stale file (an intent missing or removed) fails here."""
    rules = yaml.safe_load((ROOT / "data" / "nlu" / "generated" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    [rule] = rules
    [intents, action] = rule["steps"]
    intent_names = {i if isinstance(i, str) else next(iter(i)) for i in domain()["intents"]}
    assert {step["intent"] for step in intents["or"]} == intent_names | {"nlu_fallback"}
    assert [action["action"]] == domain()["actions"]


def test_the_domain_declares_exactly_the_slots_the_conversation_keeps():
    """The slot names are the conversation package's (the advisor's situation, the focus, the hand-off); the
    domain must declare each, and nothing else, or Rasa drops a SlotSet or keeps a dead slot."""
    from conversation import feedback, handoff
    from conversation.advisor import SITUATION_SLOTS
    from conversation.focus import SLOT as FOCUS_SLOT

    assert set(domain()["slots"]) == set(SITUATION_SLOTS) | {FOCUS_SLOT, handoff.SLOT, handoff.MISSES_SLOT, feedback.PENDING_SLOT}


def test_heldout_questions_are_not_in_the_training_data(base):
    trained = {base.normalize(plain(e)) for _, e in training_examples()}
    leaked = [q["text"] for q in heldout() if base.normalize(q["text"]) in trained]
    assert leaked == []


def test_heldout_set_covers_every_intent_and_names_valid_ones():
    intents = Counter(q["intent"] for q in heldout())
    assert set(intents) == set(domain()["intents"])
    assert sum(1 for q in heldout() if q.get("expect")) >= 60


def test_training_data_does_not_copy_the_document(base):
    document = base.document
    copied = [e for _, e in training_examples() if len(plain(e)) >= 12 and plain(e) in document]
    assert copied == []


# -- the test sets stay apart from what they test -------------------------------------------------

def _folded(text: str) -> str:
    import unicodedata

    return re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def _test_questions(sealed: bool | None = None) -> list[str]:
    """Every question of the development and sealed sets (or of one of them), single or in a dialogue."""
    texts = []
    folders = {None: ("heldout", "sealed"), True: ("sealed",), False: ("heldout",)}[sealed]
    for path in [p for f in folders for p in (ROOT / "tests" / f).glob("*.yml")]:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            texts += [item["text"]] if "text" in item else [t["user"] for t in item.get("turns", [])]
    return texts


def test_no_test_question_is_in_the_training_data(base):
    """The sealed set's questions never; the development set's but its one- or two-word replies ("日本站",
    "重新开始"), which any conversation has."""
    trained = {base.normalize(plain(e)) for _, e in training_examples()}
    sealed = sum(base.normalize(t) in trained for t in _test_questions(sealed=True))
    assert sealed == 0, "sealed questions in the training data (not listed: nobody tuning reads them)"
    assert [t for t in _test_questions(sealed=False) if len(_folded(t)) >= 8 and base.normalize(t) in trained] == []


def test_no_test_question_is_named_in_code_or_comments():
    """Code and comments give examples in their own words: an answer written for a test question would
    pass the test and fail the seller who asks it another way."""
    questions = {_folded(t) for t in _test_questions()
                 if len(_folded(t)) >= 8 and not (t.isascii() and len(t) < 20)}  # not "start over" in /start_over
    code = [p for d in ("conversation", "knowledge", "actions", "addons", "staff", "web") for p in (ROOT / d).rglob("*.py")]
    code += list((ROOT / "knowledge").glob("*.yml"))
    folded = {p: _folded(p.read_text(encoding="utf-8")) for p in code}  # once per file, not per question
    named = sorted({str(p.relative_to(ROOT)) for p, text in folded.items() if any(q in text for q in questions)})
    assert named == []  # the files only: the sealed set's questions are not printed
