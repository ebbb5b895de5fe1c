"""The dashboard's figures (staff/analytics.py) on synthetic conversations with known counts
(tests/support/staff.py write_analytics: events written with Rasa's own SQLTrackerStore, feedback
with the feedback store's write API, takes as staff_audit rows): directly on SQLite (no server) and
on a real PostgreSQL (`system`), and over the console's HTTP API (`servers`): the summary agrees with
a direct SQL count, the CSV export, the 👎 triage list, marking handled, the two exports, and the
token every new route needs."""
from __future__ import annotations

import csv
import io
import shutil
import uuid

import pytest
import sqlalchemy as sa

from staff import analytics as analytics_mod
from staff.analytics import Analytics
from staff.unanswered import CSV_COLUMNS as UNANSWERED_CSV_COLUMNS
from tests.support.servers import LOGS
from tests.support.staff import (
    ANALYTICS_DATES,
    ANALYTICS_OFFSET,
    ANALYTICS_RANGE,
    append,
    start_web,
    turn_on,
    write_analytics,
)

SINCE, UNTIL = ANALYTICS_RANGE
D1, D2, D3 = ANALYTICS_DATES
BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=[pytest.mark.system, pytest.mark.servers])]

# What write_analytics's conversations must give (its docstring tells them apart).
TOTALS = {"conversations": 8, "messages": 15, "answered": 10, "unanswered": 5, "fallback": 2, "out_of_scope": 1,
          "low_confidence": 2, "answered_rate": 0.6667, "contained": 5, "containment": 0.625, "handoffs": 3,
          "taken": 2, "wait_median_s": 210.0, "wait_avg_s": 210.0, "feedback_up": 1, "feedback_down": 3,
          "feedback_rate": 0.25, "reasons": {"irrelevant": 1, "wrong": 1, "unclear": 0, "other": 0, "none": 1}}
DAYS = {
    D1: {"conversations": 4, "messages": 8, "answered": 5, "fallback": 1, "out_of_scope": 1, "low_confidence": 1,
         "contained": 3, "handoffs": 1, "taken": 1, "wait_median_s": 120.0, "feedback_up": 0, "feedback_down": 1},
    D2: {"conversations": 3, "messages": 4, "answered": 3, "fallback": 1, "out_of_scope": 0, "low_confidence": 0,
         "contained": 2, "handoffs": 1, "taken": 1, "wait_median_s": 300.0, "feedback_up": 1, "feedback_down": 1},
    D3: {"conversations": 2, "messages": 3, "answered": 2, "fallback": 0, "out_of_scope": 0, "low_confidence": 1,
         "contained": 1, "handoffs": 1, "taken": 0, "wait_median_s": None, "feedback_up": 0, "feedback_down": 1},
}
CHANNELS = {
    "socketio": {"conversations": 4, "messages": 8, "fallback": 1, "out_of_scope": 1, "low_confidence": 1,
                 "contained": 2, "handoffs": 2, "taken": 2, "wait_median_s": 210.0, "feedback_up": 0,
                 "feedback_down": 1},
    "wechat": {"conversations": 2, "messages": 4, "fallback": 1, "out_of_scope": 0, "low_confidence": 1,
               "contained": 2, "handoffs": 0, "taken": 0, "wait_median_s": None, "feedback_up": 1, "feedback_down": 1},
    "rest": {"conversations": 2, "messages": 3, "fallback": 0, "out_of_scope": 0, "low_confidence": 0,
             "contained": 1, "handoffs": 1, "taken": 0, "wait_median_s": None, "feedback_up": 0, "feedback_down": 1},
}
SERVICES = [("AWD", 5), ("AGL", 2), ("SEND", 2), ("FBA", 1), ("MCF", 1)]
INTENTS = [("ask_service", 8), ("nlu_fallback", 2), ("request_human", 2), ("affirm", 1), ("compare_services", 1),
           ("out_of_scope", 1)]


def subset(figures: dict, expected: dict) -> dict:
    return {k: figures[k] for k in expected}


# -- the databases --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('analytics') / 'tracker.db'}"
    return url, write_analytics(url)


@pytest.fixture(scope="module")
def postgresql_db(request):
    server = request.getfixturevalue("postgres")
    url = server.create_database(f"analytics_{uuid.uuid4().hex[:6]}")
    return url, write_analytics(url)


@pytest.fixture(scope="module", params=BACKENDS)
def db(request):
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture(scope="module")
def analytics(db):
    engine = sa.create_engine(db[0], future=True)
    yield Analytics(engine)
    engine.dispose()


@pytest.fixture
def scratch(tmp_path, sqlite_db):
    """A copy of the SQLite database for the tests that change it."""
    path = tmp_path / "tracker.db"
    shutil.copy(sqlite_db[0].split("sqlite:///", 1)[1], path)
    engine = sa.create_engine(f"sqlite:///{path}", future=True)
    yield f"sqlite:///{path}", engine, sqlite_db[1]
    engine.dispose()


def summary(analytics: Analytics, **kwargs) -> dict:
    return analytics.summary(SINCE, UNTIL, offset=ANALYTICS_OFFSET, **kwargs)


# -- the figures ------------------------------------------------------------------------------------


def test_the_summary_gives_the_known_figures(analytics):
    result = summary(analytics)
    assert result["totals"] == TOTALS
    assert [d["date"] for d in result["days"]] == list(ANALYTICS_DATES)
    for day in result["days"]:
        assert subset(day, DAYS[day["date"]]) == DAYS[day["date"]], day["date"]
    assert {c["channel"]: subset(c, CHANNELS[c["channel"]]) for c in result["by_channel"]} == CHANNELS
    assert [(s["service"], s["messages"]) for s in result["top_services"]] == SERVICES
    assert [(i["intent"], i["messages"]) for i in result["top_intents"]] == INTENTS
    largest = result["unanswered_groups"][0]
    assert (largest["count"], largest["conversations"]) == (2, 2) and largest["text"] in ("这个怎么退税", "这个怎么退税啊？")
    assert largest["reasons"] == {"nlu_fallback": 2}
    assert sorted(g["text"] for g in result["unanswered_groups"][1:]) == ["AWD费用呢", "SEND多少钱", "今天天气怎么样"]
    assert result["unanswered_sample"] == {"messages": 5, "limit": analytics_mod.UNANSWERED_SAMPLE, "complete": True,
                                           "groups": 4}
    assert {"volume", "answered", "containment", "handoffs", "feedback", "reasons", "services", "intents",
            "unanswered"} <= set(result["definitions"])
    assert "0.6" in result["definitions"]["answered"]


def test_every_day_and_channel_adds_up_to_the_totals(analytics):
    result = summary(analytics)
    for key in ("messages", "fallback", "out_of_scope", "low_confidence", "handoffs", "taken", "feedback_up",
                "feedback_down"):
        assert sum(d[key] for d in result["days"]) == result["totals"][key], key
        assert sum(c[key] for c in result["by_channel"]) == result["totals"][key], key
        assert sum(r[key] for r in result["by_day_channel"]) == result["totals"][key], key
    # c1 talked on two days: twice per day, once in total
    assert sum(d["conversations"] for d in result["days"]) == result["totals"]["conversations"] + 1
    assert len(result["by_day_channel"]) == 3 * 3


def test_days_are_calendar_days_at_the_offset(analytics):
    """c1's first messages were at 07:30 in UTC+8, which is the evening before in UTC."""
    utc = analytics.summary(SINCE, UNTIL, offset=0)
    assert utc["totals"] == TOTALS  # the same moments, bucketed otherwise
    days = {d["date"]: d for d in utc["days"]}
    assert list(days) == ["2024-03-31", D1, D2, D3]
    assert (days["2024-03-31"]["messages"], days["2024-03-31"]["conversations"]) == (3, 1)
    assert days[D1]["messages"] == DAYS[D1]["messages"] - 3


def test_one_channel(analytics):
    result = summary(analytics, channel="wechat")
    assert subset(result["totals"], CHANNELS["wechat"]) == CHANNELS["wechat"]
    assert [c["channel"] for c in result["by_channel"]] == ["wechat"]
    assert [(s["service"], s["messages"]) for s in result["top_services"]] == [("SEND", 2), ("AWD", 1)]
    assert result["channel"] == "wechat" and set(result["channels"]) >= {"rest", "socketio", "wechat"}


def test_any_range_and_threshold_give_the_rollups_figures(analytics):
    """Whole 15-minute steps at the default threshold come from the rollups; any other range or
    threshold from the ledger, message by message: the same figures."""
    rolled = summary(analytics)
    odd = analytics.summary(SINCE + 1, UNTIL - 1, offset=ANALYTICS_OFFSET)
    for key in ("totals", "days", "by_channel", "by_day_channel", "top_services", "top_intents"):
        assert odd[key] == rolled[key], key
    stricter = summary(analytics, threshold=0.52)  # 0.55 is no longer low, 0.5 still is
    assert stricter["totals"]["low_confidence"] == 1 and stricter["totals"]["answered"] == TOTALS["answered"] + 1


def test_a_range_without_data_and_bad_ranges(analytics):
    empty = analytics.summary(UNTIL + 30 * 86400, UNTIL + 37 * 86400, offset=ANALYTICS_OFFSET)
    assert empty["totals"]["conversations"] == 0 and empty["totals"]["containment"] is None
    assert len(empty["days"]) == 7 and empty["top_services"] == [] and empty["unanswered_groups"] == []
    assert len(analytics.summary(offset=ANALYTICS_OFFSET)["days"]) == analytics_mod.DEFAULT_DAYS
    with pytest.raises(ValueError):
        analytics.summary(UNTIL, SINCE)
    with pytest.raises(ValueError):
        analytics.summary(SINCE, SINCE + 500 * 86400)


def test_a_database_rasa_has_not_written_to_yet(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'new.db'}", future=True)
    try:
        analytics = Analytics(engine)
        analytics.prepare()  # no events table: nothing to index yet
        result = analytics.summary(SINCE, UNTIL, offset=ANALYTICS_OFFSET)
        assert result["totals"]["messages"] == 0 and len(result["days"]) == 3
        assert analytics.feedback_list() == [] and analytics.feedback_groups("gap") == []
    finally:
        engine.dispose()


def test_the_summary_reads_event_text_only_for_the_unanswered_sample(db):
    """Counting is SQL in the database: no statement of a summary reads `events.data` into Python but
    the unanswered messages' (limited); the rest reads the ledger and rollups."""
    engine = sa.create_engine(db[0], future=True)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: statements.append(sql))
    try:
        analytics = Analytics(engine)
        analytics.refresh()
        statements.clear()
        analytics.summary(SINCE, UNTIL, offset=ANALYTICS_OFFSET)
    finally:
        engine.dispose()
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH")) and "data" in s
             and "INSERT" not in s.upper()]
    assert len(reads) == 1 and "LIMIT" in reads[0].upper() and "staff_analytics_message" in reads[0], reads
    assert any("GROUP BY" in s and "staff_analytics_bucket" in s for s in statements)


def test_the_indexes_on_events(db):
    engine = sa.create_engine(db[0], future=True)
    try:
        analytics = Analytics(engine)
        analytics.prepare()
        indexes = {ix["name"]: tuple(ix["column_names"]) for ix in sa.inspect(engine).get_indexes("events")}
        for name, columns in analytics_mod.EVENT_INDEXES.items():
            assert indexes.get(name) == columns
        assert Analytics(engine).ensure_event_indexes() == []  # once is enough
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                valid = conn.execute(sa.text("SELECT bool_and(i.indisvalid) FROM pg_class c JOIN pg_index i "
                                             "ON i.indexrelid = c.oid WHERE c.relname LIKE 'ix_events_%'")).scalar()
            assert valid is True
    finally:
        engine.dispose()


def test_the_csv_has_a_row_per_day_and_channel(analytics):
    rows = list(csv.DictReader(io.StringIO(analytics_mod.to_csv(summary(analytics)))))
    assert tuple(rows[0]) == analytics_mod.CSV_COLUMNS
    assert [(r["date"], r["channel"]) for r in rows] == [(d, c) for d in ANALYTICS_DATES
                                                         for c in ("rest", "socketio", "wechat")]
    first = next(r for r in rows if (r["date"], r["channel"]) == (D1, "socketio"))
    assert (first["conversations"], first["messages"], first["fallback"], first["out_of_scope"], first["contained"],
            first["handoffs"], first["taken"], first["wait_median_s"]) == ("2", "5", "1", "1", "1", "1", "1", "120.0")
    rest = next(r for r in rows if (r["date"], r["channel"]) == (D1, "rest"))
    assert (rest["feedback_down"], rest["reason_irrelevant"], rest["feedback_rate"]) == ("1", "1", "0.0")


# -- keeping up with the tracker store ---------------------------------------------------------------


def test_new_messages_are_counted_at_the_next_view(scratch):
    url, engine, scenario = scratch
    analytics = Analytics(engine)
    before = summary(analytics)["totals"]
    at = ANALYTICS_RANGE[0] + 2 * 86400 + 23 * 3600 + 600
    append(url, scenario.senders["c8"], turn_on("我要找人工客服", at, "request_human", 0.98, "socketio",
                                                slots={"handoff": "requested"}))
    after = summary(analytics)["totals"]
    assert after["messages"] == before["messages"] + 1 and after["handoffs"] == before["handoffs"] + 1
    assert after["contained"] == before["contained"] - 1 and after["conversations"] == before["conversations"]


def test_a_deleted_conversation_leaves_the_figures(scratch):
    """A WeChat unsubscribe deletes a conversation's events (addons/channels/wechat/channel.py): the
    dashboard's ledger and rollups lose it at the next check, and no row keeps its sender id."""
    url, engine, scenario = scratch
    summary(Analytics(engine))
    sender = scenario.senders["c8"]
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
    totals = summary(Analytics(engine))["totals"]  # a new console: it checks at once
    assert (totals["conversations"], totals["messages"], totals["low_confidence"]) == (7, 14, 1)
    with engine.connect() as conn:
        for table in ("staff_analytics_message", "staff_analytics_service", "staff_analytics_bucket"):
            held = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE "
                                        + ("sender_id = :s" if table != "staff_analytics_service" else
                                           "event_id NOT IN (SELECT id FROM events)")), {"s": sender}).scalar()
            assert held == 0, table


def test_forgetting_a_conversation_takes_it_out_at_once(scratch):
    url, engine, scenario = scratch
    analytics = Analytics(engine)
    summary(analytics)
    analytics.forget(scenario.senders["c1"])  # as an erasure would, before or after deleting the events
    with engine.connect() as conn:
        for table in ("staff_analytics_message", "staff_analytics_bucket"):
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE sender_id = :s"),
                                {"s": scenario.senders["c1"]}).scalar() == 0
        assert conn.execute(sa.text("SELECT SUM(n) FROM staff_analytics_count WHERE dimension = 'service' "
                                    "AND value = 'AWD'")).scalar() == 2  # 5 less c1's 3
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": scenario.senders["c1"]})
    totals = analytics.summary(SINCE, UNTIL, offset=ANALYTICS_OFFSET)["totals"]
    assert (totals["conversations"], totals["messages"]) == (7, 11)


def test_a_message_committed_late_is_added_back(scratch, monkeypatch):
    """PostgreSQL can commit a lower event id after a higher one was read: the ledger re-reads the
    last REWIND_IDS ids, and what is older still comes in at the next count check."""
    url, engine, scenario = scratch
    analytics = Analytics(engine)
    summary(analytics)
    monkeypatch.setattr(analytics_mod, "REWIND_IDS", 10)
    monkeypatch.setattr(analytics_mod, "CHECK_SECONDS", 0.0)
    with engine.begin() as conn:
        row = conn.execute(sa.text("SELECT * FROM events WHERE sender_id = :s AND type_name = 'user'"),
                           {"s": scenario.senders["c8"]}).mappings().one()
        top = conn.execute(sa.text("SELECT MAX(id) FROM events")).scalar()

        def copy(event_id: int, later: float) -> None:
            conn.execute(sa.text("INSERT INTO events (id, sender_id, type_name, timestamp, intent_name, action_name, "
                                 "data) VALUES (:id, :sender_id, :type_name, :ts, :intent_name, :action_name, :data)"),
                         {**row, "id": event_id, "ts": row["timestamp"] + later})
        copy(top + 100, 5)
    analytics.refresh()
    with engine.begin() as conn:
        copy(top + 50, 6)  # below the highest id already read, and older than the re-read ids
    assert summary(analytics)["totals"]["messages"] == TOTALS["messages"] + 2


def test_the_rollups_are_added_up_again_when_their_definition_changes(scratch, monkeypatch):
    url, engine, _ = scratch
    summary(Analytics(engine))
    monkeypatch.setattr(analytics_mod, "ROLLUP_VERSION", analytics_mod.ROLLUP_VERSION + 1)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE staff_analytics_bucket SET messages = messages + 7"))
    assert summary(Analytics(engine))["totals"] == TOTALS


# -- the feedback tab --------------------------------------------------------------------------------


def test_the_triage_list_and_marking_handled(db, analytics):
    url, scenario = db
    listed = analytics.feedback_list(SINCE, UNTIL, handled=False)
    assert [r["id"] for r in listed] == [scenario.feedback_ids[k] for k in ("c8", "c6", "c4")]
    c6 = listed[1]
    assert (c6["question"], c6["answer"], c6["reason"], c6["reason_label"], c6["note"], c6["channel"]) == (
        "这个怎么退税", "资料里没有退税的说明", "wrong", "信息不对", "价格不对", "wechat")
    assert c6["ts_iso"] and c6["handled_at"] is None
    assert analytics.feedback_count(SINCE, UNTIL, handled=False) == 3
    marked = analytics.mark_handled(scenario.feedback_ids["c4"], "小王")
    try:
        assert marked is not None and marked["handled_by"] == "小王" and marked["handled_at"]
        assert [r["id"] for r in analytics.feedback_list(SINCE, UNTIL, handled=False)] == [
            scenario.feedback_ids["c8"], scenario.feedback_ids["c6"]]
        assert [r["id"] for r in analytics.feedback_list(SINCE, UNTIL, handled=True)] == [scenario.feedback_ids["c4"]]
    finally:
        reopened = analytics.mark_handled(scenario.feedback_ids["c4"], None, handled=False)
    assert reopened is not None and reopened["handled_at"] is None
    assert analytics.mark_handled(987654, "小王") is None


def test_the_feedback_exports(analytics):
    training = analytics.feedback_groups("training", SINCE, UNTIL)
    assert [(g["text"], g["count"], g["reasons"]) for g in training] == [("FBA怎么收费", 1, {"irrelevant": 1})]
    variant = training[0]["variants"][0]
    # the rated message's intent and confidence, looked up in events
    assert (variant["predicted_intent"], variant["max_confidence"]) == ("ask_service", 0.88)
    gaps = analytics.feedback_groups("gap", SINCE, UNTIL)
    assert {g["text"]: g["reasons"] for g in gaps} == {"这个怎么退税": {"wrong": 1}, "AWD费用呢": {"none": 1}}
    fallback = next(g for g in gaps if g["text"] == "这个怎么退税")["variants"][0]
    assert fallback["predicted_intent"] == "ask_service"  # the best real intent under nlu_fallback
    from staff.unanswered import to_csv

    rows = list(csv.reader(io.StringIO(to_csv(gaps))))
    assert tuple(rows[0]) == UNANSWERED_CSV_COLUMNS and len(rows) == 3
    with pytest.raises(ValueError):
        analytics.feedback_groups("everything")


# -- over the console's HTTP API ------------------------------------------------------------------


@pytest.fixture(scope="module")
def web(db):
    LOGS.mkdir(parents=True, exist_ok=True)
    console = start_web({"TRACKER_DB_URL": db[0]}, f"analytics-{uuid.uuid4().hex[:6]}")
    yield console
    console.stop()


RANGE = {"since": str(SINCE), "until": str(UNTIL), "tz": "480"}


@pytest.mark.servers
def test_the_api_agrees_with_a_direct_sql_count(web, db):
    data = web.get("/staff/api/analytics", **RANGE)
    engine = sa.create_engine(db[0], future=True)
    try:
        with engine.connect() as conn:
            where = ("type_name = 'user' AND timestamp >= :since AND timestamp < :until "
                     "AND intent_name <> 'feedback'")
            bounds = {"since": SINCE, "until": UNTIL}
            messages, conversations = conn.execute(sa.text(
                f"SELECT COUNT(*), COUNT(DISTINCT sender_id) FROM events WHERE {where}"), bounds).one()
            unanswered = conn.execute(sa.text(
                f"SELECT COUNT(*) FROM events WHERE {where} AND intent_name IN ('nlu_fallback', 'out_of_scope')"),
                bounds).scalar()
            requested = conn.execute(sa.text(
                "SELECT COUNT(DISTINCT sender_id) FROM events WHERE timestamp >= :since AND timestamp < :until "
                "AND ((type_name = 'user' AND intent_name = 'request_human') OR (type_name = 'slot' "
                "AND action_name = 'handoff' AND data LIKE '%\"requested\"%'))"), bounds).scalar()
            downs = conn.execute(sa.text("SELECT COUNT(*) FROM feedback WHERE rating = 'down' AND ts >= :since "
                                         "AND ts < :until"), bounds).scalar()
    finally:
        engine.dispose()
    totals = data["totals"]
    assert (totals["messages"], totals["conversations"], totals["feedback_down"]) == (messages, conversations, downs)
    assert totals["fallback"] + totals["out_of_scope"] == unanswered
    assert totals["contained"] == conversations - requested
    assert totals == TOTALS and data["tz_offset_minutes"] == 480
    assert [d["date"] for d in data["days"]] == list(ANALYTICS_DATES)
    iso = web.get("/staff/api/analytics", since="2024-04-01T00:00:00+08:00", until="2024-04-04T00:00:00+08:00",
                  tz="+08:00")
    assert iso["totals"] == TOTALS
    assert web.get("/staff/api/analytics", channel="rest", **RANGE)["totals"]["conversations"] == 2


@pytest.mark.servers
def test_the_api_csv(web):
    status, headers, body = web.request("/staff/api/analytics.csv", params=RANGE)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert 'filename="analytics.csv"' in headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 9 and sum(int(r["messages"]) for r in rows) == TOTALS["messages"]


@pytest.mark.servers
def test_the_api_triage_list_marking_and_exports(web, db):
    _, scenario = db
    listed = web.get("/staff/api/feedback", handled="false", since=str(SINCE), until=str(UNTIL))
    assert [r["id"] for r in listed["feedback"]] == [scenario.feedback_ids[k] for k in ("c8", "c6", "c4")]
    assert listed["total"] == 3
    first = listed["feedback"][0]
    assert {"question", "answer", "reason", "note", "channel", "ts_iso", "handled_at"} <= set(first)
    target = scenario.feedback_ids["c8"]
    status, _, marked = web.request(f"/staff/api/feedback/{target}", "POST", body={"handled": True, "by": "小王"})
    try:
        assert status == 200 and marked["handled_by"] == "小王" and marked["handled_at"]
        left = web.get("/staff/api/feedback", handled="false", since=str(SINCE), until=str(UNTIL))
        assert target not in [r["id"] for r in left["feedback"]] and left["total"] == 2
        done = web.get("/staff/api/feedback", handled="true", since=str(SINCE), until=str(UNTIL))
        assert [r["id"] for r in done["feedback"]] == [target]
    finally:
        status, _, reopened = web.request(f"/staff/api/feedback/{target}", "POST", body={"handled": False})
    assert status == 200 and reopened["handled_at"] is None
    for missing in ("987654", "99999999999"):
        assert web.request(f"/staff/api/feedback/{missing}", "POST", body={"handled": True})[0] == 404
    assert web.request(f"/staff/api/feedback/{target}", "POST", body={"handled": "yes"})[0] == 400
    assert web.request(f"/staff/api/feedback/{target}", "POST", data=b"not json")[0] == 400
    assert web.request("/staff/api/feedback", params={"handled": "maybe"})[0] == 400

    status, headers, body = web.request("/staff/api/feedback.csv", params={"kind": "training", **RANGE})
    assert status == 200 and 'filename="feedback-training.csv"' in headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body)))
    assert tuple(rows[0]) == UNANSWERED_CSV_COLUMNS and [r[3] for r in rows[1:]] == ["FBA怎么收费"]
    status, _, body = web.request("/staff/api/feedback.csv", params={"kind": "gap", **RANGE})
    assert status == 200 and sorted(r[3] for r in list(csv.reader(io.StringIO(body)))[1:]) == ["AWD费用呢", "这个怎么退税"]
    assert web.request("/staff/api/feedback.csv", params={"kind": "all"})[0] == 400


@pytest.mark.servers
def test_the_api_refuses_bad_parameters(web):
    for params in ({"tz": "东八区"}, {"since": str(UNTIL), "until": str(SINCE)}, {"since": "yesterday"},
                   {"threshold": "2"}):
        status, _, body = web.request("/staff/api/analytics", params=params)
        assert status == 400 and body["error"], params


NEW_ROUTES = [("GET", "/staff/api/analytics"), ("GET", "/staff/api/analytics.csv"), ("GET", "/staff/api/feedback"),
              ("POST", "/staff/api/feedback/1"), ("GET", "/staff/api/feedback.csv?kind=gap")]


@pytest.mark.servers
@pytest.mark.parametrize("method, path", NEW_ROUTES)
def test_every_new_route_refuses_a_missing_or_wrong_token(web, method, path):
    body = {"handled": True, "by": "小王"} if method == "POST" else None
    status, headers, _ = web.request(path, method, token=None, body=body)
    assert status == 401 and "Bearer" in headers.get("WWW-Authenticate", "")
    assert web.request(path, method, token="wrong-" + web.token, body=body)[0] == 403
    assert web.request(path, method, token=None, body=body, headers={"Authorization": f"Basic {web.token}"})[0] == 401
