"""The knowledge base: the document's facts as data, loaded once, checked against the document.

    from knowledge import kb
    base = kb.load()
    base.service("卫星仓").id            -> "AWD"
    base.fact("AWD", "fee").answer       -> "AWD 仓储费 $0.48/立方英尺/月 ..."
    base.compare(["AGL", "SEND"])        -> Comparison
    base.search("月度账单")               -> [Hit(passage, score), ...]
    base.mentions("send空运到日本几天")    -> [Mention(service SEND), Mention(transport_mode AIR) ...]

No Rasa import here: the actions, the staff console, the tests and the benchmarks all use this API.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from knowledge import text as textnorm
from knowledge.mentions import Mention, MentionFinder
from knowledge.passages import BM25, Hit, Passage, split_document

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source" / "amazon_3_1_supply_chain.txt"
DATA_FILES = ("services.yml", "concepts.yml", "vocabulary.yml", "routing.yml")

# The attributes a comparison lines up, in the order that decides between services.
COMPARE_ATTRIBUTES = ("coverage", "modes", "minimum", "transit_time", "warehouses", "suitable")
STAGE_LABELS = {
    "first_mile": "头程物流",
    "warehousing": "仓储分销",
    "last_mile": "尾端配送及售后",
    "end_to_end": "端到端托管",
}


class KnowledgeError(ValueError):
    """The knowledge files disagree with the document or with themselves."""


@dataclass(frozen=True)
class Fact:
    owner: str  # service id, concept key, stage key ...
    attribute: str
    answer: str
    section: str
    quotes: tuple[str, ...]
    data: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    short: str
    english: str
    aliases: tuple[str, ...]
    stage: str
    section: str
    facts: dict = field(hash=False, compare=False)

    @property
    def display(self) -> str:
        """"AWD（亚马逊智能卫星仓）" — the acronym sellers know plus the Chinese name."""
        return self.short if self.name in self.short or self.short in self.name else f"{self.short}（{self.name}）"

    def fact(self, attribute: str) -> Fact | None:
        return self.facts.get(attribute)

    def data(self, attribute: str, key: str, default=None):
        fact = self.facts.get(attribute)
        return fact.data.get(key, default) if fact else default


@dataclass(frozen=True)
class Comparison:
    services: tuple[Service, ...]
    rows: tuple[tuple[str, tuple[Fact | None, ...]], ...]  # (attribute, one fact or None per service)


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    summary: str
    keywords: tuple[str, ...]


class KnowledgeBase:
    def __init__(self, document: str, services: dict, concepts: dict, vocabulary: dict, routing: dict):
        self.document = document
        self.vocabulary = vocabulary
        self.routing_rules = routing
        self.services: dict[str, Service] = {s["id"]: _service(s) for s in services["services"]}
        self.concepts = {k: _fact(k, "definition", v) for k, v in concepts["concepts"].items()}
        self.stages = {k: _fact(k, "services", v) for k, v in concepts["stages"].items()}
        self.stage_services = {k: tuple(v["services"]) for k, v in concepts["stages"].items()}
        self.pain_points = {k: _fact(k, "pain_points", v) for k, v in concepts["pain_points"].items()}
        course = concepts["course"]
        self.course_fact = Fact("course", "chapters", "", course["section"], tuple(course["quotes"]))
        self.chapters = tuple(
            Chapter(c["id"], c["title"], c["summary"], tuple(c.get("keywords", ()))) for c in course["chapters"]
        )
        self._alias_index = {
            _alias_key(alias): s.id for s in self.services.values() for alias in (s.id, s.short, s.name, *s.aliases)
        }
        self.acronym_case = textnorm.AcronymCase(
            {a for s in self.services.values() for a in s.aliases if a.isascii() and a.isupper()}
            | {"MFN", "FBM", "FCL", "LCL", "CBM", "KG"}
        )

    # -- looking things up ------------------------------------------------------------------------

    def normalize(self, text: str | None) -> str:
        return textnorm.normalize(text, self.acronym_case)

    def service(self, name: str | None) -> Service | None:
        """A service by id, short name, Chinese name or any alias, in any case or width."""
        if not name:
            return None
        return self.services.get(self._alias_index.get(_alias_key(self.normalize(name)), ""))

    def fact(self, service: str, attribute: str) -> Fact | None:
        found = self.service(service)
        return found.fact(attribute) if found else None

    def label(self, entity: str, value: str) -> str:
        """How a reply names a canonical value: label("marketplace", "JP") -> "日本"."""
        if entity == "service":
            found = self.service(value)
            return found.display if found else value
        if entity == "stage" and value in STAGE_LABELS:
            return STAGE_LABELS[value]
        entry = self.vocabulary.get(entity, {}).get(value)
        return entry["label"] if entry else value

    def services_in_stage(self, stage: str) -> list[Service]:
        return [self.services[s] for s in self.stage_services.get(stage, ())]

    def compare(self, ids: Iterable[str]) -> Comparison:
        services = tuple(dict.fromkeys(s for s in (self.service(i) for i in ids) if s))
        rows = tuple(
            (attr, tuple(s.fact(attr) for s in services))
            for attr in COMPARE_ATTRIBUTES
            if any(s.fact(attr) for s in services)
        )
        return Comparison(services, rows)

    def chapter_for(self, text: str) -> Chapter | None:
        """The course chapter (3.2–3.9) a message is about, by its keywords."""
        for chapter in self.chapters:
            if any(k.upper() in text.upper() for k in chapter.keywords):
                return chapter
        return None

    # -- understanding and search -----------------------------------------------------------------

    @cached_property
    def finder(self) -> MentionFinder:
        return MentionFinder(self.phrases(), self.vocabulary.get("origin_cues", {}))

    def mentions(self, text: str) -> list[Mention]:
        """Entities in a message, matched on its normal form (the offsets refer to that form)."""
        return self.finder.find(self.normalize(text))

    def phrases(self) -> list[tuple[str, str, str]]:
        """Every (entity type, canonical value, phrase) the assistant recognises — one source for the
        mention finder, the jieba dictionary and Rasa's lookup tables and synonyms."""
        out = [("service", s.id, a) for s in self.services.values() for a in dict.fromkeys((s.id, *s.aliases))]
        for entity, values in self.vocabulary.items():
            if not isinstance(values, dict) or entity == "origin_cues":
                continue
            for value, entry in values.items():
                out.extend((entity, value, p) for p in entry["phrases"])
        return out

    @cached_property
    def passages(self) -> list[Passage]:
        return split_document(self.document)

    @cached_property
    def _index(self) -> BM25:
        return BM25(self.passages, self.tokenize)

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        return self._index.search(self.normalize(query), limit)

    def ranked_facts(self, service_id: str, question: str) -> list[tuple[Fact, float]]:
        """One service's facts ranked for a question that names no attribute ("亚马逊物流有多少个运营中心"
        → FBA's facts that mention 运营中心), by BM25 over their answers and quotes; best first."""
        service = self.services.get(service_id)
        if service is None:
            return []
        names = {a.upper() for a in (service.id, service.short, service.name, *service.aliases)}
        query = " ".join(t for t in self.tokenize(self.normalize(question)) if t.upper() not in names)
        hits = self._fact_indexes[service_id].search(query, limit=len(service.facts))
        return [(service.facts[h.passage.id], h.score) for h in hits]

    @cached_property
    def _fact_indexes(self) -> dict[str, BM25]:
        """A BM25 index per service over its facts, built once."""
        return {
            s.id: BM25([Passage(f.attribute, f.section, f.attribute, f.answer + "\n" + "\n".join(f.quotes))
                        for f in s.facts.values()], self.tokenize)
            for s in self.services.values()
        }

    def warm_up(self) -> "KnowledgeBase":
        """Build the lazy parts (jieba, the mention table, the search indexes) now, at start-up,
        so the first seller's message doesn't pay for them."""
        self.finder, self._index, self._fact_indexes  # noqa: B018 - cached properties
        return self

    def passages_of(self, section: str) -> list[Passage]:
        return [p for p in self.passages if p.section == section]

    @cached_property
    def _jieba(self):
        import jieba

        tokenizer = jieba.Tokenizer()
        for _, _, phrase in self.phrases():
            tokenizer.add_word(phrase, freq=2000)
        return tokenizer

    def tokenize(self, text: str) -> list[str]:
        return self._jieba.lcut_for_search(text)

    # -- every fact, for checks and the staff console ---------------------------------------------

    def all_facts(self) -> list[Fact]:
        facts = [f for s in self.services.values() for f in s.facts.values()]
        facts += [*self.concepts.values(), *self.stages.values(), *self.pain_points.values(), self.course_fact]
        return facts + self.rule_facts()

    def rule_facts(self) -> list[Fact]:
        """Each routing rule's texts (because, note, caveat) as a fact, so the same checks apply."""
        return [
            Fact(f"rule:{r['id']}", "because",
                 " ".join(r.get(k, "") for k in ("because", "note", "caveat") if r.get(k)),
                 str(r["section"]), tuple(r.get("quotes", ())))
            for r in self.routing_rules.get("rules", [])
        ]

    def missing_quotes(self) -> list[str]:
        """Quotes that are not in the document (whitespace runs compared as one space)."""
        doc = textnorm.collapse_whitespace(self.document)
        problems = [
            f"{f.owner}.{f.attribute}: quote not in the document: {q!r}"
            for f in self.all_facts()
            for q in f.quotes
            if textnorm.collapse_whitespace(q) not in doc
        ]
        for chapter in self.chapters:
            for part in (chapter.title, chapter.summary):
                if part not in self.document:
                    problems.append(f"course {chapter.id}: not in the document: {part!r}")
        return problems


def _alias_key(name: str) -> str:
    return "".join(name.split()).upper()


def _fact(owner: str, attribute: str, raw: dict) -> Fact:
    quotes = raw.get("quotes") or ()
    return Fact(owner, attribute, raw["answer"].strip(), str(raw["section"]), tuple(quotes), raw.get("data") or {})


def _service(raw: dict) -> Service:
    facts = {attr: _fact(raw["id"], attr, f) for attr, f in raw["facts"].items()}
    return Service(
        raw["id"], raw["name"], raw["short"], raw["english"], tuple(raw["aliases"]), raw["stage"],
        str(raw["section"]), facts,
    )


def read_data(directory: Path = HERE) -> dict:
    return {name: yaml.safe_load((directory / name).read_text(encoding="utf-8")) or {} for name in DATA_FILES}


@lru_cache(maxsize=1)
def load() -> KnowledgeBase:
    """The knowledge base, loaded once per process. Refuses to start on a quote the document lacks."""
    data = read_data()
    base = KnowledgeBase(
        SOURCE.read_text(encoding="utf-8"),
        data["services.yml"],
        data["concepts.yml"],
        data["vocabulary.yml"],
        data["routing.yml"],
    )
    problems = base.missing_quotes()
    if problems:
        raise KnowledgeError("knowledge does not match the document:\n  " + "\n  ".join(problems))
    return base
