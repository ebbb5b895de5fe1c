"""The seller's situation for the routing advisor (knowledge/routing.py), kept in slots and built up
over turns: facts accumulate until the seller starts over, a fact given again replaces the old one,
and an answer is read in the light of the question just asked ("美国" to "where from?" is an origin).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from conversation.turn import Turn
from knowledge.routing import DESTINATION, Situation, with_quantity

# Entity types that describe the seller's situation rather than a service's attribute.
SITUATION_ENTITIES = ("origin", "quantity", "urgency", "cargo_size", "warehouse", "sales_channel",
                      "fulfillment", "product_trait", "need")
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
_DESTINATION_CUES = ("发", "去", "到", "往", "卖", "运")
_TARGET_CUES = ("进", "入", "到", "送", "发往", "发到", "运到", "送到", "补到", "补货到")
_INVENTORY_CUES_AFTER = ("里", "中", "的货", "的库存", "库存", "发货", "发", "出库", "配送")


# A place after one of these is where the goods are going ("发点到美国仓", "尽快到美国仓"), unless they
# are already there ("已经到美国仓").
# "打算先存在美国仓" is where they will go too.
_DESTINED = re.compile(r"(?:(?:发|运|送|寄|补|走|存|放)[^，。,；;？?已]{0,3}?|尽快|早点|快点|想|要)(?:到|去|往|进|入)$"
                       r"|(?:先|打算|准备|计划|想)(?:存|放)在$|(?<![自从])发$"  # "用SEND发德国仓": where it goes
                       r"|从[^，。,；;？?]{1,6}(?:到|去|往)$")  # "从宁波往英国": the second place
MARKETS_AS_ORIGIN = ("US", "UK", "DE", "JP")


def _destined(text: str, entity: dict) -> bool:
    start = entity.get("start")
    return isinstance(start, int) and bool(_DESTINED.search(text[max(0, start - 8):start]))


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


def cleared() -> dict:
    return {name: None for name in SITUATION_SLOTS}


def apply_turn(s: Situation, turn: Turn, pending: str | None, negated: set[str] | frozenset[str] = frozenset()
               ) -> tuple[Situation, str | None, bool]:
    """The situation after this message, the quantity text to remember, and whether anything changed.
    `negated`: entity values the seller said they do not use ("我不用FBA")."""
    # NOTE: the loop over named services below reuses `before` for the text in front of a name, so the
    # third value ("changed") is True whenever the message names a service; kept as it is.
    before: Situation | str = s
    quantity = turn.slot("quantity")
    entities = [e for e in turn.entities if str(e.get("value")) not in negated or e.get("entity") == "service"]
    turn = replace(turn, entities=entities)
    if pending:
        s, quantity = _answer_pending(s, turn, pending, quantity)
    for entity in [e for e in turn.entities if e.get("entity") == "origin"]:
        value = str(entity.get("value"))
        if value in MARKETS_AS_ORIGIN and _destined(turn.text, entity):
            s = replace(s, destination=value)  # "先发点到美国仓": where it goes, not where it is
        else:
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
    for entity in (e for e in turn.entities if e.get("entity") == "service"):
        start = int(entity.get("start", 0))
        before = re.split(r"[，,。；;]", turn.text[max(0, start - 8):start])[-1]
        warehouse = SERVICE_AS_WAREHOUSE.get(str(entity.get("value")))
        if warehouse and any(cue in before for cue in _TARGET_CUES) and pending not in ("target", "inventory"):
            s = replace(s, target=warehouse)  # "发到美国的AWD": where the goods go
    denied = _denied_buyers(turn)  # "不是卖亚马逊买家的，是独立站": a correction
    buyers = set(turn.values("sales_channel")) - denied
    if not (buyers and _instead(turn.text)):
        buyers |= s.buyers - denied  # "卖给…的买家呢" asks about those buyers instead; otherwise they add up
    s = replace(
        s,
        # distributing stock to other channels' warehouses is selling on them
        buyers=frozenset(buyers) | ({"OTHER"} if "DISTRIBUTION" in turn.values("need") else set()),
        traits=s.traits | set(turn.values("product_trait")),
        needs=s.needs | set(turn.values("need")),
        stages=s.stages | set(_stages(turn)),
    )
    fulfillment = [f for f in turn.values("fulfillment") if f not in negated and not _one_side_of_a_choice(turn, f)]
    if fulfillment:
        s = replace(s, fulfillment=fulfillment[-1])
    return s, quantity, s != before


_DENIED_BEFORE = re.compile(r"不是[^，。,；;]{0,3}$")


def _denied_buyers(turn: Turn) -> set[str]:
    return {str(e.get("value")) for e in turn.entities if e.get("entity") == "sales_channel"
            and _DENIED_BEFORE.search(turn.text[max(0, int(e.get("start", 0)) - 6):int(e.get("start", 0))])}


_INSTEAD = re.compile(r"呢[？?。！!~～\s]*$")
_BESIDES = ("也", "还", "同时", "都", "和", "以及", "另外")


def _instead(text: str) -> bool:
    """"那X呢": X in place of what was said before, unless it says "also" ("也卖…呢")."""
    return bool(_INSTEAD.search(text)) and not any(w in text for w in _BESIDES)


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
            start = int(entity.get("start", 0))
            if kind == "marketplace" and turn.text[max(0, start - 2):start].endswith(_DESTINATION_CUES):
                continue  # "要是发意大利呢": where the goods go, not where they are
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
                placed: dict[str, Any] = {pending: value}
                return replace(s, **placed), quantity
        if pending == "fulfillment":
            value = "FBA" if kind == "service" and value == "FBA" else value
            if value in ("FBA", "MFN"):
                return replace(s, fulfillment=value), quantity
    return s, quantity


_ARRIVED = re.compile(r"(?:已经|已|早就|都)(?:进|到|入|放进|放到|在)(?:了)?$")


# "上FBA合适还是自发货": both sides of a choice are asked about, neither is the seller's fact
_CHOICE_SIDE = re.compile(r"还是|或者|或是|\bor\b|/")


def _one_side_of_a_choice(turn: Turn, value: str) -> bool:
    for e in turn.entities:
        if e.get("entity") == "fulfillment" and e.get("value") == value:
            a, b = int(e.get("start", 0)), int(e.get("end", 0))
            if _CHOICE_SIDE.search(turn.text[max(0, a - 4):a]) or _CHOICE_SIDE.search(turn.text[b:b + 6]):
                return True
    return False


_SENT_ON = re.compile(r"(?:去|到|往|送|运|调|补|发)[^，。,；;？?]{0,6}$")


def _place_warehouse(s: Situation, turn: Turn, entity: dict) -> Situation:
    """A warehouse is where goods go (进AWD, 送到FBA) or where stock sits (亚马逊仓里的货)."""
    value = str(entity["value"])
    text = turn.text
    start, end = int(entity.get("start", 0)), int(entity.get("end", 0))
    mention = text[start:end]
    after = text[end : end + 3]
    before = text[max(0, start - 3) : start]
    if value == "OTHER_CHANNEL" and _SENT_ON.search(text[max(0, start - 8):start]):
        return s  # "批量调去别的渠道的仓": where stock is to go (the need to distribute), not where it is
    if value in ("OWN", "OTHER_CHANNEL"):
        return replace(s, inventory=value)
    if _ARRIVED.search(text[max(0, start - 6):start]) or _ARRIVED.search(text[max(0, start - 6):start + 1]):
        return replace(s, inventory=value)  # "货已经进FBA仓了": it is there now, not where it goes
    if mention.startswith(_TARGET_CUES) or before.endswith(_TARGET_CUES):
        return replace(s, target=value)
    if before.endswith("在") or after.startswith(_INVENTORY_CUES_AFTER):
        return replace(s, inventory=value)
    first_mile = s.origin or s.destination or s.urgency or s.load
    return replace(s, target=value) if first_mile else replace(s, inventory=value)
