"""The Alembic migrations build exactly the models' schema, both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, delete, func, inspect, select, update
from sqlalchemy.exc import DBAPIError

import models
from console.database import alembic_config, current_revision, head_revision, make_engine, upgrade
from models import AuditAction, AuditEvent, EntityType, table_of
from models.migrations import HEAD

EXPECTED_TABLES = set(models.metadata.tables) | {"alembic_version"}
AUDIT = table_of(AuditEvent)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def migrate(engine: Engine, verb: str, target: str) -> None:
    """Run ``alembic upgrade|downgrade TARGET`` on the engine, the way console.database does."""
    with engine.connect() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        getattr(command, verb)(config, target)
        conn.commit()


def table_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def trigger_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
        else:
            sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND NOT tgisinternal"
        return {row[0] for row in conn.exec_driver_sql(sql)}


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision(conn)


def test_the_models_list_the_tables_the_app_needs() -> None:
    # Guards the comparisons below against an empty or half-imported metadata.
    assert {"tickets", "audit_events", "change_requests", "users", "deployment_info"} <= set(models.metadata.tables)
    assert len(models.metadata.tables) >= 25


def test_upgrade_downgrade_upgrade_round_trip(engine: Engine) -> None:
    head = head_revision()

    migrate(engine, "upgrade", "head")
    assert table_names(engine) == EXPECTED_TABLES
    assert revision_of(engine) == head
    assert trigger_names(engine)

    migrate(engine, "downgrade", "base")
    assert table_names(engine) <= {"alembic_version"}
    assert revision_of(engine) is None

    migrate(engine, "upgrade", "head")
    assert table_names(engine) == EXPECTED_TABLES
    assert revision_of(engine) == head
    # The append-only triggers went with the downgrade and came back with the upgrade.
    expected = (
        {"audit_events_append_only"}
        if engine.dialect.name == "postgresql"
        else {
            "audit_events_no_update",
            "audit_events_no_delete",
        }
    )
    assert trigger_names(engine) == expected


def test_upgrade_reports_what_it_did_and_is_idempotent(engine: Engine) -> None:
    first = upgrade(engine)
    assert (first.before, first.after, first.backup) == (None, head_revision(), None)
    second = upgrade(engine)
    assert (second.before, second.after, second.backup) == (head_revision(), head_revision(), None)
    assert table_names(engine) == EXPECTED_TABLES


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        differences = compare_metadata(context, models.metadata)
    assert differences == []


def _audit_row() -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "occurred_at": datetime(2026, 3, 31, 17, 45, 12, 345678, tzinfo=UTC),
        "actor_id": None,
        "entity_type": EntityType.TICKET,
        "entity_id": uuid.uuid4(),
        "business_unit_id": None,
        "action": AuditAction.FIELD_CHANGED,
        "field": "status",
        "old_value": "new",
        "new_value": "assigned",
        "reason": "first response",
    }


def test_audit_events_refuse_update_and_delete(engine: Engine) -> None:
    upgrade(engine)
    row = _audit_row()
    with engine.begin() as conn:
        conn.execute(AUDIT.insert(), row)

    refused = (
        update(AUDIT).where(AUDIT.c.id == row["id"]).values(new_value="closed", reason="tampered"),
        delete(AUDIT).where(AUDIT.c.id == row["id"]),
        delete(AUDIT),
    )
    for statement in refused:
        with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(statement)
            conn.rollback()

    with engine.connect() as conn:
        stored = conn.execute(select(AUDIT)).mappings().all()
        assert [dict(r) for r in stored] == [row]
        # Other tables are not affected: the refusal is specific to the audit trail.
        conn.execute(models.table_of(models.DeploymentInfo).insert(), {"key": "k", "value": "v"})
        conn.execute(update(models.table_of(models.DeploymentInfo)).values(value="w"))
        conn.execute(delete(models.table_of(models.DeploymentInfo)))
        conn.commit()
        assert conn.execute(select(func.count()).select_from(AUDIT)).scalar_one() == 1


def test_the_app_knows_its_newest_revision_without_alembic() -> None:
    """``models.migrations.HEAD`` lets an up-to-date database open without importing Alembic."""
    assert head_revision() == HEAD
