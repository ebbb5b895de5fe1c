"""Reading a message in the light of the conversation: what it is about, what kind of answer it
wants, and so which one handler answers it.

The intent is one piece of evidence among several. The knowledge base's entities (services,
attributes, places, the seller's situation), references back to the focus ("后面那个"), the kind of
question (多久, 哪些, 能不能…) and how well the document's statements match decide together, so a
message the classifier files under the wrong intent is still answered by what it names.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace

from conversation.advisor import ANSWER_ENTITIES, SITUATION_ENTITIES
from conversation.focus import Focus, resolve
from conversation.replies import Context, fact_for
from conversation.turn import Turn
from knowledge.kb import KnowledgeBase
from knowledge.routing import NEED_STAGES

SMALLTALK = ("greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help")
EXPLAIN_INTENTS = ("ask_concept", "ask_pain_points", "ask_stage_services", "ask_course_map")
DOMAIN_INTENTS = ("ask_service", "compare_services", "ask_concept", "ask_pain_points", "ask_stage_services",
                  "ask_course_map", "ask_recommendation", "inform", "ask_why", "dont_know")
CONTEXT_ENTITIES = ("marketplace", "us_region", "transport_mode", "sea_service")
# Questions whose answer is a fact of the document, whatever the classifier thought.
_PLAIN_FACT = ("yes_no", "how_many", "how_long", "how_much", "what", "name")
# Questions after a fact, not after advice.
FACT_QUESTIONS = ("how_much", "how_long", "how_many", "what", "name", "which", "yes_no", "how_to", "why")
# The attribute a kind of question asks for when the message names none.
QTYPE_ATTRIBUTE = {"how_much": "fee", "how_long": "transit_time", "how_to": "workflow", "what": "definition"}
# Services named as a warehouse or a way of fulfilling ("进FBA", "卫星仓里", "用FBA") are places or
# situations, not subjects: they become subjects only when nothing else is named.
_PLACE_SERVICES = {"warehouse": {"FC": "FBA", "AWD": "AWD"}, "fulfillment": {"FBA": "FBA"}}
_WAREHOUSES = set(_PLACE_SERVICES["warehouse"].values())
# A warehouse's service right after one of these is where the goods go or stay ("发去美国FBA").
_TOWARDS = re.compile(r"(?:去|到|往|进|入|放|存|送|运|补|→|->)[^，。,；;？?]{0,4}$")
# "供应商发FBA，有啥方案" opening a conversation; right after a service, "发AWD" is what that service does
_SENT = re.compile(r"(?<!自)发(?!货)[^，。,；;？?用走选]{0,4}$")  # "发美国FBA"


# "有哪些方案" asks for a stage's line-up; "用哪个", "推荐" for the one to use.
_LINEUP_ASKED = re.compile(r"哪些|哪几|有啥|有什么|都有")
# Said only where the goods start and go, a line-up question gets the line-up; with a load, an urgency or
# a mode it is advice ("0.3个方有什么头程能走海运").
_ALL_USABLE_ASKED = re.compile(r"(?:能|可以)(?:用|选|走)(?:的)?(?:有)?哪些|哪些(?:能|可以)(?:用|选|走)")
_WHERE_ONLY = {"stage", "origin", "marketplace", "us_region", "attribute"}
_ONE_ASKED_FOR = re.compile(r"哪个|哪一个|哪家|选|推荐|用啥|用什么|走哪|走啥|怎么走|怎么发|最好|合适|划算|便宜|急")

_THIS_STAGE = re.compile(r"[这那]一?个?(?:阶段|环节|段|块|环)")  # "这阶段有啥痛点": the stage just explained

# "比较适合", "比较快": 比较 as "rather", comparing nothing
_ADVERB_BIJIAO = re.compile(r"比较(?=适合|合适|好|快|慢|便宜|贵|划算|多|少|大|小|常见|稳|省|方便|简单|难|容易|重要|靠谱|常用|有用)")

_DETERMINERS = ("这个", "那个", "这些", "那些")


def _without_determiners(turn: Turn, references: dict) -> str:
    """"这个费用能再低点吗": a 这个 right before an attribute points at the attribute, not a service
    ("后者那个时效呢" still points at the second service)."""
    text = turn.text
    pointing = [w for kind in ("first", "second", "last", "other", "both") for w in references.get(kind, ()) if len(w) > 2]
    for e in turn.entities:
        start = e.get("start")
        if e.get("entity") != "attribute" or not isinstance(start, int) or text[max(0, start - 2):start] not in _DETERMINERS:
            continue
        if not any(text[:start].endswith(w) for w in pointing):
            text = text[:start - 2] + "  " + text[start:]
    return text


def _sent_to(text: str, entity: dict, focus: Focus) -> bool:
    start = entity.get("start")
    # spaces left out: "发 意大利 FBA" is typed as "发意大利FBA" is
    before = text[max(0, start - 12):start].replace(" ", "")[-6:] if isinstance(start, int) else None
    return before is not None and bool(_TOWARDS.search(before) or not focus.services and _SENT.search(before))


@dataclass
class Question:
    turn: Turn
    text: str
    intent: str
    confidence: float
    focus: Focus
    named: list[str]  # services the message names as such
    placed: list[str]  # services named only as a warehouse or a fulfilment ("进FBA")
    referenced: list[str]  # services the message points back to ("它", "后面那个")
    negated: set[str]  # services and fulfilments the seller says they do not use
    attributes: list[str]  # attributes named, other than "what is it"
    asks_definition: bool
    qtype: str | None
    stage: str | None
    concept: str | None
    ctx: Context
    modes: list[str] = field(default_factory=list)
    sea_services: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    situation: bool = False
    compare_cue: bool = False
    choice_cue: bool = False
    joined: bool = False  # two services named side by side ("AGL和SEND", "FBA vs MCF")
    used: str | None = None  # the service named right after 用/走/选 ("只在亚马逊卖的话也能用购买配送么")
    advice_cue: bool = False  # asks which service to use ("用啥", "哪个服务", "有啥推荐")
    seeks: bool = False  # looks for one ("想找个靠谱点的头程"): a stage named with it is what to advise on
    beyond_place: bool = False  # situation facts other than a warehouse or fulfilment that names a service
    logistics: bool = True  # says anything of shipping, storing or selling (see `about_logistics`)
    asks: bool = True  # a question, not a statement ("FBA仓储费太贵了")

    @property
    def subjects(self) -> list[str]:
        """What the message asks about. Of several services named apart ("走SEND空运，FBA那边的费用能免吗"),
        the first is the subject and the others are what it says about it."""
        if len(self.named) > 1 and not (self.joined or self.compare_cue):
            return [self.used or self.named[0]]
        return self.named or self.referenced

    @property
    def has_context(self) -> bool:
        return any((self.ctx.marketplace, self.ctx.us_region, self.ctx.mode, self.ctx.sea_service))

    @property
    def evidence(self) -> bool:
        """Whether the message names anything the knowledge base knows."""
        return bool(self.named or self.placed or self.referenced or self.attributes or self.stage or self.concept
                    or self.situation or self.has_context)


def read(base: KnowledgeBase, turn: Turn, focus: Focus) -> Question:
    turn = _without_doubts(base, _without_languages(turn))
    text = turn.text
    if base.has_cue("new_topic", text):
        focus = Focus()  # "换个话题，…": nothing said before carries over
    qtype = base.question_type(text) or _asked_as_before(base, turn, focus)
    # "咋不推荐AGL了": the service a why-not question names is its subject, not one the seller rules out
    negated = set() if qtype == "why" or turn.intent == "ask_why" else _negated(base, turn)
    named, placed = [], []
    for entity in turn.entities:
        kind, value = entity.get("entity"), str(entity.get("value"))
        start = int(entity.get("start", 0))
        back_to = text[max(0, start - 2):start] == "回到" or text[max(0, start - 1):start + 1] == "回到"
        returned = _PLACE_SERVICES.get(str(kind), {}).get(value, value) if back_to else None
        if returned in base.services:
            named.append(returned)  # "回到FBA，它…": the topic the seller returns to, not where goods go
        elif kind == "service" and value in _WAREHOUSES and _sent_to(text, entity, focus) \
                and not (focus.primary and focus.primary != value and _yardstick(base, text, entity)):
            placed.append(value)  # "去中东FBA", "放FBA不划算": where the goods go, not what is asked about
            # ("和放FBA比便宜多少" right after AWD: FBA is the yardstick, named as such)
        elif kind == "service" and value in base.services and value not in negated \
                and not _names_a_fee(base, text, entity, focus):
            named.append(value)
        elif kind in _PLACE_SERVICES and value in _PLACE_SERVICES[kind] and value not in negated and not (
                focus.primary and _yardstick(base, text, entity)):  # ("不在FBA": where the goods are not)
            placed.append(_PLACE_SERVICES[kind][value])  # ("比FBA仓库划算吗" right after AWD: FBA is the yardstick)
    placed = _before_the_alternative(base, text, placed)
    if not named and len(set(placed)) >= 2 and base.has_cue("compare", _ADVERB_BIJIAO.sub("", text)):
        named = list(dict.fromkeys(placed))  # "卫星仓跟FBA仓哪里不同": the two warehouses' services compared
    named = list(dict.fromkeys(named)) or _timing_those_boats(base, turn, focus, placed)
    references = base.vocabulary["cues"]["reference"]
    referenced = resolve(references, _without_determiners(turn, references), focus, base.service_names)
    if focus.primary is not None and referenced == [focus.primary]:
        referenced = [advised_one_meant(base, text, focus) or focus.primary]
    if not referenced and not named and asks_which_of(base, text, focus):
        referenced = list(focus.services)  # "哪个有空运" after a comparison: asked of each
    if referenced and named and all(_qualifies(turn, n) for n in named) and set(referenced) - set(named):
        named = []  # "FBA的货件也能用它发吗": the goods FBA handles, asked of 它
    objects = _compared_with(base, turn, named)
    if objects and (referenced or len(named) > len(objects)):  # "它跟FBA比便宜多少": FBA is the yardstick
        named = [n for n in named if n not in objects]
    elif objects and len(named) == len(objects) and focus.primary and focus.primary not in objects:
        named, referenced = [], [focus.primary]  # "和FBA比省多少" right after AWD: AWD against FBA
    asked = [a for a in _origin_for_departure(turn, _head_first(turn))
             if a not in _premised(base, turn) and a not in _providers_not_asked(turn, placed + [n for n in named if n in _WAREHOUSES])
             and a not in _kind_of_thing(turn)]
    primary = focus.primary
    if len(named) == 1 and primary is not None and primary not in named and names_requirement(base, turn, named[0]):
        # "得先开通AWD吗" right after MCD: what MCD requires, AWD named as the requirement
        named, referenced, asked = [], [primary], ["requirement", *[a for a in asked if a != "requirement"]]
    kind_of = QTYPE_ATTRIBUTE.get(qtype or "")
    if kind_of in asked[1:] and kind_of != "definition":  # "快船到西部港口大概多久": the time, not the port
        asked = [kind_of, *[a for a in asked if a != kind_of]]
    stage = turn.first("stage")
    if stage is None and focus.stage and not named and not placed and (
            turn.intent == "ask_stage_services" or asked[:1] == ["services"]
            or asked[:1] == ["pain_points"] and _THIS_STAGE.search(text)) and not turn.first("concept"):
        stage = focus.stage  # "这个环节有哪些服务", "这段有啥痛点" right after what 尾端配送 is
    concept = turn.first("concept") or ("mfn" if "MFN" in turn.values("fulfillment") and not named else None)
    if concept == "learning_path" and (base.has_cue("other_chapters", text) or any(c.id in text for c in base.chapters)):
        concept = None  # "这章学完下一章学啥", "3.1这一章讲什么": the course map, not this chapter's steps
    places = [v for v in turn.values("origin") if v not in ("CN", "DESTINATION")]
    markets = turn.values("marketplace")
    members = set(base.vocabulary.get("eu_members", ()))
    # "是欧洲站，德国…": the country named inside the region is the market meant
    marketplace = next((m for m in markets if m in members), None) if "EU" in markets else None
    marketplace = marketplace or turn.first("marketplace") or (places[0] if places and named else None)
    mode = turn.first("transport_mode")
    if mode is None and "modes" in asked and qtype != "which":  # "AGL能走空运不": the mode inside the attribute's phrase
        # ("有哪些运输模式和海运服务" asks the lists)
        mode = next(iter(sorted(base.values_named(text, "transport_mode"))), None)
    ctx = Context(marketplace, turn.first("us_region"), mode, turn.first("sea_service"))
    # Where goods are is part of a situation only next to another fact of it or in a logistics
    # message: "深圳明天冷不冷" names a city, not a shipment.
    yardstick = _yardstick_spans(base, text)
    facts = [e for e in turn.entities if e.get("entity") in SITUATION_ENTITIES and str(e.get("value")) not in negated
             and not any(a <= int(e.get("start", 0)) < b for a, b in yardstick)]
    # "到仓后马上能上架吗", "走FBA的话客服谁负责": urgency or a fulfilment inside a question is how it is
    # asked, not a situation to advise on
    if base.is_question(text) and not base.has_cue("advice_request", text) and not base.asks_for_one(text):
        asides = _asides(qtype, bool(focus.services), bool(placed), focus.topic in ("service", "statement", "compare"))
        focused_stages = {base.services[s].stage for s in focus.services if s in base.services}
        # "落地后放哪儿存便宜" right after first-mile advice: a need of another stage is what is asked
        facts = [e for e in facts if e.get("entity") not in asides or e.get("entity") == "need"
                 and focus.topic == "advice" and NEED_STAGES.get(str(e.get("value"))) not in focused_stages]
    situation = any(e.get("entity") != "origin" for e in facts) or (
        bool(facts) and (turn.intent in ("inform", "ask_recommendation", "compare_services", "ask_service")
                         or bool(turn.values("marketplace")) or bool(turn.values("stage"))))
    seeks = base.has_cue("seeks", text)
    return Question(
        turn=turn, text=_without_the_alternative(text) if qtype == "yes_no" else text,
        intent=_intent(base, turn, focus), confidence=turn.confidence, focus=focus,
        named=named, placed=list(dict.fromkeys(placed)),
        referenced=[] if named else referenced,
        negated=negated,
        attributes=[a for a in asked if a != "definition"], asks_definition="definition" in asked,
        qtype=qtype, stage=stage if stage in base.stages or stage == "all" else None,
        concept=concept if concept in base.concepts else None, ctx=ctx,
        modes=turn.values("transport_mode"), sea_services=turn.values("sea_service"), regions=turn.values("us_region"),
        situation=situation, compare_cue=base.has_cue("compare", _ADVERB_BIJIAO.sub("", text)), choice_cue=base.has_cue("compare.choice", text),
        joined=_joined(turn, named), used=_used(turn, named), seeks=seeks,
        # ("X从哪些港口走 附近有没有能出的": one of X's own ports asked for, not a service)
        advice_cue=base.has_cue("advice_request", text) or seeks or situation and base.asks_for_one(text)
        and not (len(named) == 1 and [a for a in asked if a != "definition"]),
        asks=base.is_question(text),
        # ("那用啥" right after a service that does not fit: still about shipping)
        logistics=focus.topic == "advice" or bool(focus.services) and bool(_BARE_CHOICE.match(text.strip()))
        or _about_logistics(base, turn, named or placed, stage or concept),
        beyond_place=any(e.get("entity") in SITUATION_ENTITIES and not (
            e.get("entity") in _PLACE_SERVICES and str(e.get("value")) in _PLACE_SERVICES[e["entity"]])
            for e in facts),
    )


# The best-matching recommended service wins over the next one by this factor, or the first one stays.
MEANT_MARGIN = 1.3


def advised_one_meant(base: KnowledgeBase, text: str, focus: Focus) -> str | None:
    """After advice over several stages (AWD for storage, MCF for other channels), "它按啥补货" is about
    the recommended service whose statements its words match best, not the first one listed."""
    services = focus.services
    if focus.topic != "advice" or focus.current or len(services) < 2 \
            or len({base.services[s].stage for s in services}) < 2:
        return None
    total: dict[str, float] = {}  # how much of what matches is each one's: the sum of its statements' scores
    top: dict[str, float] = {}  # and its one statement that matches best
    for hit in base.find_statements(text, base.question_type(text), services, limit=12):
        about = base.about(hit.statement) & set(services)
        if len(about) == 1:  # a statement of two of them ("用AGL发货到AWD…") tells neither apart
            service_id = next(iter(about))
            total[service_id] = total.get(service_id, 0.0) + hit.score
            top[service_id] = max(top.get(service_id, 0.0), hit.score)
    # (one that has many statements matching a word each, "补货" of SEND, does not outweigh the one
    # statement that says all of it, "仓储、…、战略补货" of AMS)
    for scores in (total, top):
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if ranked and (len(ranked) == 1 or ranked[0][1] >= ranked[1][1] * MEANT_MARGIN):
            return ranked[0][0]
    return None


_LANGUAGE_AFTER = re.compile(r"^(?:语|文(?!件))")


def _without_languages(turn: Turn) -> Turn:
    """"买家用西班牙语问": a language, not the Spanish marketplace."""
    kept = [e for e in turn.entities if not (e.get("entity") == "marketplace"
                                             and _LANGUAGE_AFTER.match(turn.text[int(e.get("end", 0)):]))]
    return turn if len(kept) == len(turn.entities) else replace(turn, entities=kept)


_ASKED_THEN_ALTERNATIVE = re.compile(r"^(?P<asked>.+?[吗么][？?]?)[，,\s]*还是(?P<alternative>.+)$")


def _without_the_alternative(text: str) -> str:
    """"…就能开卖了吗，还是要先转去FBA": what is asked, yes or no, without the alternative the seller fears
    (its words would pull the answer towards it)."""
    found = _ASKED_THEN_ALTERNATIVE.match(text)
    return found.group("asked") if found else text


def _names_a_fee(base: KnowledgeBase, text: str, entity: dict, focus: Focus) -> bool:
    """"它可以帮我免掉FBA的低量库存费吗" right after SEND: FBA says whose fee, SEND is still asked about."""
    after = text[int(entity.get("end", 0)):].lstrip()
    before = text[max(0, int(entity.get("start", 0)) - 4):int(entity.get("start", 0))]
    fee = base.fee_named(after[:12])
    # the fee is what something avoids or lowers; "AWD的仓储费要多少" asks AWD's own fee
    avoided = any(w in before for w in base.reduction_words)
    return focus.primary is not None and focus.primary != str(entity.get("value")) \
        and fee is not None and after.startswith(fee) and avoided


_ALTERNATIVE = re.compile(r"[，,\s]还是")


def _before_the_alternative(base: KnowledgeBase, text: str, placed: list[str]) -> list[str]:
    """"放进AWD就可以售卖了吗，还是要先转去FBA": the warehouse asked about is the first; the one in the
    alternative after 还是 is what the seller fears instead."""
    alternative = _ALTERNATIVE.search(text)
    if alternative is None or len(placed) < 2:
        return placed
    before = {_PLACE_SERVICES.get(m.entity, {}).get(m.value, m.value)
              for m in base.mentions(text[:alternative.start()])}
    kept = [p for p in placed if p in before]
    return kept or placed


def linked_only(base: KnowledgeBase, q: Question) -> list[str]:
    """The names a question asks about (not what they are) that the documents give only as a further
    course's title."""
    return base.names_only_linked(q.text) if not q.subjects and q.qtype not in (None, "what", "name") else []


_CLAUSE = re.compile(r"[^，,。；;！!？?\s]+")


def _bare(clause: str) -> str:
    return re.sub(r"[吗呢啊啦吧哈呀么~～]+$", "", clause)


def _without_doubts(base: KnowledgeBase, turn: Turn) -> Turn:
    """"MCF能发独立站吗 真的假的": the doubt tagged on names no attribute (坑 is not its pain points);
    the other clause is the question. Alone ("有坑吗") it still asks."""
    tags = {_bare(w) for w in base.cue_words("doubts")}
    clauses = list(_CLAUSE.finditer(turn.text))
    doubts = [c for c in clauses if _bare(c.group()) in tags]
    if not doubts or len(doubts) == len(clauses):
        return turn
    kept = [e for e in turn.entities if not (e.get("entity") == "attribute" and any(
        c.start() <= int(e.get("start", 0)) < c.end() for c in doubts))]
    return turn if len(kept) == len(turn.entities) else replace(turn, entities=kept)


def _asides(qtype: str | None, on_services: bool, placed: bool, on_one: bool = False) -> tuple[str, ...]:
    """The situation facts a question names as what it asks about, not as the seller's situation.
    Right after a service, a yes/no asks about it ("库容会受限吗", "青岛可以出运吗", "能给门店的仓补货吗"),
    and any question's need words are its topic ("去哪查物流", "次日达一年多少件"), as are a yes/no's about
    a warehouse it names ("进AWD还要自己分仓吗").
    On its own, "有全包的服务吗" still asks for a service."""
    if qtype == "yes_no" and on_services:
        return ("urgency", "fulfillment", "need", "sales_channel", "origin")
    if qtype in ("how_much", "how_many", "how_long") and on_services:  # "比FBA省多少钱": a figure, not a trait
        return ("urgency", "fulfillment", "need", "product_trait")
    if on_services and qtype is not None or placed and qtype == "yes_no" or on_one and qtype is None:
        return ("urgency", "fulfillment", "need")  # "它补货按什么算" right after AWD: its feature
    return ("urgency", "fulfillment")


USE_VERBS = ("用", "走", "选", "选择", "使用")


_QUALIFIED = re.compile(r"^的?(?:订单|货|货件|库存|商品|买家|卖家)")


def _qualifies(turn: Turn, service_id: str) -> bool:
    """Whether a service is named only to say whose orders or goods ("FBA的订单", "FBA货件")."""
    spans = [e for e in turn.entities if e.get("entity") == "service" and str(e.get("value")) == service_id]
    return bool(spans) and all(_QUALIFIED.match(turn.text[int(e.get("end", 0)):]) for e in spans)


def names_requirement(base: KnowledgeBase, turn: Turn, service_id: str) -> bool:
    """Whether a service is named as what something needs ("得先开通AWD吗", "非得配着AWD用吗")."""
    words = tuple(base.cue_words("requires"))
    for e in turn.entities:
        if e.get("entity") == "service" and str(e.get("value")) == service_id:
            start, end = int(e.get("start", 0)), int(e.get("end", 0))
            before, after = turn.text[max(0, start - 4):start], turn.text[end:end + 4]
            if before.endswith(words) or after.startswith(("一起用", "配合", "搭配")):
                return True
    return False


_ONLY_COMPARED = re.compile(r"\s*(?:比一比|比比|比一下|比较一下|对比一下|比较|对比|比)\s*[吧呢啊呀？?。!！]*\s*$")


def _yardstick(base: KnowledgeBase, text: str, entity: dict) -> bool:
    """A thing named right after 比, or between 跟 and 比 ("比FBA仓", "跟FBA仓比")."""
    words = tuple(base.cue_words("compared_with"))
    start, end = int(entity.get("start", 0)), int(entity.get("end", 0))
    before, after = text[max(0, start - 3):start].rstrip(), text[end:end + 3].lstrip()  # "低于 FBA 成本"
    before_verb = re.sub(r"(?:放|用|走|发|存|进|放在|发到)$", "", before)  # "和放FBA比"
    return before.endswith(words) or before_verb.endswith(("跟", "和", "与")) and after.startswith(words)


def _compared_with(base: KnowledgeBase, turn: Turn, named: list[str]) -> list[str]:
    """Services named right after 比/相比 ("它比FBA划算在哪")."""
    out = []
    for e in turn.entities:
        if e.get("entity") != "service" or str(e.get("value")) not in named:
            continue
        if len(named) >= 2 and _ONLY_COMPARED.match(turn.text[int(e.get("end", 0)):]):
            continue  # "AGL跟SEND比一比": both compared, neither the yardstick of a point asked
        if _yardstick(base, turn.text, e):
            out.append(str(e.get("value")))  # "比FBA", "跟FBA比"
    return out


_PREMISE = re.compile(r"(?:都是|都有|都算|不都是|都属于)$")
# "我们之前找的货代", "随便找个货代", "别家物流商": the seller's own or any other forwarder, a yardstick or
# background; "怎么交给承运商": whom goods go to. Neither asks who carries for the service.
_PROVIDER_NOT_ASKED = re.compile(r"(?:我们|我|咱们|自己|别家|别的|其他|其它|普通|之前|以前|原来|随便|外面|市面上|传统|合作的"
                                 r"|一般的|交给|交付给|发给|联系|对接|直接找|去找|找个|找)[^，。,？?！!\s]{0,4}$")
_PROVIDERS = ("货代", "物流商", "承运商")
_PROVIDERS_PLACE = re.compile(r"(?:的)?(?:国内)?(?:收件|收货)?(?:仓|仓库)")  # "承运商国内收件仓的入仓费": whose warehouse


def _providers_not_asked(turn: Turn, placed: list[str]) -> set[str]:
    """The carrier attribute when every phrase that named it is a provider not asked about. With a
    warehouse the goods go to ("自己找的货代能发AWD仓吗"), who may deliver there is what is asked."""
    if turn.values("warehouse") or placed:
        return set()
    spans = [(int(e.get("start", 0)), int(e.get("end", 0))) for e in turn.entities
             if e.get("entity") == "attribute" and e.get("value") == "carrier"]
    own = [turn.text[a:b] in _PROVIDERS and (_PROVIDER_NOT_ASKED.search(turn.text[max(0, a - 8):a])
                                             or _PROVIDERS_PLACE.match(turn.text[b:])) for a, b in spans]
    return {"carrier"} if own and all(own) else set()


# "是个啥功能", "是什么样的服务": the noun after "what is it" names the kind of thing asked about
_WHAT_KIND = re.compile(r"是(?:个|一个|一种|一项|啥样的|什么样的)?(?:什么|啥)(?:样的)?$")


def _kind_of_thing(turn: Turn) -> set[str]:
    """The services attribute (功能, 服务) when every phrase naming it is only the kind of thing a definition
    asks about ("X是个啥功能": what X is). Other nouns there are asked ("是什么价格": the price)."""
    if "definition" not in turn.values("attribute"):
        return set()
    kinds = [bool(_WHAT_KIND.search(turn.text[max(0, int(e.get("start", 0)) - 8):int(e.get("start", 0))]))
             for e in turn.entities if e.get("entity") == "attribute" and e.get("value") == "services"]
    return {"services"} if kinds and all(kinds) else set()


def _premised(base: KnowledgeBase, turn: Turn) -> set[str]:
    """"PCP和SEND都是承运人，有啥不一样": what two things are said to share is the premise of a comparison,
    not the one point it asks about."""
    if not base.has_cue("compare", turn.text):
        return set()
    return {str(e.get("value")) for e in turn.entities if e.get("entity") == "attribute"
            and _PREMISE.search(turn.text[max(0, int(e.get("start", 0)) - 4):int(e.get("start", 0))])}


def _timing_those_boats(base: KnowledgeBase, turn: Turn, focus: Focus, placed: list[str]) -> list[str]:
    """"普船快船特快船到美西各要多久" with no service in the talk: the one service whose sea times the
    document gives for those boats."""
    boats = set(turn.values("sea_service"))
    timing = base.question_type(turn.text) == "how_long" or "transit_time" in turn.values("attribute")
    if not boats or not timing or placed or focus.services:
        return []
    timed = [sid for sid, s in base.services.items() if boats <= set(s.data("transit_time", "sea_days_us") or ())]
    return timed if len(timed) == 1 else []


_BARE_CHOICE = re.compile(r"^(?:那|那我|那就|那该|该|那应该)?(?:用|选|走)(?:啥|什么|哪个|哪家)(?:呢|吧|好)?[？?]*$")


def _yardstick_spans(base: KnowledgeBase, text: str) -> list[tuple[int, int]]:
    """Where a message names what something is measured against ("比别家次日达便宜多少", "跟海外仓比"):
    a need or market said there is the yardstick's, not the seller's situation."""
    words = "|".join(map(re.escape, sorted(base.cue_words("compared_with"), key=len, reverse=True)))
    return [m.span(1) for m in re.finditer(rf"(?:{words})([^，,。；;？?]{{1,16}}?)(?=[便贵快慢省划低高强好差更多少]|比|$)", text)] + [
        m.span(1) for m in re.finditer(rf"(?:跟|和|与|同)([^，,。；;？?跟和与]{{1,16}}?)(?:{words})", text)]


def _head_first(turn: Turn) -> list[str]:
    """The attributes asked, the head of a phrase first: in "支持哪些货件类型" the 货件类型 that comes
    right after 支持哪些 is what is asked."""
    spans = sorted((int(e.get("start", 0)), int(e.get("end", 0)), str(e.get("value")))
                   for e in turn.entities if e.get("entity") == "attribute")
    order = [v for _, _, v in spans]
    for (_, end, first), (start, _, second) in itertools.pairwise(spans):
        if 0 <= start - end <= 1 and first in order and second in order:
            order.remove(second)
            order.insert(order.index(first), second)
    # "适用于哪些类型的货件": the noun a which-word heads is asked, the verb before it is how
    headed = [v for start, _, v in spans if _WHICH_BEFORE.search(turn.text[max(0, start - 4):start])]
    if len(spans) > 1 and headed:
        order = [headed[-1], *[v for v in order if v != headed[-1]]]
    # "我用别家货代发AWD，也能享受仓储费8折吗": the clause that asks comes after its condition
    last = max((m.end() for m in re.finditer(r"(?:[，,；;]|\s)\s*(?=也|还)", turn.text)), default=None)
    if last is not None:
        order = [v for start, _, v in spans if start >= last] + [v for start, _, v in spans if start < last]
    return list(dict.fromkeys(order))


def _origin_for_departure(turn: Turn, asked: list[str]) -> list[str]:
    """"宁波能起运吗": 起运 next to a place asks whether goods leave from there, not the minimum
    amount (起运量), unless an amount is named ("50公斤能起运吗")."""
    verbs = [e for e in turn.entities if e.get("entity") == "attribute" and e.get("value") == "minimum"
             and turn.text[int(e.get("start", 0)):int(e.get("end", 0))] in DEPARTURE_VERBS]
    if not verbs or not turn.values("origin") or turn.first("quantity") or "origin" in asked:
        return asked
    return ["origin" if a == "minimum" else a for a in asked]


DEPARTURE_VERBS = ("起运", "起发", "启运")
# "我货从义乌发": where the goods leave from, a shipment whatever the classifier heard
_LEAVING = re.compile(r"^[^，。,；;？?]{0,2}(?:发货|发出|出货|发|起运|启运|出运|走)")


def leaves_from_there(turn: Turn) -> bool:
    """"从X发/起运": the place the goods leave from, worth keeping for the next verdict."""
    return any(e.get("entity") == "origin" and turn.text[max(0, int(e.get("start", 0)) - 1):int(e.get("start", 0))] == "从"
               and _LEAVING.match(turn.text[int(e.get("end", 0)):]) for e in turn.entities)
_WHICH_BEFORE = re.compile(r"(?:哪些|哪几种|哪几个|哪几|哪种|哪类|几种|什么|啥)(?:的)?$")


# Intents whose reply ends, clears or hands off the conversation: taken only with one of their words in
# the message ("我要准备什么" is not "我要人工", "先看哪部分" is not "先这样", "几号开始计时" is not
# "重新开始"), and a hand-off not for a question about customer service's hours or ways ("客服几点有人").
_NEEDS_CUE = {"request_human": "human", "goodbye": "goodbye", "start_over": "start_over"}


def _intent(base: KnowledgeBase, turn: Turn, focus: Focus) -> str:
    """The classifier's intent, or its next guess when a conversation-ending one lacks its words."""
    cue = _NEEDS_CUE.get(turn.intent)
    asked = base.question_type(turn.text)
    # "客服呢" right after a service's features asks about its customer service, as "那X呢" asks of X;
    # so does "它有客服吗" while a service is talked about
    about_service_hours = turn.intent == "request_human" and not base.has_cue("human_explicit", turn.text) and (
        asked in ("how_long", "how_many", "which", "what") or asked is None and base.is_question(turn.text)
        or turn.text.rstrip("？?。 ").endswith("呢") or asked == "yes_no" and bool(focus.services))
    if cue is None or base.has_cue(cue, turn.text) and not about_service_hours:
        return turn.intent
    return next((i["name"] for i in turn.ranking if i.get("name") not in (*_NEEDS_CUE, "nlu_fallback", None)),
                "nlu_fallback")


def _about_logistics(base: KnowledgeBase, turn: Turn, services: list[str], topic: str | None) -> bool:
    """Whether advice about shipping could be what the message wants: it names a service, a stage, a
    marketplace or a logistics fact, or uses a word of shipping, storing or selling."""
    facts = {e.get("entity") for e in turn.entities} - {"origin", "sales_channel"}
    return bool(services or topic or facts & set(SITUATION_ENTITIES) | facts & {"marketplace"}
                or base.has_cue("logistics", without_words(turn.text, base.cue_words("not_logistics"))))


def without_words(text: str, words) -> str:
    """The text with each of the words blanked out."""
    for word in words:
        text = text.replace(word, " ")
    return text


def _used(turn: Turn, named: list[str]) -> str | None:
    for entity in turn.entities:
        if entity.get("entity") == "service" and str(entity.get("value")) in named:
            start = int(entity.get("start", 0))
            if turn.text[max(0, start - 2):start].endswith(USE_VERBS):
                return str(entity.get("value"))
    return None


def _joined(turn: Turn, named: list[str]) -> bool:
    """Whether two services are named next to each other, joined by 和/跟/与/、/还是/vs/or."""
    spans = sorted((int(e.get("start", 0)), int(e.get("end", 0))) for e in turn.entities
                   if e.get("entity") == "service" and str(e.get("value")) in named)
    for (_, end), (start, _) in itertools.pairwise(spans):
        between = turn.text[end:start].strip().lower()
        if len(between) <= 4 and (not between or any(w in between for w in ("和", "跟", "与", "、", "还是", "或", "vs", "or", "and", "/", "对比", "比"))):
            return True
    return False


# "那想手动补呢": the last question's kind, asked of something it did not name
_THEN_THIS = re.compile(r"^(?:那|那么|那要是|那如果|要是|如果)[^，。,？?！!]{1,10}呢[？?]?$")


def _asked_as_before(base: KnowledgeBase, turn: Turn, focus: Focus) -> str | None:
    """"能设补货上限吗" then "那手动的呢": a yes/no again, of a thing that names no service, market or
    mode (those ask the last question again in their own ways)."""
    if turn.entities or not focus.asked or not _THEN_THIS.match(turn.text.strip()):
        return None
    return "yes_no" if base.question_type(focus.asked) == "yes_no" else None


_TRAIT_DENIED = re.compile(r"(?:没|没有|没啥|没什么|不是|不算|不属于|并非|非)[^，。,；;？?]{0,1}$")


def _a_not_a(text: str, word: str) -> bool:
    """"进不进FBA" asks; it does not rule FBA out (`word` ends `text`)."""
    head = text[:len(text) - len(word)]
    return word.startswith("不") and len(word) >= 2 and head.endswith(word[1])


def _negated(base: KnowledgeBase, turn: Turn) -> set[str]:
    """Services and fulfilments named right after a negation ("我们不走FBA", "不走海运")."""
    words = base.cue_words("negation")
    out = set()
    for entity in turn.entities:
        if entity.get("entity") == "product_trait" and _TRAIT_DENIED.search(
                turn.text[max(0, int(entity.get("start", 0)) - 4):int(entity.get("start", 0))]):
            out.add(str(entity.get("value")))  # "也没啥季节性": not that kind of goods
        if entity.get("entity") not in ("service", "fulfillment", "transport_mode", "warehouse"):
            continue
        start = int(entity.get("start", 0))
        before = turn.text[max(0, start - 5):start].rstrip()  # "不在 FBA": typed with a space too
        into = turn.text[max(0, start - 5):start + 1]  # "不在FBA", the phrase found being "在FBA"
        said = [w for w in words if before.endswith(w) or into.endswith(w)]
        if any(not _a_not_a(before if before.endswith(w) else into, w) for w in said):
            out.add(str(entity.get("value")))
        elif out and re.match(r"^[和跟与、及/]$", before[-1:] or " ") and entity.get("entity") == "service":
            out.add(str(entity.get("value")))  # "不考虑AGL和SEND": both
    return out


# -- the decision ----------------------------------------------------------------------------------


_USING = re.compile(r"(?:用|走|选|上|做)[^，。,；;？?]{0,2}$")


def _stock_is_there(turn: Turn, entity: dict) -> bool:
    """"货到了亚马逊仓之后…": a warehouse the stock is in, not one it goes to ("送到AWD")."""
    a, b = int(entity.get("start", 0)), int(entity.get("end", 0))
    return entity.get("entity") == "warehouse" and bool(
        re.match(r"[^，。,；;？?]{0,2}(?:之后|以后|后|里|中)", turn.text[b:]) or turn.text[max(0, a - 1):a] == "在")


_ONE_MORE = re.compile(r"(?:多一个|多个|还要|还得|非要|再加|再用|多一道|多走|要用|要走|要选|得用|要搞|要推出|推出)[^，。,；;？?]{0,2}$")


def _one_more_step(turn: Turn, service_id: str) -> bool:
    """"为啥还要多一个AWD": why use the service at all, not a fact of it."""
    return any(e.get("entity") == "service" and e.get("value") == service_id
               and _ONE_MORE.search(turn.text[max(0, int(e.get("start", 0)) - 6):int(e.get("start", 0))])
               for e in turn.entities)


def _placed_as_a_choice(q: Question) -> bool:
    """"为啥要先进AWD" asks why that service; "FBA库存为啥不能太多" asks about the stock kept there."""
    text = q.turn.text
    spans = [(int(e.get("start", 0)), int(e.get("end", 0))) for e in q.turn.entities
             if e.get("entity") in _PLACE_SERVICES or e.get("entity") == "service" and e.get("value") in _WAREHOUSES]
    # a mention may hold its verb ("进AWD")
    return any(_TOWARDS.search(text[max(0, a - 5):a + 1]) or _SENT.search(text[max(0, a - 5):a + 1])
               or _USING.search(text[max(0, a - 5):a + 1]) or re.match(r"[^，。,；;？?]{0,2}(?:不香|划算|好|更好|强)", text[b:]) for a, b in spans)


def decide(base: KnowledgeBase, q: Question) -> str:
    """The one kind of answer this message gets (the name of its handler in dialogue.py)."""
    pending = q.turn.slot("pending_question")
    if not q.text.strip():
        return "bad_input"
    if q.intent == "show_source" and q.qtype == "source":
        return "search"  # "那数字打哪来的": the figure's footnote, not the last answer's quote
    if q.intent in ("show_source", "request_human", "start_over"):
        return q.intent
    if q.intent in SMALLTALK and not q.evidence and not _about_the_last_answer(base, q) \
            and not _asked_of_the_service_in_focus(base, q):
        return "smalltalk"
    if q.intent == "dont_know":
        return "advise" if pending else "smalltalk"
    if (q.intent == "ask_why" or q.qtype == "why" and q.focus.topic == "advice") and (
            q.subjects or _placed_as_a_choice(q) or q.focus.services):
        return "why"  # "为啥不用X" after a recommendation, however the classifier took it
    if q.qtype == "why" and not q.attributes and (not q.named and _placed_as_a_choice(q) or len(q.named) == 1
                                                   and _one_more_step(q.turn, q.named[0])):
        return "why"  # "为啥要先进X", "为啥还要多一个X" however the classifier took it: why that service
    if q.focus.topic == "advice" and len(q.named) == 1 and not q.attributes and not q.situation and elliptical(q) \
            and q.qtype is None:
        return "why"  # "PCP呢" during advice: whether it fits, and why (not)
    if pending and _answers(q, pending) and not _about_a_service(q):
        return "advise"
    if asks_pages(base, q) or q.qtype == "source":
        return "search"  # "MCF那节在哪一页": the table of contents; "这个数据哪来的": a footnote
    if linked_only(base, q):
        return "search"  # "IPI多少分会限库容": named only as another course; the document says no more
    if _asks_courses(base, q):
        return "courses"
    if q.focus.topic == "advice" and not q.subjects and not q.attributes and q.qtype == "which" \
            and _ALL_USABLE_ASKED.search(q.text) and advice_stage(base, q.focus) is not None:
        return "lineup"  # "那我能用哪些" during advice: the stage's services the situation leaves open
    if q.focus.topic == "advice" and not q.subjects and q.attributes[:1] == ["services"] and q.qtype in ("which", None):
        return "explain"  # "那有哪些服务可以用" during advice: the stage's line-up
    if base.has_cue("chapter_question", q.text) and not q.subjects:
        return "explain"  # "黄金90天在哪一章": the course map, however the classifier took it
    if q.focus.topic == "course" and elliptical(q) and not q.subjects:
        return "explain"  # "3.8呢" after a chapter of the course map
    if q.qtype == "name" and not q.named and named_terms(base, q):
        return "search"  # "快船英文简称叫什么" right after AGL: the boat type's own name, not AGL's
    if len(q.named) >= 2 and (q.joined or q.compare_cue):
        if base.has_cue("compare.same", q.text):
            return "compare"  # "X和Y是一回事吗": no, and how they differ
        if q.qtype == "yes_no" and not q.choice_cue or q.attributes and not q.compare_cue:
            return "service"  # "它俩都能发德国吗": each one's answer
        return "compare"
    if not q.named and set(q.referenced) <= set(q.focus.services) and q.compare_cue and not q.choice_cue \
            and len(q.focus.services) >= 2 \
            and q.focus.topic in ("service", "compare", "statement") and q.qtype != "yes_no" and not q.attributes:
        return "compare"  # "两者差别在哪" right after an answer about two services: how they differ
    if len(q.named) == 1 and q.compare_cue and _set_against_self_fulfilment(q) \
            and not (q.turn.values("product_trait") and q.choice_cue):  # the goods decide: advice
        return "versus_mfn"  # "FBA跟自己发货比有啥不同": the service against the seller doing it all
    if len(q.named) == 1 and q.compare_cue and q.focus.primary not in (None, *q.named) and (
            q.intent == "compare_services" or q.referenced or base.has_cue("reference.it", q.text)):
        return "compare"  # "和AWD比呢", "它跟MCD啥区别": the last service against this one
    if _variants(base, q):
        return "variants"
    if q.stage in base.stages and q.stage != "end_to_end" and not q.subjects and (q.situation or q.ctx.marketplace) \
            and _LINEUP_ASKED.search(q.text) and not _ONE_ASKED_FOR.search(q.text) \
            and {e.get("entity") for e in q.turn.entities if not _stock_is_there(q.turn, e)} <= _WHERE_ONLY:
        return "lineup"  # "英国站头程亚马逊有哪些方案": the stage's services that reach there, not one picked
    if q.attributes[:1] == ["pain_points"] and not (q.subjects or q.referenced or q.focus.services) \
            and not (q.advice_cue or q.seeks):
        return "explain"  # "多渠道库存管理的难点": what the document says is hard there, not advice
    if len(q.referenced) > 1 and not q.named and not q.advice_cue and asks_which_of(base, q.text, q.focus):
        return "service"  # "哪个可以送亚马逊上的买家" after a comparison: which of the two does, not new advice
    if q.advice_cue and not (q.subjects or q.placed or q.situation or q.focus.topic or q.stage or q.concept) \
            and not {e.get("entity") for e in q.turn.entities} - {"attribute"} and _one_service_does_it(base, q):
        return "search"  # "哪项服务能降低缺货率": the statement saying which one does, not advice from scratch
    if _wants_advice(q, services_for_needs(base, q)):
        return "advise"
    if q.subjects:
        return "service"
    on_a_service = q.focus.topic in ("service", "compare", "advice", "statement") and q.focus.services
    # the classifier's topic alone, for a figure asked ("一共多少架飞机"): the statements answer
    guessed_topic = q.intent in EXPLAIN_INTENTS and not (on_a_service and (q.attributes or _said_of_focus(base, q))) \
        and not (q.qtype in ("how_many", "how_long", "how_much") and not q.attributes) \
        and not (q.focus.topic == "concept" and _said_in_focus_section(base, q))
    if q.qtype == "yes_no" and (q.stage or q.concept) and not q.named and on_a_service \
            and _stage_within_its_work(base, q):
        return "service"  # "最后一公里归它管不" right after AMS, whose work names it: whether AMS does it
    if q.stage or q.concept or guessed_topic:
        return "explain"  # ("目的地有哪些" right after AGL is about AGL, whatever the classifier said)
    if q.placed and not q.attributes and q.qtype and _answered_apart_from(base, q, q.placed):
        return "search"  # "FBA库存为啥不能太多": a statement about stock, not about FBA, says it
    if q.placed and (q.attributes or q.qtype):
        return "service"  # "亚马逊仓库一共几个": the warehouse's service is the subject
    if len(base.names_in(q.text)) >= 2 and q.compare_cue:
        return "search"  # "FCL和LCL啥差别": two of the document's abbreviations, not the last service
    if q.focus.topic == "advice" and not q.focus.attribute and (
            q.has_context and _only_context(q) or q.situation and elliptical(q)):
        return "advise"  # "那海运呢", "那卖给亚马逊买家的呢" after a recommendation
    if q.focus.services and _follows_up(q):
        return "service"
    return "search"


# A statement answers a question on its own when it matches at least this share of the question's
# weight (tuned on the development set, tests/heldout/; see docs/answers.md).
ANSWER_COVERAGE = 0.5
ANSWER_SCORE = 3.0


def _one_service_does_it(base: KnowledgeBase, q: Question) -> bool:
    """A statement about one service says what the question asks a service to do, well enough to answer."""
    asked = without_words(q.text, base.cue_words("advice_request"))
    hits = base.find_statements(asked, q.qtype, [], limit=1)
    return bool(hits) and len(base.about(hits[0].statement)) == 1 and hits[0].coverage >= APART_COVERAGE \
        and hits[0].score >= ANSWER_SCORE


# A service named only as a place is not the subject when a statement about none of it matches this much
# of the question (tuned on the development set).
APART_COVERAGE = 0.75


def _answered_apart_from(base: KnowledgeBase, q: Question, services: list[str]) -> bool:
    hits = base.find_statements(q.text, q.qtype, [], limit=1)
    return bool(hits) and not base.about(hits[0].statement) & set(services) and hits[0].coverage >= APART_COVERAGE \
        and hits[0].score >= ANSWER_SCORE


# A message the classifier took for small talk is a follow-up when the last answer holds this much of it.
LAST_ANSWER_COVERAGE = 0.6


def _about_the_last_answer(base: KnowledgeBase, q: Question) -> bool:
    """"这能帮我过哪项考核" right after a statement that names the 考核: a follow-up on it, though the
    classifier heard small talk (a greeting or thanks holds no word of the answer)."""
    source = tuple(q.focus.source or ())
    said = base.statement(source[-1]) if source[:1] == ("statement",) else None
    fact = fact_for(base, source) if said is None else None  # "仅次于什么" right after the challenges
    if said is None and fact is None or said is not None and not q.focus.services:
        return False
    terms = [t for t in base.query_terms(q.text, list(q.focus.services)) if not t.startswith("@")]
    if not any(not t.startswith(("·", "²")) and len(t) >= 2 for t in terms):
        return False
    index = base.statement_index
    known = index.terms_of(said) if said is not None else base.fact_term_set(fact) if fact is not None else frozenset()
    return index.coverage(terms, known) >= LAST_ANSWER_COVERAGE


def _asked_of_the_service_in_focus(base: KnowledgeBase, q: Question) -> bool:
    """"能帮我避免啥费" right after SEND: a question a statement about SEND answers well, not "what can you
    do", though the classifier heard that (a greeting or thanks asks nothing)."""
    primary = q.focus.primary
    words = [t for t in base.query_terms(q.text, [primary]) if len(t) >= 2 and not t.startswith(("·", "²", "@"))] \
        if primary is not None else []
    if not (q.asks and words):
        return False
    hits = base.find_statements(q.text, q.qtype, [primary], limit=1)
    return bool(hits) and primary in base.about(hits[0].statement) and hits[0].coverage >= ANSWER_COVERAGE


def _said_of_focus(base: KnowledgeBase, q: Question) -> bool:
    """"首单那条讲的啥" right after AGL's advantages: a point the document makes about the service in
    focus, not the line-up of a stage the classifier guessed."""
    primary = q.focus.primary
    hits = base.find_statements(q.text, q.qtype, [primary], limit=1) if primary else []
    return bool(hits) and primary in base.about(hits[0].statement) and hits[0].coverage >= ANSWER_COVERAGE \
        and hits[0].score >= ANSWER_SCORE


def named_terms(base: KnowledgeBase, q: Question) -> list:
    """The abbreviations the document explains that a message names: written out ("FCL"), or said in
    Chinese as an option the vocabulary knows ("快船" is FO)."""
    found = base.names_in(q.text)
    values = [str(e.get("value")) for e in q.turn.entities if e.get("entity") in ("sea_service", "transport_mode")]
    return found + [n for v in values for n in base.names if n.short == v and n not in found]


def _stage_within_its_work(base: KnowledgeBase, q: Question) -> bool:
    """Whether the words that named a stage are among what the service in focus is said to do."""
    primary = q.focus.primary
    said = base.facts_text(primary) if primary in base.services else ""
    named = [q.turn.text[int(e.get("start", 0)):int(e.get("end", 0))] for e in q.turn.entities
             if e.get("entity") in ("stage", "concept")]
    return bool(named) and all(n and n in said for n in named)


def _said_in_focus_section(base: KnowledgeBase, q: Question) -> bool:
    """"那这里亚马逊管什么" right after a concept: a statement of the section it was answered from."""
    hits = base.find_statements(q.text, q.qtype, limit=1, sections=[q.focus.section]) if q.focus.section else []
    return bool(hits) and hits[0].coverage >= ANSWER_COVERAGE and hits[0].score >= ANSWER_SCORE


def _set_against_self_fulfilment(q: Question) -> bool:
    return "MFN" in q.turn.values("fulfillment") or q.turn.first("concept") == "mfn"


def _only_context(q: Question) -> bool:
    """"那海运呢", "改成日本站": a market or mode given, nothing asked about it."""
    return q.qtype is None and not q.attributes


def _answers(q: Question, pending: str) -> bool:
    kinds = ANSWER_ENTITIES.get(pending, ())
    gives = any(e.get("entity") in kinds for e in q.turn.entities)
    if q.attributes and q.qtype in FACT_QUESTIONS and not gives and not q.turn.values("need"):
        return False  # "美中普船多久" while the advisor asks the load: a question of its own
    if q.focus.attribute and q.has_context and _only_context(q) and not gives:
        return False  # "快船呢" right after that question: the same question again
    return q.intent in ("inform", "ask_recommendation", "dont_know") or q.situation or gives


def _about_a_service(q: Question) -> bool:
    """"MCD怎么收费" in the middle of the advice: a side question about a service."""
    return bool(q.named) and (bool(q.attributes) or q.qtype is not None) and q.intent not in ("inform", "ask_recommendation")


def _asks_courses(base: KnowledgeBase, q: Question) -> bool:
    """The courses the document recommends, not the chapters of the course map ("3.5讲什么")."""
    # "这章学完有啥推荐的课": 这章 is the chapter in hand; a chapter is asked for with 第几章, 哪章 …
    chapters = base.has_cue("chapter_question", q.text) or any(c.id in q.text for c in base.chapters) or (
        base.has_cue("chapters", q.text) and not any("课" in w and w in q.text for w in base.cue_words("courses")))
    # "在哪看" names no course: a course only right after courses, or with nothing else asked
    named = [w for w in base.cue_words("courses") if w in q.text.lower()]
    # "学完这章还有啥推荐课程": a course, though the path is named ("这章的课要掌握啥" is the path)
    a_course = any("课程" in w or w.endswith("课") and len(w) >= 3 for w in named)
    of_courses = a_course or any("学" in w or w.isascii() for w in named) or bool(named) and (
        q.focus.topic == "courses" or any("课" in w for w in named) or not q.focus.topic and not q.named)
    # ("AGL的物流去哪看" asks of AGL; "AWD的课在哪看" of courses)
    return not chapters and (a_course or q.concept != "learning_path") and (
        of_courses or q.focus.topic == "courses" and elliptical(q))


def elliptical(q: Question) -> bool:
    """"尾端配送呢", "3.8呢": a new subject for the question just answered."""
    bare = re.sub(r"[\s?？。.!！]+$", "", q.text)
    return bare.endswith("呢") and len(bare) <= 12 or len(bare) <= 6 and q.qtype is None


def asks_pages(base: KnowledgeBase, q: Question) -> bool:
    """A question about pages, or a follow-up to one ("MCF呢" after "AWD那节在哪页")."""
    return base.has_cue("pages", q.text) or q.focus.section == "目录" and elliptical(q)


_ABOUT_A_TOPIC = ("what", "yes_no", "why", "which", "how_many", "how_to")


_STEPS_ASKED = re.compile(r"环节|步骤|阶段|部分")


def _wants_advice(q: Question, needed: list[set[str]]) -> bool:
    """`needed`: for each need the message states, the services the routing rules recommend for it."""
    if not q.logistics:
        return False  # "推荐个深圳的餐厅": a recommendation, not of a service
    on_a_service = q.focus.topic in ("service", "statement", "compare") and bool(q.focus.services) and not q.named \
        and all(q.focus.primary in services for services in needed)  # "别家货代的货怎么统一追踪": FIST's need
    if on_a_service and not q.situation and q.attributes:
        return False  # "一般走什么运输方式" right after a service: that service's, not advice
    if on_a_service and q.attributes and elliptical(q) and not (q.advice_cue or q.choice_cue):
        return False  # "美国那边的仓储费呢" right after a service's fees: its fee, the place only says which
    if on_a_service and q.qtype in _PLAIN_FACT and not (q.advice_cue or q.choice_cue):
        return False  # "超长件要拆箱吗" right after a service: a fact of it, though it states the cargo
    if (q.stage or q.concept) and not (q.subjects or q.situation) and q.attributes[:1] and \
            q.attributes[0] not in ("services", "suitable") and not q.seeks:
        return False  # "头程一般怎么运": the stage's own modes, not which service to use ("想找个靠谱点的头程" is)
    if q.placed and not q.subjects and q.attributes and not (q.advice_cue or q.beyond_place):
        return False  # "卫星仓在哪些城市": what the warehouse is, not where the seller's stock is
    if on_a_service and not q.situation and q.qtype == "how_to" and not q.choice_cue:
        return False  # "买家用外语问怎么办" right after FBA's customer service: how FBA handles it
    if q.referenced and needed and all(q.referenced[0] in services for services in needed):
        return False  # "刚才那个追踪系统，货件延误了咋办": the need is that service's, asked of it
    if q.advice_cue and (q.situation or not (q.subjects or q.stage or q.concept)):  # "库存在FBA，独立站来单了，用啥"
        return True
    if q.placed and not q.subjects and not q.beyond_place and q.qtype in _PLAIN_FACT:
        return False  # "自己找的货代能送AWD仓么": about what the warehouse accepts
    if q.qtype == "yes_no" and q.used is not None and q.subjects == [q.used]:
        return False  # "货从国内发，能用X吗": a verdict on that service for the situation, not the advice
    if q.concept and not (q.advice_cue or q.choice_cue) and q.qtype in _ABOUT_A_TOPIC and not q.situation:
        return False  # "从头到尾怎么走": the concept, whatever the classifier guessed
    if on_a_service and not q.situation and q.asks and not (q.advice_cue or q.choice_cue):
        return False  # "补货是按什么算的" right after AWD: how it does it, however the classifier took it
    if q.intent == "ask_recommendation" and not (q.situation or q.turn.values("need") or q.advice_cue or q.choice_cue
                                                 or q.named or q.focus.services or q.seeks) \
            and q.qtype in ("which", "how_many") and q.attributes[:1] == ["services"] and _STEPS_ASKED.search(q.text):
        return False  # "一个订单要经过哪些环节": the chain's steps, though the classifier heard a request for advice
    if q.qtype == "yes_no" and len(q.subjects) == 1 and q.subjects == q.named[:1] and not (q.advice_cue or q.choice_cue) \
            and not q.turn.values("origin") and not q.ctx.marketplace and not q.placed:
        return False  # "X有库容限制吗，旺季老被卡": a fact of X; the need (and a service in it) says why it is asked
    if q.intent == "ask_recommendation" and not (q.named and (q.attributes or q.qtype == "how_to" and not q.situation)):
        # "哪些货比较适合" right after a service: what that service suits, not a new recommendation
        return not (q.focus.services and not q.situation and set(q.attributes) - {"suitable", "services"})
    if not q.situation:
        return False
    if (q.stage or q.concept) and not (q.advice_cue or q.choice_cue) and q.qtype in _ABOUT_A_TOPIC \
            and not _offer_for_the_stock(q):
        return False  # "头程是指从国内到海外仓的运输吗", "从中国发货头程有哪几个选择": the topic itself
    if q.turn.values("need") and (not q.attributes and not q.subjects or not q.asks):
        return True  # "库存放哪便宜点", "FBA仓储费太贵了": a need, however it is said
    if q.choice_cue and q.turn.values("product_trait") and q.turn.values("fulfillment"):
        return True  # "卖万圣节服装 适合FBA还是自发货": the goods decide between the two
    # "SEND从义乌发日本贵不贵": a place in a question about a service is its context, not the advice.
    if q.subjects and (q.intent == "ask_service" or q.attributes or q.qtype in FACT_QUESTIONS):
        return False
    # "走FBA能多卖多少", "亚马逊仓库一共几个": a fact about the service a warehouse names.
    if q.placed and q.qtype in FACT_QUESTIONS and not q.beyond_place:
        return False
    return True


_AMAZON_DOES = re.compile(r"亚马逊(?:能|可以|会)?帮")


def _offer_for_the_stock(q: Question) -> bool:
    """"货在自己的海外仓，亚马逊能帮派送吗": whether Amazon does the stage for stock where it is (advice),
    not what the stage is."""
    return q.qtype == "yes_no" and bool(_AMAZON_DOES.search(q.text)) and any(
        w not in q.negated for w in q.turn.values("warehouse"))


def asks_which_of(base: KnowledgeBase, text: str, focus: Focus) -> bool:
    """"哪个有空运" right after two services were compared: which of them has it (a choice between
    them, "哪个好", is the comparison's own question)."""
    return focus.topic == "compare" and len(focus.services) >= 2 and base.has_cue("reference.which_of", text) \
        and not base.has_cue("compare.choice", text)


def advice_stage(base: KnowledgeBase, focus: Focus) -> str | None:
    """The one stage the advisor's candidates are in (AGL and SEND: 头程)."""
    stages = {base.services[s].stage for s in focus.services if s in base.services}
    return stages.pop() if len(stages) == 1 else None


def services_for_needs(base: KnowledgeBase, q: Question) -> list[set[str]]:
    rules = base.routing_rules.get("rules", [])
    return [{r["recommend"] for r in rules if r.get("recommend") and (r.get("when") or {}).get("needs") == need}
            for need in q.turn.values("need")]


def _variants(base: KnowledgeBase, q: Question) -> bool:
    """One service's own options side by side: its boat types or regions, or air against sea (their
    transit times; a named attribute such as 适合 is answered by that attribute's fact)."""
    subject = (q.subjects or [s for s in [q.focus.primary] if s])[:1]
    several = len(q.sea_services) >= 2 or len(q.modes) >= 2 or len(q.regions) >= 2
    asks_times = not q.attributes or q.attributes[0] in ("transit_time", "modes")
    if not (subject and several and asks_times and not q.beyond_place):
        return False
    modes = base.services[subject[0]].fact("modes")  # the service has these options (FIST has no boats)
    offered = set(modes.data.get("modes", ())) | set(modes.data.get("sea_services", ())) if modes else set()
    return bool(offered & set(q.sea_services + q.modes)) or bool(q.regions and offered)


def _follows_up(q: Question) -> bool:
    """A message with no subject of its own, read as about what the conversation is on."""
    short = len(q.text) <= 12 and bool(re.search(r"[\u4e00-\u9fff]", q.text))
    return bool(q.attributes or q.has_context or q.qtype or q.referenced or short)
