"""What the conversation is about now: one structure, kept in the `focus` slot.

Every answer sets it; an elliptical follow-up ("它收费怎么算", "多久能到", "日本站可以用不", "后边那家的呢")
reads it; naming something else moves it; 「重新开始」 clears it. After a comparison it holds both
services in the order they were compared, after advice the recommended ones, so "第二个" and "它"
resolve against what the seller just read.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from conversation.replies import Context

SLOT = "focus"


@dataclass(frozen=True)
class Focus:
    topic: str | None = None  # service | compare | advice | concept | stage | pain_points | course | statement
    services: tuple[str, ...] = ()  # in the order the seller read them: "前者"/"后者" count in it
    current: str | None = None  # the one of them answered last: "它"
    stage: str | None = None
    concept: str | None = None
    attribute: str | None = None
    marketplace: str | None = None
    us_region: str | None = None
    mode: str | None = None
    sea_service: str | None = None
    section: str | None = None  # the section the last answer cited
    source: tuple[str, ...] = field(default=())  # what 「查看原文」 shows: ("fact", "AWD", "fee") or ("statement", id)
    asked: str | None = None  # the message answered last: "德国站也可以吗" asks it again for another market
    said: str | None = None  # the last message of any kind, and its intent: "那自发货呢" asks it of another subject
    said_intent: str | None = None
    earlier: tuple[str, ...] = ()  # services in focus before the current ones, latest first: "刚才那个"
    listed: tuple[str, ...] = ()  # the list an item was picked from ("第二个…"): "第三个呢" next counts in it

    @property
    def primary(self) -> str | None:
        return self.current or (self.services[0] if self.services else None)

    def on(self, service_id: str) -> "Focus":
        """The same services, now answering about one of them (or a new one, alone)."""
        if service_id in self.services:
            return replace(self, current=service_id)
        return replace(self, services=(service_id,), current=service_id)

    @property
    def context(self) -> Context:
        return Context(self.marketplace, self.us_region, self.mode, self.sea_service)

    def with_context(self, ctx: Context) -> "Focus":
        return replace(self, marketplace=ctx.marketplace, us_region=ctx.us_region, mode=ctx.mode,
                       sea_service=ctx.sea_service)

    def summary(self) -> str:
        """One line for the staff transcript: "服务 AGL、SEND（当前 SEND）· 问 minimum · 出处 1.3.2"."""
        parts = []
        if self.services:
            listed = "、".join(self.services)
            parts.append(f"服务 {listed}" + (f"（当前 {self.current}）" if self.current and len(self.services) > 1 else ""))
        for label, value in (("环节", self.stage), ("概念", self.concept), ("问", self.attribute),
                             ("站点", self.marketplace), ("区域", self.us_region), ("运输", self.mode),
                             ("船型", self.sea_service), ("出处", self.section)):
            if value:
                parts.append(f"{label} {value}")
        return f"{self.topic or '—'}：" + " · ".join(parts) if parts or self.topic else ""

    def as_slot(self) -> dict | None:
        value = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if v}
        return value or None

    @classmethod
    def from_slot(cls, value) -> "Focus":
        if not isinstance(value, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        kept: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items() if k in known}
        return cls(**kept)


_NUMERALS = "一二三四五六七八九"


EARLIER_KEPT = 5  # services remembered for "刚才那个"


def with_history(before: Focus, after: Focus) -> Focus:
    """`after`, remembering the services `before` was about when the conversation has moved on from them."""
    moved = [s for s in before.services if s not in after.services]
    earlier = [*moved[::-1], *before.earlier]
    return replace(after, earlier=tuple(dict.fromkeys(s for s in earlier if s not in after.services))[:EARLIER_KEPT])


def _earlier_meant(text: str, focus: Focus, names: dict[str, tuple[str, ...]]) -> str | None:
    """"刚才那个官方物流" → the earlier service whose names share the words after the cue ("官方物流": AGL's
    官方跨境物流); a bare "刚才那个" → the one before the current."""
    described = re.split(r"[，,。？?！!\s]", text)[0][:4]  # "官方物流" of "官方物流支持哪些…", nothing of "，它…"
    pairs = {described[i:i + 2] for i in range(len(described) - 1)}
    for service_id in focus.earlier:
        if any(p in name for name in names.get(service_id, ()) for p in pairs):
            return service_id
    return focus.earlier[0] if focus.earlier else None


def _described(text: str, pointer: str, names: dict[str, tuple[str, ...]]) -> str | None:
    """The one service whose names share the most two-character words with the words right before or
    after "那个" ("追踪系统" → FIST's 入仓货件追踪智控系统), if one does more than any other."""
    at = text.index(pointer)
    near = re.findall(r"[\u4e00-\u9fff]{2,}", f"{text[max(0, at - 4):at]} {text[at + len(pointer):at + len(pointer) + 4]}")
    pairs = {w[i:i + 2] for w in near for i in range(len(w) - 1)} - _COMMON_PAIRS
    if not pairs:
        return None
    scores = {sid: sum(any(p in n for n in own[:-1]) for p in pairs) for sid, own in names.items()}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    return ranked[0][0] if ranked[0][1] and (len(ranked) < 2 or ranked[0][1] > ranked[1][1]) else None


_COMMON_PAIRS = {"亚马", "马逊", "服务", "物流", "是干", "干嘛", "怎么", "具体", "什么", "支持"}  # in many names, or asking


def resolve(references: dict, text: str, focus: Focus, names: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """The services a message points back to: "后面那个" → the second of the focus, "它" → the first,
    "刚才那个" → the one before (`names`: each service's names, for a description after the cue)."""
    lowered = text.lower()
    back = next((w for w in references.get("back", ()) if w in lowered), None)
    if back is not None and focus.earlier:
        rest = lowered.split(back, 1)[1][:8]
        meant = _earlier_meant(rest, focus, names or {})
        return [meant] if meant else []
    if not focus.services:
        return []
    counted = next((w for w in references.get("later", ()) if w in lowered), None)
    if counted:  # "第三个" of the four head-haul services just listed
        n = _NUMERALS.index(counted[1]) + 1
        return [focus.services[n - 1]] if n <= len(focus.services) else []
    if any(w in lowered for w in references.get("other", ())) and len(focus.services) == 2:
        return [s for s in focus.services if s != (focus.current or focus.services[0])][:1]
    if any(w in lowered for w in references.get("last", ())) and len(focus.services) > 1:
        return [focus.services[-1]]
    if any(w in lowered for w in references.get("second", ())) and len(focus.services) > 1:
        return [focus.services[1]]
    if any(w in lowered for w in references.get("first", ())):
        return [focus.services[0]]
    if any(w in lowered for w in references.get("both", ())):
        if len(focus.services) == 1 and focus.earlier and focus.earlier[0] != focus.services[0]:
            return [focus.earlier[0], focus.services[0]]  # "这俩" right after a second service: it and the one before
        return list(focus.services)
    it = next((w for w in sorted(references.get("it", ()), key=len, reverse=True) if w in lowered), None)
    described = _described(lowered, it, names) if it and names else None
    if described is not None:  # "那个追踪系统…", "快递服务那个…": the service so described
        return [described]
    if it is not None:
        primary = focus.primary
        assert primary is not None  # the focus has services
        return [primary]
    return []
