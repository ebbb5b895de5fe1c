"""The routing advisor: a decision table over every rule and its boundaries, and properties that
hold for any situation."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.routing import (
    Situation,
    advise,
    covered_markets,
    deciding_factors,
    next_question,
    parse_quantity,
    with_quantity,
)

F = frozenset


def top(base, situation, stage="first_mile"):
    advice = advise(base, situation).stages.get(stage)
    return advice.recommended[0].service if advice and advice.recommended else None


def excluded(base, situation, stage="first_mile"):
    advice = advise(base, situation).stages.get(stage)
    return set(advice.excluded) if advice else set()


# -- 头程: the decision table ----------------------------------------------------------------------

@pytest.mark.parametrize("situation, expected", [
    # where the goods start decides the family (1.1.3)
    (Situation(origin="US"), "PCP"),
    (Situation(origin="US", destination="US", target="FC"), "PCP"),
    (Situation(origin="DESTINATION", destination="US"), "PCP"),
    # urgency: SEND air, for every destination SEND covers
    *[(Situation(origin="CN", destination=d, urgency="URGENT"), "SEND") for d in ("US", "UK", "DE", "JP", "ME", "AU")],
    # destinations only one of AGL/SEND covers
    *[(Situation(origin="CN", destination=d), "AGL") for d in ("FR", "IT", "ES")],
    *[(Situation(origin="CN", destination=d), "SEND") for d in ("JP", "ME", "AU")],
    # load: full container → AGL; small → SEND; SEND's minimums are the boundary
    (Situation(origin="CN", destination="US", full_container=True), "AGL"),
    (Situation(origin="CN", destination="US", mode="FCL"), "AGL"),
    (Situation(origin="CN", destination="US", weight_kg=0.5), "SEND"),
    (Situation(origin="CN", destination="US", volume_cbm=0.1), "SEND"),
    (Situation(origin="CN", destination="US", weight_kg=30), "SEND"),
    (Situation(origin="CN", destination="US", weight_kg=800, urgency="NOT_URGENT"), "AGL"),
    # mode: air excludes AGL
    (Situation(origin="CN", destination="UK", mode="AIR"), "SEND"),
    # target AWD with a full container
    (Situation(destination="US", full_container=True, target="AWD"), "AGL"),
    # oversize goods
    (Situation(origin="CN", destination="DE", cargo_size="OVERSIZE"), "AGL"),
    # tracking across carriers
    (Situation(needs=F({"TRACKING"})), "FIST"),
])
def test_first_mile_decision_table(base, situation, expected):
    assert top(base, situation) == expected


@pytest.mark.parametrize("situation, ruled_out", [
    (Situation(origin="US"), {"AGL", "SEND"}),
    (Situation(origin="CN", destination="US"), {"PCP"}),
    (Situation(origin="CN", destination="JP"), {"AGL", "PCP"}),
    (Situation(origin="CN", destination="FR"), {"SEND", "PCP"}),
    (Situation(origin="CN", destination="CA"), {"AGL", "SEND", "PCP"}),
    (Situation(origin="CN", destination="US", urgency="URGENT"), {"AGL", "PCP"}),
    (Situation(origin="CN", destination="US", mode="AIR"), {"AGL", "PCP"}),
    (Situation(origin="CN", destination="US", full_container=True), {"SEND", "PCP"}),
    (Situation(origin="CN", destination="US", weight_kg=0.49), {"SEND", "PCP"}),
    (Situation(origin="CN", destination="US", volume_cbm=0.09), {"SEND", "PCP"}),
    (Situation(origin="VN", destination="US"), {"AGL", "SEND", "PCP"}),
])
def test_first_mile_exclusions(base, situation, ruled_out):
    assert excluded(base, situation) == ruled_out


def test_sends_minimums_are_exact_boundaries(base):
    assert "SEND" in excluded(base, Situation(origin="CN", destination="US", weight_kg=0.49))
    assert "SEND" not in excluded(base, Situation(origin="CN", destination="US", weight_kg=0.5))
    assert "SEND" in excluded(base, Situation(origin="CN", destination="US", volume_cbm=0.099))
    assert "SEND" not in excluded(base, Situation(origin="CN", destination="US", volume_cbm=0.1))


def test_pcp_comes_with_its_48_state_scope(base):
    advice = advise(base, Situation(origin="US")).stages["first_mile"]
    assert any("48" in c.text for c in advice.caveats)


def test_canada_has_no_documented_transport_but_fist_tracks_it(base):
    advice = advise(base, Situation(origin="CN", destination="CA")).stages["first_mile"]
    assert advice.recommended == []
    assert top(base, Situation(origin="CN", destination="CA", needs=F({"TRACKING"}))) == "FIST"


def test_sea_caveat_outside_the_us(base):
    advice = advise(base, Situation(origin="CN", destination="JP", urgency="URGENT", mode="SEA"))
    assert advice.stages["first_mile"].recommended[0].service == "SEND"


# -- 仓储分销 and 尾端 ------------------------------------------------------------------------------

@pytest.mark.parametrize("situation, stage, expected", [
    (Situation(inventory="FC", buyers=F({"AMAZON"})), "last_mile", "FBA"),
    (Situation(inventory="FC", buyers=F({"OTHER"})), "last_mile", "MCF"),
    (Situation(inventory="OWN", buyers=F({"AMAZON"})), "last_mile", "AMAZON_SHIPPING"),
    (Situation(inventory="OTHER_CHANNEL", buyers=F({"OTHER"})), "last_mile", "AMAZON_SHIPPING"),
    (Situation(fulfillment="MFN"), "last_mile", "BUY_SHIPPING"),
    *[(Situation(traits=F({t})), "last_mile", "BUY_SHIPPING")
      for t in ("SEASONAL", "LONG_TAIL", "BATTERY", "CHEAP_PICK_PACK", "NEW_SELECTION")],
    (Situation(inventory="AWD", buyers=F({"AMAZON"})), "last_mile", "FBA"),
    (Situation(inventory="AWD", buyers=F({"OTHER"})), "warehousing", "MCD"),
    (Situation(target="AWD"), "warehousing", "AWD"),
    (Situation(needs=F({"FULL_SERVICE"})), "end_to_end", "AMS"),
])
def test_warehousing_and_last_mile_decision_table(base, situation, stage, expected):
    assert top(base, situation, stage) == expected


def test_mcd_needs_inventory_in_awd(base):
    asked = Situation(inventory="FC", buyers=F({"OTHER"}), stages=F({"warehousing"}))
    assert "MCD" in excluded(base, asked, "warehousing")


def test_self_fulfilment_never_gets_fba(base):
    assert {"FBA", "MCF"} <= excluded(base, Situation(fulfillment="MFN", inventory="FC"), "last_mile")


# -- the questions the advisor asks ------------------------------------------------------------------

def test_asks_where_goods_start_then_where_they_sell(base):
    assert next_question(base, Situation(stages=F({"first_mile"}))) == "origin"
    assert next_question(base, Situation(origin="CN")) == "destination"
    assert next_question(base, Situation(origin="CN", destination="US")) == "urgency"


def test_does_not_ask_once_the_answer_is_clear(base):
    assert next_question(base, Situation(origin="US")) is None
    assert next_question(base, Situation(origin="CN", destination="JP", urgency="URGENT")) is None
    assert next_question(base, Situation(destination="US", full_container=True, target="AWD")) is None


def test_skipped_questions_are_not_asked_again(base):
    s = Situation(origin="CN", destination="US", skipped=F({"urgency"}))
    assert next_question(base, s) == "load"
    assert next_question(base, Situation(origin="CN", destination="US", skipped=F({"urgency", "load", "mode", "target"}))) is None


def test_deciding_factors_between_agl_and_send(base):
    factors = deciding_factors(base, ["AGL", "SEND"])
    assert {"卖哪个站（覆盖范围）", "急不急", "货量（小件起运量还是整柜）", "空运还是海运"} <= set(factors)


@pytest.mark.parametrize("text, expected", [
    ("30kg", (30.0, None, False)), ("几十公斤", (30.0, None, False)), ("0.3公斤", (0.3, None, False)),
    ("两吨", (2000.0, None, False)), ("2个方", (None, 2.0, False)), ("0.05CBM", (None, 0.05, False)),
    ("半方", (None, 0.5, False)), ("整柜", (None, None, True)), ("一个40尺柜", (None, None, True)),
    ("十斤", (5.0, None, False)), ("三百公斤", (300.0, None, False)), ("很多货", (None, None, False)),
])
def test_quantities_parse(text, expected):
    assert parse_quantity(text) == expected


def test_load_classes():
    s = Situation(origin="CN")
    assert with_quantity(s, "0.3kg").load == "below_air_min"
    assert with_quantity(s, "30kg").load == "small"
    assert with_quantity(s, "200kg").load == "medium"
    assert with_quantity(s, "5个方").load == "bulk"
    assert with_quantity(s, "整柜").load == "full_container"


# -- properties over generated situations --------------------------------------------------------------

MARKETS = ["US", "UK", "DE", "FR", "IT", "ES", "JP", "ME", "AU", "CA", "MX", "BR"]
COMMON_FIELDS = dict(
    origin=st.sampled_from([None, "CN", "US", "UK", "JP", "DESTINATION", "VN"]),
    destination=st.sampled_from([None, *MARKETS]),
    urgency=st.sampled_from([None, "URGENT", "NOT_URGENT"]),
    weight_kg=st.one_of(st.none(), st.floats(min_value=0.01, max_value=30000)),
    volume_cbm=st.one_of(st.none(), st.floats(min_value=0.01, max_value=80)),
    full_container=st.booleans(),
    mode=st.sampled_from([None, "AIR", "SEA", "FCL", "LCL"]),
    cargo_size=st.sampled_from([None, "STANDARD", "NONSTANDARD", "OVERSIZE"]),
    target=st.sampled_from([None, "FC", "AWD"]),
    inventory=st.sampled_from([None, "FC", "AWD", "OWN", "OTHER_CHANNEL"]),
    buyers=st.sets(st.sampled_from(["AMAZON", "OTHER"])).map(frozenset),
    fulfillment=st.sampled_from([None, "FBA", "MFN"]),
    traits=st.sets(st.sampled_from(["SEASONAL", "BATTERY", "LONG_TAIL"])).map(frozenset),
    needs=st.sets(st.sampled_from(["TRACKING", "FULL_SERVICE"])).map(frozenset),
)
situations = st.builds(Situation, **COMMON_FIELDS)


@settings(max_examples=400, deadline=None)
@given(situations)
def test_never_recommends_a_service_whose_coverage_lacks_the_destination(base, situation):
    destination = situation.effective_destination
    for stage in advise(base, situation).stages.values():
        for rec in stage.recommended:
            markets = covered_markets(base, rec.service)
            assert markets is None or destination is None or destination in markets, (rec.service, destination)


def holds(situation: Situation, when: dict) -> bool:
    """A rule's `when` (knowledge/routing.yml), read here on its own: every condition holds; a list is
    any of its values, a `not_` key negates, a set-valued field (buyers, traits, needs) holds with any."""
    for key, expected in when.items():
        wanted = set(expected) if isinstance(expected, list) else {expected}
        actual = situation.value(key.removeprefix("not_"))
        found = bool(actual & wanted) if isinstance(actual, frozenset) else actual in wanted
        if found == key.startswith("not_"):
            return False
    return True


# Every field a rule's `when` may name, with every value routing.yml lists, and the stages asked about.
every_situation = st.builds(Situation, **{
    **COMMON_FIELDS,
    "mode": st.sampled_from([None, "AIR", "SEA", "FCL", "LCL", "SMALL_PARCEL", "LTL", "INTERMODAL", "FTL"]),
    "traits": st.sets(st.sampled_from(["SEASONAL", "LONG_TAIL", "BATTERY", "CHEAP_PICK_PACK", "NEW_SELECTION"])).map(frozenset),
    "needs": st.sets(st.sampled_from(["TRACKING", "FULL_SERVICE", "STORAGE", "DISTRIBUTION", "PRIME"])).map(frozenset),
    "stages": st.sets(st.sampled_from(["first_mile", "warehousing", "last_mile", "end_to_end"])).map(frozenset),
})


@settings(max_examples=400, deadline=None)
@given(every_situation)
def test_each_rule_that_excludes_a_service_is_its_why_not_and_nothing_else_excludes(base, situation):
    """Per stage of the advice: the services excluded are exactly those of the matching `exclude` rules
    (each reported by why_not with the rule's own reason and section, and not recommended), plus the
    services a matching rule recommends whose documented coverage lacks the destination (reported
    with the coverage reason naming the destination)."""
    advice = advise(base, situation)
    destination = situation.effective_destination
    for name, stage in advice.stages.items():
        rules = [r for r in base.routing_rules["rules"] if r["stage"] == name and holds(situation, r.get("when", {}))]
        by_rule: dict[str, set] = {}
        for rule in (r for r in rules if "exclude" in r):
            for service in rule["exclude"] if isinstance(rule["exclude"], list) else [rule["exclude"]]:
                by_rule.setdefault(service, set()).add(rule["id"])
                assert (rule["because"], str(rule["section"]), rule["id"]) in {
                    (r.text, r.section, r.rule) for r in advice.why_not(service)}, (service, rule["id"])
        uncovered = {r["recommend"] for r in rules if "recommend" in r and destination
                     and covered_markets(base, r["recommend"]) is not None
                     and destination not in covered_markets(base, r["recommend"])}
        reported = {service: {r.rule for r in reasons if r.rule != "coverage"}
                    for service, reasons in stage.excluded.items()}
        assert {s: ids for s, ids in reported.items() if ids} == by_rule, name
        by_coverage = {s for s, reasons in stage.excluded.items() if any(r.rule == "coverage" for r in reasons)}
        assert by_coverage == uncovered, (name, destination)
        for service in by_coverage:
            [reason] = [r for r in stage.excluded[service] if r.rule == "coverage"]
            assert base.label("marketplace", destination) in reason.text, reason
        assert not {r.service for r in stage.recommended} & (set(by_rule) | uncovered), name


@settings(max_examples=300, deadline=None)
@given(situations)
def test_domestic_goods_never_get_cross_border_services_and_vice_versa(base, situation):
    recommended = {r.service for s in advise(base, situation).stages.values() for r in s.recommended}
    if situation.supplier == "domestic":
        assert not recommended & {"AGL", "SEND"}
    if situation.supplier == "cross_border":
        assert "PCP" not in recommended


@settings(max_examples=300, deadline=None)
@given(situations)
def test_self_fulfilment_never_gets_fba_and_mcd_needs_awd(base, situation):
    recommended = {r.service for s in advise(base, situation).stages.values() for r in s.recommended}
    if situation.fulfillment == "MFN":
        assert "FBA" not in recommended
    if "MCD" in recommended:
        assert situation.effective_inventory == "AWD"


@settings(max_examples=200, deadline=None)
@given(situations)
def test_the_next_question_is_unanswered_and_unskipped(base, situation):
    question = next_question(base, situation)
    if question is not None:
        assert not situation.known(question) and question not in situation.skipped
