"""The routing advisor: a seller's situation → ranked services per stage, with the reasons.

The rules are data (routing.yml); coverage comes from the services' documented coverage
(services.yml). This module only evaluates them:

    situation = Situation(origin="CN", destination="JP", urgency="URGENT")
    advice = advise(kb.load(), situation)
    advice.stages["first_mile"].recommended[0].service   -> "SEND"
    next_question(kb.load(), situation)                   -> None (the answer is clear)
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from knowledge.kb import KnowledgeBase, read_data
from knowledge.mentions import QUANTITY

STAGE_ORDER = ("first_mile", "warehousing", "last_mile", "end_to_end")
# Where goods start: a marketplace country, "CN", or DESTINATION (already inside the selling country).
DESTINATION = "DESTINATION"
# A recommendation is clear when the best service leads the next one by this much rule weight.
CLEAR_LEAD = 2


FIRST_MILE_FACTS = ("origin", "destination", "urgency", "load", "mode", "cargo_size", "target")


@dataclass(frozen=True)
class Situation:
    origin: str | None = None
    destination: str | None = None
    urgency: str | None = None
    weight_kg: float | None = None
    volume_cbm: float | None = None
    full_container: bool = False
    load_said: str | None = None  # a class said without a figure ("货量大": bulk)
    mode: str | None = None
    sea_service: str | None = None
    us_region: str | None = None
    cargo_size: str | None = None
    target: str | None = None
    inventory: str | None = None
    buyers: frozenset = frozenset()
    fulfillment: str | None = None
    traits: frozenset = frozenset()
    needs: frozenset = frozenset()
    stages: frozenset = frozenset()  # stages the seller asked about
    skipped: frozenset = frozenset()  # questions the seller chose not to answer

    # -- derived facts ---------------------------------------------------------------------------

    @property
    def assumed_origin(self) -> bool:
        """A destination without an origin is read as shipping from China, the document's example."""
        return self.origin is None and self.destination is not None

    @property
    def effective_origin(self) -> str | None:
        return "CN" if self.assumed_origin else self.origin

    @property
    def effective_destination(self) -> str | None:
        """Goods inside a marketplace country with no other destination named are sold there."""
        if self.destination:
            return self.destination
        if self.origin and self.origin not in ("CN", DESTINATION):
            return self.origin
        return None

    @property
    def supplier(self) -> str | None:
        origin, destination = self.effective_origin, self.effective_destination
        if origin == DESTINATION or (origin and origin == destination):
            return "domestic"
        if origin and (destination or origin == "CN"):
            return "cross_border"
        return None

    @property
    def load(self) -> str | None:
        if self.full_container or self.mode == "FCL":
            return "full_container"
        kg, cbm = self.weight_kg, self.volume_cbm
        if kg is None and cbm is None:
            return self.load_said
        limits = load_limits()

        def either(test, bound: str) -> bool:  # the weight or the volume, whichever the seller gave
            return (kg is not None and test(kg, limits[bound]["kg"])) or (cbm is not None and test(cbm, limits[bound]["cbm"]))
        if either(operator.lt, "minimum"):
            return "below_air_min"
        if either(operator.le, "small_max"):
            return "small"
        if either(operator.ge, "bulk_min"):
            return "bulk"
        return "medium"

    @property
    def effective_inventory(self) -> str | None:
        """Stock for the last mile sits where the first mile delivered it; FBA sellers' in Amazon's FCs."""
        return self.inventory or self.target or ("FC" if self.fulfillment == "FBA" else None)

    def value(self, name: str):
        if name in ("supplier", "load"):
            return getattr(self, name)
        if name == "inventory":
            return self.effective_inventory
        if name == "buyers":  # FBA delivers to Amazon's buyers (1.1.3)
            return self.buyers or (frozenset({"AMAZON"}) if self.fulfillment == "FBA" else frozenset())
        if name == "origin":
            return self.effective_origin
        if name == "destination":
            return self.effective_destination
        return getattr(self, name)

    def known(self, name: str) -> bool:
        value = self.value(name)
        return bool(value) if isinstance(value, frozenset) else value is not None

    def relevant_stages(self) -> list[str]:
        """The stages the advice covers: those the seller named, else those their facts touch."""
        if self.stages and "FULL_SERVICE" in self.needs:
            return ["end_to_end"]  # "头程仓储这些都不想管，全包": the stages named are what is handed over
        if self.stages and not (self.stages & {"end_to_end"} and len(self.stages) == 1):
            # "头程只送一个点，让亚马逊帮我分仓": the stage named, and the one the need is of
            needed = {stage for need, stage in NEED_STAGES.items() if need in self.needs}
            return [s for s in STAGE_ORDER if s in self.stages | needed]
        stages = set(self.stages)
        if any(self.known(f) for f in FIRST_MILE_FACTS) or self.needs & {"TRACKING", "PRODUCT_TEST", "CUSTOMS"}:
            stages.add("first_mile")
        if self.target == "AWD" or self.inventory == "AWD" or ("OTHER" in self.buyers and self.inventory is None) \
                or self.needs & {"STORAGE", "DISTRIBUTION"}:
            stages.add("warehousing")
        # moving stock between warehouses is not yet delivering it to buyers
        distributing = "DISTRIBUTION" in self.needs and not (self.fulfillment or self.traits)
        if (self.inventory or self.buyers or self.fulfillment or self.traits) and not distributing or "PRIME" in self.needs:
            stages.add("last_mile")
        if "FULL_SERVICE" in self.needs:
            stages.add("end_to_end")
        return [s for s in STAGE_ORDER if s in stages]


# The stage each need is met in, whatever stage the seller named with it.
NEED_STAGES = {"STORAGE": "warehousing", "DISTRIBUTION": "warehousing", "TRACKING": "first_mile", "PRIME": "last_mile",
               "PRODUCT_TEST": "first_mile", "CUSTOMS": "first_mile",
               "FULL_SERVICE": "end_to_end"}


@dataclass(frozen=True)
class Reason:
    text: str
    section: str
    rule: str


@dataclass
class Recommendation:
    service: str
    score: int = 0
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class StageAdvice:
    stage: str
    recommended: list[Recommendation] = field(default_factory=list)
    excluded: dict[str, list[Reason]] = field(default_factory=dict)
    notes: list[Reason] = field(default_factory=list)
    caveats: list[Reason] = field(default_factory=list)

    @property
    def clear(self) -> bool:
        ranked = self.recommended
        return len(ranked) == 1 or (len(ranked) > 1 and ranked[0].score - ranked[1].score >= CLEAR_LEAD)

    @property
    def top(self) -> list[str]:
        """The leading service(s): one when clear, the tied leaders otherwise."""
        if not self.recommended:
            return []
        best = self.recommended[0].score
        return [r.service for r in self.recommended if best - r.score < CLEAR_LEAD]


@dataclass
class Advice:
    situation: Situation
    stages: dict[str, StageAdvice]

    def why_not(self, service: str) -> list[Reason]:
        return [r for s in self.stages.values() for r in s.excluded.get(service, [])]

    def recommendation(self, service: str) -> Recommendation | None:
        return next((r for s in self.stages.values() for r in s.recommended if r.service == service), None)


# -- evaluating the rules ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def load_limits() -> dict:
    """The load classes' bounds (routing.yml `load`): the minimum is the documented one of the service
    it names (its `minimum` data, quoted by the build); small and bulk are our reading of the document."""
    data = read_data()
    spec = data["routing.yml"]["load"]
    service = next(s for s in data["services.yml"]["services"] if s["id"] == spec["minimum_of"])
    minimum = service["facts"]["minimum"]["data"]
    return {"minimum": {"kg": minimum["air_min_kg"], "cbm": minimum["sea_min_cbm"]},
            "small_max": spec["small_max"], "bulk_min": spec["bulk_min"]}


def advise(base: KnowledgeBase, situation: Situation) -> Advice:
    stages = {stage: StageAdvice(stage) for stage in situation.relevant_stages()}
    for rule in base.routing_rules.get("rules", []):
        advice = stages.get(rule["stage"])
        if advice is None or not matches(rule.get("when", {}), situation):
            continue
        reason = Reason(rule.get("because") or rule.get("note", ""), str(rule["section"]), rule["id"])
        if "recommend" in rule:
            _recommend(advice, rule["recommend"], int(rule.get("weight", 1)), reason)
            if rule.get("caveat"):
                advice.caveats.append(Reason(rule["caveat"], str(rule["section"]), rule["id"]))
        elif "exclude" in rule:
            for service in _as_list(rule["exclude"]):
                advice.excluded.setdefault(service, []).append(reason)
        else:
            advice.notes.append(reason)
    for advice in stages.values():
        _exclude_uncovered(base, advice, situation)
        advice.recommended = sorted(
            (r for r in advice.recommended if r.service not in advice.excluded), key=lambda r: -r.score
        )
    return Advice(situation, stages)


def _recommend(advice: StageAdvice, service: str, weight: int, reason: Reason) -> None:
    current = next((r for r in advice.recommended if r.service == service), None)
    if current is None:
        current = Recommendation(service)
        advice.recommended.append(current)
    current.score += weight
    current.reasons.append(reason)


def _exclude_uncovered(base: KnowledgeBase, advice: StageAdvice, situation: Situation) -> None:
    """A service whose documented coverage lacks the destination is never recommended."""
    destination = situation.effective_destination
    if not destination:
        return
    for rec in advice.recommended:
        markets = covered_markets(base, rec.service)
        if markets is not None and not covers(base, markets, destination):
            service = base.services[rec.service]
            coverage = service.fact("coverage")
            assert coverage is not None  # covered_markets() read the markets from it
            listed = _markets_said(base, service.data("coverage", "markets"))
            text = base.routing_rules["texts"]["uncovered"].format(
                service=service.short, listed=listed, destination=base.label("marketplace", destination))
            advice.excluded.setdefault(rec.service, []).append(
                Reason(text, coverage.section, "coverage")
            )


def _markets_said(base: KnowledgeBase, markets: list[str]) -> str:
    """"美国、欧洲（英国、法国、德国、意大利、西班牙）", as the document groups its European markets."""
    european = [m for m in markets if m in {"UK", *base.vocabulary.get("eu_members", ())}]
    labels = {m: base.label("marketplace", m) for m in markets}
    if len(european) < 2:
        return "、".join(labels[m] for m in markets)
    rest = [labels[m] for m in markets if m not in european]
    return "、".join([*rest[:1], f"欧洲（{'、'.join(labels[m] for m in european)}）", *rest[1:]])


def covers(base: KnowledgeBase, markets: set[str], destination: str) -> bool:
    """"欧洲" is covered by a service that reaches any European marketplace (the document's own
    "欧洲 (英国、法国、德国、意大利、西班牙)")."""
    if destination == "EU":
        return bool(markets & ({"EU", "UK"} | set(base.vocabulary.get("eu_members", ()))))
    return destination in markets


def covered_markets(base: KnowledgeBase, service_id: str) -> set[str] | None:
    """The marketplaces a service's documented coverage includes (an EU entry includes the EU
    members); None when the document states no coverage for it."""
    markets = base.services[service_id].data("coverage", "markets")
    if markets is None:
        return None
    covered = set(markets)
    if "EU" in covered:
        covered |= set(base.vocabulary.get("eu_members", ()))
    return covered


def matches(when: dict, situation: Situation) -> bool:
    for key, expected in when.items():
        negate = key.startswith("not_")
        name = key[4:] if negate else key
        if _holds(situation.value(name), _as_list(expected)) == negate:
            return False
    return True


def _holds(actual, expected: list) -> bool:
    if isinstance(actual, frozenset):
        return bool(actual & set(expected))
    return actual in expected


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


# -- which question to ask next ------------------------------------------------------------------

QUESTION_FIELDS = {
    "origin": "origin",
    "destination": "destination",
    "urgency": "urgency",
    "load": "load",
    "mode": "mode",
    "target": "target",
    "fulfillment": "fulfillment",
    "inventory": "inventory",
    "buyers": "buyers",
}
_STAGE_QUESTIONS = {
    "first_mile": ("origin", "destination", "urgency", "load", "mode", "target"),
    "warehousing": ("inventory", "buyers"),
    "last_mile": ("fulfillment", "inventory", "buyers"),
    "end_to_end": (),
}


def next_question(base: KnowledgeBase, situation: Situation) -> str | None:
    """The first unanswered question whose answer would change an unclear recommendation."""
    advice = advise(base, situation)
    stages = situation.relevant_stages() or ["first_mile"]
    for stage in stages:
        current = advice.stages.get(stage)
        if current is not None and current.clear:
            continue
        for question in _STAGE_QUESTIONS[stage]:
            if question in situation.skipped or situation.known(question):
                continue
            if _changes_answer(base, situation, stage, question):
                return question
    return None


# Where a comparison starts from: the typical seller of each stage (a Chinese exporter for the first
# mile, stock already in Amazon's network for the last mile).
_TYPICAL_START = {"first_mile": Situation(origin="CN"), "last_mile": Situation(inventory="FC")}


def deciding_factors(base: KnowledgeBase, services: list[str]) -> list[str]:
    """The questions whose answers change which of `services` comes first — what a seller should
    look at when choosing between them ("我该用AGL还是SEND？")."""
    stages = {base.services[s].stage for s in services}
    if len(stages) != 1:
        return []
    (stage,) = stages
    start = replace(_TYPICAL_START.get(stage, Situation()), stages=frozenset({stage}))
    factors = []
    for question in _STAGE_QUESTIONS.get(stage, ()):
        outcomes = set()
        for _, value in base.routing_rules["questions"][question]["buttons"]:
            advice = advise(base, answer(start, question, value)).stages.get(stage)
            ranked = [r.service for r in advice.recommended if r.service in services] if advice else []
            outcomes.add(tuple(ranked[:1]))
        if len(outcomes) > 1:
            factors.append(base.routing_rules["questions"][question]["factor"])
    return factors


def question_options(base: KnowledgeBase, situation: Situation, question: str) -> list[tuple[str, str, Reason]]:
    """What each answer to `question` would lead to: (the answers' titles, the service that would come
    first, the rule's reason that puts it there), one entry per service, so a seller sees the
    candidates and the difference that decides between them while being asked."""
    stage = next((st for st in situation.relevant_stages() or ["first_mile"] if question in _STAGE_QUESTIONS[st]), None)
    if stage is None:
        return []
    before = advise(base, situation).stages.get(stage)
    known = {r.rule for rec in (before.recommended if before else []) for r in rec.reasons}
    grouped: dict[str, tuple[list[str], Reason]] = {}
    for title, value in base.routing_rules["questions"][question]["buttons"]:
        after = advise(base, answer(situation, question, value)).stages.get(stage)
        if not after or not after.recommended:
            continue
        top = after.recommended[0]
        fresh = [r for r in top.reasons if r.rule not in known]
        reason = fresh[-1] if fresh else top.reasons[0]
        titles, first = grouped.setdefault(top.service, ([], reason))
        titles.append(title)
    return [("、".join(titles), service, reason) for service, (titles, reason) in grouped.items()][:3]


def _changes_answer(base: KnowledgeBase, situation: Situation, stage: str, question: str) -> bool:
    current = advise(base, situation).stages.get(stage)
    before = tuple(current.top) if current else ()
    for _, value in base.routing_rules["questions"][question]["buttons"]:
        after = advise(base, answer(situation, question, value)).stages.get(stage)
        if (tuple(after.top) if after else ()) != before:
            return True
    return False


def answer(situation: Situation, question: str, value: str) -> Situation:
    """The situation after the seller answers `question` with a canonical value (or quantity text)."""
    if question == "load":
        return with_quantity(situation, value)
    if question == "buyers":
        return replace(situation, buyers=situation.buyers | {value})
    if question == "origin" and value not in ("CN", DESTINATION) and situation.destination is None:
        return replace(situation, origin=value, destination=value)
    answered: dict[str, Any] = {QUESTION_FIELDS[question]: value}
    return replace(situation, **answered)


# -- quantities ----------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "几": 3}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def chinese_number(text: str) -> float | None:
    """一 → 1, 十五 → 15, 几十 → 30, 三百 → 300, 半 → 0.5 (几 is read as "a few": 3)."""
    if text == "半":
        return 0.5
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return float(total + (digit or 0))


def parse_quantity(text: str) -> tuple[float | None, float | None, bool]:
    """(kg, CBM, full container) from what a seller wrote: "30kg", "几十公斤", "2个方", "整柜"."""
    if any(word in text for word in ("整柜", "整箱", "整个柜", "一柜", "个柜", "尺柜", "40HQ", "FCL")):
        return None, None, True
    match = QUANTITY.search(text)
    if not match:
        return None, None, False
    number_text, unit = match.group("number"), match.group("unit").lower()
    number = float(number_text) if number_text[0].isdigit() else chinese_number(number_text)
    if number is None:
        return None, None, False
    if unit in ("kg", "公斤", "千克"):
        return number, None, False
    if unit == "斤":
        return number / 2, None, False
    if unit == "吨":
        return number * 1000, None, False
    if unit in ("个柜", "柜"):
        return None, None, True
    return None, number, False


def with_quantity(situation: Situation, text: str) -> Situation:
    """`text`: a figure as the seller wrote it, or a load class the vocabulary's `quantity` phrases name."""
    if text in LOAD_CLASSES_SAID:
        return replace(situation, load_said=text, full_container=False, weight_kg=None, volume_cbm=None)
    kg, cbm, full = parse_quantity(text)
    if full:
        return replace(situation, full_container=True, weight_kg=None, volume_cbm=None, load_said=None)
    if kg is None and cbm is None:
        return situation
    return replace(situation, weight_kg=kg, volume_cbm=cbm, full_container=False, load_said=None)


LOAD_CLASSES_SAID = ("bulk", "small")  # the values of the vocabulary's `quantity` entity



