"""The knowledge base: the document's facts as data, loaded once, checked against the document.

    from knowledge import kb
    base = kb.load()
    base.service("卫星仓").id            -> "AWD"
    base.fact("AWD", "fee").answer       -> "AWD 仓储费 $0.48/立方英尺/月 ..."
    base.compare(["AGL", "SEND"])        -> Comparison
    base.search("月度账单")               -> [Hit(passage, score), ...]   (the staff console's search)
    base.find_statements("亚马逊有几架飞机", "how_many") -> [StatementHit(statement "100+飞机", ...)]
    base.mentions("send空运到日本几天")    -> [Mention(service SEND), Mention(transport_mode AIR) ...]

No Rasa import here: the actions, the staff console, the tests and the benchmarks all use this API.
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import yaml

from knowledge import sources
from knowledge import text as textnorm
from knowledge.mentions import Mention, MentionFinder
from knowledge.passages import BM25, Hit, Passage, split_document
from knowledge.retrieval import STOPWORDS, StatementHit, StatementIndex, bigrams, quantity_kinds, unigrams
from knowledge.sources import Document
from knowledge.statements import Name, Statement
from knowledge.statements import names as statement_names
from knowledge.statements import plain as plain_text
from knowledge.statements import split as split_statements

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


# Top-level keys of vocabulary.yml that are cue words, not entity types.
NOT_ENTITIES = ("origin_cues", "cues", "verdict")  # sections of the vocabulary that are not entity types
# Entity types that tag a statement for retrieval (a place is one tag, whether goods are there or sold there).
_TAGGED = {"service", "marketplace", "origin", "us_region", "transport_mode", "sea_service", "attribute", "stage",
           "concept", "cargo_size", "warehouse", "sales_channel", "fulfillment", "product_trait", "need"}
_KIND_ATTRIBUTES = {"duration": "transit_time", "price": "fee"}
NAVIGATION_KINDS = ("toc", "chapter")
MENTION_MEMO_SIZE = 4096
_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")


# "Does FBA handle returns?": an English question opening with an auxiliary asks yes or no.
_ENGLISH_YES_NO = re.compile(r"^\s*(?:does|do|is|are|can|could|will|would|should|has|have)\s+[a-z]", re.IGNORECASE)


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
    function_of: str | None = None  # MCD is "AWD 的一个功能"

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


# A 吧 that ends a clause as a choice ("空运吧"), not as a check ("是吧", "可以吧", "能用AGL吧").
_BA_CLAUSE = re.compile(r"([^\s,，。.!！?？]*)吧(?=[\s,，。.!！?？]|$)")
_CHECKING = ("对", "是", "行", "好", "能", "可以", "会", "要", "的", "了")


_ETC = re.compile(r"(?:什么|啥|之类)的(?=\s*(?:[？?。！!，,;；~～]|$))")


def _without_chosen_ba(text: str) -> str:
    return _BA_CLAUSE.sub(lambda m: m.group(0) if any(w in m.group(1) for w in _CHECKING) else m.group(1), text)


# "有几个X我想…": a few X the seller then says something of, not a count asked
_ANYONE = re.compile(r"谁(?=[^，,。？?]{0,2}都)|任何人")
_A_FEW = re.compile(r"有几(?:个|款|家|种)(?=[^，,。？?\s]{1,8}?(?:我|我们|想|打算))")


class KnowledgeBase:
    def __init__(self, document: str, services: dict, concepts: dict, vocabulary: dict, routing: dict,
                 documents: Sequence[Document] = ()):
        self.version = ""  # set by load(): knowledge.kb.version()
        self.loaded_at = 0.0
        self.document = document  # the course chapter, which the curated facts quote
        self.documents = tuple(documents)  # the further documents of knowledge/source/ (knowledge/sources.py)
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
        # the course map's chapters whose own document is here: answered from it, not "another chapter"
        self.documented_chapters = {c.id: d for c in self.chapters for d in self.documents if _is_chapter(d, c)}
        self._alias_index = {
            _alias_key(alias): s.id for s in self.services.values() for alias in (s.id, s.short, s.name, *s.aliases)
        }
        self._fact_term_cache: dict[tuple[str, str], frozenset[str]] = {}
        self._mention_memo: dict[str, tuple[Mention, ...]] = {}
        self._facts_text_cache: dict[str, str] = {}
        self._typos = {w: r for w, r in vocabulary.get("cues", {}).get("typos", {}).items() if len(w) == len(r)}
        self.acronym_case = textnorm.AcronymCase(
            {a for s in self.services.values() for a in s.aliases if a.isascii() and a.isupper()}
            | {"MFN", "FBM", "FCL", "LCL", "CBM", "KG"}
        )

    # -- looking things up ------------------------------------------------------------------------

    def normalize(self, text: str | None) -> str:
        text = textnorm.normalize(text, self.acronym_case)
        for wrong, right in self._typos.items():  # same length: entity offsets stay valid
            text = text.replace(wrong, right)
        return text

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
        """The course chapter (3.2–3.9) a message is about, by its keywords, when the knowledge does not
        hold it: a chapter whose document is in knowledge/source/ is answered from its statements."""
        for chapter in self.chapters:
            if chapter.id not in self.documented_chapters and any(k.upper() in text.upper() for k in chapter.keywords):
                return chapter
        return None

    # -- understanding and search -----------------------------------------------------------------

    @cached_property
    def finder(self) -> MentionFinder:
        return MentionFinder(self.phrases(), self.vocabulary.get("origin_cues", {}), self.patterns())

    @cached_property
    def message_finder(self) -> MentionFinder:
        """The finder for what sellers type: a phrase is found with a space where Latin letters meet
        Chinese too ("FBA 库存", "进 AWD"). The knowledge's own text is read with `finder`, where
        "AWD 仓库" stays the service's warehouse its statements are about."""
        return MentionFinder(self.phrases(), self.vocabulary.get("origin_cues", {}), self.patterns(), spaced=True)

    def mentions(self, text: str) -> list[Mention]:
        """Entities in a message, matched on its normal form (the offsets refer to that form). A turn
        reads the same texts several times: they are kept, a few thousand at most."""
        found = self._mention_memo.get(text)
        if found is None:
            if len(self._mention_memo) >= MENTION_MEMO_SIZE:
                self._mention_memo.clear()
            found = self._mention_memo[text] = tuple(self.finder.find(self.normalize(text)))
        return list(found)

    def phrases(self) -> list[tuple[str, str, str]]:
        """Every (entity type, canonical value, phrase) the assistant recognises — one source for the
        mention finder, the jieba dictionary and Rasa's lookup tables and synonyms."""
        out = [("service", s.id, a) for s in self.services.values() for a in dict.fromkeys((s.id, *s.aliases))]
        for entity, values in self.vocabulary.items():
            if not isinstance(values, dict) or entity in NOT_ENTITIES:
                continue
            for value, entry in values.items():
                out.extend((entity, value, p) for p in entry["phrases"])
        return out

    def values_named(self, text: str, entity: str) -> set[str]:
        """The values of an entity type whose phrases occur anywhere in a text (inside longer words too:
        "海运服务" names 海运), for reading a heading or a footnote as a condition."""
        upper = self.normalize(text).upper()
        return {value for value, entry in self.vocabulary.get(entity, {}).items()
                if any(p.upper() in upper for p in entry.get("phrases", ()) if len(p) >= 2)}

    def patterns(self) -> list[tuple[str, str, str]]:
        """(entity type, canonical value, regular expression) for what phrases cannot list."""
        return [(entity, value, pattern) for entity, values in self.vocabulary.items()
                if isinstance(values, dict) and entity not in NOT_ENTITIES
                for value, entry in values.items() for pattern in entry.get("patterns", ())]

    @cached_property
    def passages(self) -> list[Passage]:
        return split_document(self.document) + [p for d in self.documents for p in d.passages]

    @cached_property
    def _index(self) -> BM25:
        return BM25(self.passages, self.tokenize)

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        return self._index.search(self.normalize(query), limit)

    def warm_up(self) -> "KnowledgeBase":
        """Build the lazy parts (jieba, the mention table, the search indexes) now, at start-up,
        so the first seller's message doesn't pay for them."""
        self.finder, self._index, self.statement_index, self.names  # noqa: B018 - cached properties
        return self

    # -- statements: everything the document says ------------------------------------------------

    @cached_property
    def statements(self) -> list[Statement]:
        """The chapter's statements, then each further document's (their sections name the document)."""
        return split_statements(self.document) + [s for d in self.documents for s in d.statements]

    def statement_counts(self) -> list[tuple[str, str, int]]:
        """(file, title, statements) of each source document, the chapter first."""
        further = [(d.file, d.title, len(d.statements)) for d in self.documents]
        chapter = next((c.title for c in self.chapters if c.id == "3.1"), "")
        return [(SOURCE.name, f"3.1 {chapter}".strip(), len(self.statements) - sum(n for *_, n in further)), *further]

    @cached_property
    def statement_index(self) -> StatementIndex:
        return StatementIndex(self.statements, self.terms, lambda s: self.tags(s.text), self.about)

    @cached_property
    def _home_sections(self) -> dict[str, str]:
        """section → the one service it is about (sections that present several services have none)."""
        owners: dict[str, list[str]] = {}
        for s in self.services.values():
            owners.setdefault(s.section, []).append(s.id)
        return {section: ids[0] for section, ids in owners.items() if len(ids) == 1}

    @cached_property
    def names(self) -> list[Name]:
        """What the document's abbreviations stand for (knowledge/statements.py `names`)."""
        return statement_names(self.document)

    def home_of(self, statement: Statement) -> str | None:
        """The one service the statement's section presents, if it presents one."""
        return self._home_sections.get(statement.section)

    @cached_property
    def service_names(self) -> dict[str, tuple[str, ...]]:
        """Every name a service goes by, with the words of its definition's opening ("官方跨境物流")."""
        def opening(service: Service) -> str:
            definition = service.fact("definition")
            return definition.answer[:40] if definition is not None else ""
        return {s.id: (s.id, s.short, s.name, s.english, *s.aliases, opening(s)) for s in self.services.values()}

    def functions_of(self, service_id: str) -> list[str]:
        """The services that are functions of this one (AWD: MCD)."""
        return [s.id for s in self.services.values() if s.function_of == service_id]

    def name_of(self, service_id: str) -> Name | None:
        service = self.services.get(service_id)
        if service is None:
            return None
        keys = {_alias_key(a) for a in (service.id, service.short, service.name, *service.aliases)}
        found = next((n for n in self.names if _alias_key(n.short) in keys or _alias_key(n.chinese) in keys), None)
        if found is None and "（" in service.name:  # "Amazon SEND（亚马逊跨境承运伙伴方案）"
            found = Name(service.short, service.name.split("（")[1].rstrip("）"), "", service.section)
        return found

    def names_in(self, text: str) -> list[Name]:
        """The abbreviations the document explains that a text names ("FCL和LCL啥差别", "A to Z是啥"),
        in the order named."""
        normal = self.normalize(text)
        found = []
        for name in self.names:
            match = re.search(rf"(?<![A-Za-z]){re.escape(name.short)}(?![A-Za-z])", normal, re.IGNORECASE)
            if match:
                found.append((match.start(), name))
        return [n for _, n in sorted(found, key=lambda x: x[0])]

    def terms(self, text: str) -> list[str]:
        """Content words (jieba, search mode) and character bigrams of a text, upper-cased."""
        text = self.normalize(text).upper()
        words = [t.strip() for t in self.tokenize(text)]
        words = [t for t in words if t and (len(t) >= 2 or t.isascii()) and t not in STOPWORDS
                 and t.lower() not in STOPWORDS]
        words += _DECIMAL.findall(text)  # "3.8" (a chapter), "0.48": one number, not 3 and 8
        return words + [b for b in bigrams(text) if b[1:] not in STOPWORDS] + unigrams(text)

    def tags(self, text: str) -> set[str]:
        """The knowledge base's entities in a text, as retrieval terms: @service:AWD, @place:US ..."""
        tags = set()
        for m in self.mentions(text):
            if m.entity in _TAGGED and not (m.entity == "attribute" and m.value == "definition"):  # a kind, not content
                kind = "place" if m.entity in ("marketplace", "origin") else m.entity
                tags.add(f"@{kind}:{m.value}")
        tags |= {f"@attribute:{_KIND_ATTRIBUTES[k]}" for k in quantity_kinds(text) if k in _KIND_ATTRIBUTES}
        return tags

    def statement(self, statement_id: str) -> Statement | None:
        """The statement with this id ("1.3.2#19"), as a focus's source names it."""
        return self._statements_by_id.get(statement_id)

    @cached_property
    def _statements_by_id(self) -> dict[str, Statement]:
        return {s.id: s for s in self.statements}

    def about(self, statement: Statement) -> set[str]:
        """The services a statement is about: named in it or its headings, or its section's service."""
        if "statement_index" in self.__dict__:  # computed once, when the index was built
            return self.statement_index.about_of(statement)
        context = " ".join((statement.parent, statement.heading, statement.text))
        named = {m.value for m in self.mentions(context) if m.entity == "service"}
        home = self._home_sections.get(statement.section)
        return named | ({home} if home else set())

    def query_terms(self, question: str, subjects=()) -> list[str]:
        """A question's retrieval terms. Its subjects' own names are left out: the index weighs the
        subject by preferring statements about it, not by how often its name occurs."""
        normal = self.normalize(question)
        upper = normal.upper()
        names: set[str] = set()
        for sid in subjects:
            service = self.services.get(sid)
            for alias in (sid, service.short, service.name, *service.aliases) if service else ():
                if alias.upper() in upper:  # the words of the names the question uses
                    names |= {alias.upper()} | set(self.terms(alias))
        subject_tags = {f"@service:{sid}" for sid in subjects}
        said = [canon for canon, variants in self.vocabulary["cues"]["synonyms"].items()
                if any(v in normal for v in variants)]  # "避开" also finds "避免"
        mentioned = self.mentions(question)
        # the words that give the question its form (一定, 只有, 能不能, 前一个 …) are not its content;
        # a document's noun that cues another kind of question is content in a why of a topic ("配送时效为啥
        # 重要"); of a service ("AWD为啥能省运费") it is the attribute, said in the service's own words
        of_service = any(m.entity in ("service", "warehouse", "fulfillment") for m in mentioned)
        nouns = self._why_nouns if not of_service and any(w in normal for w in self._why_nouns) \
            and self.question_type(question) == "why" else frozenset()
        form_words = self._form_words - nouns if nouns else self._form_words
        text = " ".join([_cue_pattern(tuple(sorted(form_words))).sub(" ", normal.lower()), *said])
        form = {w.upper() for w in form_words}
        # a seller's word the knowledge base knows but the document never uses ("独立站") is its tag, not an unknown word
        tagged = {t for m in mentioned for t in self.terms(m.text) if not self.statement_index.knows(t)}
        # a seller's own amount ("50公斤") is not the document's number 50 of "34-50天"
        tagged |= {t for m in mentioned if m.entity == "quantity" and not self._documented(m.text)
                   for t in self.terms(m.text)}
        return [t for t in self.terms(text) if t not in names and t not in form and t not in tagged] + sorted(
            self.tags(question) - subject_tags)

    @cached_property
    def _navigation_words(self) -> frozenset[str]:
        """The words (two characters or more) that only the table of contents and the course map use."""
        def words(kinds_in: bool) -> set[str]:
            return {t for x in self.statements if (x.kind in NAVIGATION_KINDS) == kinds_in
                    for t in self.terms(x.text) if len(t) >= 2 and not t.startswith(("·", "²", "@"))}
        return frozenset(words(True) - words(False))

    @cached_property
    def mode_uses(self) -> dict[str, dict[str, Statement]]:
        """Each service's "适用于…" lines under a heading that names one transport mode, by that mode
        (SEND: 空运 "适用于紧急补货, 新品测试", 海运 "适用于大量补货, 计划发货")."""
        found: dict[str, dict[str, Statement]] = {}
        for x in self.statements:
            modes = self.values_named(x.heading, "transport_mode") - {"LCL", "FCL"} if "适用" in x.text else set()
            for sid in self.about(x) if len(modes) == 1 else ():
                found.setdefault(sid, {}).setdefault(next(iter(modes)), x)
        return found

    @cached_property
    def _document_text(self) -> str:
        return "\n".join(self.normalize(s.text).upper().replace(" ", "") for s in self.statements)

    def _documented(self, phrase: str) -> bool:
        """Whether a statement of the document says the phrase as written ("0.5KG", not "50公斤")."""
        return self.normalize(phrase).upper().replace(" ", "") in self._document_text

    def term_alternatives(self, question: str, query_terms: list[str]) -> list[list[list[str]]]:
        """For each document word a seller's synonym stands for ("条件" for "只需"), the phrases of the
        query that say it, as their terms: retrieval counts such a group once."""
        normal, present = self.normalize(question), set(query_terms)
        groups = []
        for canon, variants in self.vocabulary["cues"]["synonyms"].items():
            said = [v for v in variants if v in normal]
            if said and canon not in said:
                phrases = [[t for t in self.terms(p) if t in present] for p in (canon, *said)]
                if sum(bool(p) for p in phrases) > 1:
                    groups.append([p for p in phrases if p])
        return groups

    @cached_property
    def _form_words(self) -> frozenset[str]:
        """Words that give a question its form, not its content: 一定, 只有, 能不能, 哪些 …"""
        names = ("question_type", "yes_no_forms", "certainty", "only", "negation", "compare", "advice_request",
                 "reference", "fillers", "new_topic")
        # a footnote's own words ("出处", "解释权") are what a question about a source looks for
        sourced = {w for w in self.cue_words("question_type.source") if w in self.document}
        return frozenset(w for n in names for w in self.cue_words(n) if len(w) >= 2 and w not in sourced)

    @cached_property
    def _why_nouns(self) -> frozenset[str]:
        """Words cueing another kind of question that the document itself uses as nouns (时效, 运费, 流程):
        asked in a why question of a topic ("配送时效为啥重要") they are what it is about."""
        kinds = self.vocabulary["cues"]["question_type"]
        asking = tuple(self.cue_words("question_words"))
        return frozenset(w for kind, words in kinds.items() if kind not in ("why", "source") for w in words
                         if len(w) >= 2 and w in self.document and not any(a in w for a in asking)
                         and w not in kinds["why"])

    def find_statements(self, question: str, qtype: str | None = None, subjects=(), limit: int = 5,
                        sections=None) -> list[StatementHit]:
        """The statements that best answer a question. The table of contents and the course map answer
        only questions about pages and chapters (cues.navigation)."""
        asked_for = sections is not None and bool(set(sections) & {"目录", "课程路径图"})
        terms = self.query_terms(question, subjects)
        # words only the course map or the contents use ("黄金", "90" of 新卖家黄金90天) ask about them too;
        # one alone may be a common word there ("作用")
        navigating = asked_for or self.has_cue("navigation", question) or len(set(terms) & self._navigation_words) > 1
        exclude = () if navigating else NAVIGATION_KINDS
        return self.statement_index.search(terms, qtype, subjects, limit, sections, exclude,
                                           self.term_alternatives(question, terms))

    def fact_coverage(self, fact: Fact, terms: list[str]) -> float:
        """How much of a question (its retrieval terms) a curated fact's text and quotes match, on the
        statements' scale, so the two can be compared."""
        return self.statement_index.coverage(terms, self._fact_terms(fact))

    def fact_answer_coverage(self, fact: Fact, terms: list[str]) -> float:
        """As `fact_coverage`, of the words the fact's answer itself says (not the quotes behind it)."""
        return self.statement_index.coverage(terms, frozenset(self.terms(fact.answer)) | self.tags(fact.answer))

    def facts_text(self, service_id: str) -> str:
        """All a service's curated answers as one text, for asking whether it is said to do something."""
        if service_id not in self._facts_text_cache:
            self._facts_text_cache[service_id] = " ".join(f.answer for f in self.services[service_id].facts.values())
        return self._facts_text_cache[service_id]

    def names_only_linked(self, text: str) -> list[str]:
        """Abbreviations a message names that the documents write only in a link to another course
        ("库存绩效指数 (IPI)"): named there, explained nowhere here."""
        typed = re.findall(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]{1,5}(?![A-Za-z0-9])", self.normalize(text))
        return [w for w in dict.fromkeys(t.upper() for t in typed) if w in self._linked_only]

    @cached_property
    def _linked_only(self) -> frozenset[str]:
        def latin(texts) -> set[str]:
            return {w.upper() for t in texts for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", t)}
        # an abbreviation, as the link writes it in capitals
        linked = {w for x in self.statements if x.kind == "link" for w in re.findall(r"\b[A-Z][A-Z0-9]+\b", x.text)}
        elsewhere = latin(x.text + x.note + x.heading for x in self.statements if x.kind != "link")
        known = latin(p for _, _, p in self.phrases())
        return frozenset(linked - elsewhere - known)

    @cached_property
    def reduction_words(self) -> tuple[str, ...]:
        """The words that want something less, with the ways sellers say them ("躲开", "免掉" for 避免)."""
        words = self.vocabulary["verdict"]["reductions"]
        synonyms = self.vocabulary["cues"]["synonyms"]
        return (*words, *(v for w in words for v in synonyms.get(w, ())))

    @cached_property
    def headed_points(self) -> tuple:
        """The list points with a short heading of their own ("单一库存池"), which a seller can name."""
        return tuple(x for x in self.statements if x.parent and 2 <= len(x.heading) <= 8
                     and x.heading not in self.service_names)

    def fee_named(self, text: str) -> str | None:
        """The longest fee the document names that a message names too ("超龄库存费" in "FBA超龄库存费
        怎么算"), so a price in the answer can be checked to be that fee's."""
        normal = re.sub(r"\s+", "", self.normalize(text))
        found = [normal[i:j + 1] for j, c in enumerate(normal) if c == "费"
                 for i in range(max(0, j - 8), j - 1)
                 if re.fullmatch(r"[\u4e00-\u9fff]+", normal[i:j + 1]) and self._documented(normal[i:j + 1])]
        return max(found, key=len, default=None)

    def fact_term_set(self, fact: Fact) -> frozenset[str]:
        return self._fact_terms(fact)

    def _fact_terms(self, fact: Fact) -> frozenset[str]:
        key = (fact.owner, fact.attribute)
        if key not in self._fact_term_cache:
            text = fact.answer + "\n" + "\n".join(fact.quotes)
            self._fact_term_cache[key] = frozenset(self.terms(text)) | self.tags(text)
        return self._fact_term_cache[key]

    def fact_quotes(self, fact: Fact, statement: Statement) -> bool:
        """Whether a curated fact is made from this statement (one of its quotes is in it, or it is in one)."""
        said = textnorm.collapse_whitespace(statement.text).replace(" ", "")
        for quote in fact.quotes:
            plain = textnorm.collapse_whitespace(plain_text(quote)).replace(" ", "")
            if len(plain) >= 6 and (plain in said or (len(said) >= 6 and said in plain)):
                return True
        return False

    def without_cue(self, name: str, text: str) -> str:
        """The text with the cue words `cues.<name>` taken out ("重新开始，AWD多少钱" → "AWD多少钱")."""
        rest = _cue_pattern(tuple(self.cue_words(name))).sub(" ", self.normalize(text).lower())
        return re.sub(r"^[\s,，。.!！;；:：、]+|[\s,，;；:：、]+$", "", rest)

    def has_cue(self, name: str, text: str) -> bool:
        """Whether a text holds one of the cue words `cues.<name>` (English ones as whole words)."""
        return self.cue_at(name, text) >= 0

    def cue_at(self, name: str, text: str) -> int:
        """Where the first cue word of `cues.<name>` starts in a text (-1: none)."""
        found = _cue_pattern(tuple(self.cue_words(name))).search(self.normalize(text).lower())
        return found.start() if found else -1

    def cue_words(self, name: str) -> list[str]:
        """The words of `cues.<name>`; "compare.choice" names a part of a group."""
        value = self.vocabulary["cues"]
        for part in name.split("."):
            value = value.get(part, ()) if isinstance(value, dict) else ()
        return [w for words in value.values() for w in words] if isinstance(value, dict) else list(value)

    def asks_for_one(self, text: str) -> bool:
        """Whether a message asks for a service that fits ("有没有门槛低的"; vocabulary `asks_for_one`)."""
        return any(p.search(self.normalize(text)) for p in self._asks_for_one)

    @cached_property
    def _asks_for_one(self) -> list[re.Pattern]:
        return [re.compile(p) for p in self.vocabulary.get("asks_for_one", ())]

    def is_question(self, text: str) -> bool:
        """Whether a message asks something (a question word, a yes/no form or ending, a question mark)
        rather than only says something ("FBA仓储费太贵了")."""
        cues = self.vocabulary["cues"]
        normal = self._without_correction(self.normalize(text).lower())
        clauses = [c.strip(" .…~～") for c in re.split(r"[!！。，,;；\n]", normal) if c.strip()]
        return bool(re.search(r"[?？]", normal)) or any(w in normal for w in cues["question_words"]) or any(
            f in normal for f in cues["yes_no_forms"]) or any(c.endswith(tuple(cues["yes_no_endings"])) for c in clauses) \
            or any(w in normal for w in self.cue_words("advice_request"))

    def without_correction(self, text: str) -> str:
        return self._without_correction(self.normalize(text))

    def _without_correction(self, normal: str) -> str:
        """"不对不对，货其实在宁波": a correction that opens a message says something, it asks nothing."""
        words = sorted(self.cue_words("correction"), key=len, reverse=True)
        # "哦我搞混了": the seller's "oh, I" before it is part of it
        pattern = r"^(?:\s*(?:[哦噢啊呃][，,\s]*)?我?(?:" + "|".join(map(re.escape, words)) + r")[\s,，。.!！、]*)+" \
            if words else None
        return re.sub(pattern, "", normal) if pattern else normal

    def question_type(self, text: str) -> str | None:
        """What kind of answer a question wants: why, how_much, how_long, how_many, which, how_to,
        what or yes_no (None: no cue)."""
        cues = self.vocabulary["cues"]
        normal = textnorm.blank_emoji(self.normalize(text).lower())
        corrected = self._without_correction(normal)
        if corrected != normal:  # "不对 是发德国 空运吧": a correction's 吧 says what it is, it asks nothing
            corrected = _without_chosen_ba(corrected)
        normal = corrected.replace("哪几", "哪些")  # "哪几个" asks which ones, not how many
        normal = _A_FEW.sub("有些", normal)  # "有几个SKU我想自己控" says a few, it asks nothing
        normal = normal.replace("好几", "数")  # "要跟好几家沟通吗" says many, it asks yes or no
        normal = _ANYONE.sub("人人", normal)  # "是谁用都有的吗": anyone, it asks yes or no
        normal = _ETC.sub("", normal)  # "要押金吗 有没有期限什么的": "and such", it asks nothing
        # a space between Chinese words, or after one ("…限制吗 fba现在…"), parts clauses
        clauses = [c.strip(" .…~～") for c in
                   re.split(r"[?？!！。，,;；\n]|\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+", normal)]
        asks = any(w in normal for w in cues["question_words"])
        endings = tuple(cues["yes_no_endings"])
        # "也适合用它？" asks yes or no; "那海运呢？" asks "and what about …"
        last = next((c for c in reversed(clauses) if c), "")
        # a rising "?" asks yes or no ("入仓优先?"); a short one only of a verb ("FCL LCL 都有?"), not of a
        # keyword ("空运?")
        han = len(re.findall(r"[\u4e00-\u9fff]", normal))
        rising = normal.rstrip().endswith(("?", "？")) and not normal.rstrip("?？ ").endswith("呢") \
            and (han >= 4 or han >= 2 and bool(_YES_NO_CORE.search(last)))
        wish = re.match(r"^(?:我想|我要|想要|我希望|希望|要是|如果)", clauses[0]) if clauses else None
        if wish and len(clauses) > 1 and len(last) <= 5 and last.endswith(endings) \
                and not any(w in last for w in cues["question_words"]):
            return "yes_no"  # "我想自己定补多少，可以吗": a wish, and the clause that asks is a yes or no
        if _WH_THEN_YES_NO.search(normal):
            return "yes_no"  # "补几件我可以自己定吗": the amount is what it is about, the 吗 asks
        if not asks and (rising or any(c.endswith(endings) for c in clauses if c)
                         or any(f in normal for f in cues["yes_no_forms"]) or A_NOT_A.search(normal)
                         or _ENGLISH_YES_NO.match(normal)):
            return "yes_no"
        for kind, words in cues["question_type"].items():
            if any(w in normal for w in words):
                return kind
        return None

    def passages_of(self, section: str) -> list[Passage]:
        return [p for p in self.passages if p.section == section]

    @cached_property
    def _jieba(self):
        import jieba

        tokenizer = jieba.Tokenizer()
        for phrase in ("亚马逊", *(p for _, _, p in self.phrases())):
            tokenizer.add_word(phrase, freq=2000)
        return tokenizer

    def tokenize(self, text: str) -> list[str]:
        # Dictionary words only: jieba's guesses at unknown words ("能少断", "货能") are noise to retrieval.
        return self._jieba.lcut_for_search(text, HMM=False)

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


# a question word, then a modal verb, then 吗 ("每次补几件我可以自己定吗", "发哪里都能用吗")
_WH_THEN_YES_NO = re.compile(r"(?:多少|什么|啥|哪)[^，,。？?]*?(?:我能|能|可以|可不可以|都能|都可以)[^，,。？?]*[吗么嘛][?？\s]*$")
# "稳不稳", "快不快": any "A不A" asks yes or no, not only the forms the vocabulary lists ("贵不贵" asks the price)
A_NOT_A = re.compile(r"(?!贵)([\u4e00-\u9fff])[不没]\1")


_YES_NO_CORE = re.compile(r"[有能可会是也行要用保算包支需得够]")


@lru_cache(maxsize=64)
def _cue_pattern(words: tuple[str, ...]) -> re.Pattern:
    parts = [rf"\b{re.escape(w.lower())}\b" if w.isascii() else re.escape(w.lower())
             for w in sorted(words, key=len, reverse=True)]
    return re.compile("|".join(parts) or r"(?!)")


def _alias_key(name: str) -> str:
    return "".join(name.split()).upper()


def _is_chapter(document: Document, chapter: Chapter) -> bool:
    """Whether a further document is this chapter of the course map: its number ("3.5" in its file name
    or title) or its title ("亚马逊跨境收款解决方案") matches."""
    if chapter.id == "3.1":
        return False  # the course's own chapter is the document the curated facts quote
    if document.number == chapter.id:
        return True
    return _alias_key(chapter.title) in _alias_key(document.title)


def _fact(owner: str, attribute: str, raw: dict) -> Fact:
    quotes = raw.get("quotes") or ()
    return Fact(owner, attribute, raw["answer"].strip(), str(raw["section"]), tuple(quotes), raw.get("data") or {})


def _service(raw: dict) -> Service:
    facts = {attr: _fact(raw["id"], attr, f) for attr, f in raw["facts"].items()}
    return Service(
        raw["id"], raw["name"], raw["short"], raw["english"], tuple(raw["aliases"]), raw["stage"],
        str(raw["section"]), facts, raw.get("function_of"),
    )


def read_data(directory: Path = HERE) -> dict:
    return {name: yaml.safe_load((directory / name).read_text(encoding="utf-8")) or {} for name in DATA_FILES}


_directory = [HERE]


def directory() -> Path:
    """Where load() and reload() read the knowledge files: here, unless the action server was told
    otherwise (knowledge/release.py: KNOWLEDGE_DIR)."""
    return _directory[0]


def read_from(path: Path) -> None:
    _directory[0] = Path(path)


def source_files(directory: Path = HERE) -> list[Path]:
    """The source documents: the chapter first, then every further file of source/ by name."""
    source = directory / "source"
    return [source / SOURCE.name, *(p for p in sources.files(source) if p.name != SOURCE.name)]


def version(directory: Path = HERE) -> str:
    """The knowledge's version id: a hash of every source document and the data files, so two builds
    from the same inputs have the same id and any edit gives a new one (the chapter alone hashes as it
    did before further documents could be added)."""
    digest = hashlib.sha256()
    for path in [*source_files(directory), *(directory / name for name in DATA_FILES)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def serving_version() -> str:
    """The version in service in this process, or that of the files when none is loaded yet."""
    return _serving[-1].version if _serving else version(directory())


def read_documents(directory: Path = HERE) -> list[Document]:
    """The further documents, read and split; refuses one whose checksum is not accepted, one that
    cannot be read or holds no text, and two with the same id."""
    source = directory / "source"
    problems = sources.checksum_problems(source)
    if problems:
        raise KnowledgeError(sources.checksum_error(source, problems))
    documents = []
    for path in source_files(directory)[1:]:
        try:
            document = sources.read(path)
        except sources.SourceError as error:
            raise KnowledgeError(str(error)) from error
        if not document.statements:
            raise KnowledgeError(f"{path.name}: holds no text to answer from (a scanned PDF without a text layer?)")
        documents.append(document)
    ids = [d.id for d in documents]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise KnowledgeError(f"two source documents named {', '.join(twice)} (the same name, two formats): remove one")
    return documents


def _build(directory: Path = HERE) -> KnowledgeBase:
    """A knowledge base from the files, verified. Refuses a source document whose checksum is not
    accepted (SHA256SUMS) and a quote the chapter lacks; both are reported together."""
    data = read_data(directory)
    source = directory / "source"
    unaccepted = sources.checksum_problems(source)
    base = KnowledgeBase(
        (source / SOURCE.name).read_text(encoding="utf-8"),
        data["services.yml"],
        data["concepts.yml"],
        data["vocabulary.yml"],
        data["routing.yml"],
        () if unaccepted else read_documents(directory),
    )
    problems = base.missing_quotes()
    errors = [sources.checksum_error(source, unaccepted)] if unaccepted else []
    ids = [s.id for s in base.statements]
    if len(set(ids)) < len(ids):  # a document named like a part of the chapter ("目录.md")
        errors.append(f"statement ids repeat: {sorted({i for i in ids if ids.count(i) > 1})[:3]}: rename the document")
    if problems:
        errors.append("knowledge does not match the document:\n  " + "\n  ".join(problems))
    if errors:
        raise KnowledgeError("\n".join(errors))
    base.version, base.loaded_at = version(directory), time.time()
    return base


# The knowledge in service in this process, and the one before it (for a rollback).
_serving: list[KnowledgeBase] = []


def load() -> KnowledgeBase:
    """The knowledge base in service, loaded once per process."""
    if not _serving:
        _serving.append(_build(directory()))
    return _serving[-1]


def reload(source: Path | None = None) -> KnowledgeBase:
    """Loads the files again and serves them from now on; the one in service stays on any error
    (a quote the document lacks, bad YAML), and is kept for `rollback`."""
    new = _build(source or directory())
    new.warm_up()
    del _serving[:-1]
    _serving.append(new)
    return new


def rollback() -> KnowledgeBase:
    """Serves the version before the last reload again (KnowledgeError when there is none)."""
    if len(_serving) < 2:
        raise KnowledgeError("no earlier version to roll back to in this process")
    _serving.pop()
    return _serving[-1]
