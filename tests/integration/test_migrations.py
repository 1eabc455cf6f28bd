"""The Alembic migrations build exactly the models' schema, both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, delete, func, inspect, select, update
from sqlalchemy.exc import DBAPIError

import models
from console.store.database import alembic_config, current_revision, head_revision, make_engine, upgrade
from console.sync import server
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
    """Run ``alembic upgrade|downgrade TARGET`` on the engine, the way console.store.database does."""
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
        "seq": 1,
        "actor_id": None,
        "entity_type": EntityType.TICKET,
        "entity_id": uuid.uuid4(),
        "business_unit_id": None,
        "action": AuditAction.FIELD_CHANGED,
        "field": "status",
        "old_value": "new",
        "new_value": "assigned",
        "reason": "first response",
        "source": "servicenow",
        "source_actor": "Resolver 149",
        "source_value": "Active",
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


# --- 0006: audit events numbered per entity ---------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 2, 9, 20, 30, tzinfo=UTC)  # several events at this one instant
ENTITY = uuid.UUID("7f3c2a10-0000-4000-8000-000000000000")
LONE = uuid.UUID("0a000000-0000-4000-8000-000000000000")


def _event_id(label: int) -> uuid.UUID:
    """Ids whose order is known: the first byte decides (a uuid sorts alike on both engines)."""
    return uuid.UUID(f"{label:02x}000000-0000-4000-8000-{label:012x}")


# (id label, when, action, field): one entity's history as 0005 stored it, and the number each
# event must get: by time, at one instant ``created`` first, then by id.
HISTORY = [
    (0x50, T0, AuditAction.CREATED, None, 1),
    (0x10, T0, AuditAction.FIELD_CHANGED, "status", 2),  # same instant as created, smaller id: after it
    (0x90, T1, AuditAction.FIELD_CHANGED, "priority", 5),
    (0x30, T1, AuditAction.FIELD_CHANGED, "assignee_id", 3),
    (0x70, T1, AuditAction.ESCALATED, "tier", 4),
    (0x20, T1 + timedelta(seconds=1), AuditAction.COMMENTED, "internal", 6),
]


def _old_event(event_id: uuid.UUID, at: datetime, action: AuditAction, field: str | None,
               entity_type: EntityType, entity_id: uuid.UUID) -> dict[str, object]:  # fmt: skip
    return {"id": event_id, "occurred_at": at, "actor_id": None, "entity_type": entity_type, "entity_id": entity_id,
            "business_unit_id": None, "action": action, "field": field, "old_value": None,
            "new_value": "{}" if action is AuditAction.CREATED else "x", "reason": None}  # fmt: skip


def _triggers(engine: Engine) -> dict[str, str]:
    """The triggers on audit_events: each one's SQL (SQLite), or whether it is enabled (PostgreSQL)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
        else:
            sql = "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass"
            sql += " AND NOT tgisinternal"
        return {name: str(state) for name, state in conn.exec_driver_sql(sql)}


def _versioned(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(models.ChangeIndexEntry)).scalar_one())


def test_upgrading_numbers_every_entitys_events_by_time_then_created_then_id(engine: Engine) -> None:
    migrate(engine, "upgrade", "0005")
    with engine.begin() as conn:  # a shared database, prepared for sync: its versioning triggers too (of its tables)
        there = set(inspect(conn).get_table_names())
        server.install(conn, [synced for synced in server.SYNCED if synced.table in there])
    triggers = _triggers(engine)
    assert len(triggers) == (2 if engine.dialect.name == "postgresql" else 6)
    # The same history for a ticket and for a change with the same id (each is numbered on its own),
    # written in opposite orders, and a lone event of another entity.
    ticket = [_old_event(_event_id(n), at, act, f, EntityType.TICKET, ENTITY) for n, at, act, f, _ in HISTORY]
    change = [_old_event(_event_id(n + 1), at, act, f, EntityType.CHANGE, ENTITY) for n, at, act, f, _ in HISTORY]
    lone = _old_event(_event_id(0x0A), T1, AuditAction.CREATED, None, EntityType.PROBLEM, LONE)
    with engine.begin() as conn:
        for row in [*ticket, *reversed(change), lone]:
            conn.execute(AUDIT.insert(), [row])
    versions = _versioned(engine)

    migrate(engine, "upgrade", "head")

    with engine.connect() as conn:
        numbered = dict(conn.execute(select(AUDIT.c.id, AUDIT.c.seq)).all())
        column = next(c for c in inspect(conn).get_columns("audit_events") if c["name"] == "seq")
        index = next(i for i in inspect(conn).get_indexes("audit_events") if i["name"] == "ix_audit_events_entity")
    assert numbered == {
        **{_event_id(n): seq for n, _at, _act, _f, seq in HISTORY},
        **{_event_id(n + 1): seq for n, _at, _act, _f, seq in HISTORY},
        _event_id(0x0A): 1,
    }
    assert column["nullable"] is False
    assert index["column_names"] == ["entity_type", "entity_id", "occurred_at", "seq"]
    # The triggers came back as they were: the numbering was no edit (refused) and no sync change...
    assert _triggers(engine) == triggers
    assert _versioned(engine) == versions
    with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(update(AUDIT).where(AUDIT.c.id == _event_id(0x50)).values(seq=9))
        conn.rollback()
        with pytest.raises(DBAPIError):  # a writer must number its event
            conn.execute(AUDIT.insert(), [_old_event(uuid.uuid4(), T1, AuditAction.COMMENTED, None,
                                                     EntityType.TICKET, ENTITY)])  # fmt: skip
        conn.rollback()
    # ...and a new event is versioned as before.
    with engine.begin() as conn:
        row = _old_event(uuid.uuid4(), T1, AuditAction.COMMENTED, "public", EntityType.TICKET, ENTITY)
        conn.execute(AUDIT.insert(), [row | {"seq": 7}])
    assert _versioned(engine) == versions + 1

    migrate(engine, "downgrade", "0005")
    assert _triggers(engine) == triggers
    with engine.connect() as conn:
        assert "seq" not in {c["name"] for c in inspect(conn).get_columns("audit_events")}
        assert conn.execute(select(func.count()).select_from(AUDIT)).scalar_one() == 2 * len(HISTORY) + 2


# --- 0009: routing rules ---------------------------------------------------------------------------


def test_routing_rules_come_empty_are_versioned_in_the_global_space_and_go_with_a_downgrade(engine: Engine) -> None:
    migrate(engine, "upgrade", "0008")
    module, desk, functional = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(table_of(models.SupportGroup).insert(), [
            {"id": desk, "code": "DESK", "name": "Service desk", "tier": 1},
            {"id": functional, "code": "FIN-FUNC", "name": "Finance functional support", "tier": 2},
        ])  # fmt: skip
        conn.execute(table_of(models.ErpModule).insert(), [{"id": module, "code": "FIN", "name": "Finance"}])

    migrate(engine, "upgrade", "head")
    rules = table_of(models.RoutingRule)
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(rules)).scalar_one() == 0  # the team's to write
        server.install(conn)  # a shared database, prepared for sync by this version
        conn.execute(rules.insert(), [
            {"id": uuid.uuid4(), "module_id": module, "tier": 1, "group_id": desk},
            {"id": uuid.uuid4(), "module_id": module, "tier": 2, "group_id": functional},
        ])  # fmt: skip
    with engine.connect() as conn:
        entries = conn.execute(
            select(models.ChangeIndexEntry.space, models.ChangeIndexEntry.table_name).where(
                models.ChangeIndexEntry.table_name == "routing_rules"
            )
        ).all()
    assert entries == [(models.GLOBAL_SPACE, "routing_rules")] * 2
    for clash in ({"tier": 1, "group_id": functional}, {"tier": 4, "group_id": desk}):  # one rule per place; tiers 0-3
        with engine.connect() as conn:
            with pytest.raises(DBAPIError):
                conn.execute(rules.insert(), [{"id": uuid.uuid4(), "module_id": module, **clash}])
            conn.rollback()

    migrate(engine, "downgrade", "0008")
    assert "routing_rules" not in table_names(engine)
    with engine.connect() as conn:
        assert conn.execute(select(models.ErpModule.code)).scalars().all() == ["FIN"]


ARTICLES_AT_0011 = sa.table(
    "knowledge_articles",
    *(sa.column(name, sa.Uuid()) for name in ("id", "module_id", "problem_id", "author_id")),
    *(sa.column(name) for name in ("number", "title", "body", "status", "language")),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "updated_at")),
)
"""The articles' table as it was before 0013 (the models' has more columns)."""


def test_problems_take_their_lifecycle_in_place_with_everything_that_points_at_them(engine: Engine) -> None:
    """0012 widens the problems' status check where tickets, articles and sync's triggers point at them: the rows,
    the links and the triggers stay, a problem may then be a fix in change, and a downgrade takes it back."""
    migrate(engine, "upgrade", "0011")
    module, problem, author, article = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        # a shared database prepared for sync: its triggers name problems (those of tables 0011 has)
        server.install(conn, [synced for synced in server.SYNCED if synced.table in sa.inspect(conn).get_table_names()])
        conn.execute(table_of(models.ErpModule).insert(), [{"id": module, "code": "FIN", "name": "Finance"}])
        conn.execute(table_of(models.User).insert(), [
            {"id": author, "login": "ana", "display_name": "Ana", "role": models.Role.FUNCTIONAL_CONSULTANT,
             "active": True, "locale": "en", "created_at": at}])  # fmt: skip
        conn.exec_driver_sql(
            "INSERT INTO problems (id, number, title, description, status, priority, module_id, created_at) "
            f"VALUES ('{problem.hex}', 'PRB-0000001', 'Posting fails', '', 'known_error', 'high', '{module.hex}', "
            "'2026-12-01 09:00:00')"
            if engine.dialect.name == "sqlite"
            else "INSERT INTO problems (id, number, title, description, status, priority, module_id, created_at) "
            f"VALUES ('{problem}', 'PRB-0000001', 'Posting fails', '', 'known_error', 'high', '{module}', now())"
        )
        conn.execute(ARTICLES_AT_0011.insert(), [
            {"id": article, "number": "KB-0000001", "title": "Workaround", "body": "Reopen the period.",
             "status": "published", "language": "en", "module_id": module, "problem_id": problem,
             "author_id": author, "created_at": at, "updated_at": at}])  # fmt: skip
    before = trigger_names(engine)
    migrate(engine, "upgrade", "head")
    assert trigger_names(engine) == before
    problems = table_of(models.Problem)
    with engine.begin() as conn:
        row = conn.execute(select(problems.c.status, problems.c.updated_at).where(problems.c.id == problem)).one()
        assert row.status == models.ProblemStatus.KNOWN_ERROR
        assert row.updated_at is not None
        conn.execute(problems.update().values(status=models.ProblemStatus.FIX_IN_CHANGE))
        linked = conn.execute(select(models.KnowledgeArticle.problem_id).where(models.KnowledgeArticle.id == article))
        assert linked.scalar() == problem
    with engine.connect() as conn, pytest.raises(DBAPIError):
        conn.exec_driver_sql("UPDATE problems SET status = 'reopened'")  # the database's check still holds
    migrate(engine, "downgrade", "0011")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT status FROM problems").scalar() == "known_error"


def test_articles_take_their_lifecycle_and_their_first_version_the_same_on_every_database(engine: Engine) -> None:
    """0013: an article may be in review, has an audience the database checks, and what it held is its version 1,
    with an id every database gives it alike (a desk's cache and the shared database agree); a downgrade takes an
    article in review back to draft."""
    migrate(engine, "upgrade", "0012")
    module, author, article = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(table_of(models.ErpModule).insert(), [{"id": module, "code": "FIN", "name": "Finance"}])
        conn.execute(table_of(models.User).insert(), [
            {"id": author, "login": "ana", "display_name": "Ana", "role": models.Role.FUNCTIONAL_CONSULTANT,
             "active": True, "locale": "en", "created_at": at}])  # fmt: skip
        conn.execute(ARTICLES_AT_0011.insert(), [
            {"id": article, "number": "KB-0000001", "title": "Close a period", "body": "1. Open *Periods*.",
             "status": "published", "language": "en", "module_id": module, "problem_id": None,
             "author_id": author, "created_at": at, "updated_at": at}])  # fmt: skip
    migrate(engine, "upgrade", "head")
    articles, versions = table_of(models.KnowledgeArticle), table_of(models.ArticleVersion)
    with engine.begin() as conn:
        row = conn.execute(select(articles).where(articles.c.id == article)).one()
        assert (row.audience, row.version, row.published_at, row.retired_at) == ("internal", 1, at, None)
        first = conn.execute(select(versions)).one()
        assert (first.id, first.article_id, first.version, first.title, first.body, first.edited_by_id) == (
            uuid.uuid5(article, "version 1"),
            article,
            1,
            "Close a period",
            "1. Open *Periods*.",
            author,
        )
        conn.execute(articles.update().values(status=models.ArticleStatus.IN_REVIEW))
    with engine.connect() as conn, pytest.raises(DBAPIError):
        conn.exec_driver_sql("UPDATE knowledge_articles SET audience = 'everyone'")
    migrate(engine, "downgrade", "0012")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT status FROM knowledge_articles").scalar() == "draft"
        assert "article_versions" not in table_names(engine)
