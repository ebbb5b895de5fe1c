"""The one place where the assistant's answers are composed: text and buttons, in Simplified Chinese.

Facts come from the knowledge base (verified against the document), decisions from routing.py; this
module only arranges them and cites the section (「来源：1.4.1」). Actions call these functions and
send the result; the staff console and tests call them too.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from knowledge.kb import STAGE_LABELS, Fact, KnowledgeBase, Service
from knowledge.routing import (
    DESTINATION,
    Advice,
    Reason,
    Situation,
    StageAdvice,
    covered_markets,
    covers,
    deciding_factors,
    question_options,
)
from knowledge.statements import FURTHER_COURSES, PREFACE_OVERVIEW, plain

HANDOFF_BUTTON = ("转人工客服", "/request_human")
START_ADVICE_BUTTON = ("帮我选服务", "/ask_recommendation")
EXAMPLE_QUESTIONS = (
    ("AWD每月仓储费是多少？", '/ask_service{"service":"AWD","attribute":"fee"}'),
    ("SEND空运到日本几天？", '/ask_service{"service":"SEND","attribute":"transit_time","marketplace":"JP"}'),
    ("AGL和SEND怎么选？", '/compare_services{"service":["AGL","SEND"]}'),
    ("头程物流有哪些方案？", '/ask_stage_services{"stage":"first_mile"}'),
)
ATTRIBUTE_ORDER = (
    "definition", "fee", "transit_time", "coverage", "minimum", "modes", "advantages", "suitable",
    "workflow", "discount", "warehouses", "origin", "cargo_types", "services", "requirement",
    "pain_points", "carrier", "signup",
)


@dataclass
class Reply:
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)


def cite(*sections: str) -> str:
    unique = list(dict.fromkeys(s for s in sections if s))
    return f"「来源：{'、'.join(unique)}」" if unique else ""


def payload(intent: str, **entities) -> str:
    """A button payload Rasa parses without NLU: /intent{"entity": "value"}."""
    shown = {k: v for k, v in entities.items() if v}
    return f"/{intent}{json.dumps(shown, ensure_ascii=False, separators=(',', ':'))}" if shown else f"/{intent}"


def _with_source(text: str, *sections: str) -> str:
    return f"{text}\n{cite(*sections)}"


# -- one service ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What narrows an answer: "SEND 空运到日本" → marketplace JP, mode AIR."""

    marketplace: str | None = None
    us_region: str | None = None
    mode: str | None = None
    sea_service: str | None = None
    sea_services: tuple[str, ...] = ()  # "普船和快船" side by side
    regions: tuple[str, ...] = ()  # "美西和美东"
    cargo_size: str | None = None


SOURCE_BUTTON = ("查看原文", "/show_source")


def answer_service(base: KnowledgeBase, service: Service, attribute: str | None, ctx: Context,
                   qtype: str | None = None) -> Reply:
    attribute = attribute or "definition"
    if attribute == "coverage" and ctx.marketplace:
        return _coverage_of(base, service, ctx.marketplace)
    if attribute == "cargo_types" and qtype == "yes_no" and ctx.cargo_size:
        return _carries(base, service, ctx.cargo_size)
    if attribute == "transit_time" and service.data("transit_time", "air_fastest_days"):
        specific = _send_transit(base, service, ctx)
        if specific:
            return specific
    if attribute == "minimum" and ctx.mode in ("AIR", "SEA", "LCL") and service.data("minimum", "air_min_kg"):
        return _send_minimum(service, ctx.mode)
    if attribute == "modes" and ctx.mode and service.data("modes", "modes") is not None:
        return _has_mode(base, service, ctx.mode)
    fact = service.fact(attribute)
    if fact is None:
        return not_documented(base, service, attribute)
    text = fact.answer
    listed = service.data("coverage", "markets") if attribute == "coverage" and qtype == "how_many" else None
    if listed and len(listed) < len(CHINESE_COUNTS):  # "覆盖几个国家": the count of the document's own list
        text = f"共{CHINESE_COUNTS[len(listed)]}个：{text}"
    return Reply(_with_source(text, fact.section), [SOURCE_BUTTON] + _more_about(base, service, exclude=attribute)[:2])


def definition_first(service: Service, reply: Reply) -> Reply:
    """"X是什么 仓储费多少": what X is, then the attribute asked apart from it, cited together."""
    definition = service.fact("definition")
    body, sections = _cited(reply.text)
    if definition is None or definition.answer in body:
        return reply
    return Reply(_with_source(f"{definition.answer}\n{body}", definition.section, *sections), reply.buttons)


def _cited(text: str) -> tuple[str, list[str]]:
    """A reply's text without its closing citation, and the sections that citation names."""
    match = re.search(r"\n?「来源：([^」]*)」\s*$", text)
    return (text[:match.start()], match.group(1).split("、")) if match else (text, [])


# Counts said in words: a count of a list the document gives is not a figure the document lacks.
CHINESE_COUNTS = ("零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


def _coverage_of(base: KnowledgeBase, service: Service, market: str) -> Reply:
    fact = service.fact("coverage")
    name = base.label("marketplace", market)
    markets = covered_markets(base, service.id)
    if fact is None:
        return not_documented(base, service, "coverage")
    if markets is None:  # the document gives no list to check the market against: what it does say
        return Reply(_with_source(fact.answer, fact.section), [SOURCE_BUTTON])
    covered = covers(base, markets, market)
    verdict = f"支持。{service.short} 覆盖{name}{_european_part(base, markets, market)}。" if covered else \
        f"不支持。资料里 {service.short} 的覆盖范围没有{name}。"
    buttons = [] if covered else [("帮我选能到" + name + "的服务", payload("ask_recommendation", marketplace=market))]
    text, sections = f"{verdict}\n{fact.answer}", [fact.section]
    others = [] if covered else alternatives_for(base, service, market)
    if others:  # "发日本可以用AGL吗": no, and what does go there
        text += f"\n{name}可以看 " + "、".join(o.short for o in others) + f"：资料里它的覆盖范围有{name}。"
        sections += [coverage.section for o in others if (coverage := o.fact("coverage"))]  # each has one
    return Reply(_with_source(text, *sections), buttons)


def _european_part(base: KnowledgeBase, markets: set[str], market: str) -> str:
    """"欧洲" asked of a service that lists European countries: which of them ("的英国、德国")."""
    if market != "EU" or "EU" in markets and "UK" in markets:
        return ""
    listed = _european(base, markets)
    return "的" + "、".join(base.label("marketplace", m) for m in listed) if listed else ""


def _european(base: KnowledgeBase, markets) -> list[str]:
    """The European countries among markets a service lists ("欧洲" asked of it): the UK, then the EU's."""
    return [m for m in ("UK", *base.vocabulary.get("eu_members", ())) if m in markets]


def alternatives_for(base: KnowledgeBase, service: Service, market: str) -> list[Service]:
    """The services of the same stage that move goods (not a tracking system) to a market this one
    does not reach."""
    out = []
    for other_id in base.stage_services.get(service.stage, ()):
        other = base.services[other_id]
        markets = covered_markets(base, other_id)
        if other_id != service.id and markets and covers(base, markets, market) and other.data("modes", "modes") and other.fact("coverage"):
            out.append(other)
    return out


def _send_transit(base: KnowledgeBase, service: Service, ctx: Context) -> Reply | None:
    fact = service.fact("transit_time")
    assert fact is not None  # answer_service() found its air_fastest_days
    air = fact.data["air_fastest_days"]
    sea = fact.data["sea_days_us"]
    wants_sea = ctx.mode in ("SEA", "LCL") or ctx.sea_service or ctx.us_region
    market = ctx.marketplace
    if wants_sea:
        if market and market != "US":
            text = (f"资料只给出了 {service.short} 到美国的海运时效，没有{base.label('marketplace', market)}的海运时效。"
                    f"{base.label('marketplace', market)}可查的是空运：" + _air_line(base, air, market))
            return Reply(_with_source(text, fact.section), [HANDOFF_BUTTON])
        return Reply(_with_source(_sea_lines(base, service, sea, ctx), fact.section))
    if market:
        if market in air:
            text = f"{service.short} 空运中国至{base.label('marketplace', market)}最快{air[market]}天（时效仅供参考，实际可能受多种因素影响）。"
            if market == "US" and ctx.mode != "AIR":
                text += "\n海运到美国（开船次日算起）：\n" + _sea_lines(base, service, sea, ctx, header=False)
            return Reply(_with_source(text, fact.section))
        european = _european(base, air) if market == "EU" else []
        if european:  # "那欧洲呢": the European countries it lists, each with its time
            each = "、".join(f"{base.label('marketplace', m)}最快{air[m]}天" for m in european)
            text = f"{service.short} 空运中国至欧洲，资料列出的是：{each}（时效仅供参考，实际可能受多种因素影响）。"
            return Reply(_with_source(text, fact.section))
        listed = "、".join(base.label("marketplace", m) for m in air)
        text = f"资料没有 {service.short} 到{base.label('marketplace', market)}的时效——它的空运时效只列了{listed}。"
        return Reply(_with_source(text, fact.section), [HANDOFF_BUTTON])
    return None


def _air_line(base: KnowledgeBase, air: dict, market: str) -> str:
    if market in air:
        return f"中国至{base.label('marketplace', market)}最快{air[market]}天。"
    return "资料也没有列出。"


def _sea_lines(base: KnowledgeBase, service: Service, sea: dict, ctx: Context, header: bool = True) -> str:
    asked = [x for x in ctx.sea_services if x in sea] or (
        [ctx.sea_service] if ctx.sea_service is not None and ctx.sea_service in sea else [])
    services = asked or list(sea)
    regions = list(ctx.regions) or ([ctx.us_region] if ctx.us_region else ["WEST", "CENTRAL", "EAST"])
    lines = []
    for s in services:
        cells = "、".join(f"{_region_short(base, r)}{sea[s][r]}天" for r in regions)
        lines.append(f"{base.label('sea_service', s)}：{cells}")
    head = f"{service.short} 海运到美国（开船次日算起）：\n" if header else ""
    return head + "\n".join(lines) + "\n时效仅供参考，实际可能受多种因素影响。"


def _region_short(base: KnowledgeBase, region: str) -> str:
    """The document's own word for a US region: 西部, 中部, 东部."""
    label = base.label("us_region", region)
    return label.split("（")[1].rstrip("）") if "（" in label else label


def _send_minimum(service: Service, mode: str) -> Reply:
    fact = service.fact("minimum")
    assert fact is not None  # answer_service() found its air_min_kg
    if mode == "AIR":
        text = f"{service.short} 空运{fact.data['air_min_kg']:g}KG起运。"
    else:
        text = f"{service.short} 海运{fact.data['sea_min_cbm']:g}CBM起运。"
    return Reply(_with_source(text + "（" + fact.answer + "）", fact.section))


def _has_mode(base: KnowledgeBase, service: Service, mode: str) -> Reply:
    fact = service.fact("modes")
    assert fact is not None  # answer_service() found its modes
    modes = set(fact.data.get("modes", ())) | set(fact.data.get("sea_services", ()))
    sea_modes = {"SEA", "FCL", "LCL"}
    has = mode in modes or (mode == "SEA" and modes & sea_modes)
    name = base.label("transport_mode", mode)
    verdict = f"有。{service.short} 有{name}。" if has else f"没有。资料里 {service.short} 没有列出{name}。"
    return Reply(_with_source(f"{verdict}\n{fact.answer}", fact.section))


def _carries(base: KnowledgeBase, service: Service, size: str) -> Reply:
    fact = service.fact("cargo_types")
    assert fact is not None  # the dialogue asks for an attribute only of a service that has it
    sizes = fact.data.get("cargo_sizes", ())
    name = base.label("cargo_size", size)
    verdict = f"可以。{service.short} 承运{name}。" if size in sizes else f"不行。资料里 {service.short} 的货件类型没有{name}。"
    return Reply(_with_source(f"{verdict}\n{fact.answer}", fact.section), [SOURCE_BUTTON])


def not_documented(base: KnowledgeBase, service: Service, attribute: str | None) -> Reply:
    """The document does not say: plainly, with what it does say about the service and a way on."""
    known = [a for a in ATTRIBUTE_ORDER if service.fact(a)]
    what = f"的「{base.label('attribute', attribute)}」信息" if attribute else "这方面的内容"
    text = (f"资料里没有 {service.display} {what}，我不能替你估计。"
            f"关于 {service.short}，我能讲：{'、'.join(base.label('attribute', a) for a in known)}。"
            "具体价格或政策可以转人工客服确认。")
    buttons = [(f"{service.short} {base.label('attribute', a)}", payload("ask_service", service=service.id, attribute=a))
               for a in known[:3]]
    return Reply(text, buttons + [HANDOFF_BUTTON])


def _more_about(base: KnowledgeBase, service: Service, exclude: str) -> list[tuple[str, str]]:
    others = [a for a in ATTRIBUTE_ORDER if a != exclude and service.fact(a)][:3]
    return [(f"{service.short} {base.label('attribute', a)}", payload("ask_service", service=service.id, attribute=a))
            for a in others]


# -- the document's own statements, yes/no verdicts, the quote behind an answer -------------------------

# How a yes or a no is said, by the verb the seller asked with ("能…吗" → 可以 / 不行).
_VERDICT_WORDS = (
    (("才能", "才可以", "才行"), "是的。", "不用。"),  # "要100公斤以上才能发吗": a condition, not an ability
    (("是不是", "是否"), "是的。", "不是。"),
    (("能不能", "能否", "可不可以", "可以", "能", "行不行", "行"), "可以。", "不行。"),
    (("有没有", "有无", "有"), "有。", "没有。"),
    (("支不支持", "支持"), "支持。", "不支持。"),
    (("需不需要", "要不要", "需要", "要", "用不用", "得"), "需要。", "不需要。"),
    (("会不会", "会"), "会。", "不会。"),
    (("是",), "是的。", "不是。"),
)
VERDICT_UNKNOWN = "资料里没有明确说。最相关的是："
VERDICT_NOT_ALWAYS = "不一定。"
VERDICT_NO_PRICE = "资料没有给出这项的收费标准，我不能替你判断要不要另外收费。资料里相关的是：\n"
# How a no begins, whatever the verb ("不支持。", "不行。", "没有。", "资料里…没有").
NEGATIVE_LEADS = ("不", "没有", "资料里没有", "资料没有", VERDICT_NOT_ALWAYS)


def verdict_word(question: str, yes: bool) -> str:
    # "所有站点都能用吗" asks 能, not 有; "要是…也合适吗" sets a condition, it asks no 要
    question = re.sub(r"所有|没有列出|要是|如果|假如|记得|觉得|晓得|获得", "", question)
    for words, positive, negative in _VERDICT_WORDS:
        if any(w in question for w in words):
            return positive if yes else negative
    return "是的。" if yes else "不是。"


def leads_with_verdict(text: str) -> bool:
    return text.startswith(tuple(w for _, yes, no in _VERDICT_WORDS for w in (yes, no)) + (VERDICT_NOT_ALWAYS,))


def without_verdict(text: str) -> str:
    """A reply's text without the yes/no line it leads with (another verdict is to be put first)."""
    return text.split("\n", 1)[1] if leads_with_verdict(text) and "\n" in text else text


def with_verdict(reply: Reply, verdict: str | None, question: str) -> Reply:
    """A yes/no question gets its yes or no first, then the answer that supports it."""
    if verdict in ("yes", "no"):
        return Reply(verdict_word(question, verdict == "yes") + reply.text, reply.buttons)
    if verdict == "not_always":
        return Reply(VERDICT_NOT_ALWAYS + reply.text, reply.buttons)
    if verdict == "no_price":
        return Reply(VERDICT_NO_PRICE + reply.text, reply.buttons + [HANDOFF_BUTTON])
    return reply


def with_unlisted(reply: Reply, place: str) -> Reply:
    """The answer to "能从X起运吗" when X is not among the ports the document lists."""
    return Reply(f"资料列出的启运地里没有{place}，没有说明能否从那里起运。" + reply.text, reply.buttons)


def statement_answer(base: KnowledgeBase, statement, siblings: list, verdict: str | None, question: str,
                     price_missing: bool | str = False, also=None) -> Reply:
    """A statement of the document as the answer: verbatim, under its heading, with its footnote,
    and for a list or a table the whole of it."""
    heading = statement.heading
    points = len({x.heading for x in siblings}) > 1
    if points:  # the points a heading heads: their own headings (a point's footnote is its own)
        body, heading = "；".join(x.heading for x in siblings) + "。", statement.parent
    elif len(siblings) > 1:
        body = "；".join(x.text.rstrip("；;。") for x in siblings) + "。"
    else:
        body = statement.text
    if heading and heading not in body and _labels(heading, statement.kind):
        body = f"{heading}：{body}"
    if statement.note and statement.note not in body and not points:
        body += f"（注：{statement.note}）"
    body = _naming_its_service(base, statement, body, question) + body
    sections = [statement_section(statement)]
    if also is not None:  # a second statement that says more of it
        body += f"\n另外：{also.text}" + (f"（注：{also.note}）" if also.note else "")
        sections.append(statement_section(also))
    lead = ""
    if verdict == "unknown":
        lead = VERDICT_UNKNOWN
    elif verdict in ("yes", "no"):
        lead = verdict_word(question, verdict == "yes")
    elif verdict == "not_always":
        lead = VERDICT_NOT_ALWAYS
    if price_missing:  # a fee's name when the document names that fee without an amount
        what = f"{price_missing}的收费标准" if isinstance(price_missing, str) else "具体价格"
        lead = f"资料没有给出{what}。资料里相关的是：" + lead
    chapter = statement.id.rsplit("#", 1)[-1] if statement.kind == "chapter" else None
    if chapter and chapter != "3.1" and chapter not in base.documented_chapters and not base.has_cue("navigation", question):
        lead = OTHER_CHAPTER_LEAD + lead  # "入门礼包有啥福利": another chapter's title is all this one says
    return Reply(_with_source(lead + body, *sections), [SOURCE_BUTTON])


OTHER_CHAPTER_LEAD = "本章资料没有展开这部分，只在课程路径图里提到这一章：\n"


# A heading this short is shown before its statement ("优先入仓：…"); a longer one is a table's caption.
MAX_SHOWN_HEADING = 30


def shows_heading(statement) -> bool:
    return _labels(statement.heading, statement.kind)


def _labels(heading: str | None, kind: str = "") -> bool:
    """Whether a heading is shown before its statement: short, and not a question ("…哪些环节呢？"
    introduces its list; it labels nothing)."""
    heading = (heading or "").strip()
    return bool(heading) and len(heading) <= MAX_SHOWN_HEADING and kind not in ("toc", "chapter", "note") \
        and not heading.endswith(("？", "?"))


def _naming_its_service(base: KnowledgeBase, statement, body: str, question: str) -> str:
    """"【AGL（亚马逊全球物流）】" before a statement of a service's section that does not name it, when
    the question did not either ("哪个服务提供两种船型"): the seller learns whose point it is."""
    about = base.about(statement)
    if len(about) != 1 or statement.kind in ("toc", "chapter", "link"):
        return ""
    named = {m.value for m in base.mentions(f"{body} {question}") if m.entity == "service"}
    service = base.services.get(next(iter(about)))
    return "" if service is None or about & named else f"【{service.display}】"


def naming(base: KnowledgeBase, service: Service, reply: Reply) -> Reply:
    """One of several services' answers, led by its name when its text does not say it."""
    if any(m.entity == "service" and m.value == service.id for m in base.mentions(reply.text)):
        return reply
    return Reply(f"【{service.display}】{reply.text}", reply.buttons)


def statement_section(statement) -> str:
    # the further courses are on the closing page, after its course map
    if statement.id.startswith(PREFACE_OVERVIEW):  # the key-points page's short definitions, under 1.3/1.4/1.5
        return PREFACE_OVERVIEW
    return {"课程路径图": "课程路径图", "目录": "目录", FURTHER_COURSES: f"课程路径图（{FURTHER_COURSES}）"}.get(
        statement.section, statement.section)


def names_answer(base: KnowledgeBase, names, english_asked: bool) -> Reply:
    """"MCD英文叫啥", "FCL和LCL啥差别": the document's own expansion of each abbreviation, and the
    list they stand in together ("海运服务：海运快船 (FO)；海运普船 (SO)")."""
    lines, sections = [], []
    for name in names:
        line = f"{name.short} 的中文名是「{name.chinese}」"
        if name.english and name.english != name.short:
            line += f"，英文全称是 {name.english}"
        line += "。"
        if english_asked and not name.english:
            line += f"资料里没有给出 {name.short} 的英文全称。"
        lines.append(line)
        sections.append(name.section)
    together = _shared_list(base, names) if len(names) > 1 else None
    if together is not None:
        lines.append(f"资料里它们列在一起——{together[0]}")
        sections.append(together[1])
    return Reply(_with_source("\n".join(lines), *sections), [SOURCE_BUTTON])


def _shared_list(base: KnowledgeBase, names) -> tuple[str, str] | None:
    for statement in base.statements:
        if statement.kind in ("item", "cell") and names[0].short in statement.text:
            group = base.statement_index.group(statement)
            if all(any(n.short in x.text for x in group) for n in names):
                return f"{statement.heading}：" + "；".join(x.text for x in group), statement.section
    return None


def course_list(statements) -> Reply:
    """The document's courses, under their headings ("相关课程列表：…"), with what it says of them."""
    lines, heading = [], None
    for s in statements:
        if s.kind in ("link", "item") and s.heading != heading:
            heading = s.heading
            lines.append(f"{heading}：")
        lines.append(f"· {s.text}" if s.kind in ("link", "item") else s.text)
    sections = list(dict.fromkeys(statement_section(s) for s in statements))
    return Reply(_with_source("\n".join(lines), *sections))


def pages(lines) -> Reply:
    return Reply(_with_source("\n".join(x.text for x in lines), "目录"))


def not_yet(clause: str, section: str) -> Reply:
    """"即将上线" in the answer just shown, asked about: not yet, in the document's words."""
    return Reply(_with_source(f"还没有：{clause.strip()}。", section), [SOURCE_BUTTON])


def not_the_same(base: KnowledgeBase, ids: list[str], comparison: Reply) -> Reply:
    """"X和Y是一回事吗": no, and how they differ."""
    names = "和".join(base.services[i].short for i in ids[:2])
    return Reply(f"不是一回事，{names}是不同的服务：\n{comparison.text}", comparison.buttons)


def not_said(nearest: Reply) -> Reply:
    """The document does not answer this; what it says nearest to it, under that heading."""
    return Reply("资料里没有直接讲到这一点，我不能替你判断。资料里相关的是：\n" + nearest.text,
                 nearest.buttons[:1] + [HANDOFF_BUTTON])


def not_in_document(base: KnowledgeBase, closest=None) -> Reply:
    text = "资料里没有讲到这个问题，我不能替你回答或估计。"
    if closest is not None:
        text += f"\n资料里最接近的一句（{statement_section(closest)}）：「{closest.text}」"
    text += "\n具体情况可以转人工客服确认。"
    return Reply(text, [HANDOFF_BUTTON, START_ADVICE_BUTTON])


def source(base: KnowledgeBase, ref) -> Reply:
    """「查看原文」: the verbatim text behind the last answer."""
    ref = tuple(ref or ())
    if ref[:1] == ("statement",) and len(ref) == 2:
        found = base.statement(ref[1])
        if found is not None:
            lines = [x.text for x in base.statement_index.group(found)]
            head = " / ".join(x for x in (found.parent, found.heading) if x)
            text = f"原文（{statement_section(found)} {found.title}）：\n" + (f"{head}\n" if head else "") + "\n".join(lines)
            if found.note:
                text += f"\n* {found.note}"
            return Reply(text)
    fact = fact_for(base, ref)
    if fact is not None and fact.quotes:
        quotes = "\n".join(f"「{plain(q)}」" for q in fact.quotes)
        return Reply(f"原文（{fact.section}）：\n{quotes}")
    return Reply("上一条回答没有可以展示的原文。问我一个具体问题，回答后点「查看原文」就能看到出处。")


def fact_for(base: KnowledgeBase, ref: tuple):
    if len(ref) == 3 and ref[0] == "fact":
        owner, attribute = ref[1], ref[2]
        if owner in base.services:
            return base.services[owner].fact(attribute)
        table = {"concept": base.concepts, "stage": base.stages, "pain": base.pain_points}.get(owner)
        if table is not None:
            return table.get(attribute)
        if owner == "course":
            return base.course_fact
    return None


def part_of_answer(part: str, section: str, *also: str) -> Reply:
    """One part of the last answer again, on its own: what a follow-up asked about, cited as the
    whole answer was."""
    return Reply(_with_source(re.sub(r"^[①②③④⑤⑥⑦⑧⑨]\s*", "", part).rstrip("；;"), section, *also))



def judged(base: KnowledgeBase, service: Service, suits: bool, reasons, instead=()) -> Reply:
    """"能用PCP把深圳的货发美国吗": the advisor's verdict on one service for the stated situation, and
    for a no what fits instead."""
    lead = f"可以，{service.short} 适合这种情况：" if suits else f"不行，{service.short} 不适合这种情况："
    lines = [lead] + [f"· {r.text}" for r in _dedupe(reasons)]
    if instead:
        lines.append("这种情况可以看：" + "、".join(s.short for s in instead) + "。")
    return Reply(_with_source("\n".join(lines), *[r.section for r in reasons]), [START_ADVICE_BUTTON])


def variants(base: KnowledgeBase, service: Service, ctx: Context, modes: list[str]) -> Reply:
    """One service's own options side by side: SEND's boat types and regions, or air against sea."""
    fact = service.fact("transit_time")
    if fact is not None and "air_fastest_days" in fact.data:
        air, sea = fact.data["air_fastest_days"], fact.data["sea_days_us"]
        if "AIR" in modes and any(m in modes for m in ("SEA", "LCL")):
            market = ctx.marketplace
            air_line = (_air_line(base, air, market) if market else
                        "、".join(f"中国至{base.label('marketplace', m)}最快{d}天" for m, d in air.items()) + "。")
            lines = [f"{service.short} 空运和海运对比：", f"▪ 空运：{air_line}"]
            lines.append("▪ 海运（资料只给了美国，开船次日算起）：\n" + _sea_lines(base, service, sea, ctx, header=False))
            minimum = service.fact("minimum")
            sections = [fact.section]
            suitable = service.fact("suitable")
            if suitable is not None:  # "空运和海运选哪个": what each is for
                lines.insert(1, f"▪ 怎么选：{suitable.answer}")
                sections.append(suitable.section)
            if minimum is not None:
                lines.append(f"▪ 起运量：{minimum.answer}")
                sections.append(minimum.section)
            return Reply(_with_source("\n".join(lines), *sections), [SOURCE_BUTTON])
        if ctx.sea_services or ctx.regions:
            return Reply(_with_source(_sea_lines(base, service, sea, ctx), fact.section), [SOURCE_BUTTON])
    modes_fact = service.fact("modes")  # "整柜还是拼箱": the modes it has
    if modes_fact is not None:
        return Reply(_with_source(modes_fact.answer, modes_fact.section), [SOURCE_BUTTON])
    return not_documented(base, service, "modes")


# -- comparisons ---------------------------------------------------------------------------------

_BRIEF_LABELS = {
    "coverage": "覆盖",
    "modes": "运输方式",
    "minimum": "起运量",
    "transit_time": "时效",
    "warehouses": "送达/存放",
    "suitable": "适合",
}


def compare(base: KnowledgeBase, ids: list[str], attribute: str | None = None, choosing: bool = False) -> Reply:
    comparison = base.compare(ids)
    services = comparison.services
    if len(services) < 2:
        return Reply("想比较哪两个服务？比如「AGL跟SEND哪个适合我」「FBA和MCF怎么选」。", list(EXAMPLE_QUESTIONS[2:3]))
    if attribute is not None and all(s.fact(attribute) is not None for s in services):
        return _compare_attribute(base, services, attribute)
    # an attribute not every one has ("分别管什么" of AWD and its function MCD): what each one is, side by side
    names = " vs ".join(s.short for s in services)
    lines, sections = [f"{names}："], []
    for service in services:
        identity = _identity(service)
        if identity:
            lines.append(f"▪ {service.short} 是什么——{identity[0]}")
            sections.append(identity[1])
    lines.append("按决定选择的几点对比：")
    rows = comparison.rows
    if len(stages := {s.stage for s in services}) == 1 and len(rows) > 4 and not choosing:
        rows = tuple(r for r in rows if r[0] != "suitable")  # same stage: the data rows decide (which one to use: its use too)
    for attribute, facts in rows:
        cells = []
        for service, fact in zip(services, facts, strict=True):
            brief = _brief(base, service, attribute, fact)
            cells.append(f"{service.short}：{brief}")
            if fact is not None:
                sections.append(fact.section)
        lines.append(f"▪ {_BRIEF_LABELS[attribute]}——" + "；".join(cells))
    stages = {s.stage for s in services}
    if len(stages) > 1:
        lines.append("注意：它们属于不同环节（" + "、".join(f"{s.short}={STAGE_LABELS[s.stage]}" for s in services)
                     + "），往往是搭配使用而不是二选一。")
    factors = deciding_factors(base, [s.id for s in services])
    if factors:
        lines.append("怎么选，看这几点：" + "、".join(factors) + "。把这些告诉我，我可以直接帮你选。")
    else:
        lines.append("告诉我货从哪发、卖哪个站、急不急、货量多少，我可以直接帮你选。")
    return Reply(_with_source("\n".join(lines), *sections), [START_ADVICE_BUTTON])


def _identity(service: Service) -> tuple[str, str] | None:
    """What a service is and who provides it, in one line: its definition's first sentence and its carrier."""
    definition = service.fact("definition")
    if definition is None:
        return None
    text = _first_sentence(definition.answer)
    carrier = service.fact("carrier")
    if carrier is not None:
        text += f"（{_first_sentence(carrier.answer)}）"
    return text, definition.section


def _compare_attribute(base: KnowledgeBase, services, attribute: str) -> Reply:
    """"AWD跟FBA存货谁更省钱": each service's fact for that attribute, side by side."""
    label = base.label("attribute", attribute)
    lines, sections = [f"{' vs '.join(s.short for s in services)}：{label}"], []
    for service in services:
        fact = service.fact(attribute)
        if fact is None:
            lines.append(f"▪ {service.short}：资料没有给出{label}。")
        else:
            lines.append(f"▪ {fact.answer}")
            sections.append(fact.section)
    return Reply(_with_source("\n".join(lines), *sections), [START_ADVICE_BUTTON])


def _brief(base: KnowledgeBase, service: Service, attribute: str, fact: Fact | None) -> str:
    if fact is None:
        return "资料未给出"
    data = fact.data
    if attribute == "coverage" and "markets" in data:
        return "、".join(base.label("marketplace", m) for m in data["markets"])
    if attribute == "modes" and "modes" in data:
        modes = [base.label("transport_mode", m) for m in data["modes"]]
        sea = [base.label("sea_service", s) for s in data.get("sea_services", ())]
        return "、".join(modes) + (f"（{'/'.join(sea)}）" if sea else "")
    if attribute == "minimum" and "air_min_kg" in data:
        return f"空运{data['air_min_kg']:g}KG、海运{data['sea_min_cbm']:g}CBM起运"
    if attribute == "transit_time" and "air_fastest_days" in data:
        fastest = min(data["air_fastest_days"].values())
        return f"空运最快{fastest}天起；海运只给了美国时效"
    if attribute == "warehouses" and "warehouses" in data:
        return "、".join(base.label("warehouse", w) for w in data["warehouses"])
    return _first_sentence(fact.answer)


def _first_sentence(text: str) -> str:
    for stop in ("。", "；"):
        if stop in text:
            return text.split(stop)[0]
    return text


# -- concepts, stages, pain points, the course -----------------------------------------------------


def concept(base: KnowledgeBase, key: str) -> Reply:
    fact = base.concepts[key]
    buttons = []
    if key in base.stage_services:
        buttons.append((f"{STAGE_LABELS[key]}有哪些服务", payload("ask_stage_services", stage=key)))
    return Reply(_with_source(fact.answer, fact.section, *overview_also(base, fact)), buttons)


def overview_also(base: KnowledgeBase, fact: Fact) -> list[str]:
    """The key-points page (卖家百科划重点) when it says what the fact quotes too ("卖家自配送 (MFN)",
    "仓储：包括入库、储存、出库等")."""
    overview = [x.text for x in base.statements if x.id.startswith(PREFACE_OVERVIEW)] + [
        q for c in base.concepts.values() if c.section == PREFACE_OVERVIEW for q in c.quotes]  # its learning path too
    said = any(len(quote) >= 6 and any(quote in text or len(text) >= 6 and text in quote for text in overview)
               for quote in fact.quotes)
    return [PREFACE_OVERVIEW] if said and fact.section != PREFACE_OVERVIEW else []


def stage_services(base: KnowledgeBase, stage: str | None) -> Reply:
    if stage is None:
        lines = [f"▪ {STAGE_LABELS[s]}：" + "、".join(x.short for x in base.services_in_stage(s)) for s in base.stages]
        text = "亚马逊的跨境供应链服务按环节分：\n" + "\n".join(lines)
        return Reply(_with_source(text, base.stages["first_mile"].section, base.stages["end_to_end"].section),
                     [(f"{STAGE_LABELS[s]}怎么选", payload("ask_stage_services", stage=s)) for s in ("first_mile", "warehousing", "last_mile")])
    fact = base.stages[stage]
    buttons = [(f"{s.short}是什么", payload("ask_service", service=s.id, attribute="definition"))
               for s in base.services_in_stage(stage)]
    return Reply(_with_source(fact.answer, fact.section), buttons[:4])


def lineup(base: KnowledgeBase, stage: str, open_services, excluded: dict, summary: str) -> Reply:
    """A stage's services for the seller's situation: those it leaves open, each with what it is, then
    those it rules out with the advisor's reason."""
    lines = [f"{STAGE_LABELS[stage]}（{summary}）可以用：" if summary else f"{STAGE_LABELS[stage]}可以用："]
    sections = []
    for service in open_services:
        fact = service.fact("definition")
        said = _first_sentence(fact.answer) if fact else ""
        lines.append(f"· {said}" if said.startswith(service.short) else f"· {service.display}：{said}" if said
                     else f"· {service.display}")
        sections.append(fact.section if fact else service.section)
    for service_id, reasons in excluded.items():
        if reasons:
            lines.append(f"不适用 {base.services[service_id].short}：{reasons[0].text}")
            sections.append(reasons[0].section)
    return Reply(_with_source("\n".join(lines), *dict.fromkeys(sections)),
                 [(f"{x.short}是什么", payload("ask_service", service=x.id, attribute="definition")) for x in open_services[:4]])


def pain_points(base: KnowledgeBase, stage: str | None) -> Reply:
    fact = base.pain_points.get(stage or "overall", base.pain_points["overall"])
    buttons = [] if stage else [
        (f"{STAGE_LABELS[s]}的痛点", payload("ask_pain_points", stage=s)) for s in ("first_mile", "warehousing", "last_mile")
    ]
    return Reply(_with_source(fact.answer, fact.section), buttons)


def course_map(base: KnowledgeBase) -> Reply:
    lines = [f"{c.id} {c.title}" for c in base.chapters]
    text = ("课程路径图共9章：\n" + "\n".join(lines) +
            "\n我掌握的是 3.1「亚马逊的跨境供应链服务」的内容；其他章节资料里只有标题，具体内容我答不了。")
    return Reply(_with_source(text, base.course_fact.section))


# -- routing advice ------------------------------------------------------------------------------


LOAD_LABELS = {"full_container": "整柜", "below_air_min": "货量低于 {minimum_of} 的起运量",
               "small": "货量不大", "medium": "货量中等", "bulk": "货量大"}


def situation_summary(base: KnowledgeBase, s: Situation) -> str:
    parts = []
    if s.assumed_origin:
        parts.append("按从中国发货理解（货已在目的国的话请告诉我）")
    elif s.origin == DESTINATION:
        parts.append("货已在目的国境内")
    elif s.origin == "CN":
        parts.append("从中国发货")
    elif s.origin:
        parts.append(f"货在{base.label('marketplace', s.origin)}境内")
    if s.effective_destination:
        parts.append(f"卖{base.label('marketplace', s.effective_destination)}站")
    if s.supplier and s.effective_origin and s.effective_destination:  # the document's two kinds (1.1.3)
        parts.append({"cross_border": "属于跨境供货商", "domestic": "属于境内供货商"}[s.supplier])
    if s.urgency:
        parts.append(base.label("urgency", s.urgency))
    if s.load:
        minimum_of = base.services[base.routing_rules["load"]["minimum_of"]].short
        parts.append(LOAD_LABELS[s.load].format(minimum_of=minimum_of))  # a class, never the seller's own figure
    for name in ("mode", "cargo_size"):
        value = getattr(s, name)
        if value and not (name == "mode" and value == "FCL" and s.full_container):
            parts.append(base.label("transport_mode" if name == "mode" else name, value))
    if s.target:
        parts.append(f"送到{base.label('warehouse', s.target)}")
    if s.inventory:
        parts.append(f"库存在{base.label('warehouse', s.inventory)}")
    parts += [base.label("sales_channel", b) for b in sorted(s.buyers)]
    if s.fulfillment:
        parts.append(base.label("fulfillment", s.fulfillment))
    parts += [base.label("product_trait", t) for t in sorted(s.traits)]
    parts += [base.label("need", n) for n in sorted(s.needs)]
    return "，".join(parts)


def question(base: KnowledgeBase, name: str, advice: Advice | None = None) -> Reply:
    spec = base.routing_rules["questions"][name]
    entity = {"origin": "origin", "destination": "marketplace", "urgency": "urgency", "load": "quantity",
              "mode": "transport_mode", "target": "warehouse", "fulfillment": "fulfillment",
              "inventory": "warehouse", "buyers": "sales_channel"}[name]
    buttons = [(title, payload("inform", **{entity: value})) for title, value in spec["buttons"]]
    known = situation_summary(base, advice.situation) if advice is not None else ""
    lead = f"已记下：{known}。\n" if known else ""
    options = question_options(base, advice.situation, name) if advice is not None else []
    sections: list[str] = []
    if len({service for _, service, _ in options}) > 1:
        names = "、".join(dict.fromkeys(base.services[svc].short for _, svc, _ in options))
        lead += f"目前可选 {names}，关键看{spec['factor']}：\n"
        for title, service_id, reason in options:
            lead += f"· {title}：{base.services[service_id].short}——{reason.text}\n"
            sections.append(reason.section)
        assert advice is not None  # the options come from it
        sections += _narrowing_sections(advice, {service for _, service, _ in options})
    elif options:  # one candidate whatever the answer, unless the answer rules it out: say which and why
        _, service_id, reason = options[0]
        lead += f"目前合适的是 {base.services[service_id].short}——{reason.text}\n"
        assert advice is not None  # the options come from it
        sections += [reason.section, *_narrowing_sections(advice, {service_id})]
    settled = _settled_stages(base, advice, name) if advice is not None else []
    for stage_label, service_id, reason in settled:  # what is already clear, said while asking the rest
        lead = f"【{stage_label}】推荐 {base.services[service_id].short}——{reason.text}\n" + lead
        sections.append(reason.section)
    text = lead + spec["ask"] + "（不确定可以说「跳过」）"
    if sections:
        text = _with_source(text, *sections)
    return Reply(text, buttons + [("跳过", "/dont_know")])


def _narrowing_sections(advice: Advice, candidates: set[str]) -> list[str]:
    """Where the rules that already ruled other services out come from (who a service is for, 1.1.3):
    they are why these are the candidates."""
    return [reason.section for stage in advice.stages.values() if candidates & {r.service for r in stage.recommended}
            for reasons in stage.excluded.values() for reason in reasons]


def _settled_stages(base: KnowledgeBase, advice: Advice, asking: str) -> list[tuple[str, str, Reason]]:
    """The stages whose recommendation is already clear, other than the one the question is about."""
    from knowledge.routing import _STAGE_QUESTIONS
    out = []
    for stage in advice.stages.values():
        if stage.recommended and stage.clear and asking not in _STAGE_QUESTIONS.get(stage.stage, ()):
            first = stage.recommended[0]
            out.append((STAGE_LABELS[stage.stage], first.service, first.reasons[-1]))
    return out


def recommendation(base: KnowledgeBase, advice: Advice) -> Reply:
    s = advice.situation
    lines = []
    summary = situation_summary(base, s)
    if summary:
        lines.append(f"根据你的情况（{summary}）：")
    sections: list[str] = []
    for stage in advice.stages.values():
        lines.extend(_stage_lines(base, stage, s, sections))
    if not any(st.recommended for st in advice.stages.values()):
        lines.append("这种情况资料里没有给出合适的亚马逊服务，我不能替你判断。可以换个条件问我，或者转人工客服。")
    buttons = [("重新开始", "/start_over")]
    top = [r.service for st in advice.stages.values() for r in st.recommended[:1]]
    buttons = [(f"{base.services[t].short}详细介绍", payload("ask_service", service=t, attribute="definition")) for t in top[:2]] + buttons
    if not top:
        buttons.append(HANDOFF_BUTTON)
    return Reply(_with_source("\n".join(lines), *sections), buttons)


def _stage_lines(base: KnowledgeBase, stage: StageAdvice, s: Situation, sections: list[str]) -> list[str]:
    lines = [f"【{STAGE_LABELS[stage.stage]}】"]
    if stage.recommended:
        first, *rest = stage.recommended
        lines.append(f"推荐 {base.services[first.service].display}：")
        lines += [f"  · {r.text}" for r in _dedupe(first.reasons)]
        sections += [r.section for r in first.reasons]
        highlight = _highlight(base, first.service, s)
        if highlight:
            lines.append(f"  · {highlight[0]}")
            sections.append(highlight[1])
        for other in rest[:2]:
            lines.append(f"也可以考虑 {base.services[other.service].short}：{other.reasons[0].text}")
            sections.append(other.reasons[0].section)
    else:
        lines.append("资料里没有适合这种情况的服务。")
    for service, reasons in list(stage.excluded.items())[:3]:
        if service in base.services and service in _considered(base, stage.stage):
            lines.append(f"不推荐 {base.services[service].short}：{reasons[0].text}")
            sections.append(reasons[0].section)
    for note in _dedupe(stage.caveats + stage.notes):
        lines.append(f"提示：{note.text}")
        sections.append(note.section)
    return lines


def _considered(base: KnowledgeBase, stage: str) -> set[str]:
    return set(base.stage_services.get(stage, ()))


def _dedupe(reasons):
    seen, out = set(), []
    for r in reasons:
        if r.text not in seen:
            seen.add(r.text)
            out.append(r)
    return out


def _highlight(base: KnowledgeBase, service_id: str, s: Situation) -> tuple[str, str] | None:
    """The one number that matters for this seller: SEND's fastest air days to their marketplace, or
    the sea table when they go by sea."""
    service = base.services[service_id]
    fact = service.fact("transit_time")
    if fact is None or "air_fastest_days" not in fact.data:
        return None
    dest = s.effective_destination
    if s.mode in ("SEA", "LCL"):
        if dest and dest != "US":
            return f"注意：资料只给出了 {service.short} 到美国的海运时效，没有{base.label('marketplace', dest)}的。", fact.section
        row = fact.data["sea_days_us"]
        return "海运到美国：" + "；".join(
            f"{base.label('sea_service', k)} 西部{v['WEST']}天/中部{v['CENTRAL']}天/东部{v['EAST']}天" for k, v in row.items()
        ) + "（开船次日算起）", fact.section
    days = fact.data["air_fastest_days"].get(dest)
    if days and dest is not None:
        return f"{service.short} 空运中国至{base.label('marketplace', dest)}最快{days}天（仅供参考）。", fact.section
    return None


def more_said(statements, why: bool) -> Reply:
    """What else the document says where the last answer came from ("还有呢"), or the points beside a
    claim that explain it ("为啥"): each under its own heading."""
    lines = [f"{x.heading}：{x.text}" if _labels(x.heading) else x.text for x in statements]
    lead = "原因：" if why else "资料里还提到：\n"
    body = lead + ("\n".join(f"· {line}" for line in lines) if len(lines) > 1 else lines[0])
    return Reply(_with_source(body, *dict.fromkeys(statement_section(x) for x in statements)), [SOURCE_BUTTON])


def nothing_more(said: str, section: str) -> Reply:
    """"还有呢" when the document says no more there than the last answer did."""
    return Reply(_with_source(f"关于这一点，资料里就这些：{said}", section), [SOURCE_BUTTON])


def reason_given(said: str, section: str) -> Reply:
    """"为啥" right after a yes or a no: what that answer rested on."""
    return Reply(_with_source(f"原因：{said}", section), [SOURCE_BUTTON])


def why(base: KnowledgeBase, advice: Advice | None, service_id: str | None, recommended=(), comparison=None,
        why_not: bool = False) -> Reply:
    if service_id is None or service_id not in base.services:
        return Reply("想问哪个服务为什么（不）推荐？比如「为啥不推荐 SEND」。")
    service = base.services[service_id]
    if advice is None or not advice.stages:
        fact = None if why_not else service.fact("advantages") or service.fact("suitable")
        if fact is not None:  # "凭啥推荐FIST": its advantages, as the document gives them
            return Reply(_with_source(f"{service.short} 的好处：{fact.answer}", fact.section),
                         [START_ADVICE_BUTTON, SOURCE_BUTTON])
        return Reply(f"我们还没聊你的情况。先告诉我货从哪发、卖哪个站，我再解释为什么用或不用 {service.short}。",
                     [START_ADVICE_BUTTON])
    reasons = advice.why_not(service_id)
    if reasons:
        text = f"不推荐 {service.short} 的原因：\n" + "\n".join(f"· {r.text}" for r in _dedupe(reasons))
        sections = [r.section for r in reasons]
        chosen = next((r for st in advice.stages.values() if service_id in st.excluded for r in st.recommended[:1]), None)
        if chosen is not None:  # and what the seller's case calls for instead
            text += f"\n推荐 {base.services[chosen.service].short}：\n" + "\n".join(f"· {r.text}" for r in _dedupe(chosen.reasons))
            sections += [r.section for r in chosen.reasons]
        return Reply(_with_source(text, *sections), [("重新开始", "/start_over")])
    rec = advice.recommendation(service_id)
    if rec is not None:
        text = f"推荐 {service.short} 是因为：\n" + "\n".join(f"· {r.text}" for r in _dedupe(rec.reasons))
        return Reply(_with_source(text, *[r.section for r in rec.reasons]))
    chosen = next((advice.recommendation(s) for s in recommended if advice.recommendation(s)), None)
    if chosen is not None:
        lines = [f"推荐的是 {base.services[chosen.service].short}，不是 {service.short}，因为："]
        lines += [f"· {r.text}" for r in _dedupe(chosen.reasons)]
        sections = [r.section for r in chosen.reasons]
        if comparison is not None:
            lines.append(f"· 资料里的对比：{comparison.text}")
            sections.append(statement_section(comparison))
        suits = service.fact("suitable")
        if suits is not None and service.stage == base.services[chosen.service].stage:
            lines.append(f"· {service.short} 适合的情况：{suits.answer}")  # what it is for, against the seller's case
            sections.append(suits.section)
        if service.stage != base.services[chosen.service].stage:
            lines.append(f"{service.short} 属于{STAGE_LABELS.get(service.stage, service.stage)}环节，可以和它搭配使用。")
        return Reply(_with_source("\n".join(lines), *sections))
    stage = STAGE_LABELS.get(service.stage, service.stage)
    text = (f"{service.short} 属于{stage}环节，和你刚才问的情况不在同一环节，所以没有放进推荐。"
            f"想了解它可以问「{service.short}是什么」。")
    return Reply(text, [(f"{service.short}是什么", payload("ask_service", service=service.id, attribute="definition"))])


# -- the edges: out of scope, unsure, hand-off -----------------------------------------------------


def out_of_scope(base: KnowledgeBase, text: str) -> Reply:
    chapter = base.chapter_for(text)
    if chapter and chapter.id != "3.1":
        lead = (f"这属于课程 {chapter.id}「{chapter.title}」的内容（课程路径图：{chapter.summary}）。"
                "我手上只有 3.1「亚马逊的跨境供应链服务」的资料，这一章的具体内容答不了。")
    else:
        lead = "这个问题超出了我掌握的资料范围，我不想乱答。"
    text = (lead + "\n我能回答亚马逊跨境供应链服务的问题：头程物流（AGL、Amazon SEND、FIST、PCP）、"
            "仓储分销（AWD、MCD）、尾端配送（FBA、MCF、亚马逊快递服务、购买配送）和 AMS，也能帮你选服务。"
            "其他问题可以转人工客服。")
    return Reply(text, list(EXAMPLE_QUESTIONS[:2]) + [START_ADVICE_BUTTON, HANDOFF_BUTTON])


# What "不太确定" offers for the classifier's likeliest intents.
GUESS_BUTTONS = {
    "ask_recommendation": START_ADVICE_BUTTON,
    "ask_stage_services": ("有哪些物流服务", "/ask_stage_services"),
    "ask_concept": ("什么是跨境供应链", payload("ask_concept", concept="supply_chain")),
}


def which_of_them(base: KnowledgeBase, having: list[str], asked_of: int, reply: Reply) -> Reply:
    """"哪个有空运" of the services just compared: which ones, then each one's answer."""
    names = "、".join(base.services[s].short for s in having)
    lead = "都可以。" if len(having) == asked_of else f"是 {names}。" if having else "资料里都没有写明。"
    return Reply(lead + "\n" + reply.text, reply.buttons)


def joint_verdict(reply: Reply, every: bool) -> Reply:
    """"它俩都行吗": one answer for both first, then each one's."""
    return Reply(("都可以。" if every else "不是都可以：") + "\n" + reply.text, reply.buttons)


def unsure(base: KnowledgeBase, guesses: list[tuple[str, str]]) -> Reply:
    text = "抱歉，我不太确定你想问什么。" + ("你是想问：" if guesses else "可以换个说法，或者试试这些：")
    buttons = guesses[:3] or list(EXAMPLE_QUESTIONS[:3])
    return Reply(text, buttons + [HANDOFF_BUTTON])


# -- feedback on an answer ------------------------------------------------------------------------

FEEDBACK_REASON_LABELS = {"irrelevant": "答非所问", "wrong": "信息不对", "unclear": "看不懂", "other": "其他"}


def feedback_buttons() -> list[tuple[str, str]]:
    return [("👍 有用", payload("feedback", feedback="up")), ("👎 没用", payload("feedback", feedback="down"))]


def feedback_thanks() -> Reply:
    return Reply("谢谢你的反馈！有问题继续问我。")


def feedback_ask_reason() -> Reply:
    return Reply("抱歉没帮上忙。哪里不好？选一个就行（不选也没关系，可以直接接着问）。",
                 [(label, payload("feedback", feedback_reason=reason))
                  for reason, label in FEEDBACK_REASON_LABELS.items()])


def feedback_ask_note() -> Reply:
    return Reply("能简单说说哪里不好吗？直接输入就行；不想说也可以直接问下一个问题。")


def feedback_noted() -> Reply:
    return Reply("收到，谢谢！我们会据此改进回答。需要的话也可以说「转人工」。")


def handoff(place: int | None, open_now: bool, hours: str) -> Reply:
    """Queued for a human: where the seller is, and that the bot keeps helping meanwhile."""
    queue = f"你排在第 {place} 位，" if place else ""
    if not open_now:
        return Reply(f"已为你登记转人工。现在不在客服在线时间（{hours}），{queue}客服上线后会在这里回复你。"
                     "这段时间你可以继续问我。")
    return Reply(f"好的，已为你转接人工客服，{queue}客服同事会在这里接手这段对话。等待期间你也可以继续问我。")


def handoff_waiting(place: int | None) -> Reply:
    """Pushed when nobody has taken the request in the configured time; the request stays queued."""
    queue = f"（你排在第 {place} 位）" if place else ""
    return Reply(f"客服同事暂时都在忙，还没能接入{queue}。你的请求仍在排队，接入后会在这里回复你；"
                 "这期间我可以继续帮你，直接问我就好。")


def handoff_cancelled() -> Reply:
    return Reply("好的，已取消转人工。有问题继续问我就好。")


def agent_joined(agent: str) -> Reply:
    return Reply(f"客服{agent}已接入，接下来由{agent}为你解答。想回到智能助手，发「结束人工」即可。")


def handed_back() -> Reply:
    return Reply("已切回智能助手。有问题继续问我就好，需要人工时再说「转人工」。")


def offer_handoff(reply: Reply) -> Reply:
    """After turns the bot could not answer: its reply, then a human instead of another guess."""
    return Reply(reply.text + "\n\n连着几个问题我都没能答好，要不要转人工客服？",
                 [("转人工", "/request_human"), *reply.buttons][:4])


def bad_input() -> Reply:
    return Reply("我没看到文字内容。请用文字描述你的问题，比如「AWD每月仓储费是多少？」。", list(EXAMPLE_QUESTIONS[:2]))


# -- small talk ----------------------------------------------------------------------------------

SERVICES_LINE = ("头程物流（AGL、Amazon SEND、FIST、PCP）、仓储分销（AWD、MCD）、"
                 "尾端配送（FBA、MCF、亚马逊快递服务、购买配送）和 AMS")


def smalltalk(intent: str) -> Reply:
    examples = list(EXAMPLE_QUESTIONS)
    if intent == "greet":
        return Reply("你好！我是亚马逊跨境供应链服务助手，依据亚马逊卖家课程 3.1「亚马逊的跨境供应链服务」回答"
                     f"{SERVICES_LINE}的问题，也能根据你的情况推荐用哪个服务。可以这样问我：",
                     examples + [START_ADVICE_BUTTON])
    if intent == "help":
        return Reply(f"我能做这些：\n① 解释服务：{SERVICES_LINE}是什么、费用、时效、覆盖站点、起运量、优势、流程；\n"
                     "② 比较服务，比如 AGL 和 SEND 怎么选；\n③ 根据你的货从哪发、卖哪个站、急不急、货量多少，推荐头程到尾端的方案；\n"
                     "④ 解释头程、仓储分销、尾端配送等概念和痛点。\n答案都来自课程资料并注明出处；资料里没有的我会直说，也可以转人工客服。",
                     examples[:3] + [START_ADVICE_BUTTON, HANDOFF_BUTTON])
    if intent == "bot_challenge":
        return Reply("我是自动回复的智能助手，不是真人。我的回答都来自亚马逊卖家课程 3.1 的资料；需要真人可以随时说「转人工」。",
                     [HANDOFF_BUTTON])
    if intent == "thank":
        return Reply("不客气！还有物流方面的问题随时问我。")
    if intent == "goodbye":
        return Reply("再见，祝你出单顺利！有问题随时回来问我。")
    if intent == "affirm":
        return Reply("好的。还有什么想了解的？可以问某个服务的费用、时效、覆盖站点，或者让我帮你选服务。",
                     [START_ADVICE_BUTTON])
    return Reply("好的。如果还有别的问题，直接问我就行。", examples[:2])


# -- when something goes wrong -------------------------------------------------------------------------


def non_text_message() -> Reply:
    """An image, voice note, location ... in a chat channel: say what the assistant reads."""
    return Reply(f"抱歉，我目前只能看懂文字消息。请用文字问我亚马逊跨境供应链服务的问题：{SERVICES_LINE}。"
                 "比如「AWD每月仓储费是多少？」", list(EXAMPLE_QUESTIONS[:3]))


def action_unavailable() -> Reply:
    return Reply("抱歉，系统刚才有点忙，这条消息没能回答。请稍后再发一次；着急的话可以说「转人工」联系客服。")


def too_many_messages(seconds: float) -> Reply:
    return Reply(f"消息发得太快了，我先歇一下。请 {max(1, round(seconds))} 秒后再发，我会继续回答。")


def message_cut(limit: int) -> Reply:
    return Reply(f"（你的消息很长，我只读了前{limit}个字。问题分开发，我能答得更准。）")
