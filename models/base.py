"""Declarative base, naming convention and the column types every table shares."""

from __future__ import annotations

import enum
import importlib
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum, MetaData, Table, TypeDecorator, Uuid, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

# Stable constraint names, so Alembic can alter tables on SQLite (batch mode) and the
# migrations name the same constraints on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """A primary key a client can make offline without asking anyone."""
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always handed back time-zone aware.

    SQLite keeps no zone, so a naive value coming back is UTC by construction; a naive
    value going in is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store time-zone aware values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, no native PostgreSQL type."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(str(m.value)) for m in enum_cls) + 8,
        values_callable=lambda cls: [str(m.value) for m in cls],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads it once, at class creation
        uuid.UUID: Uuid(as_uuid=True),
        datetime: UTCDateTime(),
    }


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, typed as the ``Table`` it is (``__table__`` is typed as a FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class HasId:
    """A UUID primary key, made on the client."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-1)


@event.listens_for(Mapper, "before_configured")
def _every_table() -> None:
    """Every table module imported before SQLAlchemy ties the mapped classes together: a module imported on its
    own (``from models.tickets import Ticket``) names its neighbours by string, as ``import models`` alone
    loads none of them (the package loads its tables on first use)."""
    importlib.import_module("models").load()
