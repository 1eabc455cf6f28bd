"""The import's quicker ways hold to the plain ones they stand for: the state of a ticket replayed from its record is
``rebuild`` of its events, ids made by hand are ``uuid.uuid5``'s, the outbox's quicker encoding writes the same
JSON, a file read in one pass gives what the usual read gives, an unchanged ticket's stored SLA outcome counts as the
engine's would, and the tickets' indexes set aside during a large import come back as they were."""

from __future__ import annotations

import base64
import csv
import dataclasses
import enum
import json
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from console.access import Actor, load_actor
from console.imports import EventKind, ImportedTicket, ImportFile, NameKind, write
from console.imports.importer import Reading, Scattered
from console.imports.write import ImportOptions, ImportReport, Names, import_files
from console.journal import codec
from console.journal.intents import ImportTickets
from console.journal.values import decode, encode
from console.store.workspace import Workspace
from console.text import clean_text
from console.tickets.history import rebuild
from console.tickets.service import DESCRIPTION_MAX, NOTE_MAX
from models import (
    AuditEvent,
    BusinessUnit,
    Comment,
    ErpModule,
    Impact,
    Priority,
    Role,
    SupportGroup,
    Ticket,
    TicketKind,
    User,
    table_of,
)
from models.tickets import TITLE_MAX
from tests import clock
from tests.conftest import copy_workspace
from tests.unit.test_import_export import tickets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
EVENTS = FIXTURES / "servicenow_events.csv"
DUBAI = ImportOptions(time_zone="Asia/Dubai")
FILES = [
    (EVENTS, "Asia/Dubai"),
    (FIXTURES / "servicenow_events_broken.csv", "Asia/Dubai"),
    (FIXTURES / "jira.csv", "Europe/London"),
    (FIXTURES / "servicenow_list_cp1256.csv", "Asia/Tehran"),
]


def names() -> Names:
    """Names that know nobody: every name maps to a default (or is created, ``create_missing``)."""
    person, unit, module = (uuid.UUID(int=n) for n in (1, 2, 3))
    return Names({}, {}, {}, {}, person, unit, module, create_missing=True)


def file_tickets() -> list[ImportedTicket]:
    return [ticket for path, zone in FILES for ticket in ImportFile(path, time_zone=zone).read()]


# ---- ids ------------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(namespace=st.uuids(), name=st.text(max_size=60))
def test_uuid5_is_uuid5(namespace: uuid.UUID, name: str) -> None:
    expected = uuid.uuid5(namespace, name)
    for made in (write.uuid5(namespace.bytes, name), write._quick_uuid5(namespace.bytes, name),
                 write._sure_uuid5(namespace.bytes, name)):  # fmt: skip
        assert made == expected
        assert (made.version, made.variant, str(made), hash(made)) == (5, uuid.RFC_4122, str(expected), hash(expected))


def reference_record(ticket: ImportedTicket, found: Names) -> dict[str, Any]:
    """``ticket_record`` as it was written first, with ``uuid.uuid5`` and ``clean_text`` themselves."""
    ticket_id = uuid.uuid5(write.NAMESPACE, f"ticket\n{ticket.source_system}\n{ticket.key}")
    title = clean_text(ticket.title, "title", 10**9, required=False) or ticket.key
    description = clean_text(ticket.description, "description", DESCRIPTION_MAX, required=False)
    if len(title) > TITLE_MAX:
        title, description = title[: TITLE_MAX - 1] + "…", f"{title}\n\n{description}".strip()
    impact, urgency = write.impact_and_urgency(ticket)
    seen: Counter[str] = Counter()
    events = []
    for event in ticket.events:
        old, new, said = event.old, event.new, event.source_value
        if event.kind in write.NAMED:
            old, new = (encode(found.find(write.NAMED[event.kind], v)) for v in (old, new))
            said = said or event.new
        elif event.kind in write.VISIBILITY_OF:
            new = clean_text(new or "", "note", NOTE_MAX, required=False)
            if not new:
                continue
        actor = (event.actor or None) and event.actor[:120]
        events.append((write._event_id(ticket_id, event, seen), event.at, event.kind.value, old, new, actor,
                       (said or None) and said[:120]))  # fmt: skip
    return {
        "id": ticket_id, "key": ticket.key, "title": title, "description": description, "impact": impact,
        "urgency": urgency, "priority": Priority(ticket.first(EventKind.PRIORITY) or ticket.priority),
        "status": ticket.first(EventKind.STATUS) or ticket.status.value, "module_id": found.module(ticket.module),
        "business_unit_id": found.unit(ticket.unit), "category": (ticket.category or None) and ticket.category[:80],
        "reporter_id": found.person(ticket.reporter),
        "assignee_id": found.find(NameKind.PERSON, ticket.first(EventKind.ASSIGNEE)),
        "group_id": found.find(NameKind.GROUP, ticket.first(EventKind.GROUP)), "created_at": ticket.created_at,
        "source_sla_met": ticket.source_sla_met, "events": tuple(events), "row": ticket.row,
    }  # fmt: skip


def same_records(found: list[ImportedTicket], *, create_missing: bool) -> None:
    ours, theirs = names(), names()
    ours.create_missing = theirs.create_missing = create_missing
    for ticket in found:
        record = write.ticket_record(ticket, ours)
        assert record == reference_record(ticket, theirs)
        assert list(record) == list(reference_record(ticket, names()))
    assert ours.defaulted == theirs.defaulted
    assert ours.created == theirs.created


@pytest.mark.parametrize("create_missing", [False, True])
def test_the_records_ids_and_names_are_as_they_were(create_missing: bool) -> None:
    same_records(file_tickets(), create_missing=create_missing)


@settings(max_examples=60, deadline=None)
@given(found=st.lists(tickets("SD-1"), min_size=1, max_size=3), create_missing=st.booleans())
def test_any_records_events_keep_their_ids(found: list[ImportedTicket], create_missing: bool) -> None:
    same_records(found, create_missing=create_missing)


# ---- a ticket's state, replayed from its record ---------------------------------------------------------------


def rebuilt_both(ticket: ImportedTicket, found: Names, *, shift: timedelta = timedelta()) -> tuple[Any, Any]:
    """``rebuild`` of the events ``_event_rows`` writes, and ``_replayed`` of the record; ``shift`` moves every
    event by that much (back before creation, too)."""
    record = write.ticket_record(ticket, found)
    record["events"] = tuple((e[0], e[1] + shift, *e[2:]) for e in record["events"])
    first = write._first_values(record, "INC-0000001", ticket.source_system, uuid.uuid4())
    actor = Actor(uuid.uuid4(), "max", "Max", Role.SUPPORT_MANAGER, frozenset())
    events, _comments = write._event_rows(record, actor, ticket.source_system, first, 1)
    return rebuild(events), write._replayed(record, first)


def test_the_state_replayed_from_a_record_is_its_events_rebuilt() -> None:
    for ticket in file_tickets():
        rebuilt, replayed = rebuilt_both(ticket, names())
        assert replayed == rebuilt
        assert {k: type(v) for k, v in replayed.items()} == {k: type(v) for k, v in rebuilt.items()}


@settings(max_examples=150, deadline=None)
@given(ticket=tickets("SD-7"), hours=st.integers(-48, 48))
def test_any_record_replays_as_its_events_rebuild(ticket: ImportedTicket, hours: int) -> None:
    rebuilt, replayed = rebuilt_both(ticket, names(), shift=timedelta(hours=hours))
    assert replayed == rebuilt
    assert {k: (type(v), encode(v)) for k, v in replayed.items()} == {
        k: (type(v), encode(v)) for k, v in rebuilt.items()
    }


VALUES = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(-3, 3),
    st.booleans(),
    st.uuids(),
    st.sampled_from([*Priority, *Impact, *TicketKind]),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=4)), timezone(timedelta(0))])),
    st.uuids().map(str),
)
NAMES = st.sampled_from(["title", "module_id", "created_at", "tier", "reopen_count", "priority", "kind", "number"])


@settings(max_examples=400, deadline=None)
@given(name=NAMES, value=VALUES)
def test_a_first_value_reads_back_as_its_json_would(name: str, value: Any) -> None:
    try:
        expected = decode(name, encode(value))
    except ValueError:
        return  # a value the created event could not hold either
    found = write._read_back(name, value)
    assert found == expected
    assert type(found) is type(expected) or encode(found) == encode(expected)


@settings(max_examples=400, deadline=None)
@given(ours=VALUES, stored=VALUES)
def test_a_field_differs_as_its_encodings_do(ours: Any, stored: Any) -> None:
    assert write._differs(ours, stored) == (encode(ours) != encode(stored))
    assert write._differs(ours, ours) is False


@settings(max_examples=300, deadline=None)
@given(ours=VALUES, stored=st.none() | st.uuids(), written=st.sampled_from(["as SQLite", "upper", "dashed"]))
def test_an_id_as_the_database_holds_it_differs_as_the_id_read_would(ours: Any, stored: Any, written: str) -> None:
    dialect = sqlite_dialect()
    column = table_of(Ticket).c.module_id
    as_id = column.type.dialect_impl(dialect).result_processor(dialect, None)
    assert as_id is not None
    ways = {} if stored is None else {"as SQLite": stored.hex, "upper": stored.hex.upper(), "dashed": str(stored)}
    raw = ways.get(written)
    assert raw is None or as_id(raw) == stored
    assert write._differs_id(as_id, ours, raw) == (encode(ours) != encode(stored))
    assert write._differs_field(as_id, "module_id", ours, raw) == (encode(ours) != encode(stored))


# ---- the outbox's encoding ------------------------------------------------------------------------------------


def reference_encode(value: Any) -> Any:
    """``codec._encode`` as it was written first: one test after another."""
    if value is None or (isinstance(value, bool | int | float | str) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, enum.Enum):
        return {"$enum": type(value).__name__, "v": value.value}
    if isinstance(value, uuid.UUID):
        return {"$uuid": value.hex}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, frozenset | set):
        return {"$set": sorted((reference_encode(v) for v in value), key=json.dumps)}
    if isinstance(value, tuple):
        return {"$tuple": [reference_encode(v) for v in value]}
    if isinstance(value, Mapping):
        return {"$map": {str(k): reference_encode(v) for k, v in value.items()}}
    raise codec.CodecError(f"cannot store a {type(value).__name__} in the outbox")


class Word(str):
    """A subclass of a plain type: told by ``isinstance`` alone."""


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=6), st.uuids(),
    st.datetimes(timezones=st.just(UTC)), st.binary(max_size=6), st.sampled_from([*Priority, *Impact, *TicketKind]),
    st.text(max_size=4).map(Word),
)  # fmt: skip
NESTED = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
        st.frozensets(st.integers() | st.text(max_size=3), max_size=3),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=NESTED)
def test_the_outbox_encodes_any_value_as_it_did(value: Any) -> None:
    assert codec._encode(value) == reference_encode(value)


def test_a_batch_of_tickets_is_written_to_the_outbox_as_before_and_read_back_the_same() -> None:
    found = names()
    records = []
    for number, ticket in enumerate(file_tickets(), 1):
        record = write.ticket_record(ticket, found)
        record["number"] = f"INC-{number:07d}"
        records.append(record)
    intent = ImportTickets("servicenow", tuple(records), found.take_created())
    kind, payload = codec.dumps(intent)
    fields = {f.name: reference_encode(getattr(intent, f.name)) for f in dataclasses.fields(intent)}
    assert payload == json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8")
    assert codec.loads(kind, payload) == intent


# ---- on a workspace -------------------------------------------------------------------------------------------


@pytest.fixture
def workspace(demo_copy: Path) -> Iterator[Workspace]:
    workspace = Workspace.open(demo_copy)
    yield workspace
    workspace.close()


def manager(engine: Engine) -> Actor:
    with engine.connect() as conn:
        login = conn.execute(
            select(User.login).where(User.role == Role.SUPPORT_MANAGER, User.active).order_by(User.login)
        ).scalar()
        return load_actor(conn, str(login))


NOW = clock.now()
"""Every import of these tests at one moment: two imports of the same file store the same rows."""


def run(workspace: Workspace, paths: list[Path], options: ImportOptions = DUBAI, **kwargs: Any) -> ImportReport:
    engine = workspace.cache()
    return import_files(engine, manager(engine), paths, options, NOW, client_id=workspace.client_id,
                        reserve=workspace.reserve_numbers, **kwargs)  # fmt: skip


def stored(engine: Engine, *tables: str) -> list[tuple[Any, ...]]:
    """The rows of these tables, in a stable order (ids aside, which the same rows have alike anyway)."""
    with engine.connect() as conn:
        return [
            tuple(row) for table in tables for row in sorted(conn.execute(text(f"SELECT * FROM {table}")), key=repr)
        ]


def schema(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master")))


def statistics(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text("SELECT * FROM sqlite_stat1 ORDER BY tbl, idx"))]


def scattered(folder: Path) -> tuple[Path, Path]:
    """The event log with its tickets' rows taken apart (each ticket's rows spread over the file), and the same
    rows with each ticket's together, in the order of the numbers (as the usual read gathers them)."""
    with EVENTS.open(encoding="utf-8-sig", newline="") as source:
        header, *rows = list(csv.reader(source))
    apart = rows[0::2] + rows[1::2]
    together = sorted(rows, key=lambda row: row[0])
    paths = folder / "apart.csv", folder / "together.csv"
    for path, found in zip(paths, (apart, together), strict=True):
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows([header, *found])
    return paths


def test_a_file_read_in_one_pass_gives_what_the_usual_read_gives() -> None:
    for path, zone in FILES:
        usual, once = ImportFile(path, time_zone=zone).read(), ImportFile(path, time_zone=zone).read(one_pass=True)
        assert list(once) == list(usual)
        assert (once.rows, once.problems.problems, once.problems.counts) == (
            usual.rows, usual.problems.problems, usual.problems.counts,
        )  # fmt: skip


def test_a_ticket_whose_rows_are_apart_stops_a_read_in_one_pass(tmp_path: Path) -> None:
    apart, _together = scattered(tmp_path)
    with pytest.raises(Scattered):
        list(ImportFile(apart, time_zone="Asia/Dubai").read(one_pass=True))
    assert {t.key for t in ImportFile(apart, time_zone="Asia/Dubai").read()} == {
        t.key for t in ImportFile(EVENTS, time_zone="Asia/Dubai").read()
    }


def usual_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file read the usual way, never in one pass: the import as it was before it read in one pass."""
    monkeypatch.setattr(ImportFile, "read", lambda file, **_how: Reading(file))


def test_a_file_whose_rows_are_apart_is_refused_as_the_usual_read_refuses_it(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (FIXTURES / "servicenow_events_broken.csv").open(encoding="utf-8", errors="surrogateescape", newline="") as f:
        header, *rows = list(csv.reader(f))  # its broken bytes kept as they are
    apart = tmp_path / "broken-apart.csv"
    with apart.open("w", encoding="utf-8", errors="surrogateescape", newline="") as out:
        csv.writer(out).writerows([header, *rows[0::2], *rows[1::2]])
    with pytest.raises(write.RefusedRows) as in_one_pass:
        run(workspace, [apart])
    usual_read(monkeypatch)
    with pytest.raises(write.RefusedRows) as usual:
        run(workspace, [apart])
    assert str(in_one_pass.value) == str(usual.value)
    assert in_one_pass.value.problems.problems == usual.value.problems.problems


def test_a_file_whose_rows_are_apart_is_imported_as_the_usual_read_imports_it(
    workspace: Workspace, tmp_path: Path, demo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apart, together = scattered(tmp_path)
    usual, gathered = (Workspace.open(copy_workspace(demo_home, tmp_path / name)) for name in ("usual", "gathered"))
    try:
        first = run(workspace, [EVENTS, apart, EVENTS])  # in one pass, the second file again after it failed so
        third = run(gathered, [EVENTS, together, EVENTS])
        usual_read(monkeypatch)
        second = run(usual, [EVENTS, apart, EVENTS])
        tables = ("tickets", "audit_events", "comments", "number_blocks", "users", "support_groups")
        assert stored(workspace.cache(), *tables) == stored(usual.cache(), *tables)
        assert first.lines() == second.lines()
        assert first.reconciliation == second.reconciliation
        assert (first.created, first.events) == (third.created, third.events) == (4, 27)
        assert stored(workspace.cache(), "tickets", "audit_events") == stored(
            gathered.cache(), "tickets", "audit_events"
        )
    finally:
        usual.close()
        gathered.close()


def test_the_same_file_again_counts_the_stored_outcomes_as_the_engine_would(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run(workspace, [EVENTS])
    again = run(workspace, [EVENTS])
    assert again.unchanged == first.created == 4
    judged = []

    def not_stored(*args: Any) -> None:  # the engine asked for every ticket, as before
        judged.append(args)

    monkeypatch.setattr(write, "_stored", not_stored)
    engine_says = run(workspace, [EVENTS])
    assert len(judged) == 4
    for report in (again, engine_says):
        report.reconciliation.sample = first.reconciliation.sample
    assert again.reconciliation == engine_says.reconciliation == first.reconciliation
    assert again.lines() == engine_says.lines()


def test_the_tickets_indexes_set_aside_for_a_large_import_come_back_as_they_were(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = workspace.cache()
    before, stats = schema(engine), statistics(engine)
    other = Workspace.open(copy_workspace(workspace.home, tmp_path / "other"))
    try:
        monkeypatch.setattr(write, "ASIDE_FROM", 1)
        dry = run(workspace, [EVENTS], ImportOptions(time_zone="Asia/Dubai", dry_run=True))
        assert dry.created == 4
        assert (schema(engine), statistics(engine)) == (before, stats)
        aside = run(workspace, [EVENTS], ImportOptions(time_zone="Asia/Dubai", batch=1))
        assert schema(engine) == before
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert conn.execute(text("PRAGMA analysis_limit")).scalar() == 0  # the pooled connection as it was
        monkeypatch.setattr(write, "ASIDE_FROM", 10**9)
        kept = run(other, [EVENTS], ImportOptions(time_zone="Asia/Dubai", batch=1))
        tables = ("tickets", "audit_events", "comments", "metric_rollup")
        assert stored(engine, *tables) == stored(other.cache(), *tables)
        assert aside.lines() == kept.lines()
        assert statistics(other.cache()) == stats
        with other.cache().begin() as conn:  # the statistics taken again, as the import took them
            conn.execute(text(f"PRAGMA analysis_limit = {write.ANALYSIS_LIMIT}"))
            conn.execute(text("ANALYZE tickets"))
            conn.execute(text("ANALYZE audit_events"))
        ours, theirs = statistics(engine), statistics(other.cache())  # sampled: close, not equal
        assert [row[:2] for row in ours] == [row[:2] for row in theirs]
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(Ticket)).scalar_one()
        estimates = [int(row[2].split()[0]) for row in ours if row[0] == "tickets"]
        assert estimates
        assert all(count / 2 <= estimate <= count * 2 for estimate in estimates)
    finally:
        other.close()


def test_rows_written_at_once_are_the_rows_sqlalchemy_writes(workspace: Workspace, tmp_path: Path) -> None:
    copies = [Workspace.open(copy_workspace(workspace.home, tmp_path / how)) for how in ("quick", "sqlalchemy")]
    named = [table_of(model) for model in (User, SupportGroup, BusinessUnit, ErpModule)]
    written = [table_of(model) for model in (Ticket, AuditEvent, Comment)]
    try:
        with workspace.cache().connect() as conn:
            had = {table: set(conn.execute(select(table.c.id)).scalars()) for table in named + written}
        run(workspace, [EVENTS, FIXTURES / "jira.csv"], ImportOptions(time_zone="Asia/Dubai", create_missing=True))
        with workspace.cache().connect() as conn:
            found = {
                table: [dict(row._mapping) for row in conn.execute(select(table)) if row.id not in had[table]]
                for table in named + written
            }
        assert all(found[table] for table in written)
        for copy, quick in zip(copies, (True, False), strict=True):
            with copy.cache().begin() as conn:
                for table in named:
                    if found[table]:
                        conn.execute(insert(table), found[table])
                for table in written:
                    if quick:
                        write.insert_rows(conn, table, found[table])
                    else:
                        conn.execute(insert(table), found[table])
        tables = ("tickets", "audit_events", "comments", "metric_rollup", "search_tickets", "search_notes")
        assert stored(copies[0].cache(), *tables) == stored(copies[1].cache(), *tables)
    finally:
        for copy in copies:
            copy.close()


def outcome(convert: Any, value: Any) -> Any:
    try:
        return convert(value)
    except (ValueError, TypeError, LookupError, AttributeError) as error:
        return type(error)


COLUMNS = [column for model in (Ticket, AuditEvent, Comment) for column in table_of(model).c]
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=4)), timezone(timedelta(0)), timezone(timedelta(hours=-7))])
WRITTEN = st.one_of(
    st.none(), st.datetimes(timezones=st.none() | ZONES), st.uuids(), st.text(max_size=12),
    st.sampled_from([member for column in COLUMNS if isinstance(column.type, SqlEnum) for member in column.type.enums]),
    st.sampled_from([member for model in (Priority, TicketKind, Impact) for member in model]), st.integers(-2, 2),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(value=WRITTEN)
def test_each_column_writes_a_value_as_its_type_writes_it(value: Any) -> None:
    dialect = sqlite_dialect()
    for column in COLUMNS:
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        quick = write._converter(column, dialect)
        if process is None:
            assert quick is None
            continue
        assert quick is not None
        for _twice in range(2):  # and again, remembered
            assert outcome(quick, value) == outcome(process, value), column


def test_a_write_that_fails_fails_the_import_and_leaves_nothing(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = workspace.cache()
    tables = ("tickets", "audit_events", "comments", "outbox", "users", "number_blocks")
    before = stored(engine, *tables)
    calls = []
    insert = write.insert_rows

    def failing(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
        calls.append(table.name)
        if len(calls) == 4:  # the second batch's tickets
            raise RuntimeError("no room for the second batch")
        insert(conn, table, rows)

    monkeypatch.setattr(write, "insert_rows", failing)
    with pytest.raises(RuntimeError, match="second batch"):
        run(workspace, [EVENTS], ImportOptions(time_zone="Asia/Dubai", batch=1))
    assert stored(engine, *tables) == before
    monkeypatch.setattr(write, "insert_rows", insert)
    assert run(workspace, [EVENTS]).created == 4
