"""What the assistant says next, given the latest message and the conversation's slots.

Plain Python (no rasa_sdk), so it is tested directly; actions.py only adapts a Rasa tracker to a
Turn and the Outcome back to messages and slot events. Context rules live here:
  - "那它的仓储费呢？" keeps the last service; "快船呢？" keeps service, attribute, mode and region;
  - facts about the seller's situation accumulate in slots until they restart;
  - the advisor asks one missing fact at a time and reads the answer in the light of that question.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from knowledge import replies
from knowledge.kb import KnowledgeBase
from knowledge.replies import Context, Reply
from knowledge.routing import DESTINATION, Situation, advise as evaluate, next_question, with_quantity

# Entity types that describe the seller's situation rather than a service's attribute.
SITUATION_ENTITIES = ("origin", "quantity", "urgency", "cargo_size", "warehouse", "sales_channel",
                      "fulfillment", "product_trait", "need")
CONTEXT_ENTITIES = ("marketplace", "us_region", "transport_mode", "sea_service")
SITUATION_SLOTS = ("origin", "destination", "urgency", "quantity", "cargo_size", "transport_mode",
                   "sea_service", "us_region", "target_warehouse", "inventory", "buyers", "fulfillment",
                   "traits", "needs", "advice_stages", "skipped", "pending_question")
# What an answer to each advisor question may arrive as.
ANSWER_ENTITIES = {
    "origin": ("origin", "marketplace"),
    "destination": ("marketplace", "origin"),
    "urgency": ("urgency",),
    "load": ("quantity", "transport_mode"),
    "mode": ("transport_mode", "sea_service"),
    "target": ("warehouse", "service"),
    "fulfillment": ("fulfillment", "service"),
    "inventory": ("warehouse", "service"),
    "buyers": ("sales_channel",),
}
# A service named in answer to "which warehouse?" means its warehouse.
SERVICE_AS_WAREHOUSE = {"AWD": "AWD", "FBA": "FC", "MCF": "FC"}
_TARGET_CUES = ("进", "入", "到", "送", "发往", "发到", "运到", "送到")
_INVENTORY_CUES_AFTER = ("里", "中", "的货", "的库存", "库存", "发货", "发", "出库", "配送")


@dataclass
class Turn:
    intent: str
    text: str
    entities: list[dict]
    slots: dict
    ranking: list[dict] = field(default_factory=list)

    def values(self, entity: str) -> list[str]:
        return list(dict.fromkeys(str(e["value"]) for e in self.entities if e.get("entity") == entity))

    def first(self, entity: str) -> str | None:
        found = self.values(entity)
        return found[0] if found else None

    def has(self, *entities: str) -> bool:
        return any(e.get("entity") in entities for e in self.entities)

    def slot(self, name: str):
        return self.slots.get(name)


@dataclass
class Outcome:
    reply: Reply
    slots: dict = field(default_factory=dict)


# -- small talk, hand-off, out of scope, unsure ----------------------------------------------------


def smalltalk(base: KnowledgeBase, turn: Turn) -> Outcome:
    return Outcome(replies.smalltalk(turn.intent))


def handoff(base: KnowledgeBase, turn: Turn) -> Outcome:
    return Outcome(replies.handoff(), {"handoff": "requested"})


def out_of_scope(base: KnowledgeBase, turn: Turn) -> Outcome:
    return Outcome(replies.out_of_scope(base, turn.text), {"topic": "out_of_scope"})


def unsure(base: KnowledgeBase, turn: Turn) -> Outcome:
    """Low confidence: answer when the message names a service plainly, else offer the likeliest
    topics as buttons, with a passage from the document when one matches well."""
    guesses = [i["name"] for i in turn.ranking if i.get("name") not in ("nlu_fallback", None)][:3]
    services = _services(base, turn)
    about_a_service = services or (turn.has("attribute") and turn.slot("service") in base.services)
    if about_a_service and (_elliptical(turn) or guesses and guesses[0] in ("ask_service", "compare_services", "inform")):
        if guesses[0] == "compare_services" and len(services) > 1:
            return compare(base, replace(turn, intent="compare_services"))
        return answer_service(base, replace(turn, intent="ask_service"))
    if not turn.text.strip():
        return Outcome(replies.bad_input())
    buttons = _guess_buttons(base, turn, guesses)
    reply = replies.unsure(base, buttons)
    hit = next(iter(base.search(turn.text, limit=1)), None)
    if hit and hit.score >= 6:
        excerpt = hit.passage.text[:120].replace("\n", " ")
        reply.text += f"\n资料里最相关的一段（{hit.passage.section} {hit.passage.title}）：「{excerpt}…」"
    return Outcome(reply)


def _elliptical(turn: Turn) -> bool:
    """"那它的仓储费呢？": a short follow-up that refers back to the last service."""
    return len(turn.text) <= 15 and any(word in turn.text for word in ("它", "这个", "那个", "呢", "那"))


def _guess_buttons(base: KnowledgeBase, turn: Turn, guesses: list[str]) -> list[tuple[str, str]]:
    service = turn.first("service")
    buttons = []
    for intent in guesses:
        if intent == "ask_service" and service:
            name = base.services[service].short
            buttons.append((f"{name}是什么", replies.payload("ask_service", service=service, attribute="definition")))
        elif intent == "ask_recommendation":
            buttons.append(replies.START_ADVICE_BUTTON)
        elif intent == "ask_stage_services":
            buttons.append(("有哪些物流服务", "/ask_stage_services"))
        elif intent == "ask_concept":
            buttons.append(("什么是跨境供应链", replies.payload("ask_concept", concept="supply_chain")))
    return list(dict.fromkeys(buttons))


# -- one service -----------------------------------------------------------------------------------


def answer_service(base: KnowledgeBase, turn: Turn, carry_context: bool = False) -> Outcome:
    named = _services(base, turn)
    carried = not named
    if carried and not (turn.has("attribute", *CONTEXT_ENTITIES) or _elliptical(turn)):
        # Nothing in the message points at a service or an attribute ("asdkjh qwe"): don't answer
        # from the last topic on a guess.
        return unsure(base, replace(turn, intent="nlu_fallback"))
    ids = named or ([turn.slot("service")] if turn.slot("service") in base.services else [])
    if not ids:
        if base.chapter_for(turn.text):  # "企业购怎么开通": another chapter of the course
            return out_of_scope(base, turn)
        if turn.has(*SITUATION_ENTITIES, "marketplace"):
            return advise(base, replace(turn, intent="ask_recommendation"))
        buttons = [(s.short, replies.payload("ask_service", service=s.id, attribute=turn.first("attribute")))
                   for s in list(base.services.values())[:8]]
        return Outcome(Reply("想问哪个服务？", buttons))
    ctx = _context(turn, carry=carried or carry_context)
    attributes = _attributes(turn, ctx, carried or carry_context)
    parts = []
    for service_id in ids[:3]:
        for attribute in _answerable(base, service_id, attributes, turn)[:2]:
            parts.append(replies.answer_service(base, base.services[service_id], attribute, ctx))
    reply = Reply("\n\n".join(p.text for p in parts), parts[-1].buttons)
    slots = {"topic": "service", "service": ids[0], "attribute": attributes[0], **_context_slots(ctx)}
    return Outcome(reply, slots)


# A retrieved fact must score this well (BM25) to answer instead of the service's overview.
_RETRIEVAL_MIN_SCORE = 2.5
# The runner-up fact is added when it scores at least this share of the best: sellers' vague
# questions ("用FBA销售额能涨多少") are often answered by two facts together.
_RUNNER_UP_SHARE = 0.6


def _answerable(base: KnowledgeBase, service_id: str, attributes: list[str], turn: Turn) -> list[str]:
    """The attributes to answer. A question that names no attribute ("亚马逊物流有多少个运营中心"), or
    one the document has no fact for, is answered by the service's facts that best match its words."""
    service = base.services[service_id]
    named_none = not turn.values("attribute") and attributes == ["definition"]
    undocumented = [a for a in attributes if service.fact(a) is None]
    if not (named_none or undocumented):
        return attributes
    ranked = _retrieve(base, service_id, turn.text)
    if not ranked:
        return attributes
    documented = [a for a in attributes if service.fact(a) is not None and not named_none]
    return documented + [a for a in ranked if a not in documented]


def _retrieve(base: KnowledgeBase, service_id: str, text: str) -> list[str]:
    """The best-matching fact, and the runner-up when it scores close to it."""
    ranked = base.ranked_facts(service_id, text)
    if not ranked or ranked[0][1] < _RETRIEVAL_MIN_SCORE:
        return []
    best = ranked[0][1]
    return [fact.attribute for fact, score in ranked[:2] if score >= _RUNNER_UP_SHARE * best]


def _services(base: KnowledgeBase, turn: Turn) -> list[str]:
    """Services a message names, including as a warehouse ("FBA仓", "卫星仓里") or a fulfilment ("用FBA")."""
    found = []
    for entity in turn.entities:
        kind, value = entity.get("entity"), str(entity.get("value"))
        span = turn.text[int(entity.get("start", 0)):int(entity.get("end", 0))].upper()
        if kind == "service" and value in base.services:
            found.append(value)
        elif kind in ("warehouse", "fulfillment") and "FBA" in span:
            found.append("FBA")
        elif kind == "warehouse" and value == "AWD":
            found.append("AWD")
    return list(dict.fromkeys(found))


def _context(turn: Turn, carry: bool) -> Context:
    def pick(entity: str, slot: str):
        return turn.first(entity) or (turn.slot(slot) if carry else None)

    # "AWD在欧洲有仓吗": a place named with 在 is read as where goods are; for a question about a
    # service it is the marketplace asked about.
    places = [v for v in turn.values("origin") if v not in ("CN", DESTINATION)]
    if not turn.first("marketplace") and places:
        turn = replace(turn, entities=turn.entities + [{"entity": "marketplace", "value": places[0]}])
    mode = pick("transport_mode", "transport_mode")
    sea_service = pick("sea_service", "sea_service")
    if turn.first("transport_mode") == "AIR":
        sea_service = None  # "空运呢？" after a sea question drops the boat type
    return Context(pick("marketplace", "marketplace"), pick("us_region", "us_region"), mode, sea_service)


def _attributes(turn: Turn, ctx: Context, carry: bool) -> list[str]:
    asked = turn.values("attribute")
    specific = [a for a in asked if a != "definition"]
    if specific:
        return (["definition"] if "definition" in asked and len(asked) > len(specific) else []) + specific
    if carry and turn.slot("attribute") and not asked:
        return [turn.slot("attribute")]
    if asked:
        return ["definition"]
    if ctx.marketplace:
        return ["coverage"]
    if ctx.mode:
        return ["modes"]
    return ["definition"]


def _context_slots(ctx: Context) -> dict:
    return {"marketplace": ctx.marketplace, "us_region": ctx.us_region, "transport_mode": ctx.mode,
            "sea_service": ctx.sea_service}


# -- comparisons -----------------------------------------------------------------------------------


def compare(base: KnowledgeBase, turn: Turn) -> Outcome:
    ids = _services(base, turn)
    if not ids and base.chapter_for(turn.text):  # "pingpong和万里汇哪个收款好": another chapter
        return out_of_scope(base, turn)
    if len(ids) == 1 and turn.slot("service") in base.services and turn.slot("service") not in ids:
        ids = [turn.slot("service")] + ids  # "和AWD比呢？" compares with the last service
    if turn.has("origin", "quantity", "urgency", "cargo_size", "product_trait", "need", "fulfillment") and not (
            turn.has("fulfillment") and "FBA" in ids):
        return advise(base, replace(turn, intent="ask_recommendation"), focus=ids)
    specific = [a for a in turn.values("attribute") if a != "definition"]
    reply = replies.compare(base, ids, specific[0] if specific else None)
    return Outcome(reply, {"topic": "compare", "compared": ids, "service": ids[0] if ids else None})


# -- concepts, stages, pain points, course map --------------------------------------------------------


def explain(base: KnowledgeBase, turn: Turn) -> Outcome:
    stage = turn.first("stage")
    stage = stage if stage in base.stages else None
    if turn.intent == "ask_course_map":
        return Outcome(replies.course_map(base), {"topic": "course"})
    if turn.intent == "ask_pain_points" or "pain_points" in turn.values("attribute"):
        return Outcome(replies.pain_points(base, stage), {"topic": "pain_points"})
    if turn.intent == "ask_stage_services":
        if stage is None and turn.first("fulfillment") == "MFN":
            stage = "last_mile"
        return Outcome(replies.stage_services(base, stage), {"topic": "stage"})
    concept = turn.first("concept")
    if concept is None and turn.first("fulfillment") == "MFN":
        concept = "mfn"
    if concept is None and stage in base.concepts:
        concept = stage
    if concept in base.concepts:
        return Outcome(replies.concept(base, concept), {"topic": "concept"})
    if turn.first("service"):
        return answer_service(base, replace(turn, intent="ask_service"))
    return Outcome(replies.concept(base, "supply_chain"), {"topic": "concept"})


# -- the routing advisor ----------------------------------------------------------------------------


def situation_from_slots(slots: dict) -> Situation:
    base = Situation(
        origin=slots.get("origin"),
        destination=slots.get("destination"),
        urgency=slots.get("urgency"),
        mode=slots.get("transport_mode"),
        sea_service=slots.get("sea_service"),
        us_region=slots.get("us_region"),
        cargo_size=slots.get("cargo_size"),
        target=slots.get("target_warehouse"),
        inventory=slots.get("inventory"),
        buyers=frozenset(slots.get("buyers") or ()),
        fulfillment=slots.get("fulfillment"),
        traits=frozenset(slots.get("traits") or ()),
        needs=frozenset(slots.get("needs") or ()),
        stages=frozenset(slots.get("advice_stages") or ()),
        skipped=frozenset(slots.get("skipped") or ()),
    )
    return with_quantity(base, slots["quantity"]) if slots.get("quantity") else base


def situation_slots(s: Situation, quantity: str | None) -> dict:
    return {
        "origin": s.origin, "destination": s.destination, "urgency": s.urgency, "quantity": quantity,
        "cargo_size": s.cargo_size, "transport_mode": s.mode, "sea_service": s.sea_service,
        "us_region": s.us_region, "target_warehouse": s.target, "inventory": s.inventory,
        "buyers": sorted(s.buyers), "fulfillment": s.fulfillment, "traits": sorted(s.traits),
        "needs": sorted(s.needs), "advice_stages": sorted(s.stages), "skipped": sorted(s.skipped),
    }


def apply_turn(s: Situation, turn: Turn, pending: str | None) -> tuple[Situation, str | None, bool]:
    """The situation after this message, the quantity text to remember, and whether anything changed."""
    before = s
    quantity = turn.slot("quantity")
    if pending:
        s, quantity = _answer_pending(s, turn, pending, quantity)
    for value in turn.values("origin"):
        s = replace(s, origin=value)
    for value in turn.values("marketplace"):
        if not (pending in ("origin", "destination") and s.destination == value):
            s = replace(s, destination=value)
    if turn.first("urgency"):
        s = replace(s, urgency=turn.first("urgency"))
    for text in turn.values("quantity"):
        s, quantity = with_quantity(s, text), text
    for mode in turn.values("transport_mode"):
        if mode == "FCL":
            s, quantity = replace(s, full_container=True, mode="FCL"), "整柜"
        else:
            s = replace(s, mode=mode, sea_service=None if mode == "AIR" else s.sea_service)
    if turn.first("sea_service"):
        s = replace(s, sea_service=turn.first("sea_service"), mode=s.mode if s.mode in ("SEA", "LCL") else "SEA")
    if turn.first("us_region"):
        s = replace(s, us_region=turn.first("us_region"))
    if turn.first("cargo_size"):
        s = replace(s, cargo_size=turn.first("cargo_size"))
    for entity in (e for e in turn.entities if e.get("entity") == "warehouse"):
        if pending not in ("target", "inventory"):
            s = _place_warehouse(s, turn, entity)
    s = replace(
        s,
        buyers=s.buyers | set(turn.values("sales_channel")),
        traits=s.traits | set(turn.values("product_trait")),
        needs=s.needs | set(turn.values("need")),
        stages=s.stages | set(_stages(turn)),
    )
    if turn.first("fulfillment"):
        s = replace(s, fulfillment=turn.first("fulfillment"))
    return s, quantity, s != before


def _stages(turn: Turn) -> list[str]:
    stages = turn.values("stage")
    if "all" in stages:
        return ["first_mile", "warehousing", "last_mile"]
    return [x for x in stages if x in ("first_mile", "warehousing", "last_mile", "end_to_end")]


def _answer_pending(s: Situation, turn: Turn, pending: str, quantity):
    """Read the message as the answer to the question just asked ("美国" to "where from?" is an origin)."""
    for entity in turn.entities:
        kind, value = entity.get("entity"), str(entity.get("value"))
        if kind not in ANSWER_ENTITIES[pending]:
            continue
        if pending == "origin":
            return replace(s, origin=value), quantity
        if pending == "destination" and kind in ("marketplace", "origin") and value not in ("CN", DESTINATION):
            return replace(s, destination=value), quantity
        if pending == "load":
            if kind == "transport_mode" and value == "FCL":
                return replace(s, full_container=True, mode="FCL"), "整柜"
            if kind == "quantity":
                return with_quantity(s, value), value
        if pending in ("target", "inventory"):
            value = SERVICE_AS_WAREHOUSE.get(value, value) if kind == "service" else value
            if value in ("FC", "AWD", "OWN", "OTHER_CHANNEL"):
                return replace(s, **{pending: value}), quantity
        if pending == "fulfillment":
            value = "FBA" if kind == "service" and value == "FBA" else value
            if value in ("FBA", "MFN"):
                return replace(s, fulfillment=value), quantity
    return s, quantity


def _place_warehouse(s: Situation, turn: Turn, entity: dict) -> Situation:
    """A warehouse is where goods go (进AWD, 送到FBA) or where stock sits (亚马逊仓里的货)."""
    value = str(entity["value"])
    text = turn.text
    start, end = int(entity.get("start", 0)), int(entity.get("end", 0))
    mention = text[start:end]
    after = text[end : end + 3]
    before = text[max(0, start - 3) : start]
    if value in ("OWN", "OTHER_CHANNEL"):
        return replace(s, inventory=value)
    if mention.startswith(_TARGET_CUES) or before.endswith(_TARGET_CUES):
        return replace(s, target=value)
    if before.endswith("在") or after.startswith(_INVENTORY_CUES_AFTER):
        return replace(s, inventory=value)
    first_mile = s.origin or s.destination or s.urgency or s.full_container or s.weight_kg or s.volume_cbm
    return replace(s, target=value) if first_mile else replace(s, inventory=value)


def advise(base: KnowledgeBase, turn: Turn, focus: list[str] | None = None) -> Outcome:
    pending = turn.slot("pending_question")
    if turn.intent == "start_over":
        cleared = {name: None for name in SITUATION_SLOTS}
        ask = replies.question(base, "origin")
        ask.text = "好的，我们重新开始。\n" + ask.text
        return Outcome(ask, {**cleared, "topic": "advice", "pending_question": "origin"})
    situation = situation_from_slots(turn.slots)
    if turn.intent == "ask_why":
        service = turn.first("service") or (focus or [None])[0]
        advice = evaluate(base, situation) if situation.relevant_stages() else None
        return Outcome(replies.why(base, advice, service), {"topic": "advice"})
    situation, quantity, changed = apply_turn(situation, turn, pending)
    if turn.intent == "dont_know" and pending:
        situation = replace(situation, skipped=situation.skipped | {pending})
    elif turn.intent == "inform" and pending and not changed:
        ask = replies.question(base, pending)
        ask.text = "抱歉，这个回答我没对上问题。" + ask.text
        return Outcome(ask, {"topic": "advice"})
    slots = {**situation_slots(situation, quantity), "topic": "advice"}
    question = next_question(base, situation)
    advice = evaluate(base, situation)
    if question:
        slots["pending_question"] = question
        return Outcome(replies.question(base, question, advice), slots)
    slots["pending_question"] = None
    reply = replies.recommendation(base, advice)
    if focus:
        slots["compared"] = focus
    return Outcome(reply, slots)


def follow_up(base: KnowledgeBase, turn: Turn) -> Outcome:
    """An `inform` message: a fact for the advisor, or an elliptical follow-up to the last answer."""
    topic = turn.slot("topic")
    if turn.slot("pending_question") or topic == "advice" or turn.has(*SITUATION_ENTITIES):
        return advise(base, turn)
    if topic == "service" and (turn.has(*CONTEXT_ENTITIES, "service", "attribute")):
        return answer_service(base, turn, carry_context=True)
    if topic == "compare" and turn.has("service"):
        previous = [s for s in (turn.slot("compared") or []) if s]
        merged = replace(turn, entities=[{"entity": "service", "value": s} for s in previous[:1]] + turn.entities)
        return compare(base, merged)
    if turn.has("service"):
        return answer_service(base, turn)
    if turn.has(*CONTEXT_ENTITIES):
        return advise(base, turn)
    return unsure(base, turn)


HANDLERS = {
    "action_smalltalk": smalltalk,
    "action_answer_service": answer_service,
    "action_compare": compare,
    "action_explain": explain,
    "action_advise": advise,
    "action_follow_up": follow_up,
    "action_out_of_scope": out_of_scope,
    "action_unsure": unsure,
    "action_handoff": handoff,
}
