"""`python -m knowledge.build`: check the knowledge against the document, then generate from it.

Checks (any failure exits non-zero, so `make` stops before training or serving):
  - every quote is in the document (runs of whitespace compared as one space);
  - every quantity in a fact (answer text or data: numbers with their unit, prices, percentages,
    durations, ranges) is in that fact's quotes — quantities are found with spaCy's Matcher on a blank
    `zh` pipeline with the jieba segmenter;
  - every marketplace in a fact's data is named in its quotes; every service id referenced exists;
  - no phrase means two different things (Rasa's synonym mapper ignores the entity type).
Loading refuses a source document whose checksum knowledge/source/SHA256SUMS does not accept (and says
how to accept it). Reports each source document with its number of statements, and every quantity of
the documents and how it is answered (a curated fact, or its statement).
Generates (from the same data, so each alias lives in one place):
  - knowledge/generated/jieba/userdict.txt — the domain dictionary for Rasa's JiebaTokenizer;
  - data/nlu/generated/lookups.yml — Rasa lookup tables and synonyms;
  - data/nlu/generated/rules.yml — the one rule: every intent of domain.yml (and the fallback) is
    answered by the one action, so a new intent needs no second list.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge import kb as kbmod
from knowledge.kb import Fact, KnowledgeBase

ROOT = kbmod.HERE.parent
JIEBA_DIR = kbmod.HERE / "generated" / "jieba"
LOOKUPS = ROOT / "data" / "nlu" / "generated" / "lookups.yml"
RULES = ROOT / "data" / "nlu" / "generated" / "rules.yml"
DOMAIN = ROOT / "domain.yml"

# Tokens that give a number its meaning; "4天" and "4折" are different facts.
_UNITS = ("天", "折", "亿", "万", "%", "个", "小时", "年", "月", "件", "+", "KG", "CBM", "倍", "次", "岁")


@lru_cache(maxsize=1)
def _matcher():
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    number = {"TEXT": {"REGEX": r"^\d+(\.\d+)?%?$"}}
    joiner = {"ORTH": {"IN": [",", "-", "*", "~", "."]}}
    matcher = Matcher(nlp.vocab)
    matcher.add("QUANTITY", [
        [{"ORTH": "$", "OP": "?"}, number, joiner, number],
        [{"ORTH": "$", "OP": "?"}, number],
    ], greedy="LONGEST")
    return nlp, matcher


def quantities(text: str) -> set[str]:
    """Quantities in a text, each as number(s) plus unit: {"$0.48", "28-30天", "80%", "8折", "275,000"}."""
    nlp, matcher = _matcher()
    doc = nlp(text.replace("\\$", "$"))
    found = set()
    for _, start, end in matcher(doc):
        span = doc[start:end].text.replace(" ", "")
        unit = _unit_after(doc[end].text) if end < len(doc) else ""
        found.add(span + unit)
    return found


def _unit_after(token: str) -> str:
    upper = token.upper()
    return next((u for u in _UNITS if upper.startswith(u)), "")


def _numbers_in_data(value) -> set[str]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, (int, float)):
        return {f"{value:g}"}
    if isinstance(value, str):
        return {q.lstrip("$") for q in quantities(value)}
    if isinstance(value, dict):
        return set().union(*map(_numbers_in_data, value.values()), set())
    if isinstance(value, (list, tuple)):
        return set().union(*map(_numbers_in_data, value), set())
    return set()


def _bare(quantity: str) -> str:
    return quantity.lstrip("$").rstrip("".join(_UNITS))


def check_fact(base: KnowledgeBase, fact: Fact) -> list[str]:
    where = f"{fact.owner}.{fact.attribute}"
    quoted = set().union(*(quantities(q) for q in fact.quotes), set())
    quoted_bare = {_bare(q) for q in quoted} | {n for q in quoted for n in _bare(q).replace("-", " ").split()}
    problems = [
        f"{where}: '{q}' in the answer is not in its quotes" for q in sorted(quantities(fact.answer) - quoted)
    ]
    problems += [
        f"{where}: number {n} in its data is not in its quotes"
        for n in sorted(_numbers_in_data(fact.data))
        if n not in quoted_bare and _bare(n) not in quoted_bare
    ]
    quote_text = " ".join(fact.quotes)
    for market in fact.data.get("markets", ()):
        names = base.vocabulary["marketplace"].get(market, {}).get("phrases", []) + [base.label("marketplace", market)]
        if not any(name in quote_text for name in names):
            problems.append(f"{where}: marketplace {market} is not named in its quotes")
    return problems


def check(base: KnowledgeBase) -> list[str]:
    problems = base.missing_quotes()
    for fact in base.all_facts():
        problems += check_fact(base, fact)
    for stage, ids in base.stage_services.items():
        problems += [f"stage {stage}: unknown service {i}" for i in ids if i not in base.services]
    for service in base.services.values():
        for need in service.data("requirement", "requires", ()):
            if need not in base.services:
                problems.append(f"{service.id}: requires unknown service {need}")
    problems += phrase_conflicts(base)
    problems += rule_problems(base)
    return problems


def rule_problems(base: KnowledgeBase) -> list[str]:
    from knowledge.routing import _STAGE_QUESTIONS, Situation

    fields = set(Situation.__dataclass_fields__) | {"supplier", "load"}
    problems = []
    for rule in base.routing_rules.get("rules", []):
        where = f"rule {rule['id']}"
        for service in [rule.get("recommend")] + list(rule.get("exclude") or []):
            if service and service not in base.services:
                problems.append(f"{where}: unknown service {service}")
        for key in rule.get("when", {}):
            if key.removeprefix("not_") not in fields:
                problems.append(f"{where}: unknown situation field {key}")
        if rule["stage"] not in _STAGE_QUESTIONS:
            problems.append(f"{where}: unknown stage {rule['stage']}")
    asked = {q for qs in _STAGE_QUESTIONS.values() for q in qs}
    problems += [f"question {q} has no text in routing.yml" for q in asked - set(base.routing_rules["questions"])]
    return problems


def phrase_conflicts(base: KnowledgeBase) -> list[str]:
    meaning: dict[str, tuple[str, str]] = {}
    problems = []
    for entity, value, phrase in base.phrases():
        key = phrase.lower()
        seen = meaning.setdefault(key, (entity, value))
        if seen[1] != value:
            problems.append(f"phrase {phrase!r} means both {seen[0]}={seen[1]} and {entity}={value}")
    return problems


def jieba_dictionary(base: KnowledgeBase) -> str:
    words = sorted({p for _, _, p in base.phrases() if " " not in p and len(p) > 1})
    return "".join(f"{w} 2000\n" for w in words)


def nlu_lookups(base: KnowledgeBase) -> dict:
    by_entity: dict[str, list[str]] = {}
    by_value: dict[str, list[str]] = {}
    for entity, value, phrase in base.phrases():
        by_entity.setdefault(entity, []).append(phrase)
        if phrase != value:
            by_value.setdefault(value, []).append(phrase)
    nlu = [{"lookup": e, "examples": _examples(p)} for e, p in by_entity.items()]
    nlu += [{"synonym": v, "examples": _examples(p)} for v, p in by_value.items()]
    return {"version": "3.1", "nlu": nlu}


def _examples(phrases: list[str]) -> str:
    unique = sorted(dict.fromkeys(phrases), key=lambda p: (-len(p), p))  # longest first: regex alternation
    return "".join(f"- {p}\n" for p in unique)


def quantity_coverage(base: KnowledgeBase) -> dict[str, list[str]]:
    """Every quantity the document states (numbers, percentages, prices, durations, counts), by how it
    is answered: quoted by a curated fact, or by the statement that holds it (statements are all
    indexed, so every quantity is answerable; tests/conversation/test_coverage.py asks for each one)."""
    facts = base.all_facts()
    out: dict[str, list[str]] = {"curated": [], "statement": []}
    for statement in base.statements:
        for quantity in sorted(quantities(statement.text)):
            quoted = any(base.fact_quotes(f, statement) for f in facts)
            out["curated" if quoted else "statement"].append(f"{quantity} ({statement.id})")
    return out


def answer_rule(domain: dict) -> dict:
    """Every message is answered by the domain's one action, which decides the answer from the message,
    the knowledge base and the conversation's focus: the intent is one piece of its evidence."""
    (action,) = domain["actions"]
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]] + ["nlu_fallback"]
    return {"version": "3.1", "rules": [{
        "rule": f"every message is answered by {action}",
        "steps": [{"or": [{"intent": i} for i in intents]}, {"action": action}]}]}


def write_if_changed(path: Path, content: str) -> None:
    """Unchanged output keeps its timestamp, so make and Rasa's fingerprint don't retrain for nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != content:
        path.write_text(content, encoding="utf-8")


def main() -> int:
    try:
        base = kbmod.load()
    except kbmod.KnowledgeError as error:
        print(error, file=sys.stderr)
        return 1
    problems = check(base)
    if problems:
        print("knowledge check failed:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    write_if_changed(JIEBA_DIR / "userdict.txt", jieba_dictionary(base))
    header = "# Generated by `python -m knowledge.build` from knowledge/*.yml. Do not edit.\n"
    write_if_changed(LOOKUPS, header + yaml.safe_dump(nlu_lookups(base), allow_unicode=True, sort_keys=False))
    write_if_changed(RULES, header.replace("knowledge/*.yml", "domain.yml") + yaml.safe_dump(
        answer_rule(yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))), allow_unicode=True, sort_keys=False))
    facts = base.all_facts()
    coverage = quantity_coverage(base)
    print(f"knowledge ok: {len(base.services)} services, {len(facts)} facts, "
          f"{sum(len(f.quotes) for f in facts)} quotes, {len(base.statements)} statements, {len(base.names)} names")
    counts = base.statement_counts()
    print(f"source documents: {len(counts)} (knowledge/source/SHA256SUMS accepts each)")
    for file, title, statements in counts:
        print(f"  {file}: {title}, {statements} statements")
    print(f"quantities in the document: {len(coverage['curated']) + len(coverage['statement'])}, "
          f"{len(coverage['curated'])} quoted by curated facts, {len(coverage['statement'])} answered from the "
          f"statements that hold them: " + ", ".join(coverage["statement"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
