"""Searching the knowledge base's facts for support staff: by words, by service, by attribute.

Every hit is a fact as the assistant answers it (answer text, section, verbatim quotes); the passages
of its section come from `passages(section)`. Words are matched with BM25 over each fact's owner,
attribute, answer and quotes (the knowledge base's tokenizer, with its domain dictionary); a service
or attribute named in the words (by any alias, e.g. "卫星仓", "仓储费") ranks that service's or
attribute's facts first.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from knowledge import kb as kbmod
from knowledge import text as textnorm
from knowledge.kb import Fact, KnowledgeBase
from knowledge.passages import BM25, Passage
from staff.store import NotFound

# Fact attributes that are not in the vocabulary's attribute list.
EXTRA_ATTRIBUTE_LABELS = {"because": "选择理由", "chapters": "课程章节"}
SERVICE_BONUS = 4.0
ATTRIBUTE_BONUS = 3.0


class SearchError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    fact: Fact
    kind: str  # service | concept | stage | pain_points | rule | course
    owner_label: str
    attribute_label: str

    @property
    def id(self) -> str:
        return f"{self.fact.owner}.{self.fact.attribute}"


class FactIndex:
    def __init__(self, base: KnowledgeBase):
        self.base = base
        self.section_titles: dict[str, str] = {}
        for p in base.passages:
            self.section_titles.setdefault(p.section, p.title)
        self.entries = [*self._entries()]
        self._by_id = {e.id: e for e in self.entries}
        docs = [Passage(e.id, e.fact.section, f"{e.owner_label} {e.attribute_label}",
                        e.fact.answer + "\n" + "\n".join(e.fact.quotes)) for e in self.entries]
        self._bm25 = BM25(docs, base.tokenize)

    def _entries(self):
        base = self.base
        for service in base.services.values():
            for fact in service.facts.values():
                yield Entry(fact, "service", service.display, self.attribute_label(fact.attribute))
        for key, fact in base.concepts.items():
            yield Entry(fact, "concept", base.label("concept", key) if key in base.vocabulary.get("concept", {})
                        else base.label("stage", key), self.attribute_label(fact.attribute))
        for key, fact in base.stages.items():
            yield Entry(fact, "stage", base.label("stage", key), self.attribute_label(fact.attribute))
        for key, fact in base.pain_points.items():
            label = "跨境供应链" if key == "overall" else base.label("stage", key)
            yield Entry(fact, "pain_points", label, "痛点")
        yield Entry(base.course_fact, "course", "课程路径图", self.attribute_label("chapters"))
        for fact in base.rule_facts():
            yield Entry(fact, "rule", "选择建议规则 " + fact.owner.split(":", 1)[1], self.attribute_label("because"))

    def attribute_label(self, attribute: str) -> str:
        entry = self.base.vocabulary.get("attribute", {}).get(attribute)
        return entry["label"] if entry else EXTRA_ATTRIBUTE_LABELS.get(attribute, attribute)

    # -- resolving what staff type ----------------------------------------------------------------

    def resolve_service(self, name: str) -> str:
        found = self.base.service(name)
        if found is None:
            raise SearchError(f"未知的服务：{name}（可用：{', '.join(self.base.services)}）")
        return found.id

    def resolve_attribute(self, name: str) -> str:
        attributes = {e.fact.attribute for e in self.entries}
        text = self.base.normalize(name).strip()
        if text in attributes:
            return text
        for key in attributes:
            if text == self.attribute_label(key):
                return key
        found = [m.value for m in self.base.mentions(text) if m.entity == "attribute"]
        if found:
            return found[0]
        raise SearchError(f"未知的属性：{name}（可用：{', '.join(sorted(attributes))}）")

    def options(self) -> dict:
        attributes = dict.fromkeys(e.fact.attribute for e in self.entries)
        return {
            "services": [{"id": s.id, "label": s.display} for s in self.base.services.values()],
            "attributes": [{"key": a, "label": self.attribute_label(a)} for a in attributes],
        }

    # -- searching --------------------------------------------------------------------------------

    def search(self, words: str | None = None, service: str | None = None, attribute: str | None = None,
               limit: int = 20) -> list[dict]:
        words = textnorm.clean(words or "", 200)
        if not (words or service or attribute):
            raise SearchError("请输入关键词，或选择服务 / 属性")
        service_id = self.resolve_service(service) if service else None
        attribute_key = self.resolve_attribute(attribute) if attribute else None
        candidates = [e for e in self.entries
                      if (service_id is None or (e.kind == "service" and e.fact.owner == service_id))
                      and (attribute_key is None or e.fact.attribute == attribute_key)]
        if not words:
            return [self.hit(e) for e in candidates[:limit]]
        mentions = self.base.mentions(words)
        named_services = {m.value for m in mentions if m.entity == "service"}
        named_attributes = {m.value for m in mentions if m.entity == "attribute"}
        scores = {h.passage.id: h.score for h in self._bm25.search(self.base.normalize(words), len(self.entries))}
        ranked = []
        for entry in candidates:
            score = scores.get(entry.id, 0.0)
            service_named = entry.kind == "service" and entry.fact.owner in named_services
            attribute_named = entry.fact.attribute in named_attributes
            # A fact of the service the words name (by an alias its text may not contain) counts even
            # without a word in common, unless the words also name attributes it is not about.
            if score <= 0 and not (service_named and (attribute_named or not named_attributes)):
                continue
            score += SERVICE_BONUS * service_named + ATTRIBUTE_BONUS * attribute_named
            ranked.append((score, entry))
        ranked.sort(key=lambda pair: -pair[0])
        return [self.hit(e, round(s, 3)) for s, e in ranked[:limit]]

    def hit(self, entry: Entry, score: float | None = None) -> dict:
        fact = entry.fact
        return {
            "id": entry.id, "kind": entry.kind,
            "owner": fact.owner, "owner_label": entry.owner_label,
            "attribute": fact.attribute, "attribute_label": entry.attribute_label,
            "answer": fact.answer, "section": fact.section,
            "section_title": self.section_titles.get(fact.section, ""),
            "quotes": list(fact.quotes), "score": score,
        }

    def passages(self, section: str) -> dict:
        found = self.base.passages_of(section)
        if not found:
            raise NotFound(f"原文没有这一节：{section}")
        return {"section": section, "title": found[0].title,
                "passages": [{"id": p.id, "text": p.text} for p in found]}

    def fact(self, fact_id: str) -> dict:
        entry = self._by_id.get(fact_id)
        if entry is None:
            raise NotFound(f"没有这条事实：{fact_id}")
        return self.hit(entry)


@lru_cache(maxsize=1)
def index() -> FactIndex:
    return FactIndex(kbmod.load())
