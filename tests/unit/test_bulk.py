"""``console.store.bulk_load.insert_rows`` stores exactly what SQLAlchemy's own inserts store, on both engines."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Table, inspect, select
from sqlalchemy.orm import Session

import models
from console.store.bulk_load import indexes_deferred, insert_many, insert_rows
from console.store.database import make_engine, sqlite_url, upgrade
from models import (
    Attachment,
    AuditAction,
    AuditEvent,
    BusinessCalendar,
    BusinessHours,
    BusinessUnit,
    EntityType,
    ErpModule,
    Holiday,
    Impact,
    Priority,
    Role,
    SlaPolicy,
    SupportGroup,
    Ticket,
    TicketKind,
    Urgency,
    User,
    table_of,
)

TEHRAN = timezone(timedelta(hours=3, minutes=30))
IDS = {name: uuid.UUID(int=n << 64 | n, version=4) for n, name in enumerate(
    ("calendar", "hours", "holiday", "policy", "unit", "group", "module", "user", "ticket", "attachment", "event"), 1
)}  # fmt: skip
MODELS: list[type[models.Base]] = [
    BusinessCalendar,
    BusinessHours,
    Holiday,
    SlaPolicy,
    BusinessUnit,
    SupportGroup,
    ErpModule,
    User,
    Ticket,
    Attachment,
    AuditEvent,
]


def sample_rows() -> dict[type[models.Base], dict[str, Any]]:
    """One row per table, with the awkward values: zones, zero microseconds, Persian, bytes, NULLs, defaults."""
    return {
        BusinessCalendar: {
            "id": IDS["calendar"],
            "name": "Tehran week",
            "time_zone": "Asia/Tehran",
            "holiday_country": "IR",
            "holiday_subdivision": None,
        },
        BusinessHours: {
            "id": IDS["hours"],
            "calendar_id": IDS["calendar"],
            "weekday": 5,
            "starts": time(8, 30),
            "ends": time(16, 45, 30),
        },
        Holiday: {
            "id": IDS["holiday"],
            "calendar_id": IDS["calendar"],
            "day": date(2026, 3, 21),
            "name": "Nowruz نوروز",
            "custom": False,
        },
        SlaPolicy: {
            "id": IDS["policy"],
            "name": "Standard",
            "description": None,
            "calendar_id": IDS["calendar"],
            "warning_threshold": 0.8,
            "active": False,
        },
        BusinessUnit: {
            "id": IDS["unit"],
            "code": "THR-MFG",
            "name": "کارخانه تهران",
            "time_zone": "Asia/Tehran",
            "calendar_id": IDS["calendar"],
            "sla_policy_id": IDS["policy"],
            # "active" left out: its default (True) fills it
        },
        SupportGroup: {
            "id": IDS["group"],
            "code": "DESK",
            "name": "Desk",
            "tier": 1,
            "vendor": None,
            "email": None,
        },
        ErpModule: {"id": IDS["module"], "code": "FIN", "name": "Finance", "owner_group_id": IDS["group"]},
        User: {
            "id": IDS["user"],
            "login": "maryam.hosseini",
            "display_name": "مریم حسینی",
            "email": None,
            "role": Role.FUNCTIONAL_CONSULTANT,
            "active": True,
            "locale": "fa",
            "created_at": datetime(2026, 3, 21, 0, 0, tzinfo=TEHRAN),  # 20:30 UTC the day before, .000000
        },
        Ticket: {
            "id": IDS["ticket"],
            "number": "INC-0000001",
            # kind, status, tier, reopen_count and description left out: their defaults fill them
            "title": "خطا در ثبت سند — posting fails",
            "priority": Priority.HIGH,
            "impact": Impact.HIGH,
            "urgency": Urgency.MEDIUM,
            "module_id": IDS["module"],
            "category": None,
            "business_unit_id": IDS["unit"],
            "reporter_id": IDS["user"],
            "assignee_id": IDS["user"],
            "group_id": IDS["group"],
            "vendor": None,
            "vendor_reference": None,
            "sla_policy_id": IDS["policy"],
            "problem_id": None,
            "change_id": None,
            "planned_release": "R2026.1",
            "created_at": datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
            "updated_at": datetime(2026, 2, 1, 8, 0, 0, 1, tzinfo=TEHRAN),
            "first_response_at": datetime(2026, 2, 1, 4, 30, tzinfo=UTC),
            "resolved_at": None,
            "closed_at": None,
            "response_due_at": datetime(2026, 2, 1, 1, 59, 59, 999999, tzinfo=UTC),
            "resolution_due_at": datetime(2026, 2, 1, 23, 59, 59, 999999, tzinfo=UTC),
            "source_system": None,
            "source_key": None,
        },
        Attachment: {
            "id": IDS["attachment"],
            "ticket_id": IDS["ticket"],
            "comment_id": None,
            "uploaded_by_id": IDS["user"],
            "filename": "screenshot.png",
            "media_type": "image/png",
            "size_bytes": 9,
            "sha256": "0" * 64,
            "content": b"\x89PNG\x00\xff\r\n\x1a",
            "created_at": datetime(2026, 2, 1, 4, 31, tzinfo=UTC),
        },
        AuditEvent: {
            "id": IDS["event"],
            "occurred_at": datetime(2026, 2, 1, 4, 30, tzinfo=UTC),
            "seq": 1,
            "actor_id": IDS["user"],
            "entity_type": EntityType.TICKET,
            "entity_id": IDS["ticket"],
            "business_unit_id": IDS["unit"],
            "action": AuditAction.FIELD_CHANGED,
            "field": "status",
            "old_value": "new",
            "new_value": "assigned",
            "reason": None,
        },
    }


def write_bulk(conn: Connection) -> None:
    for model, row in sample_rows().items():
        assert insert_rows(conn, table_of(model), [row]) == 1
    conn.commit()


def write_core(conn: Connection) -> None:
    for model, row in sample_rows().items():
        conn.execute(table_of(model).insert(), [row])
    conn.commit()


def write_orm(conn: Connection) -> None:
    with Session(bind=conn) as session:
        for model, row in sample_rows().items():
            session.add(model(**row))
            session.flush()
        session.commit()
    conn.commit()


@pytest.fixture
def sqlite_engines(tmp_path: Path) -> Iterator[Callable[[str], Engine]]:
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        engine = make_engine(sqlite_url(tmp_path / f"{name}.sqlite3"))
        upgrade(engine)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def raw_sqlite(conn: Connection, table: Table) -> list[tuple[Any, ...]]:
    """The stored values and their SQLite storage classes, exactly as on disk."""
    columns = [c.name for c in table.columns]
    types = ", ".join(f'typeof("{c}")' for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    return [tuple(r) for r in conn.exec_driver_sql(f'SELECT {names}, {types} FROM "{table.name}" ORDER BY 1')]


@pytest.mark.parametrize("reference", [write_core, write_orm], ids=["core", "orm"])
def test_bulk_rows_on_sqlite_are_stored_like_sqlalchemys(
    sqlite_engines: Callable[[str], Engine], reference: Callable[[Connection], None]
) -> None:
    bulk, expected = sqlite_engines("bulk"), sqlite_engines("reference")
    with bulk.connect() as conn:
        write_bulk(conn)
    with expected.connect() as conn:
        reference(conn)
    with bulk.connect() as got, expected.connect() as want:
        for model in MODELS:
            table = table_of(model)
            assert raw_sqlite(got, table) == raw_sqlite(want, table), table.name
            assert raw_sqlite(got, table), table.name


def test_what_sqlite_stores_exactly(sqlite_engines: Callable[[str], Engine]) -> None:
    # The reference comparison above could pass with both sides wrong; pin the format itself.
    engine = sqlite_engines("bulk")
    with engine.connect() as conn:
        write_bulk(conn)
        ticket = conn.exec_driver_sql(
            "SELECT id, kind, status, tier, reopen_count, description, created_at, updated_at, resolved_at FROM tickets"
        ).one()
        assert tuple(ticket) == (
            IDS["ticket"].hex,
            "incident",
            "new",
            1,
            0,
            "",
            "2026-01-31 23:59:59.999999",
            "2026-02-01 04:30:00.000001",
            None,
        )
        assert conn.exec_driver_sql("SELECT created_at FROM users").scalar() == "2026-03-20 20:30:00.000000"
        assert conn.exec_driver_sql("SELECT active FROM business_units").scalar() == 1
        assert conn.exec_driver_sql("SELECT content FROM attachments").scalar() == b"\x89PNG\x00\xff\r\n\x1a"
        assert conn.exec_driver_sql("SELECT day FROM holidays").scalar() == "2026-03-21"
        # ... and it reads back through the models as the values that went in.
        back = conn.execute(select(table_of(Ticket))).mappings().one()
        row = sample_rows()[Ticket]
        for key, value in row.items():
            assert back[key] == value, key
        assert back["kind"] is TicketKind.INCIDENT


def test_missing_values_without_defaults_are_refused(sqlite_engines: Callable[[str], Engine]) -> None:
    engine = sqlite_engines("bulk")
    with engine.connect() as conn:
        row = dict(sample_rows()[BusinessCalendar])
        del row["id"]
        with pytest.raises(KeyError, match=r"business_calendars\.id needs an explicit value"):
            insert_rows(conn, table_of(BusinessCalendar), [row])
        row = dict(sample_rows()[BusinessCalendar])
        del row["name"]
        with pytest.raises(KeyError, match=r"business_calendars\.name has no value and no default"):
            insert_rows(conn, table_of(BusinessCalendar), [row])
        assert insert_rows(conn, table_of(BusinessCalendar), []) == 0
        counts = insert_many(
            conn,
            [
                (table_of(BusinessCalendar), [sample_rows()[BusinessCalendar]]),
                (table_of(BusinessHours), [sample_rows()[BusinessHours]]),
                (table_of(BusinessCalendar), []),
            ],
        )
        conn.commit()
        assert counts == {"business_calendars": 1, "business_hours": 1}
        assert conn.exec_driver_sql("SELECT count(*) FROM business_hours").scalar() == 1


def test_indexes_are_dropped_during_a_load_and_rebuilt(sqlite_engines: Callable[[str], Engine]) -> None:
    engine = sqlite_engines("bulk")
    tables = [table_of(Ticket), table_of(AuditEvent)]

    def index_names(conn: Connection) -> set[str]:
        inspector = inspect(conn)
        return {str(i["name"]) for t in tables for i in inspector.get_indexes(t.name)}

    with engine.connect() as conn:
        before = index_names(conn)
        assert {i.name for t in tables for i in t.indexes} <= before
        stages: list[str] = []
        with indexes_deferred(conn, tables, lambda stage, _done, _total: stages.append(stage)):
            assert index_names(conn) == set()
            write_bulk(conn)
        assert index_names(conn) == before
        assert stages == ["indexing"] * len([i for t in tables for i in t.indexes])


# --- PostgreSQL ----------------------------------------------------------------------------------------


def raw_postgres(conn: Connection, table: Table) -> list[str]:
    """Each row as PostgreSQL's own text form of the record."""
    return list(conn.exec_driver_sql(f'SELECT t::text FROM "{table.name}" AS t ORDER BY 1').scalars())


@pytest.mark.postgres
def test_bulk_rows_on_postgresql_are_stored_like_sqlalchemys(pg_database: Callable[[], str]) -> None:
    bulk, core = make_engine(pg_database()), make_engine(pg_database())
    try:
        for engine, write in ((bulk, write_bulk), (core, write_core)):
            upgrade(engine)
            with engine.connect() as conn:
                write(conn)
        with bulk.connect() as got, core.connect() as want:
            got.exec_driver_sql("SET TIME ZONE 'UTC'")
            want.exec_driver_sql("SET TIME ZONE 'UTC'")
            for model in MODELS:
                table = table_of(model)
                assert raw_postgres(got, table) == raw_postgres(want, table), table.name
                assert raw_postgres(got, table), table.name
            created = got.exec_driver_sql("SELECT created_at::text FROM tickets").scalar()
            assert created == "2026-01-31 23:59:59.999999+00"
            back = got.execute(select(table_of(Ticket))).mappings().one()
            for key, value in sample_rows()[Ticket].items():
                assert back[key] == value, key
    finally:
        bulk.dispose()
        core.dispose()
