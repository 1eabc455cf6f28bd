"""Tickets (incidents and service requests), their comments, attachments and audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy import UniqueConstraint as Unique
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from models.base import Base, HasId, str_enum
from models.enums import (
    AuditAction,
    EntityType,
    Impact,
    Priority,
    SlaState,
    TicketKind,
    TicketStatus,
    Urgency,
    Visibility,
)

TITLE_MAX = 200
ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024


class Ticket(HasId, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("tier BETWEEN 0 AND 3", name="tier_range"),
        CheckConstraint("reopen_count >= 0", name="reopen_count_positive"),
        CheckConstraint("length(title) > 0", name="title_not_empty"),
        Unique("source_system", "source_key"),
        # The queue: a unit's open tickets by status, someone's work, a group's work.
        Index("ix_tickets_unit_status", "business_unit_id", "status"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_group_status", "group_id", "status"),
        Index("ix_tickets_status_resolution_due", "status", "resolution_due_at"),
        # Metrics: volumes and compliance over time, per unit and module.
        Index("ix_tickets_created_unit", "created_at", "business_unit_id"),
        Index("ix_tickets_module_created", "module_id", "created_at"),
        Index("ix_tickets_resolved_at", "resolved_at"),
        # An imported ticket found by the other tool's own number.
        Index("ix_tickets_source_key", "source_key"),
    )

    number: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[TicketKind] = mapped_column(str_enum(TicketKind, "ticket_kind"), default=TicketKind.INCIDENT)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus, "ticket_status"), default=TicketStatus.NEW)
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "priority"))
    impact: Mapped[Impact] = mapped_column(str_enum(Impact, "impact"))
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency, "urgency"))
    tier: Mapped[int] = mapped_column(SmallInteger, default=1)
    module_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("erp_modules.id"))
    category: Mapped[str | None] = mapped_column(String(80))
    business_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_units.id"))
    reporter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("support_groups.id"))
    vendor: Mapped[str | None] = mapped_column(String(120))
    vendor_reference: Mapped[str | None] = mapped_column(String(64))
    sla_policy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sla_policies.id"))
    problem_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("problems.id"), index=True)
    change_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("change_requests.id"), index=True)
    planned_release: Mapped[str | None] = mapped_column(String(32))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The SLA engine's last answer, stored so the queue and the metrics can sort, filter and
    # aggregate in SQL; recomputed from the history whenever a policy or calendar changes.
    response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    response_state: Mapped[SlaState | None] = mapped_column(str_enum(SlaState, "response_state"))
    resolution_state: Mapped[SlaState | None] = mapped_column(str_enum(SlaState, "resolution_state"))
    response_seconds: Mapped[int | None] = mapped_column(Integer)
    resolution_seconds: Mapped[int | None] = mapped_column(Integer)
    response_breached_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    sla_computed_at: Mapped[datetime | None]
    source_system: Mapped[str | None] = mapped_column(String(32))
    source_key: Mapped[str | None] = mapped_column(String(64))
    source_sla_met: Mapped[bool | None] = mapped_column(Boolean)
    """An imported ticket's SLA outcome as the tool it came from judged it (ServiceNow's ``made_sla``)."""

    comments: Mapped[list[Comment]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Comment.created_at"
    )
    attachments: Mapped[list[Attachment]] = relationship(back_populates="ticket", cascade="all, delete-orphan")


class Comment(HasId, Base):
    """A public comment or an internal work note. Append-only: never edited, never conflicts."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_ticket_created", "ticket_id", "created_at"),
        CheckConstraint("length(body) > 0", name="body_not_empty"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility, "visibility"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    source_author: Mapped[str | None] = mapped_column(String(120))
    """Who wrote an imported comment in the tool it came from (``author_id`` is the person who imported it)."""

    ticket: Mapped[Ticket] = relationship(back_populates="comments")


class Attachment(HasId, Base):
    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(f"size_bytes >= 0 AND size_bytes <= {ATTACHMENT_MAX_BYTES}", name="size_range"),
        CheckConstraint("length(filename) > 0", name="filename_not_empty"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    uploaded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127), default="application/octet-stream")
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime]

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")


class AuditEvent(HasId, Base):
    """One thing that happened, never updated or deleted (triggers refuse both).

    A ``created`` event carries the entity's first values as a JSON object in
    ``new_value``; each later ``field_changed`` event carries one field's old and new
    value as text. Replaying an entity's events in ``(occurred_at, seq)`` order rebuilds any
    entity's state and the history of every field.

    ``seq`` numbers the events of one entity (``entity_type``, ``entity_id``) 1, 2, 3… in the
    order they were written: each writer takes one more than the entity's highest so far
    (``console.journal.audit.next_seq``). It orders events at the same instant, which a timestamp
    alone cannot, so every database and every desk replays them alike.
    """

    __tablename__ = "audit_events"
    # The replay of one entity's history: its events come in (occurred_at, seq) order from the index, unsorted.
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id", "occurred_at", "seq"),)

    occurred_at: Mapped[datetime]
    seq: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    entity_type: Mapped[EntityType] = mapped_column(str_enum(EntityType, "entity_type"))
    entity_id: Mapped[uuid.UUID]
    business_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_units.id"))
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction, "audit_action"))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(32))
    """The tool an imported event came from (``servicenow``, ``jira``…); NULL: made here."""
    source_actor: Mapped[str | None] = mapped_column(String(120))
    """Who made it there, as the tool names them (``actor_id`` is the person who imported it)."""
    source_value: Mapped[str | None] = mapped_column(String(120))
    """The tool's own word for the new value (``Awaiting Problem`` for our ``pending_change``)."""
