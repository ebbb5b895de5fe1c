"""`respond`: read the message (understand.py), decide once what kind of answer it gets, and let the
one handler of that kind compose it. Handlers do not call one another; each returns the reply and
the slots to set, the focus among them.

Facts come from the knowledge base: a curated fact when one answers the question (composed, cited,
used by the advisor), else the document's own statements (knowledge/statements.py), else an honest
「资料里没有」 with a way forward.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from conversation import advisor, feedback, replies
from conversation import handoff as handoff_record
from conversation.focus import SLOT, Focus, resolve, with_history
from conversation.replies import Context, Reply
from conversation.turn import Outcome, Turn
from conversation.understand import (
    ANSWER_COVERAGE,
    ANSWER_SCORE,
    DOMAIN_INTENTS,
    QTYPE_ATTRIBUTE,
    SMALLTALK,
    Question,
    advice_stage,
    advised_one_meant,
    asks_pages,
    asks_which_of,
    decide,
    elliptical,
    leaves_from_there,
    linked_only,
    named_terms,
    names_requirement,
    read,
    services_for_needs,
    without_words,
)
from knowledge.kb import A_NOT_A, Fact, KnowledgeBase, Service
from knowledge.mentions import QUANTITY
from knowledge.retrieval import SOURCE_NOTE, STOPWORDS, WANTED_KINDS, StatementHit, priced, quantity_kinds
from knowledge.routing import (
    NEED_STAGES,
    Advice,
    Situation,
    covered_markets,
    covers,
    next_question,
    parse_quantity,
    question_options,
)
from knowledge.routing import advise as evaluate
from knowledge.statements import FURTHER_COURSES, PREFACE_OVERVIEW

# Within a question about one service, a statement wins over the curated fact by this much coverage
# when the seller named the attribute, and at no loss when they named none (it is the more precise).
STATEMENT_LEAD_NAMED = 0.2
STATEMENT_LEAD_UNNAMED = -0.05
# ... and even a message the classifier filed under out_of_scope ("Prime会员到底有几亿").
STRONG_COVERAGE = 0.8
STRONG_SCORE = 10.0
# A curated fact answers a question that names no attribute when it matches this share of it.
FACT_COVERAGE = 0.4
# A yes/no question is answered yes only when a statement matches it this well.
YES_COVERAGE = 0.45


logger = logging.getLogger(__name__)


def respond(base: KnowledgeBase, turn: Turn) -> Outcome:
    state = turn.slot(handoff_record.SLOT)
    if state == handoff_record.TAKEN:  # an agent has it: the bot steps aside
        return _with_agent(base, turn)
    if state == handoff_record.REQUESTED and base.has_cue("end_human", turn.text):
        return Outcome(replies.handoff_cancelled(), {handoff_record.SLOT: None})
    focus = Focus.from_slot(turn.slot(SLOT))
    rated = _feedback(base, turn, focus)
    if rated is not None:
        return rated
    more = _more_where_the_last_answer_came_from(base, turn, focus)
    if more is not None:
        return _with_rating_buttons(more)
    turn = _with_back_reference_named(base, _without_the_excepted(base, turn), focus)
    turn = _with_subject_replaced(base, _with_description_resolved(base, turn, focus), focus)
    both = _two_questions(base, turn)
    if both is not None:  # "Prime会员数和覆盖国家数各是多少": each asked in turn, answered together
        first, second = (respond(base, _worded(base, turn, t))
                         for t in both)
        if second.reply.text == first.reply.text or second.reply.text in first.reply.text:
            return first  # both answered by the same text
        return Outcome(Reply(f"{first.reply.text}\n\n{second.reply.text}", second.reply.buttons), {**first.slots, **second.slots})
    named_in_concept = _service_of_the_concept(base, turn, focus)
    if named_in_concept is not None:
        return named_in_concept
    question = read(base, turn, focus)
    kind = decide(base, question)
    part = _ordinal_part(base, question) or _mode_for_use(base, question) or _role_within_last_answer(base, question) or (
        _part_of_last_answer(base, question) if kind in ANSWERING else None)
    outcome = _list_kept(question, _situation_kept(base, question, part or HANDLERS[kind](base, question)))
    outcome = _offered_in_focus(base, outcome)
    if isinstance(outcome.slots.get(SLOT), dict):  # "刚才那个" next: what this answer moved away from
        outcome.slots[SLOT] = with_history(question.focus, Focus.from_slot(outcome.slots[SLOT])).as_slot()
    if isinstance(outcome.slots.get(SLOT), dict):  # a yes/no is kept: "德国站也可以吗" asks it again elsewhere
        kept = {k: v for k, v in outcome.slots[SLOT].items() if k not in ("asked", "said", "said_intent")}
        asked = question.text if question.qtype in ASKED_AGAIN else focus.asked if _same_question_elsewhere(question) else None
        outcome.slots[SLOT] = {**kept, "asked": asked, "said": question.text, "said_intent": turn.intent} if asked else {
            **kept, "said": question.text, "said_intent": turn.intent}
    logger.debug("%r intent=%s qtype=%s subjects=%s → %s, focus %s", turn.text, turn.intent, question.qtype,
                 question.subjects, kind, outcome.slots.get(SLOT))
    if turn.slot(feedback.PENDING_SLOT):  # asked something else instead: the feedback is left there
        outcome.slots[feedback.PENDING_SLOT] = None
    return _with_rating_buttons(_count_misses(turn, outcome))


_WHICH_SERVICE = re.compile(r"(?:哪个|哪一个|哪项|什么|啥)(?:具体)?(?:服务|工具|功能|系统)|(?:服务|工具|功能)(?:是|叫)(?:哪个|什么|啥)")
# "哪个工具" alone right after an answer about one service: which service that was
_ONLY_WHICH_SERVICE = re.compile(r"^(?:那|这|是|用的|靠的|具体是|这是|那是)?" + _WHICH_SERVICE.pattern.join("()")
                                 + r"(?:啊|呀|呢|来着|的)?[？?。]?$")


def _service_of_the_concept(base: KnowledgeBase, turn: Turn, focus: Focus) -> Outcome | None:
    """"具体是哪个服务" right after a concept whose answer names one service ("…其中的 AMS 提供端到端…"),
    or right after an answer about one service: that service, what it is."""
    if not _WHICH_SERVICE.search(turn.text) or any(m.entity == "service" for m in base.mentions(turn.text)):
        return None
    one = focus.current or (focus.services[0] if len(focus.services) == 1 else None)
    if focus.topic in ("service", "statement") and one and _ONLY_WHICH_SERVICE.match(turn.text.strip()):
        said = {one}
    elif focus.topic != "concept" or focus.services:
        return None
    else:
        said = {m.value for m in base.mentions(_last_answer_text(base, focus)) if m.entity == "service"}
    if len(said) != 1:
        return None
    text = f"{base.services[next(iter(said))].short}是什么"
    return respond(base, _worded(base, replace(turn, intent="ask_service"), text))


def _worded(base: KnowledgeBase, turn: Turn, text: str) -> Turn:
    """The same turn, as if the seller had written `text`: its mentions found again."""
    return replace(turn, text=text, entities=[m.as_entity() for m in base.message_finder.find(base.normalize(text))])


def _offered_in_focus(base: KnowledgeBase, outcome: Outcome) -> Outcome:
    """A concept answered with the one service it offers ("自发货卖家可以用购买配送", "境内供货商…可选 PCP"):
    "用它有啥好处", "它覆盖哪" next are about that service."""
    said = outcome.slots.get(SLOT)
    if not isinstance(said, dict) or said.get("services") or said.get("topic") != "concept":
        return outcome
    text = base.normalize(outcome.reply.text)
    offered = {m.value for m in base.mentions(text) if m.entity == "service"
               and re.search("[用选]", text[max(0, m.start - 4):m.start])}
    if len(offered) != 1:
        return outcome
    return replace(outcome, slots={**outcome.slots, SLOT: {**said, "services": sorted(offered)}})


def _list_kept(q: Question, outcome: Outcome) -> Outcome:
    """"后一个…" answered by any handler: the list pointed into stays, so "前一个…" next still counts in it."""
    said = outcome.slots.get(SLOT)
    listed = q.focus.services
    if len(q.referenced) != 1 or len(listed) < 2 or q.referenced[0] not in listed or not isinstance(said, dict):
        return outcome
    if list(said.get("services") or ()) != q.referenced:
        return outcome
    return replace(outcome, slots={**outcome.slots, SLOT: {**said, "services": list(listed), "current": q.referenced[0]}})


def _situation_kept(base: KnowledgeBase, q: Question, outcome: Outcome) -> Outcome:
    """"工厂在宁波，货卖英国站，这算跨境吗" answered as a concept still tells the advisor where the
    goods are and go: "那头程用啥" next does not ask again. Only a message that says where the goods are."""
    if any(name in outcome.slots for name in advisor.SITUATION_SLOTS) or not (q.situation or leaves_from_there(q.turn)) \
            or not q.turn.values("origin") or q.turn.slot(handoff_record.SLOT):
        return outcome
    situation, quantity, _ = advisor.apply_turn(advisor.situation_from_slots(q.turn.slots), q.turn, None, q.negated)
    return replace(outcome, slots={**advisor.situation_slots(situation, quantity), **outcome.slots})


_EACH = re.compile(r"^(?P<a>[^，,。？?和与跟及]{2,16})(?:和|与|跟|以及)(?P<b>[^，,。？?]{2,16}?)(?:各|分别)(?:是|有|要)?(?P<ask>多少|几)(?P<rest>[^，,。]{0,4})$")  # figures; two terms' meanings are named together


_PLUS = re.compile(r"(?<![0-9])\s*[+＋]\s*")  # not "400+运营中心"


_IT = re.compile(r"^(?:那|那么|另外|还有|以及)?\s*(?:它们|它|其)")


def _two_questions(base: KnowledgeBase, turn: Turn) -> tuple[str, str] | None:
    """"X和Y各是多少" (two figures) of two things that are not two services (those are compared or answered each by
    the service handler): the two questions it holds."""
    joined = _PLUS.split(base.normalize(turn.text).strip(" ？?。"))
    if len(joined) == 2 and all(any(m.entity == "attribute" for m in base.mentions(part)) for part in joined):
        a, b = joined  # "X 覆盖范围+货件类型": two questions typed as one, X asked of both
        shared = next((m.text for m in base.mentions(a) if m.entity == "service"), "")
        return a, b if not shared or any(m.entity == "service" for m in base.mentions(b)) else f"{shared} {b}"
    asked = [p for p in re.split(r"[？?]", base.normalize(turn.text)) if p.strip(" 。，,")]
    services = [m for m in base.mentions(asked[0]) if m.entity == "service"] if len(asked) == 2 else []
    if len(services) == 1 and all(base.question_type(p) for p in asked):
        second = asked[1].strip()
        # "PCP的中文全称是什么？它面向哪类供货商？": the second asked of the service the first names
        if _IT.match(second):
            return asked[0], _IT.sub(services[0].text, second, count=1)
    found = _EACH.match(base.normalize(turn.text).strip(" ？?。"))
    if found is None:
        return None
    a, b, ask = found.group("a"), found.group("b"), found.group("ask") + found.group("rest")
    services = [m for m in base.mentions(turn.text) if m.entity == "service"]
    if len(services) >= 2 and all(any(m.text in part for m in services) for part in (a, b)) \
            and not any(m.entity == "attribute" for m in base.mentions(a)):
        return None
    shared = next((m.text for m in services if m.text in a), "")  # "FBA的X和Y各是多少": Y is FBA's too
    return f"{a}是{ask}", f"{shared if shared and shared not in b else ''}{b}是{ask}"


_DESCRIBED_HEAD = re.compile(r"^(?:那)?[\u4e00-\u9fff]{2,4}?的?那(?:个|种|项|家)")


def _with_back_reference_named(base: KnowledgeBase, turn: Turn, focus: Focus) -> Turn:
    """"刚才那个追踪系统，货件延误了咋办": the clause that only points back is the service it points at, so
    its description is not taken for what is asked ("FIST，货件延误了咋办")."""
    references = base.vocabulary["cues"]["reference"]
    described = _DESCRIBED_HEAD.match(turn.text)
    pointers = [w for kind, words in references.items() if kind != "it" for w in words]
    if described and any(w in described.group(0) or described.group(0) in w for w in pointers):
        described = None  # "后面那个", "刚才那个": a place in a list or the talk, not a description
    if described and (focus.services or focus.topic == "advice"):  # "分拨那个怎么操作" right after advice on AWD
        word = re.sub(r"^那|的?那[个种项家]$", "", described.group(0))
        meant = [sid for sid, names in base.service_names.items() if any(word in n for n in names)]
        if len(meant) == 1 and meant[0] in base.services:  # a word of one service's own names
            text = base.services[meant[0]].short + turn.text[described.end():]
            return _worded(base, turn, text)
    head, comma, rest = turn.text.partition("，") if "，" in turn.text else turn.text.partition(",")
    back = next((w for w in references.get("back", ()) if head.startswith(w)), None)
    if back is None or not rest.strip() or base.is_question(head) or not focus.earlier:
        return turn
    meant = resolve(references, head, focus, base.service_names)
    if len(meant) != 1 or meant[0] not in base.services:
        return turn
    text = f"{base.services[meant[0]].short}{comma}{rest}"
    return _worded(base, turn, text)


_EXCEPTED = re.compile(r"除了(?P<what>[^，,。？?]{2,14}?)(?:以外|之外)?(?:[，,]\s*)?(?:还|另外|也)")


def _without_the_excepted(base: KnowledgeBase, turn: Turn) -> Turn:
    """"MCD除了批量调货给其他渠道，还能带来啥": what the seller already knows is not what is asked; the question
    is the rest ("MCD能带来啥"). A service excepted ("除了AGL还有啥头程") is a service ruled out instead."""
    found = _EXCEPTED.search(turn.text)
    what = found.group("what") if found else ""
    # (a service the excepted names as a place, "除了给FBA补货", is not one ruled out; a market excepted,
    # "除了中东还能发哪", is part of what is asked)
    if found is None or any(m.entity in CONTEXT_KINDS or m.entity == "service" and what[max(0, m.start - 1):m.start]
                            not in ("给", "到", "往", "进", "入") for m in base.mentions(what)):
        return turn
    text = (turn.text[:found.start()] + turn.text[found.end():]).strip()
    return _worded(base, turn, text)


# Subjects a bare "那X呢" puts in place of the one the last message named (FBA → 自发货).
REPLACEABLE = ("fulfillment", "concept", "stage", "sales_channel", "warehouse")
# "啊我记混了，我说的是X": the last question again, of what the seller meant
_MEANT = re.compile(r"^(?:哦|噢|啊)?(?:我是说|我说的是|我指的是|我想问的是|是说)(?P<subject>[^，,。？?]{1,12}?)[。！!？?\s]*$")
_BARE = re.compile(r"^(?:那|那么|那要是|要是|如果是|换成|改成)?(?P<subject>.+?)(?:的话)?(?:呢|怎么样|咋样)[？?。！!\s]*$")


def _with_subject_replaced(base: KnowledgeBase, turn: Turn, focus: Focus) -> Turn:
    """"那自发货呢" right after a question about FBA returns: the last question again, with the subject it named
    replaced by this one, so it is read, decided and answered as that question (not a situation)."""
    meant = _MEANT.match(base.without_correction(turn.text).strip(" ，,。"))
    bare = _BARE.match(turn.text.strip()) or meant
    if not focus.said or bare is None or focus.topic in ("advice", "stage", "course", "courses", "pain_points"):
        return turn
    new = [m for m in base.mentions(bare.group("subject")) if m.entity != "attribute"]
    named = [m for m in new if m.entity == "service"]
    said = base.mentions(focus.said)
    if len(named) == 1 and len(new) > 1 and named[0].value != focus.primary and all(
            m.text in focus.said for m in new if m.entity != "service") and not any(m.entity == "service" for m in said):
        # "那AGL的快船呢" right after "快船去美东多少天" of SEND: that question, of AGL
        return _worded(base, replace(turn, intent=focus.said_intent or turn.intent), named[0].text + focus.said)
    fee, before = base.fee_named(bare.group("subject")), base.fee_named(focus.said)
    # "那低量库存费呢" right after a question on another fee: that question, of this fee
    if fee and before and fee != before and fee == bare.group("subject").strip():
        return _worded(base, replace(turn, intent=focus.said_intent or turn.intent), focus.said.replace(before, fee))
    if len(new) != 1 or new[0].entity not in (*REPLACEABLE, *(("service",) if meant else ())) \
            or len(new[0].text) < len(bare.group("subject")) - 1:
        return turn
    old = [m for m in said if _same_kind(m, new[0]) and m.value != new[0].value]
    if len(old) != 1:
        return turn
    text = focus.said[:old[0].start] + new[0].text + focus.said[old[0].end:]
    return _worded(base, replace(turn, intent=focus.said_intent or turn.intent), text)


# "快的那个": one of the named options of the last answer, by a word of its name.
_DESCRIBED = re.compile(r"(?P<word>[\u4e00-\u9fff]{1,4})的(?:那个|那种|那项|那一种|那一个)")
_NAMED_OPTION = re.compile(r"([\u4e00-\u9fff]{2,8})\s*[(（]\s*[A-Za-z]{2,6}\s*[)）]")


def _with_description_resolved(base: KnowledgeBase, turn: Turn, focus: Focus) -> Turn:
    """"快的那个简称叫啥" right after an answer naming 海运快船 (FO) and 海运普船 (SO): the one whose
    name holds the word, put in its place."""
    found = _DESCRIBED.search(turn.text)
    said = _last_answer_text(base, focus) if found else ""
    options = list(dict.fromkeys(_NAMED_OPTION.findall(said)))
    if found and not options:  # the focused services' own named options
        options = list(dict.fromkeys(o for sid in focus.services if sid in base.services
                                     for f in base.services[sid].facts.values() for o in _NAMED_OPTION.findall(f.answer)))
    fitting = [o for o in options if found and found.group("word") in o]
    if found is not None and not fitting:  # "能空运的那个": the focused service that offers that mode
        modes = base.values_named(found.group("word"), "transport_mode")
        fitting = [base.services[sid].short for sid in focus.services if modes and sid in base.services
                   and modes <= set((base.services[sid].data("modes", "modes") or ()))]
    if found is None or len(fitting) != 1:
        return turn
    text = turn.text.replace(found.group(0), fitting[0], 1)
    return _worded(base, turn, text)


def _last_answer_text(base: KnowledgeBase, focus: Focus) -> str:
    source = tuple(focus.source or ())
    if source[:1] == ("statement",):
        return " ".join(_answer_parts(base, source)[0])
    fact = replies.fact_for(base, source)
    return fact.answer if fact is not None else ""


def _same_kind(said, new) -> bool:
    """Two subjects one can stand for the other: of one entity type, or FBA the service and 自发货 the
    way of fulfilling orders."""
    return said.entity == new.entity or {said.entity, new.entity} == {"service", "fulfillment"} and "FBA" in (
        said.value, new.value)


def _same_question_elsewhere(q: Question) -> bool:
    """"那德国呢" after "美国站呢" asks what was asked before once more: the kept wording stays."""
    return q.qtype is None and not q.attributes and not q.named and q.has_context and len(q.text) <= _AGAIN_MAX_CHARS


def _with_rating_buttons(outcome: Outcome) -> Outcome:
    """Every answer that cites the document can be rated."""
    if outcome.answered and "「来源：" in outcome.reply.text:
        outcome.reply = Reply(outcome.reply.text, [*outcome.reply.buttons, *replies.feedback_buttons()])
    return outcome


def _feedback(base: KnowledgeBase, turn: Turn, focus: Focus) -> Outcome | None:
    """A rating, its reason or its note; None for anything else (answered as usual)."""
    pending = turn.slot(feedback.PENDING_SLOT)
    rating, reason = turn.first(feedback.RATING), turn.first(feedback.REASON)
    typed = _whole_cues(base, turn.text)
    if pending == "reason" and reason is None:
        reason = next((r for r, cue in feedback.REASON_CUES.items() if cue in typed), None)
    if reason in feedback.REASONS:
        if reason == "other":
            return Outcome(replies.feedback_ask_note(), {feedback.PENDING_SLOT: "note"}, feedback={"reason": reason})
        return Outcome(replies.feedback_noted(), {feedback.PENDING_SLOT: None}, feedback={"reason": reason})
    after_answer = bool(focus.source) and not turn.slot("pending_question")
    if rating is None and after_answer and typed & {"feedback_down", "feedback_up"}:
        rating = "down" if "feedback_down" in typed else "up"  # 「没用」 typed after an answer
    if rating is None and after_answer and turn.intent == feedback.INTENT and turn.confidence >= 0.5:
        rating = _rating_in(base, turn.text)  # 「这个回答没解决我的问题」
    if rating == "up":
        return Outcome(replies.feedback_thanks(), {feedback.PENDING_SLOT: None},
                       feedback={"rating": "up", "section": focus.section})
    if rating == "down":
        return Outcome(replies.feedback_ask_reason(), {feedback.PENDING_SLOT: "reason"},
                       feedback={"rating": "down", "section": focus.section})
    if pending == "note" and turn.text.strip() and turn.intent in _NOT_A_QUESTION:
        return Outcome(replies.feedback_noted(), {feedback.PENDING_SLOT: None}, feedback={"note": turn.text.strip()})
    return None


def _rating_in(base: KnowledgeBase, text: str) -> str | None:
    down = any(base.has_cue(cue, text) for cue in ("feedback_down", *feedback.REASON_CUES.values()))
    return "down" if down else "up" if base.has_cue("feedback_up", text) else None


# After 「其他」, a message the classifier does not take for a question is the seller's note.
_NOT_A_QUESTION = {feedback.INTENT, "nlu_fallback", "inform", "out_of_scope", *SMALLTALK}
_FILLERS = re.compile(r"[\s，。！!？?、~～…啊呀吧哦呢嘛了的]+")


def _whole_cues(base: KnowledgeBase, text: str) -> set[str]:
    """The feedback cue groups whose word is the whole message (「没用啊」 is one, 「这个没用在哪」 is not)."""
    bare = _FILLERS.sub("", base.normalize(text).lower())
    if not bare or len(bare) > 8:
        return set()
    groups = ("feedback_down", "feedback_up", *feedback.REASON_CUES.values())
    return {g for g in groups if bare in {_FILLERS.sub("", w.lower()) for w in base.cue_words(g)}}


def _with_agent(base: KnowledgeBase, turn: Turn) -> Outcome:
    """Silent while an agent answers; 「结束人工」 hands the conversation back to the bot."""
    if base.has_cue("end_human", turn.text):
        return Outcome(replies.handed_back(), {handoff_record.SLOT: None})
    return Outcome(Reply(""))


def _count_misses(turn: Turn, outcome: Outcome) -> Outcome:
    """Turns in a row the bot could not answer; at the limit it offers a human instead of guessing on."""
    misses = 0 if outcome.answered else int(turn.slot(handoff_record.MISSES_SLOT) or 0) + 1
    if misses >= handoff_record.MISSES_BEFORE_OFFER and not turn.slot(handoff_record.SLOT):
        outcome.reply, misses = replies.offer_handoff(outcome.reply), 0
    if misses != int(turn.slot(handoff_record.MISSES_SLOT) or 0):
        outcome.slots[handoff_record.MISSES_SLOT] = misses
    return outcome


def _with_focus(reply: Reply, focus: Focus, **slots) -> Outcome:
    return Outcome(reply, {SLOT: focus.as_slot(), **slots})


# -- the edges ---------------------------------------------------------------------------------------


def smalltalk(base: KnowledgeBase, q: Question) -> Outcome:
    return Outcome(replies.smalltalk(q.intent))


def bad_input(base: KnowledgeBase, q: Question) -> Outcome:
    return Outcome(replies.bad_input())


def handoff(base: KnowledgeBase, q: Question) -> Outcome:
    if base.has_cue("end_human", q.text):  # nothing to end: the bot has the conversation already
        return Outcome(replies.handed_back(), {handoff_record.SLOT: None})
    hours = handoff_record.settings().hours
    place = None if q.turn.queue_ahead is None else q.turn.queue_ahead + 1
    open_now = q.turn.now is None or hours.open_at(q.turn.now)
    return Outcome(replies.handoff(place, open_now, hours.describe()), {handoff_record.SLOT: handoff_record.REQUESTED})


def show_source(base: KnowledgeBase, q: Question) -> Outcome:
    return Outcome(replies.source(base, q.focus.source))


def search(base: KnowledgeBase, q: Question) -> Outcome:
    """No curated topic: the document's statements answer, or it says plainly that they do not."""
    found = named_terms(base, q) if q.qtype == "name" else base.names_in(q.text)
    if len(found) >= 2 and q.compare_cue or found and q.qtype in ("name", "what"):  # "FCL和LCL啥差别"
        return _with_focus(replies.names_answer(base, found, _english_asked(base, q)), replace(q.focus, section=found[0].section))
    linked = linked_only(base, q)
    if linked:  # "IPI多少分会限库容": only a further course's title names it
        link = next(x for x in base.statements if x.kind == "link" and linked[0] in x.text)
        return _with_focus(replies.not_in_document(base, link), q.focus)
    if asks_pages(base, q):
        pages = base.find_statements(q.text, q.qtype, limit=8, sections=["目录"])
        if pages:
            return _pages(base, q, pages)
    # "用FBA，买家退货谁管": the service the seller fulfils with is what the question is about
    fulfilled_by = [s for s in q.placed if s in q.turn.values("fulfillment")]
    hits = _sourced(base, q) or _of_the_topic_in_focus(base, q) or _here_first(base, q, base.find_statements(
        q.text, q.qtype, subjects=q.subjects or fulfilled_by or q.focus.services, limit=5))
    aside = q.intent in ("out_of_scope", *SMALLTALK) and q.confidence >= 0.5
    # "深圳这周刮不刮台风": a city and words the document never uses, no shipment: not answered by the ports
    aside = aside or not q.logistics and not q.focus.services and (
        q.turn.values("origin") or q.intent in ("ask_recommendation", "out_of_scope")) and _of_something_else(base, q)
    if hits and _answerable(base, q, hits[0]) and (not aside or _strong(hits[0]) or _in_focus_section(q, hits[0])):
        return statement(base, q, hits, subjects=[])
    if base.chapter_for(q.text) is not None:  # "企业购怎么开通": another chapter of the course
        return Outcome(replies.out_of_scope(base, q.text), {SLOT: None}, answered=False)
    if not q.logistics and _of_something_else(base, q):
        return Outcome(replies.out_of_scope(base, q.text), {SLOT: None}, answered=False)  # "深圳哪家火锅好吃": a city, no shipment
    # no known word at all: not understood, not "not documented"; a question of shipping or storing the
    # document does not answer ("货丢了怎么赔") is a gap, though
    if (q.evidence or hits and (_in_domain(q) or _asks_of_logistics(base, q))) and not aside:
        return _with_focus(replies.not_in_document(base, hits[0].statement if hits else None), q.focus)
    if q.intent == "out_of_scope" or aside or not q.logistics and _of_something_else(base, q):
        return Outcome(replies.out_of_scope(base, q.text), {SLOT: None}, answered=False)
    return _unsure(base, q)


# A follow-up is answered by a part of the last curated answer when that part holds this share of it.
PART_COVERAGE = 0.5
PART_MAX_CHARS = 16
# Whose curated answers are read in parts: a topic's (a service's follow-ups have their own ways).
PARTED_OWNERS = ("concept", "stage", "pain")
# The kinds of handling a part of the last answer may stand in for.
ANSWERING = ("search", "explain", "advise")
_PART_MARK = re.compile(r"(?=[①②③④⑤⑥⑦⑧⑨])|；")


def _role_within_last_answer(base: KnowledgeBase, q: Question) -> Outcome | None:
    """"卖家在其中做什么" right after a curated answer: the sentence of it that says what that party does."""
    within = _WITHIN.search(q.text) or _ROLE_ASKED.match(q.text.strip())
    source = tuple(q.focus.source or ())
    fact = replies.fact_for(base, source) if within and source[:1] == ("fact",) and len(source) == 3 else None
    subject = re.sub(r"^(?:那么|那|所以)", "", q.text[:within.start("role")]).strip() if within else ""
    said = [c for c in re.split(r"(?<=。)", fact.answer) if len(subject) >= 2 and subject in c] if fact else []
    if fact is None or not said or q.named or len(q.text) > PART_MAX_CHARS:
        return None
    # "…由卖家自行负责…，亚马逊仅作为销售的网站": the clause the party opens says its part
    opened = [c for c in re.split(r"[，,；;]", said[0].rstrip("。")) if c.strip().startswith(subject)]
    return _with_focus(replies.part_of_answer(opened[0] if opened else said[0].rstrip("。"), fact.section), q.focus)


_WITHIN = re.compile(r"(?P<role>(?:在|于)(?:这|那)?(?:里面|里头|其中|当中|中间))")
# "那亚马逊干啥" right after an answer naming who does what: a party's part, asked with no 在其中
_ROLE_ASKED = re.compile(r"^(?:那么|那|所以)?[^，,。？?\s]{2,6}?(?P<role>(?:又|就|还|都)?(?:干啥|干嘛|干什么|做什么|做啥|"
                         r"负责什么|负责啥|管什么|管啥|起什么作用|扮演什么角色))(?:的|呢|了)?[？?]*$")


def _part_of_last_answer(base: KnowledgeBase, q: Question) -> Outcome | None:
    """"费用那块展开说说", "它排第几" right after a curated answer about a topic (its challenges, a
    concept): the part of that answer the follow-up is about, said again with its section, when the
    part holds the follow-up's words at least as well as any statement of the section does."""
    source = tuple(q.focus.source or ())
    example = base.has_cue("example", q.text)  # "X举个例子": the part of any answer that gives it
    if example and source[:1] == ("statement",) and not q.named:
        return _example_in_list(base, q, source)
    if example and source[:1] == ("advice",) and q.focus.said and not q.named:  # "比如啥" after advice on a trait
        listed = [h for h in base.find_statements(q.focus.said, None, list(q.focus.services), limit=5)
                  if "如" in h.statement.text]
        return _example_in_list(base, replace(q, text=f"{q.focus.said} {q.text}"), ("statement", listed[0].statement.id)) \
            if listed else None
    if source[:1] != ("fact",) or len(source) != 3 or source[1] not in PARTED_OWNERS and not example or q.named \
            or q.situation and not example or q.has_context \
            or q.stage and q.stage != q.focus.stage or q.concept and q.concept != q.focus.concept \
            or q.qtype in ("what", "name") and not _WITHIN.search(q.text) or len(q.text) > PART_MAX_CHARS:
        return None  # "X是指什么": a term of its own; "X在里面干嘛": X's part in what was just said
    fact = replies.fact_for(base, source)
    # the message's own words, a question word's content ("成本") included, without its vague ones
    plain = set(base.cue_words("vague")) | set(base.cue_words("elaborate")) | STOPWORDS
    asked = base.without_cue("example", base.without_cue("elaborate", q.text))
    terms = [t for t in base.terms(asked) if t.lstrip("²") not in plain]
    if fact is None or not _substantive(terms):
        return None
    index = base.statement_index
    parts = [p.strip() for p in _PART_MARK.split(fact.answer) if p and p.strip()]
    # the part that covers most, and of those the one whose matched word comes first: "分销是…" before
    # "仓储分销的核心…" for "分销呢"
    scored = [(index.coverage(terms, Counter(base.terms(p))), -_first_match(p, terms), p) for p in parts]
    coverage, _, part = max(scored) if scored else (0.0, 0, "")
    counted = _counted_list(q, fact.answer)
    if counted is not None and coverage < PART_COVERAGE:  # "分几大块": the list it counts
        return _with_focus(replies.part_of_answer(counted, fact.section, *replies.overview_also(base, fact)), q.focus)
    here = base.find_statements(q.text, q.qtype, limit=1, sections=[fact.section])
    if coverage < PART_COVERAGE or here and index.coverage(terms, index.terms_of(here[0].statement)) > coverage:
        return None
    return _with_focus(replies.part_of_answer(part, fact.section, *replies.overview_also(base, fact)), q.focus)


# "分哪几个环节", "有几大块": a count asked of the answer, and the answer's sentence that counts a list
_COUNT_ASKED = re.compile(r"(?:哪|几)几?\s*(?:个|大|类|种|块|项|部分)")
_COUNTED_LIST = re.compile(r"[^。；;]*[分有含括][^。；;：:]{0,6}[一二三四五六七八九十两\d]\s*(?:个|大|类|种|项|块)[^。；;：:]{0,6}[：:][^。；;]+")


def _counted_list(q: Question, answer: str) -> str | None:
    if q.qtype not in ("which", "how_many") or not _COUNT_ASKED.search(q.text):
        return None
    found = _COUNTED_LIST.search(answer)
    return found.group(0).strip() if found else None


# "第二块", "第三条": a part of the last answer by its place (块/条/点… count parts, not services).
_ORDINAL = re.compile(r"第\s*([一二三四五六七八九1-9])\s*(?:块|条|点|项|部分|段|类|大块|方面|步)")
_NUMERALS = "一二三四五六七八九"
# "第一个" counts services when the focus has several; with one, it counts the parts of its answer.
_ORDINAL_ITEM = re.compile(r"第\s*([一二三四五六七八九1-9])\s*(?:个|种|项)")
_LAST_ITEM = re.compile(r"最后(?:那|一)?\s*(?:个|种|项|条|点|块|部分|步)")  # "最后那个具体是": the last part
PART_STATEMENT_COVERAGE = 0.6  # a part of a curated answer is shown as the document's point that says it
_LABEL = re.compile(r"^([^：:，,；;。]{2,8})[：:]")


_MIDDLE_ITEM = re.compile(r"中间(?:那|的|这)?\s*(?:个|种|项|段|块|环节|部分|一个)?")
_ENUMERATION = re.compile(r"[：:]\s*([^。；;\n：:]{2,20}(?:、[^。；;\n：:、]{2,20})+)")


def _enumerated_item(base: KnowledgeBase, q: Question) -> Outcome | None:
    """"第二个是啥意思", "中间那个管啥" right after an answer that lists things the knowledge base knows
    ("它分三个阶段：头程物流、仓储分销、尾端配送及售后"): the question, asked of that item."""
    several = len(q.focus.services) > 1
    if q.named or several and (_ORDINAL_ITEM.search(q.text) or not q.focus.listed):
        return None  # "第二个" after two services counts the services
    found = _ORDINAL_ITEM.search(q.text) or _ORDINAL.search(q.text) or _MIDDLE_ITEM.search(q.text) \
        or _LAST_ITEM.search(q.text)
    if found is None:
        return None
    # "第三段呢" after the second stage's services: still the stages listed before
    lists = [] if several else [[i.strip() for i in m.group(1).split("、")]
                                for m in _ENUMERATION.finditer(_last_answer_text(base, q.focus))]
    for items in [*lists, list(q.focus.listed)]:
        if not items or not all(_names_a_known_thing(base, i) for i in items):
            continue  # only a list of known things: a list of features is answered part by part
        if found.re is _MIDDLE_ITEM:
            n = (len(items) + 1) // 2 if len(items) % 2 else 0
        elif found.re is _LAST_ITEM:
            n = len(items)
        else:
            n = int(found.group(1)) if found.group(1).isdigit() else _NUMERALS.index(found.group(1)) + 1
        if not 0 < n <= len(items):
            return None
        text = q.text[:found.start()] + items[n - 1] + q.text[found.end():]
        outcome = respond(base, _worded(base, q.turn, text))
        if isinstance(outcome.slots.get(SLOT), dict):
            outcome.slots[SLOT] = {**outcome.slots[SLOT], "listed": items}
        return outcome
    return None


def _names_a_known_thing(base: KnowledgeBase, item: str) -> bool:
    """"仓储分销", "AWD (亚马逊智能卫星仓)": mostly the name of a stage, concept or service, not a clause."""
    named = sum(m.end - m.start for m in base.mentions(item))
    return named >= 0.6 * len(re.sub(r"[\s()（）]", "", item))


def _ordinal_part(base: KnowledgeBase, q: Question) -> Outcome | None:
    """"第二块具体说说" right after an answer in parts (a service's advantages by theme, a list): that
    part; a part with a label ("简化运营：…") is shown with the document's points under that label."""
    item = _enumerated_item(base, q)
    if item is not None:
        return item
    found = _ORDINAL.search(q.text) or (_ORDINAL_ITEM.search(q.text) if len(q.focus.services) <= 1 else None)
    last = _LAST_ITEM.search(q.text) if len(q.focus.services) <= 1 else None
    source = tuple(q.focus.source or ())
    named = [a for a in q.attributes if q.focus.primary and base.services[q.focus.primary].fact(a)]
    if named and q.focus.primary:  # "流程第一步是啥": the parts of that fact, whatever was answered last
        source = ("fact", q.focus.primary, named[0])
    if found is None and last is None or q.named or not source:
        return None
    parts, section = _answer_parts(base, source)
    n = len(parts) if found is None else int(found.group(1)) if found.group(1).isdigit() \
        else _NUMERALS.index(found.group(1)) + 1
    if not 0 < n <= len(parts) or section is None:
        return None
    part = parts[n - 1]
    label = _LABEL.match(part)
    name = label.group(1) if label else None
    points = [x for x in base.statements if name and x.section == section and x.heading == name and x.kind != "note"]
    if points:
        text = f"{name}：" + "；".join(x.text.rstrip("；;。") for x in points) + "。"
        return _with_focus(replies.part_of_answer(text, section), q.focus)
    said = base.find_statements(part, None, limit=1, sections=[section])  # the document's own point, with its note
    paragraph = [x for x in base.statements if said and x.section == section and x.kind == "sentence"
                 and x.heading == said[0].statement.heading] if said and said[0].statement.kind == "sentence" else []
    if said and said[0].coverage >= PART_STATEMENT_COVERAGE and len(paragraph) > 1:  # a paragraph's sentences together
        text = f"{said[0].statement.heading}：" + "".join(x.text for x in paragraph)
        return _with_focus(replies.part_of_answer(text, section), q.focus)
    if said and said[0].coverage >= PART_STATEMENT_COVERAGE:
        shown = statement(base, replace(q, qtype=None), said, [])
        if isinstance(shown.slots.get(SLOT), dict):  # "第五条呢" next counts in the same list
            shown.slots[SLOT] = {**shown.slots[SLOT], "source": list(source)}
        return shown
    return _with_focus(replies.part_of_answer(part, section), q.focus)


# A use matches one mode's "适用于…" line when it holds this much of the line's words, and more than any other's.
MODE_USE_COVERAGE = 0.3
_CHOICE = re.compile(r"哪个|哪种|哪一种|哪样|还是|走啥|走什么|用啥|用什么|怎么走|怎么发|选啥|选哪")


def _mode_for_use(base: KnowledgeBase, q: Question) -> Outcome | None:
    """"新品测试走空运还是海运" of a service whose modes each say what they suit (SEND: 空运 "适用于紧急
    补货, 新品测试", 海运 "适用于大量补货, 计划发货"): the mode whose line holds the use, with that line.
    Also a bare use right after such an answer ("大货计划发货呢")."""
    with_uses = [n for n in q.named if len(base.mode_uses.get(n, {})) > 1]  # "补FBA…SEND用空运还是海运": SEND's
    sid = with_uses[0] if len(with_uses) == 1 else q.focus.primary if not q.named else None
    uses = base.mode_uses.get(sid, {}) if sid else {}
    after_one = tuple(q.focus.source or ())[-1:] and tuple(q.focus.source)[-1] in {x.id for x in uses.values()}
    if sid is None or len(uses) < 2 or not (_CHOICE.search(q.text) or len(q.modes) > 1 or after_one and elliptical(q)):
        return None
    text = _without_mentions(base, q.text, ("service", "transport_mode", "attribute"))
    terms = [t for t in base.query_terms(text, [sid]) if not t.startswith("@")]
    index = base.statement_index
    scored = sorted(((index.coverage(terms, index.terms_of(x)), mode) for mode, x in uses.items()), reverse=True)
    (best, mode), (runner_up, _) = scored[0], scored[1]
    if best < MODE_USE_COVERAGE or best <= runner_up:
        return None
    shown = statement(base, replace(q, qtype=None), [StatementHit(uses[mode], STRONG_SCORE, best)], [sid])
    lead = f"建议走{base.label('transport_mode', mode)}。"
    return replace(shown, reply=Reply(lead + shown.reply.text, shown.reply.buttons))


def _answer_parts(base: KnowledgeBase, source: tuple) -> tuple[list[str], str | None]:
    """The parts of the last answer, in order: a curated fact's numbered or labelled blocks or its
    items; a statement's list."""
    if source[:1] == ("statement",):
        said = base.statement(source[-1])
        return ([x.text for x in base.statement_index.group(said)], said.section) if said else ([], None)
    fact = replies.fact_for(base, source)
    if fact is None:
        return [], None
    text = re.sub(r"^[^：:——]{0,16}(?:——|：)", "", fact.answer, count=1)  # "AWD 的优势——", its lead-in
    text = re.sub(r"[（(][^（()）]*[)）]\s*$", "", text)  # a closing footnote is no part
    for pattern in (r"(?=[①②③④⑤⑥⑦⑧⑨])", r"(?<=。)", r"；"):
        parts = [p.strip(" 。；") for p in re.split(pattern, text) if p.strip(" 。；")]
        if len(parts) >= 2:
            return parts, fact.section
    return [], fact.section


def _example_in_list(base: KnowledgeBase, q: Question, source: tuple) -> Outcome | None:
    """"带电的举个例子" right after a list quoted from the document: the item it names, with its example."""
    parts, section = _answer_parts(base, source)
    asked = base.without_cue("example", q.text)
    terms = [t for t in base.terms(asked) if t.lstrip("²") not in STOPWORDS and not t.startswith("@")]
    index = base.statement_index
    scored = sorted(((index.coverage(terms, Counter(base.terms(p))), p) for p in parts), reverse=True)
    if not scored or scored[0][0] < PART_COVERAGE or section is None:
        return None
    return _with_focus(replies.part_of_answer(scored[0][1], section), q.focus)


def _first_match(text: str, terms: list[str]) -> int:
    at = [text.find(t.lstrip("²·")) for t in terms if not t.startswith("@") and t.lstrip("²·") in text]
    return min(at) if at else len(text)


def _in_focus_section(q: Question, hit: StatementHit) -> bool:
    """"贵了有啥后果" right after the costs: a short follow-up the classifier took for small talk is
    answered from the section the conversation is in."""
    return bool(q.focus.section) and hit.statement.section == q.focus.section and q.qtype is not None


def _asks_of_logistics(base: KnowledgeBase, q: Question) -> bool:
    return base.has_cue("logistics", q.text) and (q.qtype is not None or base.is_question(q.text))


def _of_something_else(base: KnowledgeBase, q: Question) -> bool:
    """A real question with words of its own that the document never uses ("深圳有什么好餐厅"), not a
    vague one ("那个东西咋弄")."""
    asks = q.qtype is not None or bool(re.search(r"[?？吗呢么]\s*$", q.text)) or base.has_cue("request", q.text)
    vague = set(base.cue_words("vague"))
    own = [t for t in base.terms(q.text) if not t.startswith(("@", "·", "²")) and len(t) >= 2
           and t not in vague and not base.statement_index.knows(t) and not base.has_cue("question_type", t)]
    return asks and bool(own)


# Attributes a topic's own statements describe whatever words they use ("有什么好处" of a solution
# whose statement says what it does for the seller).
DESCRIBED = frozenset({"advantages", "suitable", "services", "coverage", "requirement"})


def _of_the_topic_in_focus(base: KnowledgeBase, q: Question) -> list[StatementHit]:
    """An attribute alone, naming nothing, right after a topic ("优点呢", "限哪个国家") asks it of
    that topic: the section in focus answers, however few of the question's words it shares."""
    if q.named or q.subjects or q.referenced or not q.focus.section or q.focus.topic not in ("concept", "stage") \
            or not q.attributes or q.attributes[0] not in DESCRIBED:
        return []
    if _substantive(_without_attribute_words(base, q, base.query_terms(q.text, []))):
        return []
    here = base.find_statements(q.text, q.qtype, limit=3, sections=[q.focus.section])
    said = [s for s in [base.statement((q.focus.source or ("", ""))[-1])] if s]
    first = here[0].statement if here else said[0] if said else None
    if first is None:
        return []
    return [StatementHit(first, max(here[0].score if here else 0.0, ANSWER_SCORE), max(here[0].coverage if here else 0.0, ANSWER_COVERAGE)),
            *here[1:]]


# A follow-up is answered from the section the conversation is in when a statement there matches
# nearly as well as the best one anywhere, or covers as much of it ("那仓储呢" after the supply
# chain's share of costs).
HERE_SHARE = 0.6


def _here_first(base: KnowledgeBase, q: Question, hits: list[StatementHit]) -> list[StatementHit]:
    if q.subjects or not q.focus.section or not hits or hits[0].statement.section == q.focus.section:
        return hits
    here = base.find_statements(q.text, q.qtype, limit=3, sections=[q.focus.section])
    if here and _good(here[0]) and (here[0].score >= HERE_SHARE * hits[0].score or here[0].coverage >= hits[0].coverage):
        return here + [h for h in hits if h.statement not in {x.statement for x in here}]
    return hits


def _sourced(base: KnowledgeBase, q: Question) -> list[StatementHit]:
    """"降缺货率那个数据出处是啥": the statement the figure is in, found by its own words, with its
    footnote (a footnoted statement is preferred for this kind of question)."""
    if q.qtype != "source":
        return []
    content = base.without_cue("question_type.source", q.text)
    hits = base.find_statements(content, q.qtype, subjects=q.subjects or q.focus.services, limit=5)
    quoted = _FIGURE.findall(content)  # "15%-20%这个数据哪来的": the statement that holds the figure
    holding = [h for h in base.find_statements(content, q.qtype, limit=20) if quoted and all(f in h.statement.text for f in quoted)]
    if holding:
        hits = [StatementHit(holding[0].statement, max(holding[0].score, STRONG_SCORE), max(holding[0].coverage, ANSWER_COVERAGE)),
                *[h for h in hits if h.statement != holding[0].statement]]
    said = [s for s in [base.statement((q.focus.source or ("", ""))[-1])] if s] or [
        s for s in base.statements if s.section == q.focus.section]  # a curated fact's section
    if said and not _substantive([t for t in base.query_terms(content, []) if t.lstrip("²") not in base.cue_words("vague")]):
        hits = [StatementHit(said[0], STRONG_SCORE, 1.0)]  # "这数据哪来的": the figure just quoted
    elif not hits or not _good(hits[0]):
        return []
    found = hits[0].statement
    if found.note or found.kind == "note":
        return hits
    # the figure's own section's footnote on where its data comes from, the nearest one after it
    notes = sorted((x for x in base.statements if x.section == found.section and x.kind == "note"
                    and SOURCE_NOTE.search(x.text)), key=lambda x: (x.line < found.line, abs(x.line - found.line)))
    if not notes:
        return []
    return [StatementHit(replace(found, note=notes[0].text), hits[0].score, hits[0].coverage), *hits[1:]]


_FIGURE = re.compile(r"\d+(?:\.\d+)?%?(?:-\d+(?:\.\d+)?%)?")


def _good(hit: StatementHit) -> bool:
    return hit.coverage >= ANSWER_COVERAGE and hit.score >= ANSWER_SCORE


def _strong(hit: StatementHit) -> bool:
    """Good enough to answer a message the classifier took for small talk or another topic."""
    return hit.coverage >= STRONG_COVERAGE and hit.score >= STRONG_SCORE


def _pages(base: KnowledgeBase, q: Question, hits: list[StatementHit]) -> Outcome:
    """"1.1、1.2分别从哪页开始": the lines of the table of contents the question matches."""
    lines = [h.statement for h in hits if h.statement.kind == "toc" and h.score >= 0.5 * hits[0].score]
    return _with_focus(replies.pages(lines), replace(q.focus, section="目录", source=("statement", lines[0].id)))


def _english_asked(base: KnowledgeBase, q: Question) -> bool:
    return base.has_cue("english_name", q.text)


def _holds(text: str, words) -> bool:
    return any(w in text for w in words)


def _in_domain(q: Question) -> bool:
    return q.evidence or (q.intent in DOMAIN_INTENTS and q.confidence >= 0.5)


def _unsure(base: KnowledgeBase, q: Question) -> Outcome:
    guesses = [i["name"] for i in q.turn.ranking if i.get("name") not in ("nlu_fallback", None)][:3]
    buttons = []
    for intent in guesses:
        if intent in replies.GUESS_BUTTONS:
            buttons.append(replies.GUESS_BUTTONS[intent])
    return Outcome(replies.unsure(base, list(dict.fromkeys(buttons))), answered=False)


# -- statements ----------------------------------------------------------------------------------------


def statement(base: KnowledgeBase, q: Question, hits: list[StatementHit], subjects: list[str]) -> Outcome:
    hits = _fuller_first(base, hits)
    best = hits[0]
    s_ = best.statement
    second = _runner_up(base, hits)
    # the heading counts as a note: "海运服务" over an advantage is a condition on it
    verdict = _verdict(base, q, _solution_part(s_), f"{s_.note}。{s_.heading}", best.coverage) if q.qtype == "yes_no" else None
    if verdict == "yes" and second is not None and _contrary(base, q.text, second.text):
        verdict = "no"  # "是最大的开销吗": the second statement quoted says 仅次于
    siblings = _siblings(base, q, best.statement)
    if second is not None and any(x.id == second.id for x in siblings):
        second = None  # already quoted among them
    said = " ".join(x.text for x in siblings)
    unpriced = base.fee_named(q.text) if _other_fee_priced(base, q, said) else None
    price_missing = unpriced or base.has_cue("money", q.text) and "$" not in said
    reply = replies.statement_answer(base, best.statement, siblings, verdict, q.text, price_missing, second)
    about = subjects or sorted(base.about(best.statement))[:1]
    focus = replace(q.focus, topic="statement", services=tuple(about) or q.focus.services,
                    section=best.statement.section, source=("statement", best.statement.id))
    return _with_focus(reply, focus)


# A second statement is quoted too when it matches nearly as well and adds what the first lacks.
RUNNER_UP_SHARE = 0.85


# A footnote states a condition a seller needs: a statement that carries one is quoted beside the best
# even when it matches less.
NOTED_RUNNER_UP_SHARE = 0.6


def _fuller_first(base: KnowledgeBase, hits: list[StatementHit]) -> list[StatementHit]:
    """The same thing said twice, once with a footnote ("…低量库存费" in a list, and the sentence whose
    footnote limits it to sea freight to the US): the footnoted one answers."""
    if len(hits) > 1 and hits[1].statement.note and not hits[0].statement.note \
            and hits[1].score >= NOTED_RUNNER_UP_SHARE * hits[0].score and _says_same(base, *[h.statement for h in hits[:2]]):
        return [hits[1], hits[0], *hits[2:]]
    first = hits[0].statement if hits else None
    noted = next((x for x in base.statements if first is not None and not first.note and x.note and x.section == first.section
                  and x.group != first.group and _says_same(base, first, x)), None)  # the same point, found or not
    if noted is not None:
        return [StatementHit(noted, hits[0].score, hits[0].coverage), *hits]
    return hits


def _says_same(base: KnowledgeBase, first, second) -> bool:
    """Whether the second statement holds (nearly) every word of the first."""
    words = {t for t in base.terms(first.text) if not t.startswith(("@", "·"))}
    theirs = set(base.terms(second.text))
    return bool(words) and len(words & theirs) >= 0.8 * len(words)


def _runner_up(base: KnowledgeBase, hits: list[StatementHit]):
    if len(hits) < 2 or hits[1].coverage < ANSWER_COVERAGE:
        return None
    first, second = hits[0].statement, hits[1].statement
    share = NOTED_RUNNER_UP_SHARE if second.note and not first.note else RUNNER_UP_SHARE
    if hits[1].score < share * hits[0].score:
        return None
    if second.group == first.group or second.text in first.text or first.text in second.text:
        return None
    return second if second.note or base.about(second) & base.about(first) or second.section == first.section else None


# A list, a table or a caption set is shown whole when the question asks for one ("哪些", "怎么").
_WHOLE_LIST_FOR = ("which", "how_to", "what", None)
_LIST_KINDS = ("item", "caption", "cell")
_MAX_LIST = 12


_PARAGRAPH_FOR = ("why", "what", "how_to")
_MAX_PARAGRAPH_CHARS = 200


def _siblings(base: KnowledgeBase, q: Question, found) -> list:
    """What to quote with a statement: its whole list for 哪些, its paragraph for 为什么, and for a
    哪些 that asks for what a heading heads (a service's advantages) the points under that heading."""
    points = _points_under_parent(base, q, found)
    if points:
        return points
    led = _points_led_in(base, q, found)
    if led:
        return led
    figures = _figures_under_the_heading(base, q, found)
    if figures:
        return figures
    headed = [x for x in base.statements if x.section == found.section and x.heading == found.heading
              and x.kind == "sentence"] if len(found.heading) >= 2 and found.heading in q.text else []
    if 1 < len(headed) <= _MAX_LIST:  # "简化运营呢": what the heading the seller names heads, all of it
        return headed
    group = base.statement_index.group(found)
    if found.kind in _LIST_KINDS and 1 < len(group) <= _MAX_LIST and q.qtype in _WHOLE_LIST_FOR:
        return group
    wanted = {"how_long": {"duration"}, "how_much": {"price", "percent"}, "how_many": {"count", "percent"}}.get(q.qtype or "")
    if wanted and not quantity_kinds(found.text) & wanted and 1 < len(group) <= _MAX_LIST:
        return group  # "零基础快速出单实操直播课有多长时间": the duration is in the caption beside it
    if found.kind == "sentence" and q.qtype in _PARAGRAPH_FOR:
        paragraph = [x for x in base.statements if x.line == found.line and x.section == found.section]
        if 1 < len(paragraph) and sum(len(x.text) for x in paragraph) <= _MAX_PARAGRAPH_CHARS:
            return paragraph
    return [found]


def _figures_under_the_heading(base: KnowledgeBase, q: Question, found) -> list:
    """"基础设施规模有多大": a heading the question names, over a list of figures (400+运营中心, 100+飞机…),
    answers with all of them, not the one sentence that matched best."""
    if q.qtype not in ("how_many", "which") or len(found.heading) < 2:
        return []
    asked = [w for w in base.terms(q.text) if len(w) >= 2 and not w.startswith(("²", "·", "@"))]
    if not any(w in found.heading for w in asked):
        return []
    listed = [x for x in base.statements if x.section == found.section and x.heading == found.heading
              and x.kind in _LIST_KINDS and quantity_kinds(x.text) & {"count", "percent", "size"}]
    return listed if 2 <= len(listed) <= _MAX_LIST and found not in listed else []


def _points_led_in(base: KnowledgeBase, q: Question, found) -> list:
    """A sentence that only leads in ("…在降低整合成本与简化运营环节方面也能提供支持") with the points
    after it under the same heading: those points are what it says."""
    if found.kind != "sentence" or q.qtype in _FIGURE_KINDS or not base.has_cue("lead_in", found.text):
        return []
    after = [x for x in base.statements if x.section == found.section and x.heading == found.heading
             and x.line > found.line and x.kind == found.kind]
    return [found, *after] if 2 <= len(after) < _MAX_LIST else []


_FIGURE_KINDS = ("yes_no", "how_long", "how_much", "how_many")


def _points_under_parent(base: KnowledgeBase, q: Question, found) -> list:
    """The first statement of each point a heading heads, when a 哪些 question asks for the heading
    rather than the one point that matched: the document lays such lists out as sub-headings (the
    advantages of a service, each a heading with a sentence), so the list is the sub-headings."""
    if q.qtype != "which" or not found.parent or found.kind == "note":
        return []
    under = [x for x in base.statements if x.section == found.section and x.parent == found.parent
             and x.kind != "note" and x.heading]
    points = list({x.heading: x for x in reversed(under)}.values())[::-1]  # each heading's first statement
    if not 2 <= len(points) <= _MAX_LIST:
        return []
    # what the heading says beyond the service's name ("服务优势") is asked, and the point lacks it
    about = sorted(base.about(found))
    asked = set(base.query_terms(q.text, about))
    point = set(base.query_terms(f"{found.heading} {found.text}", about))
    return points if (asked & set(base.query_terms(found.parent, about))) - point else []


def _verdict(base: KnowledgeBase, q: Question, said: str, note: str, coverage: float) -> str:
    """yes / no / unknown for a yes/no question answered by a text of the document (and its footnote)."""
    text = f"{said}。{note}"  # a clause of one never denies a word of the other
    says = base.vocabulary["verdict"]
    if _negated_in(base, q, text) or _not_yet(base, q, text) or note and _note_excludes(base, q, note) \
            or _done_through_the_negated(base, q, text):
        return "no"
    if base.has_cue("certainty", q.text) and _holds(text, says["at_best"]):
        return "not_always"  # "一定能2天送到吗": the document says at best, not always
    if _holds(q.text, says["promised"]) and not _holds(text, says["promised"]):
        return "not_always"  # "能保证吗": the document promises nothing it does not say it promises
    if base.has_cue("only", without_words(q.text, says["sufficient"])) and _holds(text, says["lifted"]):
        return "no"
    if _holds(q.text, says["must"]) and _lifted_for_what_is_asked(base, q, text):
        return "no"
    if base.has_cue("every", q.text) and _holds(text, says["limited"]):
        return "no"
    if base.has_cue("every", q.text) and _holds(text, says["qualified"]):
        return "not_always"  # "商品都能当日达吗" against "符合要求的商品将有资格…"
    if base.has_cue("only", q.text) and _one_of_several(base, q, text):
        return "no"  # "只能走小包裹吧" against "小包裹快递、汽运零担、多式联运和整车运输"
    amount = _amount_verdict(q.text, said) or _figure_verdict(q.text, said)
    if _contrary(base, q.text, text) or amount == "no":
        return "no"
    if amount == "yes":
        return "yes"
    if (base.has_cue("money", q.text) or _holds(q.text, says["cheap"])) and _holds(q.text, says["cheaper_asked"]) \
            and _holds(text, says["cheaper_said"]):
        return "yes"  # "价格有优势吗" against "价格更具竞争力", however else the seller puts it
    if coverage < YES_COVERAGE and not _all_named_terms_in(base, q, text):
        return "unknown"
    if base.has_cue("money", q.text) and "price" not in quantity_kinds(text):
        return "no_price"  # "上门提货要另外收钱吗": the document names the service, not its price
    return "yes"


def _lifted_for_what_is_asked(base: KnowledgeBase, q: Question, text: str) -> bool:
    """"必须用亚马逊推荐的承运商吗" against "也可以使用任意其他头程物流承运商": the text opens up what the
    must is said of. "其他销售渠道" in a sentence about something else opens up nothing asked ("MCD必须先用
    AWD吗", which asks a need); names (services, warehouses) are not what is opened up."""
    must = base.vocabulary["verdict"]["must"]
    normal = base.normalize(q.text)
    clause = next((c for c in re.split(r"[，,。；;！!]", normal) if _holds(c, must)), normal)
    asked = {w for w in base.terms(clause) if len(w) >= 2 and not w.startswith(("²", "@", "·"))
             and not re.search(r"[A-Za-z]", w) and w not in STOPWORDS and not _holds(w, must)}
    lifting = base.vocabulary["verdict"]["lifted"]
    return any(_holds(c, lifting) and any(w in c for w in asked) for c in re.split(r"[。；;]", base.normalize(text)))


def _one_of_several(base: KnowledgeBase, q: Question, text: str) -> bool:
    """A word of the question is one item of a list in the text that has others."""
    clause = _asking_clause(base.normalize(q.text))
    asked = [w for w in base.terms(clause) if len(w) >= 2 and not w.startswith(("²", "@", "·"))]
    # a mode said in the seller's words ("整柜") is named in the list by its code ("海运整箱 (FCL)")
    asked += [str(e.get("value")) for e in q.turn.entities if e.get("entity") in ("transport_mode", "sea_service")
              and q.turn.text[int(e.get("start", 0)):int(e.get("end", 0))] in clause]
    asked = [w for w in asked if base.service(w) is None]  # the service the list is of names no item
    # a code in brackets ("海运整箱 (FCL)") is part of its item, not a break in the list
    coded = re.sub(r"\s*[（(]([A-Za-z]{2,5})[)）]", r" \1", base.normalize(text))
    for listed in re.findall(r"[^，。,；;：:（）()]+(?:(?:、|和)[^，。,；;：:（）()、和]+)+", coded):
        items = [i for i in re.split(r"、|和|及|以及", listed) if i.strip()]
        if len(items) > 1 and any(w in i for i in items for w in asked) and not all(
                any(w in i for w in asked) for i in items):
            return True
    return False


_THROUGH = re.compile(r"(?:通过|使用|需使用|需要使用|借助|要用)[^，。,；;]{0,8}$")


def _done_through_the_negated(base: KnowledgeBase, q: Question, text: str) -> bool:
    """"不开MCD，能把货批量发到别的渠道吗" answered by a text that does it through MCD: no."""
    for sid in q.negated:
        service = base.services.get(sid)
        for name in {sid, service.short, *service.aliases} if service else ():
            for m in re.finditer(re.escape(name), text):
                if _THROUGH.search(text[max(0, m.start() - 14):m.start()]):
                    return True
    return False


def _contrary(base: KnowledgeBase, question: str, text: str) -> bool:
    """The question claims one side of a pair (vocabulary `contraries`) and the text says the other.
    The claim is in the clause that asks: "每次手动填很烦，X能解决吗" states a pain, it claims nothing."""
    asked_text, said_text = _asking_clause(base.normalize(question)).upper(), base.normalize(text).upper()
    reductions = base.vocabulary["verdict"]["reductions"]
    for pair in base.vocabulary.get("contraries", []):
        asked = [w for w in pair["asked"] if base.normalize(w).upper() in asked_text]
        if any(_holds(asked_text[:asked_text.find(base.normalize(w).upper())], reductions) for w in asked):
            continue  # "能解决手动填单号的问题吗": what is to be got rid of is not claimed
        rest = asked_text
        for w in asked:
            rest = rest.replace(base.normalize(w).upper(), " ")  # "无条件" holds 条件 but claims the other side
        if any(base.normalize(w).upper() in rest for w in pair["said"]):
            continue  # "被算缺陷了，能豁免吗" asks about the other side itself
        if asked and not any(base.normalize(w).upper() in said_text for w in pair["asked"]) and any(
                base.normalize(w).upper() in said_text for w in pair["said"]):
            return True
    return False


def _not_yet(base: KnowledgeBase, q: Question, text: str) -> bool:
    """"新兴站点即将上线": not yet, so no, for what that clause is about (a list of fixes with one still
    to come is not a no to the others)."""
    words = [w for w in base.terms(_asking_clause(base.normalize(q.text))) if len(w) >= 2 and not w.startswith(("²", "@"))]
    # a list's items are its clauses: "…日本站点、新兴站点 (即将上线)" has Japan now
    clauses = [c for c in re.split(r"[；;。、]", base.normalize(text)) if _holds(c, base.vocabulary["verdict"]["not_yet"])]
    return any(w in c.upper() for c in clauses for w in words) or bool(clauses) and not words


# A figure with its unit ("0.58美元", "$0.48", "3天", "28-30天", "50%", "48个州"): a seller's remembered
# number is checked against the document's figures of the same unit.
_UNIT_FIGURE = re.compile(r"(?P<dollar>[$＄]\s*)?(?P<a>\d+(?:\.\d+)?)(?:\s*%?\s*[-~～至到]\s*(?P<b>\d+(?:\.\d+)?))?"
                     r"\s*(?P<unit>%|％|天|美元|美金|个州|州)?")
_UNITS = {"%": "%", "％": "%", "天": "天", "美元": "$", "美金": "$", "个州": "州", "州": "州"}


def _figures(text: str) -> set[tuple[str, float, float]]:
    found = set()
    for m in _UNIT_FIGURE.finditer(text.replace("百分之", "")):
        unit = "$" if m.group("dollar") else _UNITS.get(m.group("unit") or "")
        if unit is None:
            continue
        a = float(m.group("a"))
        found.add((unit, a, float(m.group("b")) if m.group("b") else a))
    return found


def _figure_verdict(question: str, said: str) -> str | None:
    """"仓储费是0.58美元吗" against "$0.48", "最快3天吗" against "4天": a figure the seller remembers that
    is none of the document's figures of that unit is a no; one that is, or lies within a range, a yes."""
    stated = _figures(said)
    verdicts = []
    for unit, a, b in _figures(question):
        same = [(x, y) for u, x, y in stated if u == unit]
        if not same:
            continue
        verdicts.append(any(x <= a and b <= y for x, y in same))
    return None if not verdicts else "yes" if all(verdicts) else "no"


def _amount_verdict(question: str, said: str) -> str | None:
    """"要100公斤以上才能发吗" against "空运0.5KG起运": the question's amount is not the document's, no.
    "50公斤能发吗" asks whether a load meets the minimum: yes at or above it, no below it."""
    asked_kg, asked_cbm, _ = parse_quantity(question)
    by_kg = asked_kg is not None
    asked = asked_kg if by_kg else asked_cbm
    stated = [parse_quantity(m.group(0)) for m in QUANTITY.finditer(said)]
    same_unit = [v for kg, cbm, _ in stated if (v := kg if by_kg else cbm) is not None]
    if asked is None or not same_unit:
        return None
    if _names_a_load(question):
        return "no" if asked < min(same_unit) else "yes"
    return "no" if all(abs(v - asked) > 1e-9 for v in same_unit) else None


# "要100公斤以上才能发", "最低50公斤吗", "是0.5KG起运吗": the amount is claimed as the minimum; otherwise
# ("50公斤能发吗", "我有3个方，可以走吗") it is the seller's load.
_CLAIMED_MINIMUM = re.compile(r"(?:最低|最少|至少|起码|起运量|门槛)[是为要]?\s*$|^\s*(?:以上|以下|起|才|的起运量|的门槛)")


def _names_a_load(question: str) -> bool:
    match = QUANTITY.search(question)
    if match is None:
        return False
    return not (_CLAIMED_MINIMUM.search(question[max(0, match.start() - 6):match.start()])
                or _CLAIMED_MINIMUM.search(question[match.end():match.end() + 6]))


_ASKS = re.compile(r"[吗么呢？?]\s*$")  # a clause ending in a question mark ("是不是…，…就有了" asks to the end)


def _asking_clause(question: str) -> str:
    """The last clause of a question, or the whole of it when that clause only asks ("…，对吗")."""
    clauses = [c for c in re.split(r"[，,。；;！!]", question) if c.strip()]
    asking = [c for c in clauses if _ASKS.search(c)]
    # "X能自动同步吗，每次手填真的烦死": the clause after the question only complains
    last = asking[-1] if asking else clauses[-1] if clauses else question
    if last.strip().startswith(("也", "还", "那也", "那还")):
        return question  # "我用自己的货代，也能享受折扣吗": the clause before is its condition
    return last if len(re.sub(r"[？?\s吗呢吧么]", "", last)) > 3 else question


def _asked_side_said_of(base: KnowledgeBase, q: Question, service: Service) -> bool:
    """Whether the document says the side of a contrary the question asks of the service itself
    ("AWD可以人工补到FBA吗": its definition says 自动, a point of it says 手动补货选项), so its overview does
    not decide the yes or no."""
    asked_text = base.normalize(q.text).upper()
    asked = [w for pair in base.vocabulary.get("contraries", []) for w in pair["asked"]  # the side's every word
             if any(base.normalize(a).upper() in asked_text for a in pair["asked"])]
    said = [_solution_part(x) for x in base.statements if service.id in base.about(x)]
    return any(base.normalize(w).upper() in base.normalize(text).upper() for w in asked for text in said)


# A pain point of a service's table answers a request for advice when it matches this much of it.
PAIN_FIX_COVERAGE = 0.65


def _pain_point_fixed(base: KnowledgeBase, q: Question) -> list[StatementHit]:
    """"货在路上出了意外耽误了，咋办" with nothing of the seller's situation: the document's table of a
    service's pain points says what fixes it, more exactly than advice would."""
    hits = base.find_statements(q.text, q.qtype, limit=3)
    best = hits[0] if hits else None
    if best is None or best.coverage < PAIN_FIX_COVERAGE or best.score < STRONG_SCORE or not base.about(best.statement) \
            or "痛点" not in f"{best.statement.parent}{best.statement.heading}" or _solution_part(best.statement) == best.statement.text:
        return []
    return hits


def _only_needs_of(base: KnowledgeBase, q: Question) -> bool:
    """Whether the only facts of a situation a message gives are needs ("入库绩效有缺陷，有办法不")."""
    return {str(e.get("entity")) for e in q.turn.entities if e.get("entity") in advisor.SITUATION_ENTITIES} <= {"need"}


def _solution_part(statement) -> str:
    """A pain point and its fix ("手动填写运输追踪编号, 费时且容易出错：自动同步货件号"): what the service
    does is the fix, after the colon."""
    if "痛点" in f"{statement.parent}{statement.heading}" and "：" in statement.text:
        return statement.text.rsplit("：", 1)[1]
    return statement.text


def _all_named_terms_in(base: KnowledgeBase, q: Question, text: str) -> bool:
    words = [w for w in base.terms(q.text) if len(w) >= 2 and not w.isascii()]
    return bool(words) and all(w in base.normalize(text).upper() for w in words[:3])


def _note_excludes(base: KnowledgeBase, q: Question, note: str) -> bool:
    """"目前适用于美国站海运" against a question about air to the UK."""
    found = {(entity, value) for entity in ("marketplace", "transport_mode") for value in base.values_named(note, entity)}
    asked = {("marketplace", q.ctx.marketplace), ("transport_mode", q.ctx.mode)}
    for entity, value in asked:
        if value and any(e == entity for e, _ in found) and (entity, value) not in found:
            return True
    return False


def _denies(base: KnowledgeBase, before: str) -> bool:
    """Whether the clause before a word denies it: "无需注册", "不受库容的限制", "零合约", "自己不运货"."""
    says = base.vocabulary["verdict"]
    denial = re.compile("(?:" + "|".join(map(re.escape, says["denials"])) + r")[^，。；;,：:]{0,12}$")  # a heading's colon ends it
    return bool(denial.search(before)) and not any(w in before for w in says["not_denials"])


# a space after a Chinese word ends a typed clause ("仓满了不让进 跟FBA库容一样": 不 does not reach 库容)
_SPOKEN_BREAK = re.compile(r"(?<=[\u4e00-\u9fff])\s+")


def _negated_in(base: KnowledgeBase, q: Question, text: str) -> bool:
    """The text denies what the question asks about ("无需注册" to "要注册吗", "零合约" to "要签合同吗")."""
    if _holds(_asking_clause(base.normalize(q.text)), base.reduction_words):
        return False  # "能减少断货吗" against "无惧断货": denied is what the seller wants
    normal, says = base.normalize(text), base.vocabulary["verdict"]
    asked = {w for w in base.terms(q.text) if len(w) >= 2 and not w.isascii()}
    # "不走X也能用Y吗": what the question itself negates is a condition, not what it asks about
    asked -= _negated_words(base, q.text)
    words = [t for t in base.terms(q.text) if len(t) >= 2 and not t.startswith(("@", "·", "²"))]
    # "拆箱" jieba splits; not two words' edges ("内收" of 国内|收货)
    asked |= {t[1:] for t in base.terms(q.text) if t.startswith("²") and t[1:] in normal
              and not _across_words(t[1:], words)}
    named_by_attribute = {p for a in q.attributes for p in base.vocabulary["attribute"][a]["phrases"]
                          if not p.isascii() and p in normal}
    asked |= named_by_attribute
    question = base.normalize(q.text)
    asked |= {canon for canon, variants in base.vocabulary["cues"]["synonyms"].items()  # "拆开" asks 拆箱
              if canon in normal and any(v in question for v in variants) and not _negated_words(base, q.text)}
    for form in base.vocabulary["cues"]["yes_no_forms"]:  # "有没有…" asks, it does not deny
        question = question.replace(form, "？" * len(form))
    question = A_NOT_A.sub("？？？", question)  # nor does "收不收…"

    for word in asked:
        if any(_denies(base, _SPOKEN_BREAK.split(question[max(0, m.start() - 14):m.start()])[-1])
               for m in re.finditer(re.escape(word), question)):
            continue  # "能避免延误导致的…吗": the question denies it too, so the text agrees
        said = [normal[max(0, m.start() - 14):m.start()] for m in re.finditer(re.escape(word), normal)]
        if any(_holds(question[max(0, m.start() - 4):m.start()], says["done_for"]) for m in re.finditer(re.escape(word), question)):
            said = [w for w in said if not w.endswith(tuple(says["obligations"]))]  # "帮我分仓吗" against "无需分仓"
        if word in named_by_attribute and word not in question:  # "要收费吗" against "无隐性费用…免…入仓费用":
            said = [w for w in said if not _inside_a_compound(base, w, question)]  # those fees, not every fee
        # denied only where every mention is: "尤其适合…；其他不适合FBA的商品" does not deny 适合; and
        # "没有给出具体折扣数字" says the number is missing, not the discount
        if said and all(_denies(base, w) for w in said):
            return True
    return False


def _inside_a_compound(base: KnowledgeBase, before: str, question: str) -> bool:
    """The word after `before` ends a longer word ("入仓费用") the question does not echo ("隐形收费" does
    echo "隐性费用"), and no denial stands right before it."""
    return bool(before) and "\u4e00" <= before[-1] <= "\u9fff" and not set(before[-2:]) & set(question) \
        and not before.endswith(tuple(base.vocabulary["verdict"]["denials"]))


def _negated_words(base: KnowledgeBase, question: str) -> set[str]:
    normal = base.normalize(question)
    words = sorted(base.cue_words("negation"), key=len, reverse=True)
    out = set()
    for w in base.terms(question):
        for m in re.finditer(re.escape(w), normal):
            if any(normal[max(0, m.start() - len(n)):m.start()] == n for n in words):
                out.add(w)
    return out


# -- one service -------------------------------------------------------------------------------------


def _candidates_asked_of(base: KnowledgeBase, q: Question) -> list[str]:
    """"最快几天到" while the advisor still asks which of two fits: each candidate's answer, not the
    first one's alone."""
    again = bool(q.focus.attribute) and q.has_context and not q.attributes  # "快船呢" after "普船多久"
    if q.focus.topic != "advice" or not q.turn.slot("pending_question") or not (q.attributes or again):
        return []
    stage = base.services[q.focus.services[0]].stage if q.focus.services else None
    same = [s for s in q.focus.services if base.services[s].stage == stage]
    return same[:2] if len(same) >= 2 else []


def _carriers_there(base: KnowledgeBase, q: Question) -> list[str]:
    """"发英国FBA，空运最快几天": the warehouse is where the goods go; the mode is asked of the services
    that carry by it to that market, not of the warehouse's service."""
    modes = {q.ctx.mode} if q.ctx.mode else set()
    if not (modes and q.placed and q.ctx.marketplace) or set(q.attributes) - {"transit_time", "modes"}:
        return []
    if any(modes <= set(base.services[p].data("modes", "modes") or ()) for p in q.placed if p in base.services):
        return []
    return [sid for sid, s in base.services.items() if sid not in q.placed and modes <= set(s.data("modes", "modes") or ())
            and covers(base, covered_markets(base, sid) or set(), q.ctx.marketplace)]


def _focused(base: KnowledgeBase, q: Question) -> str:
    """The service in focus, for a message that names none: decide() sends such a message to a handler
    about one service only when the focus has one."""
    primary = advised_one_meant(base, q.text, q.focus) or q.focus.primary
    assert primary is not None
    asked = q.focus.services[0] if q.focus.services else primary
    on_coverage = q.focus.attribute == "coverage" or list(q.focus.source or ())[-1:] == ["coverage"]
    if asked != primary and on_coverage and q.ctx.marketplace and not q.attributes and q.qtype in (None, "yes_no"):
        # another market right after "no, but the other one does": still the first one's markets
        return asked
    return primary


def service(base: KnowledgeBase, q: Question) -> Outcome:
    # "它是咋做到的" points at the service just answered: as carried as a message naming none
    pointed = bool(q.referenced) and q.referenced == [q.focus.primary] and not q.named
    carried = (not q.subjects or pointed) and not (q.placed and not _into_for_the_focus(base, q))
    candidates = [] if q.subjects or not carried else _candidates_asked_of(base, q)
    subjects = q.subjects or ([] if carried else _carriers_there(base, q) or q.placed) or candidates or [_focused(base, q)]
    ctx = _context(q, carried)
    if carried:
        moved = _moved_on(base, q, subjects)
        if moved is not None:
            return moved
    parts: list[Reply] = []
    sources: list[tuple] = []
    markets = q.turn.values("marketplace")
    # "X发日本和发英国各要几天": one service, each market
    contexts = [replace(ctx, marketplace=m) for m in markets] if len(subjects) == 1 and len(markets) >= 2 else [ctx]
    boats = list(dict.fromkeys(q.sea_services))
    if len(subjects) == 1 and len(contexts) == 1 and len(boats) >= 2:  # "普船快船到美西各要多少天": each boat
        contexts = [replace(ctx, sea_service=b) for b in boats]
    asked = _asked_apart(base, q) if len(subjects) == 1 and len(contexts) == 1 else [q]
    if len(subjects) > 1 and not q.named and q.qtype == "which" and asks_which_of(base, q.text, q.focus):
        asked = [replace(q, qtype="yes_no")]  # "哪个可以送亚马逊上的买家": whether each one does
    for service_id in subjects[:3]:
        for each in contexts:
            for one in asked:
                reply, source = _answer_about(base, one, base.services[service_id], each, carried)
                reply = _holding_the_asked_kind(base, one, reply)
                if len(subjects) > 1:  # "AGL和SEND都能优先入仓吗": whose answer each is
                    reply = replies.naming(base, base.services[service_id], reply)
                if all(reply.text != p.text for p in parts):
                    parts.append(reply)
                    sources.append(source)
    which_of = _which_of_answered(base, q, subjects, parts)
    if which_of is not None:  # "哪个有空运": the ones that have it, first
        parts = [parts[i] for i in which_of]
        subjects = [subjects[i] for i in which_of]
        sources = [sources[i] for i in which_of]
    reply = Reply("\n\n".join(p.text for p in parts), parts[-1].buttons)
    if which_of is not None:
        reply = replies.which_of_them(base, [s for s, p in zip(subjects, parts, strict=True)
                                             if not p.text.startswith(replies.NEGATIVE_LEADS)], len(parts), reply)
    if q.qtype == "yes_no" and len(parts) > 1 and "都" in q.text:  # "它俩都行吗": one answer for both first
        every = not any(p.text.startswith(replies.NEGATIVE_LEADS) for p in parts)
        reply = replies.joint_verdict(reply, every)
    attribute = q.attributes[0] if q.attributes else q.focus.attribute if carried else None
    if sources[0][:1] == ("fact",) and len(sources[0]) == 3 and (
            attribute is not None or sources[0][2] in _STRUCTURED_ATTRIBUTES):
        # the fact that answered, named or implied ("运输费呢" answered by the discount, "X 空运 日本" by its
        # transit time): what follows ("澳洲呢") is about it
        attribute = sources[0][2]
    if len(subjects) == 1 and (carried or q.referenced):
        focus = q.focus.on(subjects[0])  # "后面那个…", "它…": the list the seller pointed into stays
    else:
        # of several asked the same thing, the one the document answers it for is "它" next ("低到多少")
        answered = [sid for sid, src in zip(subjects, sources, strict=True) if src[:1] != ("none",)] \
            if len(sources) == len(subjects) else []
        focus = Focus(services=tuple(subjects), current=subjects[0] if len(subjects) == 1 else
                      answered[0] if len(answered) == 1 else None)
    shown = sources[subjects.index(focus.current)] if len(sources) == len(subjects) and focus.current in subjects \
        else sources[0]
    focus = replace(focus, topic="service" if len(focus.services) == 1 else "compare", attribute=attribute,
                    section=_first_cited(reply.text), source=shown).with_context(ctx)
    if candidates:  # still the advisor's candidates: the next question is asked of both again
        focus = replace(focus, topic="advice")
    said = base.statement(sources[0][-1]) if len(subjects) == 1 and sources[0][:1] == ("statement",) else None
    # (its own section's statement, "MCD 能够将各个渠道的供货仓库整合到 AWD", is about it even naming AWD)
    function = next((f for f in base.functions_of(subjects[0]) if said and f in base.about(said)
                     and (subjects[0] not in base.about(said) or base.home_of(said) == f)), None)
    if function is not None:  # answered by what its function does: "还要跟几家物流商沟通吗" is about MCD now
        focus = replace(focus.on(function), topic="service")
    others = replies.alternatives_for(base, base.services[subjects[0]], ctx.marketplace) \
        if len(subjects) == 1 and sources[0][-1:] == ("coverage",) and ctx.marketplace else []
    others = [o for o in others if o.short in reply.text]  # offered in the reply, not only possible
    if others and not any(p.text.startswith("支持") for p in parts):
        # "发日本可以用AGL吗" → no, SEND does: "那空运几天" is then about SEND
        focus = replace(focus, services=(subjects[0], *[o.id for o in others]), current=others[0].id, topic="compare")
    return _with_focus(reply, focus)


def _definition_asked_apart(q: Question) -> bool:
    """What the service is asked in a clause of its own, beside another attribute ("X是啥 多少钱"), not
    of the attribute ("仓储费是什么意思")."""
    spans = [(str(e.get("value")), int(e.get("start", 0)), int(e.get("end", 0))) for e in q.turn.entities
             if e.get("entity") == "attribute"]
    asked = [(a, b) for v, a, b in spans if v == "definition"]
    others = [(a, b) for v, a, b in spans if v != "definition" and v in q.attributes]
    text = q.turn.text
    return bool(asked and others) and all(
        _CLAUSE_BREAK.search(text[min(b1, b2):max(a1, a2)]) for a1, b1 in asked for a2, b2 in others)


def _definition_holds_it(base: KnowledgeBase, q: Question, service: Service) -> bool:
    """What the service is, asked beside one attribute the definition already states (who carries for it):
    the definition answers both."""
    if not q.asks_definition or len(q.attributes) != 1:
        return False
    definition, fact = service.fact("definition"), service.fact(q.attributes[0])
    if definition is None or fact is None or _is_gap(fact):
        return False
    names = set(base.terms(" ".join((service.name, service.short, service.english, *service.aliases))))
    said = set(base.terms(fact.answer)) - names - STOPWORDS
    return bool(said) and len(said & set(base.terms(definition.answer))) >= 0.75 * len(said)


def _which_of_answered(base: KnowledgeBase, q: Question, subjects: list[str],
                       parts: list[Reply]) -> list[int] | None:
    """For "哪个有空运" asked of the services just compared, each answered as a yes or no: the order
    of the answers that puts the ones that have it first (None: not such a question)."""
    if q.named or len(subjects) < 2 or len(parts) != len(subjects) or q.qtype not in ("which", "yes_no") \
            or not asks_which_of(base, q.text, q.focus) or not all(replies.leads_with_verdict(p.text) for p in parts):
        return None
    return sorted(range(len(parts)), key=lambda i: parts[i].text.startswith(replies.NEGATIVE_LEADS))


def _into_for_the_focus(base: KnowledgeBase, q: Question) -> bool:
    """"能直接送进AWD吗" right after AGL: whether AGL delivers there, not a question about AWD."""
    primary = q.focus.primary
    return q.qtype == "yes_no" and primary is not None and primary not in q.placed \
        and base.services[primary].fact("warehouses") is not None


_CLAUSE_BREAK = re.compile(r"[，,；;。？?！!\s]+")


_CONDITION = re.compile(r"(?:如果|假如|要是|若是|倘若|万一)[^，,。；;？?！!]*")


def _asked_apart(base: KnowledgeBase, q: Question) -> list[Question]:
    """A message that asks two things in two clauses ("…怎么收费，有没有合约"): one question per clause,
    each with the attributes named in it and its own kind (a price, then a yes or no); the message
    itself when its attributes are all in one clause."""
    clauses, start = [], 0
    for gap in [*_CLAUSE_BREAK.finditer(q.text), None]:
        end = gap.start() if gap else len(q.text)
        if end > start:  # with its question mark: "…便宜？" asks yes or no
            clauses.append((start, end + 1 if gap and q.text[end] in "？?" else end))
        start = gap.end() if gap else end
    named: dict[int, list[str]] = {}
    conditions = [m.span() for m in _CONDITION.finditer(q.text) if m.end() < len(q.text.rstrip("？?。 "))]
    for entity in q.turn.entities:
        value, at = str(entity.get("value")), entity.get("start")
        if entity.get("entity") == "attribute" and value in q.attributes and isinstance(at, int):
            where = next((i for i, (a, b) in enumerate(clauses) if a <= at < b), None)
            if any(a <= at < b for a, b in conditions):
                continue  # "如果拣货成本低于FBA，是否也适合": a condition, not a question of its own
            if where is not None and value not in named.setdefault(where, []):
                named[where].append(value)
    if len(named) < 2 or q.text[slice(*clauses[-1])].strip().startswith(("也", "还")):
        return [q]  # "用别家货代送AWD，也有8折吗": one question, on the condition before it
    apart = []
    for where, attributes in sorted(named.items())[:3]:
        text = q.text[slice(*clauses[where])]
        apart.append(replace(q, text=text, attributes=attributes, qtype=base.question_type(text) or q.qtype))
    return apart


def _holding_the_asked_kind(base: KnowledgeBase, q: Question, reply: Reply) -> Reply:
    """"什么时候上线" answered without a date, "怎么收费" without a price, "有几个" without a count: the
    document does not give it; say so, with what it does say."""
    wanted = {"duration"} if q.qtype == "how_long" else {"price"} if q.qtype == "how_much" and base.has_cue(
        "money", q.text) else WANTED_KINDS["how_many"] if q.qtype == "how_many" else None
    if reply.text.startswith(replies.NEGATIVE_LEADS) \
            or any(p in reply.text for p in ("没有给出", "没有列出", "资料里没有", "资料没有")):
        return reply
    if _other_fee_priced(base, q, reply.text) or _specifics_of_the_unspecified(q.turn.text, reply.text):
        return replies.not_said(reply)
    if wanted is None or wanted & quantity_kinds(reply.text):
        return reply
    return replies.not_said(reply)


_SPECIFICS_ASKED = re.compile(r"(?:具体|哪些|什么|啥|哪几个?)(?:的)?(?:条件|要求|标准)|(?:条件|要求|标准)(?:具体)?(?:是|有)(?:什么|啥|哪些)")
_UNSPECIFIED = re.compile(r"一定(?:的)?(?:条件|要求|标准)")


def _specifics_of_the_unspecified(question: str, said: str) -> bool:
    """"具体要满足啥条件" answered by a text that says only "需满足…一定条件": the document does not list them."""
    whether = re.search(r"有没有|是否|有无|[吗么]\s*[？?]?\s*$", question)  # "有没有条件": yes, there are some
    return not whether and bool(_SPECIFICS_ASKED.search(question)) and bool(_UNSPECIFIED.search(said))


def _other_fee_priced(base: KnowledgeBase, q: Question, said: str) -> bool:
    """"超龄库存费怎么收" answered by a text whose only price is the storage fee's: the fee asked has
    none there."""
    asks_amount = q.qtype == "how_much" or base.has_cue("money", q.text) or base.has_cue("charged", q.text)
    fee = base.fee_named(q.text) if asks_amount else None
    return fee is not None and not priced(fee, said)


# A follow-up stays on the fact just shown when that fact holds this share of its words (development set).
SHOWN_FACT_COVERAGE = 0.5


def _moved_on(base: KnowledgeBase, q: Question, carried: list[str]) -> Outcome | None:
    """A follow-up carried to the last service is answered about it unless the document answers it
    much better elsewhere ("Prime会员一共多少" after a question about AWD)."""
    if q.attributes or q.has_context or q.referenced or q.qtype == "yes_no":
        return None  # "从国内发能用吗", "退货要我管吗" right after a service: a yes or no about it
    shown = replies.fact_for(base, tuple(q.focus.source or ()))
    if shown is not None and base.fact_coverage(shown, base.query_terms(q.text, carried)) >= SHOWN_FACT_COVERAGE:
        return None  # "退货谁管" right after a fact that says who handles returns: that fact's service still
    anywhere = base.find_statements(q.text, q.qtype, limit=3)
    here = [h for h in base.find_statements(q.text, q.qtype, carried, limit=5) if base.about(h.statement) & set(carried)]
    # only a strong match elsewhere: a vague follow-up ("具体咋做到") stays on what was just said
    if anywhere and _strong(anywhere[0]) and (not here or anywhere[0].coverage > here[0].coverage + 0.2) \
            and not base.about(anywhere[0].statement) & set(carried):
        return statement(base, q, anywhere, subjects=[])
    return None


def _context(q: Question, carried: bool) -> Context:
    # ("AGL呢" right after "SEND能发中东吗": the same question of AGL, to the Middle East)
    focus = q.focus.context if carried or not q.named or q.focus.primary in q.named or elliptical(q) else Context()
    if q.ctx.us_region and focus.marketplace not in (None, "US"):
        focus = replace(focus, marketplace=None)  # "美国西部呢": the US, whatever market came before
    if (q.ctx.marketplace or focus.marketplace) not in (None, "US") and not q.ctx.us_region:
        focus = replace(focus, us_region=None)  # "德国呢" after "美东": a US region no longer applies
    if q.ctx.mode == "AIR" and focus.us_region and not q.ctx.us_region:  # "那空运呢" after "美中": to the US, by air
        focus = replace(focus, us_region=None, marketplace=focus.marketplace or "US")
    mode = q.ctx.mode or focus.mode
    sea_service = q.ctx.sea_service or (None if q.ctx.mode == "AIR" else focus.sea_service)
    return Context(q.ctx.marketplace or focus.marketplace, q.ctx.us_region or focus.us_region, mode, sea_service,
                   tuple(q.sea_services), tuple(q.regions))


def _implied_attributes(base: KnowledgeBase, q: Question, service: Service, carried: bool) -> list[str]:
    """The attributes asked for: named (q.attributes), else implied by the question's kind and context."""
    if q.attributes == ["suitable"] and q.qtype == "yes_no" and q.ctx.marketplace:
        return ["coverage"]  # "日本站卖家能不能用X": whether X reaches that market
    if q.attributes:
        return q.attributes
    if q.focus.attribute and not q.qtype and (carried and q.has_context or _elliptical(base, q)):
        return [q.focus.attribute]  # "中东呢", "那FBA呢": the same question, another market or service
    markets = covered_markets(base, service.id)
    reaches = not (q.ctx.marketplace and markets) or covers(base, markets, q.ctx.marketplace)
    if q.qtype == "yes_no" and q.placed and service.id not in q.placed and service.fact("warehouses") and reaches \
            and not (q.ctx.marketplace and q.placed == ["FBA"]):  # ("发英国FBA能到吗": the market is what is asked)
        return ["warehouses"]  # "到了那边能直接进AWD吗" of AGL: where it delivers ("能发加拿大FBA吗": not there)
    if q.qtype is None and q.ctx.marketplace and (q.ctx.mode or q.ctx.sea_service) and service.fact("transit_time") \
            and not base.has_cue("money", q.text):
        return ["transit_time"]  # keywords of a route ("X 空运 日本"): how long it takes there, which says it goes
    if q.qtype in ("yes_no", "which", None) and q.ctx.marketplace:  # (_answer_about took a market's own statement)
        return ["coverage"]
    if q.qtype == "yes_no" and q.turn.first("quantity") and service.fact("minimum"):
        return ["minimum"]  # "50公斤能发吗": against the service's minimum
    if q.qtype in ("yes_no", "which") and q.ctx.mode:
        return ["modes"]
    if q.qtype == "yes_no" and q.turn.first("cargo_size"):
        return ["cargo_types"]
    if q.qtype in ("yes_no", "which") and q.turn.first("warehouse") in ("FC", "AWD") and service.fact("warehouses"):
        return ["warehouses"]  # "X可以把货送进Y吗"
    shown = service.fact(q.focus.attribute) if carried and q.focus.attribute and tuple(q.focus.source or ())[:1] == (
        "fact",) else None
    if shown is not None and (WANTED_KINDS.get(q.qtype or "") or set()) & quantity_kinds(shown.answer):
        return [shown.attribute]  # "一个月多少" right after the fee: that fee's figure
    implied = QTYPE_ATTRIBUTE.get(q.qtype or "")
    if implied == "definition" and not (q.asks_definition or len(q.text) <= 12):
        implied = None
    if carried and q.focus.attribute and implied is None and not q.qtype:
        return [q.focus.attribute]
    if implied:
        return [implied]
    if q.asks_definition:
        return ["definition"]
    return []


def _said_of_those_markets(base: KnowledgeBase, q: Question, service: Service):
    """"SEND到英德两站有什么不同": a question beyond whether it goes there, which a statement of the service
    naming those markets (its 优先入仓 in 英国和德国) answers; not "能发英国吗". That statement, if one."""
    if q.qtype not in ("which", "what", "why", "how_to") or q.attributes or elliptical(q):
        return None  # ("英国呢" right after a time asks the time there)
    named = [m.text for m in base.mentions(q.text) if m.entity == "marketplace"]
    coverage = service.fact("coverage")
    quoted = list(coverage.quotes) if coverage is not None else []
    return next((x for x in base.statements if named and x.kind in ("sentence", "item")
                 and all(n in x.text for n in named) and service.id in base.about(x)
                 and not any(x.text in qt or qt in x.text for qt in quoted)
                 and len([m for m in base.mentions(x.text) if m.entity == "marketplace"]) <= len(named) + 1
                 and not quantity_kinds(x.text) & {"duration"}), None)


def _points_named(base: KnowledgeBase, q: Question) -> list:
    """Two or more points of one list named by their headings ("单一库存池和补货无忧"): those points."""
    normal = base.normalize(q.text)
    named = [x for x in base.headed_points if x.heading in normal]
    parents = {x.parent for x in named}
    if len({x.heading for x in named}) < 2 or len(parents) != 1:
        return []
    return list(dict.fromkeys(named))  # every item under each heading ("运输模式": 整箱 and 拼箱)


def _answer_about(base: KnowledgeBase, q: Question, service: Service, ctx: Context, carried: bool
                  ) -> tuple[Reply, tuple]:
    if q.qtype == "yes_no" and q.stage in base.stages and base.has_cue("only", q.text) and not q.attributes:
        # "X只管头程吗": whether the stage named is the only one X works in, with what X does
        reply = replies.answer_service(base, service, "definition", ctx, None)
        verdict = "yes" if service.stage == q.stage else "no"
        return replies.with_verdict(reply, verdict, q.text), ("fact", service.id, "definition")
    listed = _among_the_listed(base, q, service) if carried else None
    if listed is not None:
        return listed
    points = _points_named(base, q)
    if points:  # "X的智能入仓和补货无忧分别指啥": each point under its own heading
        under = {x.heading: [y.text.rstrip("；;。") for y in points if y.heading == x.heading] for x in points}
        text = "；".join(f"{heading}：{'、'.join(items)}" for heading, items in under.items()) + "。"
        return replies.part_of_answer(text, points[0].section), ("statement", points[0].id)
    fix = _fix_for_the_pain_said(base, q, service) if q.focus.primary == service.id or service.id in q.referenced else None
    if fix is not None:  # the row alone, not the whole table again
        return replies.part_of_answer(fix.text, fix.section), ("statement", fix.id)
    spelled = _abbreviation_in(base, q, service)
    if spelled is not None:  # "FIST里的SR是啥": the statement that spells it out
        return _statement_reply(base, replace(q, qtype=None), StatementHit(spelled, STRONG_SCORE, 1.0), service.id)
    claim = _claim_of_its_own(base, q, service)
    if claim is not None:  # read with its footnote, which may leave the market out
        return _statement_reply(base, q, claim, service.id)
    there = _said_of_those_markets(base, q, service) if q.ctx.marketplace else None
    if there is not None:
        return _statement_reply(base, q, StatementHit(there, STRONG_SCORE, 1.0), service.id)
    kept = _still_in_last_statement(base, q, service) if carried else None
    if kept is not None:
        return _statement_reply(base, q, StatementHit(kept, STRONG_SCORE, 1.0), service.id)
    again = (_asked_again_elsewhere(base, q, service) or _elaborated(base, q, service)
             or _limit_of_last_answer(base, q, service)) if carried else None
    lifted = _restriction_lifted(base, q, service) if again is None else None
    if lifted is not None:
        return _statement_reply(base, q, lifted, service.id)
    if again is not None:
        asked = q if q.qtype is not None else replace(q, qtype="yes_no", text=q.focus.asked or q.text)
        return _statement_reply(base, asked, StatementHit(again, STRONG_SCORE, 1.0), service.id)
    still_to_come = _not_yet_in_last_answer(base, q, service) if carried else None
    if still_to_come is not None:
        return still_to_come
    attributes = _implied_attributes(base, q, service, carried)
    if _definition_holds_it(base, q, service):  # "X是什么服务 是自己的船还是货代": what it is says both
        return _fact_reply(base, q, service, "definition", ctx)
    if q.qtype == "yes_no":  # "X是亚马逊自己的船运吗": what X is, or who carries for it, answers it
        identity = next((a for a in ("definition", "carrier") if (said := service.fact(a))
                         and _contrary(base, q.text, said.answer)), None)
        if identity is not None and not _asked_side_said_of(base, q, service):
            return _fact_reply(base, q, service, identity, ctx)
    name = base.name_of(service.id) if q.qtype == "name" else None
    if name is not None:
        return replies.names_answer(base, [name], _english_asked(base, q)), ("names", service.id)
    leaving = [p for p in _leaving_from(q) if p not in ("中国", "国内")] if q.qtype == "yes_no" else []
    if leaving and service.fact("origin") is not None and not q.attributes and not q.ctx.marketplace:
        return _fact_reply(base, q, service, "origin", ctx)  # "从天津能走X吗": its ports, with the one asked
    if q.qtype == "yes_no" and _asks_to_use(base, q, service) and set(q.attributes) <= {"suitable"}:
        judged = _judge_by_advice(base, q, service)
        if judged is not None:
            return judged
    terms = base.query_terms(q.text, [service.id])
    hits = _asked_side_first(base, q, [h for h in base.find_statements(q.text, q.qtype, [service.id], limit=3)
                                       if service.id in base.about(h.statement)])
    best = hits[0] if hits and _answerable(base, q, hits[0]) else None
    functional = _function_hits(base, q, service) if best is None and not any(service.fact(a) for a in q.attributes) else []
    if functional and _answerable(base, q, functional[0]):  # "能少备点货吗" of AWD: what its function MCD does
        return _statement_reply(base, q, functional[0], sorted(base.about(functional[0].statement) - {service.id})[0])
    by_context = attributes[:1] in (["coverage"], ["modes"], ["cargo_types"], ["warehouses"]) and not q.attributes
    about_itself = attributes == ["definition"] and (q.asks_definition or not _substantive(terms))
    explicit = bool(q.attributes) or about_itself or by_context or (
        carried and q.focus.attribute in attributes and not q.qtype)
    attributes = _nearest_first(base, service, attributes)
    named = [f for f in (service.fact(a) for a in attributes) if f]
    named_fact = next((f for f in named if not _is_gap(f)), named[0] if named else None)  # 仓储费打几折: the discount
    same_topic = carried or q.focus.primary == service.id  # "它最低能到多少" after the fee
    # the fact just shown ("它最低能到多少" after the fee), not an attribute left from before a quoted statement
    shown_fact = tuple(q.focus.source or ())[:1] == ("fact",)
    carried_fact = service.fact(q.focus.attribute) if same_topic and q.focus.attribute and shown_fact else None
    asks_more = best is not None and _substantive(_without_attribute_words(base, q, terms))  # "走海运的话省掉哪类费"
    unasked = _without_attribute_words(base, q, terms)
    # ("价格咋样" right after a transit time asks the price, which the time does not hold)
    other_kind = base.has_cue("money", q.text) and carried_fact is not None \
        and "price" not in quantity_kinds(carried_fact.answer) and carried_fact.attribute != "discount"
    if named_fact is not None and _is_gap(named_fact) and carried_fact is not None and not _is_gap(carried_fact) \
            and not asks_more and not other_kind \
            and base.fact_coverage(named_fact, unasked) <= base.fact_coverage(carried_fact, unasked):
        # ("和别家次日达比价钱呢" keeps the fee: what it says of the price is what is asked)
        named_fact, attributes = carried_fact, [carried_fact.attribute]  # "最低能到多少" after the fee: the lowest fee
    if named_fact is not None:
        # "agl可以发整柜吗" is a question about a mode; "用send空运发英国能避免FBA低量库存费吗" is about
        # something else, said of a mode and a market: what the statement covers beyond the context decides.
        beyond = _coverage_beyond_context(base, q, best, terms) if best is not None else 0.0
        composed = _structured(attributes, ctx) or by_context and attributes[:1] == ["warehouses"]
        structured = composed and (not by_context or beyond < YES_COVERAGE)
        rest = _without_asked_attributes(base, q, terms) if q.attributes else terms
        if best is not None and not structured and _statement_wins(base, named_fact, _rescored(base, best, rest), rest,
                                                                   explicit, q):
            return _statement_reply(base, q, best, service.id, hits)
        # "有优惠吗" says nothing but the attribute: the fact that exists is its yes
        reply, source = _fact_reply(base, q, service, named_fact.attribute, ctx, matched=not _substantive(unasked))
        if q.qtype != "yes_no" and named_fact.attribute != "definition" and _definition_asked_apart(q):
            reply = replies.definition_first(service, reply)  # "X是啥 费用多少": both, what it is first
        return reply, source
    if carried_fact is not None and attributes and not service.fact(attributes[0]) and _speaks_of(
            base, carried_fact, attributes[0]):
        return _fact_reply(base, q, service, carried_fact.attribute, ctx)  # "有条件吗" after the discount: its 条件
    speaking = _fact_speaking_of(base, q, service, attributes[0], terms) \
        if attributes[:1] == ["requirement"] and not service.fact("requirement") else None
    if speaking is not None:
        return _fact_reply(base, q, service, speaking.attribute, ctx)  # "8折有条件吗": the discount's 条件
    if attributes and explicit:  # asked for something the curated facts lack: the document's statement, or say so
        if best is not None:
            return _statement_reply(base, q, best, service.id, hits)
        said = base.vocabulary["attribute"].get(attributes[0], {})
        near = next((a for a in (*said.get("near", ()), *said.get("fallback", ())) if service.fact(a)), None)
        # "只接收AGL发来的货吗，其他货代不能送仓？": the other attribute asked (the carrier) has the answer
        near = near or next((a for a in q.attributes[1:] if (f := service.fact(a)) and not _is_gap(f)), None)
        if near is not None:
            return _fact_reply(base, q, service, near, ctx)
        return replies.not_documented(base, service, attributes[0]), ("none",)
    fact = _best_fact(base, service, terms)
    if best is not None and (fact is None and _says_it_itself(base, best, terms, q) or fact is not None and _statement_wins(
            base, fact, best, terms, False, q)):
        return _statement_reply(base, q, best, service.id, hits)
    if fact is not None:  # matched by what the question says: a yes/no is a yes unless the fact says otherwise
        return _fact_reply(base, q, service, fact.attribute, ctx, matched=True)
    if not _content(terms) or attributes == ["definition"]:  # "AGL？": what it is
        return _fact_reply(base, q, service, "definition", ctx)
    if q.qtype == "yes_no" and not q.attributes and not _substantive(terms) and q.focus.primary == service.id \
            and q.focus.attribute and service.fact(q.focus.attribute) is not None:
        return _fact_reply(base, q, service, q.focus.attribute, ctx)  # "只有它才行吗" right after its discount: of that
    placed = q.ctx.marketplace or q.turn.values("origin") or base.has_cue("where", q.text)
    near = hits[0] if hits and q.qtype in ("yes_no", "how_to") and not placed else None
    own = base.statement_index.coverage(terms, set(base.terms(near.statement.text))) if near is not None else 0.0
    if near is not None and own >= NEAREST_STATEMENT_COVERAGE:  # by its own words, not its heading's ("多渠道配送通过以下…": MCD's steps)
        # "货到哪了在哪看" of SEND: its sentence nearest to the question, said to be only near
        reply, source = _statement_reply(base, replace(q, qtype=None), near, service.id)
        return replies.not_said(reply), source
    # Nothing says it: say so, with the fact nearest to what was asked ("阿拉斯加的货PCP管不管" → its coverage).
    # ("它管到哪一步" names no place: what it is, not where)
    nearest = next((a for a in _FALLBACK.get(q.qtype or "", ("definition",)) if service.fact(a) and not (
        a == "coverage" and q.qtype == "which" and not (q.ctx.marketplace or q.turn.values("origin")
                                                        or base.has_cue("where", q.text)))), "definition")
    reply = replies.answer_service(base, service, nearest, Context(), None)
    if q.qtype in ("how_to", "why") and nearest not in ("definition", "coverage"):
        return reply, ("fact", service.id, nearest)  # "它怎么帮我" of FIST: what it fixes is how it helps
    return replies.not_said(reply), ("fact", service.id, nearest)


# The kinds of question whose wording the focus keeps: a follow-up may ask it again elsewhere.
ASKED_AGAIN = ("yes_no", "which")

# "德国站也可以吗": at most this long, a yes/no that gives only a market or a mode asks the last question again.
_AGAIN_MAX_CHARS = 12


def _asked_again_elsewhere(base: KnowledgeBase, q: Question, service: Service):
    """The statement that answered the last yes/no, when the follow-up asks the same of another market
    or mode ("能避免…吗" → "德国站也可以吗"): its verdict is read again in the new context (a footnote
    limiting it to "美国站海运" says no). A market the service does not reach is its coverage's answer."""
    elliptical_again = q.qtype is None and bool(q.focus.asked) and base.question_type(q.focus.asked or "") == "yes_no" \
        and _same_question_elsewhere(q)  # "英国站呢" after a yes/no
    if q.qtype != "yes_no" and not elliptical_again or set(q.attributes) - {"suitable"} or not q.has_context \
            or len(q.text) > _AGAIN_MAX_CHARS or _says_beyond_context(base, q, service):  # "也适用吗" asks the same
        return None
    said = _last_statement(base, q, service) or _limited_statement_for(base, q, service)
    if said is None:
        return None
    if q.ctx.marketplace and not base.values_named(f"{said.heading}{said.text}{said.note}", "marketplace"):
        return None  # the statement names no market: whether the service serves this one is its coverage
    markets = replies.covered_markets(base, service.id)
    if q.ctx.marketplace and markets is not None and not replies.covers(base, markets, q.ctx.marketplace):
        return None
    return said


# A statement that lifts a restriction answers "只能…吗" when it matches at least this much of it: the
# lifting words themselves ("任意其他", "只要…都可以") are the rest of the evidence.
LIFTED_COVERAGE = 0.3
LIFTING_SENTENCE = 15  # characters


def _restriction_lifted(base: KnowledgeBase, q: Question, service: Service) -> StatementHit | None:
    """"是不是非得用X发": the service's statement that lifts the restriction ("也可以使用任意其他…"),
    though another statement matches the question's words better; its verdict is no."""
    if q.qtype != "yes_no" or not base.has_cue("only", q.text):
        return None
    lifting = base.vocabulary["verdict"]["lifted"]
    hits = [h for h in base.find_statements(q.text, "yes_no", [service.id], limit=8)
            if service.id in base.about(h.statement) and _holds(h.statement.text, lifting)
            and len(h.statement.text) >= LIFTING_SENTENCE]  # a sentence that lifts it, not a step's name
    return hits[0] if hits and hits[0].coverage >= LIFTED_COVERAGE else None


def _limit_of_last_answer(base: KnowledgeBase, q: Question, service: Service):
    """"每个国家都这样吗" right after a statement whose footnote limits it ("目前适用于美国站海运"):
    the footnote answers, not the service's general coverage."""
    said = _last_statement(base, q, service)
    if q.qtype != "yes_no" or said is None or not base.has_cue("every", q.text) or len(q.text) > _AGAIN_MAX_CHARS:
        return None
    return said if _holds(said.note, base.vocabulary["verdict"]["limited"]) else None


def _among_the_listed(base: KnowledgeBase, q: Question, service: Service) -> tuple[Reply, tuple] | None:
    """"日本站呢" right after "哪些站点能…" was answered by a statement naming its markets: whether
    the new market is one of them, in the statement's words (not the service's coverage)."""
    if not q.focus.asked or base.question_type(q.focus.asked) != "which" or not q.ctx.marketplace \
            or q.qtype not in (None, "yes_no"):
        return None
    said = _last_statement(base, q, service)
    if said is not None and (q.attributes or len(q.text) > _AGAIN_MAX_CHARS) and not _restates(base, q, said):
        return None
    named = {str(m.value) for m in base.mentions(said.text) if m.entity == "marketplace"} if said is not None else set()
    if not named:
        return None
    reply, source = _statement_reply(base, replace(q, qtype=None), StatementHit(said, STRONG_SCORE, 1.0), service.id)
    return replies.with_verdict(reply, "yes" if q.ctx.marketplace in named else "no", q.text), source


# "澳洲站那边也有固定的入仓预约吗" restates the statement just quoted when it holds this much of the rest.
RESTATES_COVERAGE = 0.6


def _restates(base: KnowledgeBase, q: Question, said) -> bool:
    """Whether a follow-up, without its market, says again what the statement just quoted says."""
    text = _without_mentions(base, q.text, ("marketplace",))
    terms = [t for t in base.query_terms(text, list(q.focus.services)) if not t.startswith("@marketplace")]
    return _substantive(terms) and base.statement_index.coverage(terms, base.statement_index.terms_of(said)) >= RESTATES_COVERAGE


# A follow-up is answered again by the statement just quoted when it holds this much of it.
STILL_IN_LAST = 0.6


def _still_in_last_statement(base: KnowledgeBase, q: Question, service: Service):
    """"这样能多卖多少" right after a statement that gives the figure: the statement just quoted, when
    it holds the follow-up's words at least as well as any other statement of the service (or at
    all, when the follow-up points back at it: 这样)."""
    said = _last_statement(base, q, service)
    if said is None or q.has_context:
        return None
    if base.has_cue("back", q.text) and (q.qtype == "why" or q.attributes == ["advantages"]) \
            and "purpose" in quantity_kinds(said.text):
        return said  # "这样有什么好处" right after "无需填写…，有助于…": what it is for, said there
    terms = [t for t in base.query_terms(base.without_cue("elaborate", q.text), [service.id])
             if t.lstrip("²") not in base.cue_words("vague")]
    if not _substantive(terms):
        return None
    index = base.statement_index
    here = index.coverage(terms, index.terms_of(said), base.term_alternatives(q.text, terms))
    best = [] if base.has_cue("back", q.text) else base.find_statements(q.text, q.qtype, [service.id], limit=1)
    if here < STILL_IN_LAST or best and best[0].statement != said and best[0].coverage > here:
        return None
    return said if _answerable(base, q, StatementHit(said, STRONG_SCORE, here)) else None


# A statement saying the side of a contrary the question asks for is preferred over one saying the
# other side when it matches at least this share as well ("自己控制补多少" → 手动补货, not 智能补货).
ASKED_SIDE_SHARE = 0.8


def _asked_side_first(base: KnowledgeBase, q: Question, hits: list[StatementHit]) -> list[StatementHit]:
    if len(hits) < 2:
        return hits
    normal = base.normalize(q.text)
    said_as = {canon for canon, variants in base.vocabulary["cues"]["synonyms"].items() if any(v in normal for v in variants)}
    for pair in base.vocabulary.get("contraries", []):
        asked = [w for w in pair["asked"] if w in normal or w in said_as]
        if not asked or not _holds(hits[0].statement.text, pair["said"]) or _holds(hits[0].statement.text, pair["asked"]):
            continue
        other = next((h for h in hits[1:] if _holds(h.statement.text, pair["asked"])
                      and h.score >= ASKED_SIDE_SHARE * hits[0].score), None)
        if other is not None:
            return [other, *[h for h in hits if h is not other]]
    return hits


def _function_hits(base: KnowledgeBase, q: Question, service: Service) -> list[StatementHit]:
    hits = [h for f in base.functions_of(service.id) for h in base.find_statements(q.text, q.qtype, [f], limit=2)
            if f in base.about(h.statement) and service.id not in base.about(h.statement)]
    return sorted(hits, key=lambda h: -h.score)


def _fix_for_the_pain_said(base: KnowledgeBase, q: Question, service: Service):
    """"它是怎么解决的" right after a pain point the seller described was answered from the service's
    table of pain points: that row (the pain and its fix), matched by what the seller said."""
    said = _last_statement(base, q, service)
    if not base.has_cue("solves", q.text) or said is None or not q.focus.said or "痛点" not in f"{said.parent}{said.heading}":
        return None
    rows = [x for x in base.statement_index.group(said) if "：" in x.text]
    index, terms = base.statement_index, base.query_terms(q.focus.said, [service.id])
    scored = sorted(((index.coverage(terms, index.terms_of(x)), x.line, x) for x in rows), key=lambda r: (-r[0], r[1]))
    return scored[0][2] if scored and scored[0][0] >= PAIN_FIX_COVERAGE else None


_ABBREVIATION = re.compile(r"(?<![A-Za-z])([A-Z]{2,5})(?![A-Za-z])")


def _abbreviation_in(base: KnowledgeBase, q: Question, service: Service):
    """An abbreviation the question asks about that a statement of the service spells out ("智能转仓,
    高效入库 (SR)"), other than a service's or an entity's own name."""
    written = _ABBREVIATION.findall(q.text)  # as sellers write them, in capitals
    if not written or q.qtype not in ("what", None) and not q.asks_definition:
        return None
    known = {m.text.upper() for m in base.mentions(q.text)} | {
        a.upper() for s in base.services.values() for a in (s.id, s.short, *s.aliases)}  # "用FBA" names FBA too
    for abbreviation in written:
        if abbreviation in known:
            continue
        marked = re.compile(rf"[(（]\s*{abbreviation}\s*[)）]")
        found = [x for x in base.statements if service.id in base.about(x) and marked.search(x.text)]
        if found:
            return found[0]
    return None


def _claim_of_its_own(base: KnowledgeBase, q: Question, service: Service) -> StatementHit | None:
    """"X说能避免低量库存费，欧洲站也适用吗": beside the market, a claim a statement of the service makes
    (its footnote may limit it to a market); "日本站卖家能用X吗" only names the market."""
    clauses = [c for c in re.split(r"[，,；;。\s]+", q.text) if c]
    if q.qtype != "yes_no" or not q.ctx.marketplace or len(clauses) < 2:
        return None
    idf = base.statement_index.idf

    def rare(part: str) -> bool:  # not "卖家", "用": words every statement has
        rest = _without_mentions(base, part, (*CONTEXT_KINDS, "attribute", "service"))
        return any(idf.get(t, 0.0) >= CLAIM_IDF for t in base.query_terms(rest, [service.id]) if not t.startswith(("·", "@")))
    claim, asking = "，".join(clauses[:-1]), clauses[-1]
    # the clause that asks only names the market and points back ("欧洲站也适用吗"), the claim is the service's
    back = re.search(r"也|还|同样|一样", asking) and not any(m.entity == "service" for m in base.mentions(asking))
    if not back or rare(asking) or not rare(claim) or service.id not in {m.value for m in base.mentions(claim)}:
        return None
    text = _without_mentions(base, claim, (*CONTEXT_KINDS, "attribute", "service"))
    hits = [h for h in base.find_statements(text, None, [service.id], limit=1) if service.id in base.about(h.statement)]
    return hits[0] if hits and hits[0].coverage >= YES_COVERAGE else None


CLAIM_IDF = 3.0  # a word fewer than one statement in twenty has


def _says_beyond_context(base: KnowledgeBase, q: Question, service: Service) -> bool:
    """"整柜会被拆箱吗" names a mode and asks something of its own; "整柜也可以吗" only the mode."""
    text = _without_mentions(base, q.text, (*CONTEXT_KINDS, "attribute", "service"))
    rest = [t for t in base.query_terms(text, [service.id]) if not t.startswith("@")]
    return any(not t.startswith("·") and len(t.lstrip("²")) >= 2 for t in rest)  # "²拆箱": a word jieba split


def _not_yet_in_last_answer(base: KnowledgeBase, q: Question, service: Service) -> tuple[Reply, tuple] | None:
    """"那新兴站点那边呢" right after a list that ends "新兴站点即将上线": not yet, in the words just shown."""
    bare = re.sub(r"^那|[呢吗？?，,。\s的]+$", "", q.text)
    source = tuple(q.focus.source or ())
    if not elliptical(q) or not set(q.attributes) <= set(source[2:3]) or q.has_context or len(bare) < 2:
        return None
    fact = service.fact(source[2]) if source[:1] == ("fact",) and len(source) == 3 else None
    shown = base.statement(source[1]) if source[:1] == ("statement",) and len(source) == 2 else None
    said = fact.answer if fact is not None else shown.text if shown is not None else ""
    clause = next((c for c in re.split(r"[，,；;。]", said) if bare in c), None)
    if clause is None or not _holds(clause, base.vocabulary["verdict"]["not_yet"]):
        return None
    section = fact.section if fact is not None else (q.focus.section or service.section)
    return replies.not_yet(clause, section), source


def _limited_statement_for(base: KnowledgeBase, q: Question, service: Service):
    """The last question answered from a curated fact: the document's statement of it whose footnote
    limits it to a context the follow-up leaves ("目前适用于美国站海运" against "德国站也可以吗")."""
    if not q.focus.asked or base.question_type(q.focus.asked) != "yes_no" or q.focus.attribute in _STRUCTURED_ATTRIBUTES:
        return None
    hits = _fuller_first(base, [h for h in base.find_statements(q.focus.asked, "yes_no", [service.id], limit=3)
                                if service.id in base.about(h.statement)])
    found = hits[0].statement if hits and _good(hits[0]) else None
    return found if found is not None and found.note and _note_excludes(base, q, found.note) else None


# Answers the facts' data compose per market or mode: a follow-up market is asked of them again.
_STRUCTURED_ATTRIBUTES = ("coverage", "modes", "transit_time", "minimum", "cargo_types")


def _elaborated(base: KnowledgeBase, q: Question, service: Service):
    """"具体怎么做到的" right after a statement: the statement again (with its list), not the service's
    general workflow; the document says no more than it."""
    said = _last_statement(base, q, service)
    if said is None or q.attributes or q.has_context or len(q.text) > _AGAIN_MAX_CHARS \
            or not base.has_cue("elaborate", q.text):
        return None
    rest = base.without_cue("elaborate", q.text)
    return None if _substantive(base.query_terms(rest, [service.id])) else said


def _last_statement(base: KnowledgeBase, q: Question, service: Service):
    """The statement the last answer quoted, when it is about this service."""
    source = tuple(q.focus.source or ())
    if source[:1] != ("statement",):
        return None
    said = base.statement(source[-1])
    return said if said is not None and service.id in base.about(said) else None


def _fact_speaking_of(base: KnowledgeBase, q: Question, service: Service, attribute: str, terms: list[str]):
    """The service's fact that uses a word of an attribute it has no fact for, and matches the rest of
    the question: "那个8折有门槛吗" is answered by the discount, whose text names its 条件."""
    rest = _without_attribute_words(base, q, terms)
    if not _substantive(rest):
        return None
    speaking = [f for f in service.facts.values() if _speaks_of(base, f, attribute) and not _is_gap(f)]
    ranked = sorted(speaking, key=lambda f: -base.fact_coverage(f, rest))
    return ranked[0] if ranked and base.fact_coverage(ranked[0], rest) >= FACT_COVERAGE else None


def _speaks_of(base: KnowledgeBase, fact: Fact, attribute: str) -> bool:
    """Whether a fact's text uses a word of an attribute it is not about (a discount's 条件)."""
    phrases = base.vocabulary["attribute"].get(attribute, {}).get("phrases", ())
    return any(len(p) >= 2 and not p.isascii() and p in fact.answer for p in phrases)


def _nearest_first(base: KnowledgeBase, service: Service, attributes: list[str]) -> list[str]:
    """"AMS覆盖哪些环节": the asked attribute (环节: its services), or the fact nearest to it, before a
    word the question uses on the way (覆盖)."""
    if not attributes or service.fact(attributes[0]) or len(attributes) < 2:
        return attributes
    near = next((a for a in base.vocabulary["attribute"].get(attributes[0], {}).get("near", ()) if service.fact(a)), None)
    return [near, *[a for a in attributes if a != near]] if near else attributes


# The fact that comes nearest to a question the document does not answer, by the kind of question.
# A yes/no or how-to nothing answers shows the service's nearest sentence when it holds this share of the
# question's words (development set); below it, the service's nearest fact.
NEAREST_STATEMENT_COVERAGE = 0.3
_FALLBACK = {"yes_no": ("coverage", "suitable", "definition"), "how_long": ("transit_time", "definition"),
             "how_much": ("fee", "definition"), "which": ("coverage", "definition"), "how_to": ("workflow", "pain_points", "definition"),
             "why": ("advantages", "definition"), "how_many": ("definition",)}


def _rescored(base: KnowledgeBase, hit: StatementHit, terms: list[str]) -> StatementHit:
    coverage = base.statement_index.coverage(terms, base.statement_index.terms_of(hit.statement))
    return StatementHit(hit.statement, hit.score, coverage)


def _coverage_beyond_context(base: KnowledgeBase, q: Question, hit: StatementHit, terms: list[str]) -> float:
    """How much of what the question asks besides its market, mode and boat type a statement covers."""
    context = {m.text for m in base.mentions(q.text) if m.entity in ("marketplace", "transport_mode", "sea_service",
                                                                       "us_region", "origin", "cargo_size")}
    dropped = {t for phrase in context for t in base.terms(phrase)}
    asking = set(base.query_terms(_asking_clause(base.normalize(q.text)), []))
    # "想统一查物流的话，X在加拿大可用吗": what the premise clause says is why, not what is asked
    rest = [t for t in terms if t not in dropped and t in asking and not t.startswith((
        "@place", "@transport_mode", "@sea_service", "@us_region", "@cargo_size"))]
    return base.statement_index.coverage(rest, base.statement_index.terms_of(hit.statement)) if rest else 0.0


def _statement_reply(base: KnowledgeBase, q: Question, hit: StatementHit, service_id: str,
                     others: Sequence[StatementHit] = ()) -> tuple[Reply, tuple]:
    outcome = statement(base, q, [hit, *[h for h in others if h is not hit][:1]], [service_id])
    return outcome.reply, tuple(Focus.from_slot(outcome.slots.get(SLOT)).source) or ("statement", hit.statement.id)


def _fact_reply(base: KnowledgeBase, q: Question, service: Service, attribute: str, ctx: Context,
                matched: bool = False) -> tuple[Reply, tuple]:
    reply = replies.answer_service(base, service, attribute, ctx, q.qtype)
    fact = service.fact(attribute)
    if q.qtype == "yes_no" and _trait_unsaid(base, q, reply.text):  # "SEND空运能发带电的吗": nothing said of 带电
        return replies.not_said(Reply(replies.without_verdict(reply.text), reply.buttons)), ("fact", service.id, attribute)
    if q.qtype == "yes_no" and _figure_verdict(q.text, reply.text) == "no":  # "覆盖全部50个州吗": 48个州
        plain = Reply(replies.without_verdict(reply.text), reply.buttons)
        return replies.with_verdict(plain, "no", q.text), ("fact", service.id, attribute)
    if q.qtype == "yes_no" and fact is not None and base.has_cue("only", q.text) and _one_of_several(base, q, fact.answer) \
            and not reply.text.startswith(replies.NEGATIVE_LEADS):  # "只能走小包裹吧": not only that one
        return Reply("不只。" + replies.without_verdict(reply.text), reply.buttons), ("fact", service.id, attribute)
    if q.qtype == "yes_no" and fact is not None and not replies.leads_with_verdict(reply.text):
        coverage = base.fact_coverage(fact, base.query_terms(q.text, [service.id]))
        coverage = max(coverage, YES_COVERAGE) if matched else coverage
        verdict = "yes" if _requires_what_is_named(base, q, fact) else _verdict(base, q, fact.answer, "", coverage)
        unlisted = _unlisted_origin(q, fact)
        reply = replies.with_unlisted(reply, unlisted) if unlisted else replies.with_verdict(reply, verdict, q.text)
    return reply, ("fact", service.id, attribute)


def _trait_unsaid(base: KnowledgeBase, q: Question, text: str) -> bool:
    """A kind of goods the question names (带电, 季节性) that the answer does not speak of: its yes or no
    would be about the service, not about those goods."""
    traits = base.vocabulary["product_trait"]
    normal = base.normalize(text).upper()
    return any(not any(base.normalize(p).upper() in normal for p in (traits[t]["label"], *traits[t]["phrases"]))
               for t in q.turn.values("product_trait") if t in traits)


def _unlisted_origin(q: Question, fact: Fact) -> str | None:
    """"能从武汉起运吗" of a service whose listed ports leave 武汉 out: the list does not say (it ends
    in "……", and pick-up is offered), so neither yes nor no."""
    listed = fact.data.get("origins") if fact.attribute == "origin" else None
    return next((p for p in _leaving_from(q) if listed and p not in listed and p not in ("中国", "国内")), None)


def _leaving_from(q: Question) -> list[str]:
    """The places a message says the goods leave from ("从武汉", "武汉能起运"), not where the seller is
    ("工厂在东莞，能上门提货吗") or a province ("有福建的起运港吗")."""
    named = [q.turn.text[int(e.get("start", 0)):int(e.get("end", 0))] for e in q.turn.entities if e.get("entity") == "origin"]
    return [p for p in named if p and re.search(f"从{re.escape(p)}|{re.escape(p)}(?:能|可以)?(?:起运|启运|出运|发货|起发)", q.turn.text)]


def _requires_what_is_named(base: KnowledgeBase, q: Question, fact: Fact) -> bool:
    """"得先开通AWD吗" answered by MCD's requirement, which names AWD: yes (its "不能单独使用" denies
    using MCD alone, not the need). "没有AWD也行吗" asks the other way round and keeps its no."""
    named = [str(e.get("value")) for e in q.turn.entities if e.get("entity") == "service"]
    return fact.attribute == "requirement" and any(
        n in base.services and base.services[n].short in fact.answer and names_requirement(base, q.turn, n) for n in named)


def _elliptical(base: KnowledgeBase, q: Question) -> bool:
    """"那FBA呢", "那X的特快船呢": a service (and the context to ask it in) and nothing else, asking the
    last question again about it."""
    rest = _without_mentions(base, q.text, ("service", *CONTEXT_KINDS), by="")
    return bool(q.named) and len(re.sub(r"[那呢吗？?，,。\s的]", "", rest)) <= 1


# The kinds of mention that say where or how a question is asked, not what it asks.
CONTEXT_KINDS = ("marketplace", "transport_mode", "sea_service", "us_region")


def _without_mentions(base: KnowledgeBase, text: str, kinds: Sequence[str], by: str = " ") -> str:
    """The text with the knowledge base's mentions of these kinds taken out."""
    for mention in base.mentions(text):
        if mention.entity in kinds:
            text = text.replace(mention.text, by)
    return text


def _substantive(terms: list[str]) -> bool:
    """Whether a question says more than its subject: a word or bigram, not single characters or tags."""
    return any(not t.startswith(("@", "·")) for t in terms)


def _content(terms: list[str]) -> bool:
    return any(not t.startswith("@") for t in terms)


def _answerable(base: KnowledgeBase, q: Question, hit: StatementHit) -> bool:
    """A statement can answer only what it holds: a duration for 多久, an amount for 多少钱."""
    if not _good(hit):
        return False
    if hit.statement.kind == "link" and q.qtype not in ("which", "what", None):
        return False  # a course's title in a list of links says nothing about the course
    # a duration for 多久; a price only for 多少钱 ("避免什么费用" asks which fee, not how much)
    wanted = {"duration"} if q.qtype == "how_long" else {"price"} if q.qtype == "how_much" and base.has_cue(
        "money", q.text) else None
    if wanted:
        said = " ".join(x.text + x.note for x in base.statement_index.group(hit.statement))
        return bool(quantity_kinds(said) & wanted)
    return True


def _is_gap(fact: Fact) -> bool:
    """A curated fact that says the document does not give what it is about."""
    return fact.answer.startswith(("资料没有", "资料里没有"))


def _structured(attributes: list[str], ctx: Context) -> bool:
    """Answers the facts' data compose for the context (SEND's days to Japan, coverage of a market)."""
    return any(a in ("coverage", "transit_time", "minimum", "modes") for a in attributes[:1]) and \
        any((ctx.marketplace, ctx.mode, ctx.sea_service, ctx.us_region))


def _best_fact(base: KnowledgeBase, service: Service, terms: list[str]) -> Fact | None:
    """The service's fact that matches a question naming no attribute, if one matches well enough."""
    ranked = sorted(service.facts.values(), key=lambda f: -base.fact_coverage(f, terms))
    return ranked[0] if ranked and base.fact_coverage(ranked[0], terms) >= FACT_COVERAGE else None


_FACT_KINDS = ("how_many", "how_long", "how_much", "yes_no", "name")


def _without_attribute_words(base: KnowledgeBase, q: Question, terms: list[str]) -> list[str]:
    """Without the words that name the topic itself (its stage, concept or attribute): what is left says
    whether a statement knows something the topic's curated fact does not."""
    phrases = [m.text for m in base.mentions(q.text) if m.entity in ("attribute", "stage", "concept")]
    dropped = {t for p in phrases for t in base.terms(p)}
    return [t for t in terms if t not in dropped and not t.startswith(("@attribute:", "@stage:", "@concept:"))]


def _without_asked_attributes(base: KnowledgeBase, q: Question, terms: list[str]) -> list[str]:
    """A question's terms without the words that named its attribute ("运费", "哪些国家"): the attribute
    is decided; what is left says whether a statement knows something the fact does not."""
    specific = {p for a in base.vocabulary["attribute"].values() for p in a.get("specific", ())}
    # a stage named in it stays: "省头程运费" says which cost, as 头程 in "降低头程运输费用" does; so does
    # a channel ("独立站那边也管吗" asks about those channels, not about markets)
    normal = base.normalize(q.text)
    spans = [(m.start, m.end) for m in base.mentions(q.text)
             if m.entity not in ("service", "stage", "sales_channel") and m.text not in specific]
    dropped = {t for a, b in spans for t in base.terms(normal[a:b])}
    return [t for t in terms if t not in dropped and not t.startswith("@") and not _only_across(normal, t, spans)]


def _only_across(text: str, term: str, spans: list[tuple[int, int]]) -> bool:
    """Whether every place a term is written cuts into a phrase that named the attribute: 发货 in
    "从哪里发货" is 从哪里发 and its 货, not something else asked."""
    word = term.lstrip("·²")
    at = [m.start() for m in re.finditer(f"(?={re.escape(word)})", text)] if word else []
    return bool(at) and all(any(i < b and i + len(word) > a for a, b in spans) for i in at)


def _says_more(base: KnowledgeBase, fact: Fact, hit: StatementHit, terms: list[str]) -> bool:
    """Whether a statement holds a word of the question that the fact lacks (not just its characters: a
    word, or two characters together as the document writes them, "打托" in "大件不打托")."""
    said, known = base.statement_index.terms_of(hit.statement), base.fact_term_set(fact)
    words = [t for t in terms if not t.startswith(("@", "·", "²"))]

    return any(t in said and t not in known for t in terms
               if not t.startswith(("@", "·")) and not (t.startswith("²") and _across_words(t[1:], words)))


def _across_words(pair: str, words: list[str]) -> bool:
    """"境物" of 跨境|物流: two words' edges, not a word."""
    return not any(pair in w for w in words) and all(any(c in w for w in words) for c in pair)


# A statement answers for a service only when its own words, not just its headings, hold this share
# of what it matches ("创建 MCD 订单" in a table whose heading holds the question).
OWN_WORDS_SHARE = 0.5


def _says_it_itself(base: KnowledgeBase, hit: StatementHit, terms: list[str], q: Question) -> bool:
    found = hit.statement
    shown = [found.heading] if replies.shows_heading(found) else []
    if q.qtype == "which" and found.parent:
        shown.append(found.parent)  # a 哪些 answer lists the points under it (`_points_under_parent`)
    return base.statement_index.own_coverage(terms, found, shown) >= OWN_WORDS_SHARE * hit.coverage


def _statement_wins(base: KnowledgeBase, fact: Fact, best: StatementHit, terms: list[str], named: bool,
                    q: Question) -> bool:
    if named and not _says_more(base, fact, best, terms) or not _says_it_itself(base, best, terms, q):
        return False
    if named and fact.attribute in q.attributes and quantity_kinds(fact.answer) and not any(
            _speaks_of_attribute(base, best.statement.text, a) for a in q.attributes):
        return False  # "走AGL进AWD有啥折扣": the figures asked for, not a sentence on AGL and AWD without them
    fact_coverage = base.fact_coverage(fact, terms)
    lead = STATEMENT_LEAD_NAMED if named else STATEMENT_LEAD_UNNAMED
    if _in_the_documents_words(base, q, best.statement):
        lead = 0.0  # the seller's word for this statement's own word ("预付" for its "即用即付")
    made_from_it = base.fact_quotes(fact, best.statement)
    if made_from_it and named and base.fact_answer_coverage(fact, terms) >= best.coverage:
        return False  # the fact is made from this statement, and says it better (unless it left out what is asked)
    if made_from_it and named:
        lead = 0.0  # the fact left out what is asked ("头程" of "降低头程运输费用"): its statement says it
    return best.coverage >= fact_coverage + lead


def _speaks_of_attribute(base: KnowledgeBase, text: str, attribute: str) -> bool:
    normal = base.normalize(text).lower()
    said = base.vocabulary["attribute"][attribute]
    return any(base.normalize(p).lower() in normal for p in (*said["phrases"], *said.get("said_as", ())))


# A document word said in a seller's words points at its statement only when few statements use it
# ("即用即付" once; "客户服务" in many places).
RARE_WORD_STATEMENTS = 2


def _in_the_documents_words(base: KnowledgeBase, q: Question, statement) -> bool:
    """Whether the question used a seller's word (cues.synonyms) for a word this statement itself uses."""
    normal = base.normalize(q.text)
    return any(canon in statement.text and canon not in normal and any(v in normal for v in variants)
               and sum(canon in s.text for s in base.statements) <= RARE_WORD_STATEMENTS
               for canon, variants in base.vocabulary["cues"]["synonyms"].items())


# The situation facts the advisor judges a service by (needs and traits are answered by statements).
_JUDGED_BY = ("origin", "marketplace", "quantity", "urgency", "cargo_size", "warehouse", "sales_channel", "fulfillment")
_USE_VERBS = ("用", "走", "选", "使用", "发")


def _judged_facts(q: Question) -> set[str]:
    return {str(e.get("entity")) for e in q.turn.entities if e.get("entity") in _JUDGED_BY} - {"marketplace"}


# "从国内发过去能用吗" right after a service: asks whether it can be used, of the service in focus.
_USE_ASKED = re.compile(r"(?:能|可以|可不可以|能不能)(?:用|使用)|用得了|适用|适合|适不适合|合适")


def _asks_to_use(base: KnowledgeBase, q: Question, service: Service) -> bool:
    """"我货在深圳，能用PCP发美国吗": whether this service can be used in the situation the message states."""
    mention = next((e for e in q.turn.entities if e.get("entity") == "service" and e.get("value") == service.id), None)
    if mention is None:
        return not q.named and bool(_USE_ASKED.search(q.text)) and bool(_judged_facts(q))
    start, end = int(mention.get("start", 0)), int(mention.get("end", 0))
    before, after = q.text[max(0, start - 3):start].rstrip(), q.text[end:end + 3]  # "用 PCP 吗"
    facts = {e.get("entity") for e in q.turn.entities if e.get("entity") in _JUDGED_BY}
    # "能用PCP…吗", or the service as the subject of 能/可以 ("FBA能给独立站发货吗")
    lead = re.split(r"[，,：:。；;！!？?]", q.text[:start])[-1].strip()  # "学员问：PCP能…": after the relay
    used = before.endswith(_USE_VERBS) or len(lead) <= 1 and after.startswith(("能", "可以", "可不可以", "能不能")) \
        or before.endswith("从") and after.lstrip().startswith(("发", "出货", "配送"))  # "直接从FBA发吗"
    # (or where the goods start, said earlier: "头程可以走PCP不" after "工厂在宁波，卖英国站…")
    return used and bool(facts - {"marketplace"} or q.turn.slot("origin"))


def _judge_by_advice(base: KnowledgeBase, q: Question, service: Service) -> tuple[Reply, tuple] | None:
    """"我货在深圳，能用PCP发美国吗": the advisor's verdict on this service for the stated situation."""
    situation = advisor.situation_from_slots({"origin": q.turn.slot("origin"), "destination": q.turn.slot("destination")})
    situation, _, _ = advisor.apply_turn(situation, q.turn, None, q.negated)
    home: Sequence[str] = service.data("warehouses", "warehouses") or ()
    if situation.inventory is None and situation.target is None and len(home) == 1:
        situation = replace(situation, inventory=home[0])  # FBA and MCF deliver from Amazon's centres
    advice = evaluate(base, situation)
    excluded = advice.why_not(service.id)
    recommended = advice.recommendation(service.id)
    if excluded:
        fitting = [r.service for st in advice.stages.values() if service.id in st.excluded for r in st.recommended[:2]]
        return replies.judged(base, service, False, excluded, [base.services[f] for f in fitting if f in base.services]), (
            "fact", service.id, "suitable")
    if recommended is not None:
        return replies.judged(base, service, True, recommended.reasons), ("fact", service.id, "suitable")
    # "想用MCF把AWD的货批量调去别的平台仓": that need is another stage's, met by another service
    for stage in dict.fromkeys(NEED_STAGES[n] for n in sorted(situation.needs) if n in NEED_STAGES):
        found = advice.stages.get(stage) if stage != service.stage else None
        meets = found.recommended[0] if found and found.recommended else None
        if meets is not None and meets.service != service.id and meets.service in base.services:
            return replies.judged(base, service, False, meets.reasons, [base.services[meets.service]]), (
                "fact", service.id, "suitable")
    return None


def _first_cited(text: str) -> str | None:
    match = re.search(r"「来源：([^」、]+)", text)
    return match.group(1) if match else None


# -- variants of one service -----------------------------------------------------------------------------


def variants(base: KnowledgeBase, q: Question) -> Outcome:
    subject = (q.subjects or [_focused(base, q)])[0]
    service_ = base.services[subject]
    ctx = _context(q, carried=not q.subjects)
    reply = replies.variants(base, service_, ctx, q.modes)
    if q.qtype == "yes_no":  # "有整柜和拼柜吗": yes when the service offers every option named
        modes = service_.fact("modes")
        offered = set(modes.data.get("modes", ())) | set(modes.data.get("sea_services", ())) if modes else set()
        reply = replies.with_verdict(reply, "yes" if set(q.modes + q.sea_services) - {"SEA"} <= offered else "no", q.text)
    focus = replace(Focus(topic="service", services=(subject,), attribute="transit_time",
                          section=_first_cited(reply.text), source=("fact", subject, "transit_time")), ).with_context(ctx)
    return _with_focus(reply, focus)


# -- comparisons ---------------------------------------------------------------------------------------


def compare(base: KnowledgeBase, q: Question) -> Outcome:
    ids = list(q.named) or list(q.focus.services)  # "两者差别在哪" right after an answer about two
    if len(ids) == 1 and q.focus.primary and q.focus.primary not in ids:
        ids = [q.focus.primary] + ids
    if _deciding_facts(q):
        return advise(base, q, candidates=ids)
    specific = q.attributes[0] if q.attributes else None
    reply = replies.compare(base, ids, specific, choosing=q.choice_cue)
    if len(ids) >= 2 and base.has_cue("compare.same", q.text):
        reply = replies.not_the_same(base, ids, reply)
    focus = Focus(topic="compare", services=tuple(ids), attribute=specific, section=_first_cited(reply.text),
                  source=("compare", *ids))
    return _with_focus(reply, focus)


def _deciding_facts(q: Question) -> bool:
    """Facts of the seller's situation that the advisor can decide with ("货要发去中东 AGL和SEND选哪个");
    a question of how two services differ is answered as such."""
    if q.compare_cue and not q.choice_cue:
        return False
    if q.turn.has("fulfillment") and "FBA" in q.named and not q.turn.has("product_trait"):
        return False  # "FBA和自发货哪个好" weighs FBA against doing it all; "卖带电玩具…哪个合适" is advice
    # a need restates the comparison ("X和Y存货哪个省钱"): the other facts of a situation decide
    situation = any(e.get("entity") in advisor.SITUATION_ENTITIES and e.get("entity") != "need"
                    for e in q.turn.entities) if q.situation else bool(q.turn.values("origin"))
    destination = bool(q.ctx.marketplace) and not q.attributes and (q.choice_cue or q.qtype != "which")
    return situation or destination


# -- the courses the document recommends -----------------------------------------------------------


def courses(base: KnowledgeBase, q: Question) -> Outcome:
    """"MCF有相关的课吗", "有新手直播课吗": the document's course lists. A service's part of the
    chapter (1.3, 1.4, 1.5) ends with its list; the chapter ends with further courses (延伸学习课程)."""
    subjects = q.subjects or list(base.stage_services.get(q.stage or "", ())) or list(q.focus.services)
    links = [s for s in base.statements if s.kind == "link"]
    blocks = {_block(base.services[x].section) for x in subjects if x in base.services}
    listed = [s for s in links if _block(s.section) in blocks]
    if not listed:  # no service, or one whose part has no list: the words of the question find the list
        pool = {s.section for s in links} | {FURTHER_COURSES}
        hits = base.find_statements(q.text, "which", limit=3, sections=pool)
        found = hits[0].statement if hits and _good(hits[0]) else None
        block = _block(found.section) if found is not None and found.kind == "link" else None
        listed = [s for s in links if _block(s.section) == block] if block else [
            s for s in base.statements if s.section == FURTHER_COURSES]
    verdict = None
    if q.qtype == "yes_no":
        hits = base.find_statements(q.text, "which", limit=1, sections={s.section for s in listed})
        verdict = "yes" if hits and _good(hits[0]) and hits[0].statement in listed else "unknown"
    reply = replies.with_verdict(replies.course_list(listed), verdict, q.text)
    focus = Focus(topic="courses", services=tuple(subjects), section=listed[0].section if listed else None,
                  source=("statement", listed[0].id) if listed else ())
    return _with_focus(reply, focus)


def _block(section: str) -> str:
    """"1.3.2" → "1.3": the part of the chapter a section belongs to."""
    return ".".join(section.split(".")[:2]) if section[:1].isdigit() else section


# -- concepts, stages, pain points, the course ----------------------------------------------------------


# A topic's curated answer is kept over a sentence elsewhere that matches at most this much more of the
# question (tuned on the development set, tests/heldout/).
CURATED_NEAR = 0.15


_SUPPLIER_ASKED = {"domestic": ("境内供货商", "境内的", "算境内"), "cross_border": ("跨境供货商", "跨境的", "算跨境")}


def _supplier_verdict(base: KnowledgeBase, q: Question) -> str | None:
    """Whether the seller's own goods (where they start, where they sell) are of the kind asked."""
    asked = [kind for kind, words in _SUPPLIER_ASKED.items() if any(w in q.text for w in words)]
    situation, _, _ = advisor.apply_turn(advisor.situation_from_slots({}), q.turn, None, q.negated)
    if len(asked) != 1 or situation.supplier is None:
        return None
    return "yes" if situation.supplier == asked[0] else "no"


def explain(base: KnowledgeBase, q: Question) -> Outcome:
    """Concepts, stages, pain points and the course map, from their curated facts, unless a statement
    of the document answers the question better ("库存管理为什么重要")."""
    stage = q.stage if q.stage in base.stages else None
    curated = _curated_topic(base, q, stage)
    if curated is not None and curated[1].topic == "course" and q.focus.topic == "course" and elliptical(q):
        return _with_focus(curated[0], curated[1])  # "3.8呢": the course map again, not a statement with an 8
    hits = base.find_statements(q.text, q.qtype, limit=3)
    if not (q.stage or q.concept):  # "为啥那么难管" right after the costs: that section first
        hits = _here_first(base, q, hits)
    if q.concept == "learning_path":  # "本章都讲了点啥": the chapter's own key points, not a 主要 elsewhere
        hits = [h for h in hits if h.statement.section == PREFACE_OVERVIEW]
    best = hits[0] if hits and _answerable(base, q, hits[0]) else None
    if curated is not None and curated[1].topic == "pain_points" and curated[1].stage and "pain_points" in q.attributes:
        best = None  # "尾端那段有啥难处": the stage's pain points as the document lists them, not one sentence
    lineup = curated is not None and curated[1].topic == "stage"
    fact = curated[2] if curated else None
    terms = _without_attribute_words(base, q, base.query_terms(q.text, []))
    topic = {t for m in base.mentions(q.text) if m.entity in ("concept", "stage") for t in base.terms(m.text)}
    # a statement with a word of the question the curated answer lacks ("库存管理" against the pain points),
    # other than the topic's own name
    lacks = best is not None and fact is not None and (
        _says_more(base, fact, best, [t for t in terms if t.lstrip("²") not in topic and not (
        t.startswith("²") and any(c in w for c in t[1:] for w in topic))]) or _gives_the_reason(q, fact, best))
    # ("仓储分销包含什么": the concept's own answer says all a sentence elsewhere does)
    covered = fact is not None and best is not None and not lacks \
        and base.fact_coverage(fact, base.query_terms(q.text, [])) >= best.coverage - CURATED_NEAR
    asks_lineup = lineup and q.attributes[:1] == ["services"] and q.qtype in ("which", None)  # "头程有哪些服务"
    if best is not None and (curated is None or _strong(best) and not covered or lacks) and (
            not lineup or q.qtype in _FACT_KINDS) and not asks_lineup:
        lead = 0.0 if lacks else STATEMENT_LEAD_NAMED
        if fact is None or lineup or fact is not None and (
                not base.fact_quotes(fact, best.statement)
                and _rescored(base, best, terms).coverage >= base.fact_coverage(fact, terms) + lead):
            return statement(base, q, hits, [])
    if curated is None:
        return search(base, q)
    reply, focus, fact = curated
    focus = replace(focus, section=focus.section or (fact.section if fact is not None else None))
    judged = _supplier_verdict(base, q) if q.qtype == "yes_no" and q.concept == "supplier_type" else None
    if judged is not None:  # "货从中国发、卖美国站，算境内供货商吗": no, by where the goods start
        return _with_focus(replies.with_verdict(Reply(replies.without_verdict(reply.text), reply.buttons), judged, q.text),
                           focus)
    if q.qtype == "yes_no" and lineup and focus.services and not replies.leads_with_verdict(reply.text):
        return _with_focus(_lineup_verdict(base, q, focus.services, reply), focus)
    if q.qtype == "yes_no" and fact is not None and not replies.leads_with_verdict(reply.text):
        # what the question says of the topic, not the topic's own name, decides yes or "not said"
        topic = {t for m in base.mentions(q.text) if m.entity in ("concept", "stage") for t in base.terms(m.text)}
        terms = [t for t in base.query_terms(q.text, []) if t not in topic and not t.startswith(("@concept", "@stage"))]
        coverage = base.fact_coverage(fact, terms) if terms else 0.0
        reply = replies.with_verdict(reply, _verdict(base, q, fact.answer, "", coverage), q.text)
    return _with_focus(reply, focus)


def _lineup_verdict(base: KnowledgeBase, q: Question, services: Sequence[str], reply: Reply) -> Reply:
    """"头程有亚马逊自营的服务吗": yes when one of the stage's services is what is asked (AGL is Amazon's
    own, though the stage's list also names partner carriers), naming the ones that are."""
    def said_of(sid: str) -> str:
        return " ".join(f.answer for a in ("definition", "carrier") if (f := base.services[sid].fact(a)))
    fitting = [sid for sid in services if sid in base.services and not _contrary(base, q.text, said_of(sid))]
    if not fitting:
        return replies.with_verdict(reply, "no", q.text)
    named = "" if len(fitting) == len(services) else f"符合的是 {'、'.join(base.services[s].short for s in fitting)}。\n"
    return replies.with_verdict(Reply(named + reply.text, reply.buttons), "yes", q.text)


def _gives_the_reason(q: Question, fact: Fact, hit: StatementHit) -> bool:
    """A 为什么 question: a statement that gives a reason ("关系到现金周转率") over a curated answer that
    gives none."""
    return q.qtype == "why" and "purpose" in quantity_kinds(hit.statement.text) and "purpose" not in quantity_kinds(fact.answer)


# "…都包括哪些环节" asks what a stage is made of (its definition), not which services serve it.
_INCLUDES = re.compile(r"包括|包含|环节|内容|步骤|哪几步|指的是|指什么")


def _asks_for_services(base: KnowledgeBase, q: Question) -> bool:
    """Whether a message about a stage asks which services serve it: the word for them outside the
    stage's own name ("尾端服务" names the stage; "头程有哪些服务" asks for its services)."""
    if not q.stage:
        return False
    rest = q.text
    for mention in base.mentions(q.text):
        if mention.entity == "stage" and re.search(f"(?:{_WHICH_WORDS}){re.escape(mention.text)}(?:的)?服务", q.text):
            return True  # "哪些头程服务能…": which of the stage's services
        if mention.entity == "stage":  # "尾端服务" is the stage's name too
            rest = rest.replace(mention.text + "服务", " ").replace(mention.text, " ")
    return base.has_cue("lineup", rest)


_WHICH_WORDS = "哪些|哪几个|哪几种|哪个|哪种|什么|啥"


_WAREHOUSE_OF = {"AWD": "AWD", "FBA": "FC"}


_ALL_MENTIONS = ("stage", "attribute", "service", "origin", "marketplace", "concept", "warehouse", "sales_channel",
                 "fulfillment", "urgency", "quantity", "transport_mode", "sea_service", "need", "product_trait")


def _stage_service_offering(base: KnowledgeBase, q: Question, stage: str | None):
    """(statement hit, service) when a question for a stage's services asks for one that does something
    ("头程哪个服务管清关") and one service's statement says it: the stage and service words aside, what
    is left is matched."""
    if stage is None or q.qtype not in ("yes_no", "which", None):
        return None
    normal = base.normalize(q.text).upper()
    if any(base.normalize(w).upper() in normal for pair in base.vocabulary.get("contraries", []) for w in pair["asked"]):
        return None  # "有没有亚马逊自营的": which of them is so, judged by what each one is (_lineup_verdict)
    # the clause that asks: "货到了海外以后送到买家手里，有哪些方案" sets the scene before it
    rest = _without_mentions(base, _asking_clause(base.normalize(q.text)), _ALL_MENTIONS)
    rest = base.without_cue("stage_generic", base.without_cue("lineup", rest))
    words = [t for t in base.query_terms(rest, []) if not t.startswith(("·", "@"))]  # "清关" may be a bigram only
    if not words:
        return None
    lineup = set(base.terms(replies.stage_services(base, stage).text))
    if base.statement_index.coverage(words, lineup) >= PART_COVERAGE:
        return None  # "头程有哪些服务 跨境发货的": the line-up itself is split by that (跨境供货商选…)
    members = set(base.stage_services.get(stage, ()))
    hits = [h for h in base.find_statements(rest, None, sorted(members), limit=5)
            if len(base.about(h.statement) & members) == 1]
    if not hits or not _good(hits[0]):
        return None
    return hits[0], next(iter(base.about(hits[0].statement) & members))


def _delivering_to(base: KnowledgeBase, q: Question, stage: str | None) -> list[str]:
    """The services of a stage that deliver to the warehouse a message names as where the goods go."""
    places = {_WAREHOUSE_OF[p] for p in q.placed if p in _WAREHOUSE_OF}
    if not places or stage is None:
        return []
    return [sid for sid in base.stage_services.get(stage, ())
            if places <= set(base.services[sid].data("warehouses", "warehouses") or ())]


def _curated_topic(base: KnowledgeBase, q: Question, stage: str | None) -> tuple[Reply, Focus, Fact | None] | None:
    """The curated answer for a concept, stage, pain point or the course map, with the fact behind it."""
    follow_up = q.focus.topic == "course" and elliptical(q)
    if (q.intent == "ask_course_map" or follow_up) and q.concept != "learning_path" \
            or base.has_cue("navigation", q.text) and not stage and not q.concept:
        return replies.course_map(base), Focus(topic="course", source=("fact", "course", "chapters")), base.course_fact
    another_stage = q.focus.topic == "pain_points" and q.stage and q.stage != q.focus.stage and not q.subjects \
        and not q.attributes  # "尾端那块又怎样" right after a stage's pain points
    # a stage alone ("尾端配送") right after a stage's line-up: that stage's line-up, whatever the classifier guessed
    lineup_next = q.focus.topic == "stage" and q.stage and elliptical(q) and "pain_points" not in q.attributes
    if q.intent == "ask_pain_points" and not lineup_next or "pain_points" in q.attributes \
            or q.focus.topic == "pain_points" and elliptical(q) or another_stage:
        key = stage or "overall"
        return (replies.pain_points(base, stage), Focus(topic="pain_points", stage=stage, source=("fact", "pain", key)),
                base.pain_points.get(key))
    asks_lineup = q.stage == "all" or _asks_for_services(base, q) or (
        q.intent == "ask_stage_services" and not _INCLUDES.search(q.text)) or (
        q.focus.topic == "stage" and q.stage and elliptical(q))  # "尾端那段呢" after a stage's line-up
    if q.focus.topic == "advice" and q.attributes[:1] == ["services"] and not stage and q.focus.primary:
        asks_lineup, stage = True, base.services[q.focus.primary].stage  # the stage the advice is about
    if asks_lineup and (not q.concept or q.stage == "all" and base.has_cue("lineup", q.text)):  # "头程有哪些方案"
        if stage is None and "MFN" in q.turn.values("fulfillment"):
            stage = "last_mile"
        offering = _stage_service_offering(base, q, stage) if not _delivering_to(base, q, stage) else None
        if offering is not None:  # "头程哪个服务管清关": the one whose statement says it
            hit, service_id = offering
            outcome = statement(base, q, [hit], [service_id])
            focus = Focus.from_slot(outcome.slots.get(SLOT))
            return replies.naming(base, base.services[service_id], outcome.reply), replace(
                focus, topic="service", services=(service_id,), current=service_id), None
        delivering = _delivering_to(base, q, stage)
        if delivering:  # "哪些头程能直接送进AWD": the stage's services that deliver there
            parts = [replies.answer_service(base, base.services[sid], "warehouses", Context(), None) for sid in delivering]
            text = "\n\n".join(p.text for p in parts)
            focus = Focus(topic="compare", stage=stage, services=tuple(delivering), attribute="warehouses",
                          source=("fact", delivering[0], "warehouses"))
            return Reply(text, parts[-1].buttons), focus, base.services[delivering[0]].fact("warehouses")
        focus = Focus(topic="stage", stage=stage, services=tuple(base.stage_services.get(stage, ())),
                      source=("fact", "stage", stage or "first_mile"))
        return replies.stage_services(base, stage), focus, base.stages.get(stage) if stage else None
    concept = q.concept or (stage if stage in base.concepts else None)
    if concept is None:
        return None
    focus = Focus(topic="concept", concept=concept, stage=stage, source=("fact", "concept", concept))
    return replies.concept(base, concept), focus, base.concepts[concept]


# -- the routing advisor ---------------------------------------------------------------------------------


def start_over(base: KnowledgeBase, q: Question) -> Outcome:
    rest = base.without_cue("start_over", q.text)
    slots = {**advisor.cleared(), SLOT: None}
    if len(rest) >= 2 and base.mentions(rest):
        turn = replace(q.turn, intent="ask_service", text=rest, entities=[m.as_entity() for m in base.mentions(rest)],
                       slots={**q.turn.slots, **slots})
        outcome = respond(base, turn)
        outcome.reply.text = "好的，我们重新开始。\n" + outcome.reply.text
        return Outcome(outcome.reply, {**slots, **outcome.slots})
    ask = replies.question(base, "origin")
    ask.text = "好的，我们重新开始。\n" + ask.text
    return Outcome(ask, {**slots, "pending_question": "origin"})


def advise(base: KnowledgeBase, q: Question, candidates: list[str] | None = None) -> Outcome:
    pending = q.turn.slot("pending_question")
    fixed = _pain_point_fixed(base, q) if not (pending or q.has_context or q.focus.topic == "advice") and (
        not q.situation or _only_needs_of(base, q)) else []
    if fixed and q.turn.values("need") and not all(
            base.about(fixed[0].statement) & served for served in services_for_needs(base, q)):
        fixed = []  # a need another service meets is advice
    if fixed:
        return statement(base, q, fixed, [])
    earlier = advisor.situation_from_slots(q.turn.slots)
    situation, quantity, changed = advisor.apply_turn(earlier, q.turn, pending, q.negated)
    if q.intent == "dont_know" and pending:
        situation = replace(situation, skipped=situation.skipped | {pending})
    elif pending and not changed and q.intent == "inform" and not q.situation:
        ask = replies.question(base, pending, evaluate(base, situation))
        ask.text = "抱歉，这个回答我没对上问题。" + ask.text
        return Outcome(ask)
    slots = {**advisor.situation_slots(situation, quantity)}
    advice = _stages_asked_now(base, q, earlier, evaluate(base, situation))
    question = next_question(base, situation)
    if question:
        reply = replies.question(base, question, advice)
        # the options the question separates ("它是门到门的吗" next is about one of them) when none leads
        top = [s for st in advice.stages.values() for s in st.top] or [
            svc for _, svc, _ in question_options(base, situation, question)]
        # "AGL跟PCP选哪个": "后面那个" next counts in the seller's two, whatever the advisor leads with
        focus = Focus(topic="advice", services=tuple(dict.fromkeys(candidates or top)), source=("advice",))
        return _with_focus(reply, focus, **slots, pending_question=question)
    reply = replies.recommendation(base, advice)
    top = [r.service for st in advice.stages.values() for r in st.recommended[:1]]
    lead = top[0] if candidates and top and top[0] in candidates else None  # "它" is the one recommended
    focus = Focus(topic="advice", services=tuple(dict.fromkeys(candidates or top or ())), current=lead,
                  section=_first_cited(reply.text), source=("advice",)).with_context(
        Context(situation.effective_destination, situation.us_region, situation.mode, situation.sea_service))
    return _with_focus(reply, focus, **slots, pending_question=None)


_BARE_WHY_CHARS = 9  # "为啥", "为什么不行呢", "为啥推荐后面那个": asks why of what was just said, nothing more


# At most this many statements answer "还有呢": the rest is one more "还有呢" away.
_MORE_AT_ONCE = 3


def _more_where_the_last_answer_came_from(base: KnowledgeBase, turn: Turn, focus: Focus) -> Outcome | None:
    """"还有呢" right after a statement: the statements after it in its section, those under its heading
    first, then under its parent heading (an answer walks on through the document), or that there is
    no more. A bare "为啥" right after a claim under a heading ("…销售额提升"): the points beside it under
    that heading, which explain it."""
    source = tuple(focus.source or ())
    said = base.statement(source[-1]) if source[:1] == ("statement",) else None
    text = base.normalize(turn.text).strip(" ?？。.!！~～")
    if said is None or len(text) > _BARE_WHY_CHARS:
        return None
    # a why of its own ("为啥能降") asks of that claim's words, which the claim itself explains
    why = base.question_type(text) == "why" and not base.mentions(text) and not _substantive(base.query_terms(text))
    more = base.has_cue("more", text) and not _substantive(base.query_terms(base.without_cue("more", text)))
    if not (why or more):
        return None
    order = {x.id: i for i, x in enumerate(base.statements)}  # the document's order (a line holds several)
    section = [x for x in base.statements if x.section == said.section and x.id != said.id
               and x.kind not in ("note", "toc", "chapter") and x.text not in said.text]
    if why:
        found = [x for x in section if said.heading and x.heading == said.heading and x.parent == said.parent]
        if not found:
            return None
    else:
        after = [x for x in section if order[x.id] > order[said.id]]
        found = sorted(after, key=lambda x: (not (said.heading and x.heading == said.heading),
                                             not (said.parent and x.parent == said.parent), order[x.id]))
    if not found:
        return _with_focus(replies.nothing_more(said.text, replies.statement_section(said)), focus)
    shown = sorted(found[:_MORE_AT_ONCE], key=lambda x: order[x.id])
    reply = replies.more_said(shown, why)
    return _with_focus(reply, replace(focus, source=("statement", shown[-1].id), section=_first_cited(reply.text)))


def _reason_for_the_verdict(base: KnowledgeBase, q: Question) -> Outcome | None:
    """"为啥" right after a yes or a no about a service ("MCD可以不开AWD就用吗" → 不行): the text that answer
    rested on, not the service's selling points."""
    focus = q.focus
    verdict = bool(focus.asked) and base.question_type(focus.asked or "") == "yes_no"
    fit = tuple(focus.source or ())[-1:] == ("suitable",)  # "哪个合适" answered by what it suits: that is why
    if focus.topic not in ("service", "statement") or not focus.section or not (verdict or fit) \
            or q.attributes or set(q.subjects) - {focus.primary} \
            or len(base.normalize(q.text).strip(" ?？。.!！")) > _BARE_WHY_CHARS:
        return None
    said = _last_answer_text(base, focus)
    return _with_focus(replies.reason_given(said, focus.section), focus) if said else None


def _not_using_asked(base: KnowledgeBase, text: str) -> bool:
    """"为啥不用AWD" asks why not; "凭啥说AWD一用就不用再分仓" asks why of what AWD does: the negation
    must fall on a service (right before it), not on something else said of it."""
    text = base.normalize(text)
    starts = [m.start for m in base.mentions(text) if m.entity == "service"]
    for word in base.cue_words("negation"):
        at = text.find(word)
        while at >= 0:
            end = at + len(word)
            if not starts or any(0 <= start - end <= _NEGATED_REACH for start in starts):
                return True
            at = text.find(word, end)
    return False


# "不用亚马逊的AWD": the negation of a service may stand this many characters before its name.
_NEGATED_REACH = 4


def _stages_asked_now(base: KnowledgeBase, q: Question, earlier: Situation, advice: Advice) -> Advice:
    """After advice on one stage, a message that brings in another ("到了那边存哪便宜" after the first
    mile) gets the advice that changed: the new stage's, and any other the new facts moved; the rest was
    just said."""
    said = set(earlier.relevant_stages())
    if q.focus.topic != "advice" or not said or not set(advice.stages) - said:
        return advice
    before = evaluate(base, earlier).stages
    return replace(advice, stages={stage: found for stage, found in advice.stages.items()
                                   if before.get(stage) != found})


def why(base: KnowledgeBase, q: Question) -> Outcome:
    reason = _reason_for_the_verdict(base, q)
    if reason is not None:
        return reason
    service_id = next(iter(q.subjects or q.placed), q.focus.primary)
    situation = advisor.situation_from_slots(q.turn.slots)
    if service_id in base.services and situation.relevant_stages():  # its own stage too: why not MCD
        situation = replace(situation, stages=situation.stages | {*situation.relevant_stages(),
                                                                  base.services[service_id].stage})
    advice = evaluate(base, situation) if situation.relevant_stages() else None
    recommended = list(q.focus.services) if q.focus.topic == "advice" else [
        r.service for st in (advice.stages.values() if advice else ()) for r in st.recommended[:1]]  # asked later on
    comparison = None
    if service_id and recommended and service_id not in recommended:
        comparison = next((h.statement for h in base.find_statements(q.text, q.qtype, [recommended[0]], limit=5)
                           if {recommended[0], service_id} <= base.about(h.statement)
                           or service_id in base.normalize(h.statement.text).upper()), None)
    why_not = _not_using_asked(base, q.text)
    reply = replies.why(base, advice, service_id, recommended, comparison, why_not)
    return _with_focus(reply, replace(q.focus, section=_first_cited(reply.text)))


def lineup(base: KnowledgeBase, q: Question) -> Outcome:
    """"英国站头程亚马逊有哪些方案": the stage's services the seller's situation leaves open (the
    advisor's exclusions: coverage, where the goods start), not a question back to pick one."""
    earlier = advisor.situation_from_slots(q.turn.slots)
    situation, quantity, _ = advisor.apply_turn(earlier, q.turn, None, q.negated)
    stage = str(q.stage or advice_stage(base, q.focus))
    found = evaluate(base, replace(situation, stages=situation.stages | {stage})).stages.get(stage)
    excluded = dict(found.excluded) if found else {}
    open_services = [s for s in base.services_in_stage(stage) if s.id not in excluded]
    reply = replies.lineup(base, stage, open_services, excluded, replies.situation_summary(base, situation))
    focus = Focus(topic="compare", services=tuple(s.id for s in open_services), stage=stage,
                  section=_first_cited(reply.text), source=("lineup", stage)).with_context(
        Context(situation.effective_destination, situation.us_region, situation.mode, situation.sea_service))
    return _with_focus(reply, focus, **advisor.situation_slots(situation, quantity))


def versus_mfn(base: KnowledgeBase, q: Question) -> Outcome:
    """"FBA和自发货比区别在哪": what the service does, against the seller doing every step (MFN)."""
    service_id = q.named[0]
    own, _ = _fact_reply(base, q, base.services[service_id], "definition", Context())
    mfn = replies.concept(base, "mfn")
    reply = Reply(f"{own.text}\n\n{mfn.text}", own.buttons)
    focus = Focus(topic="service", services=(service_id,), current=service_id, concept="mfn",
                  section=_first_cited(reply.text), source=("fact", service_id, "definition"))
    return _with_focus(reply, focus)


HANDLERS = {
    "smalltalk": smalltalk,
    "bad_input": bad_input,
    "request_human": handoff,
    "show_source": show_source,
    "start_over": start_over,
    "search": search,
    "service": service,
    "variants": variants,
    "compare": compare,
    "versus_mfn": versus_mfn,
    "lineup": lineup,
    "explain": explain,
    "advise": advise,
    "why": why,
    "courses": courses,
}
