"""Initial schema: organisation, SLA policies, tickets, problems, changes, knowledge, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 00:05:59.949476
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("holiday_country", sa.String(length=8), nullable=True),
        sa.Column("holiday_subdivision", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_business_calendars_name")),
    )
    op.create_table(
        "deployment_info",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_deployment_info")),
    )
    op.create_table(
        "number_blocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("next_free", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("first <= last", name=op.f("ck_number_blocks_range_order")),
        sa.CheckConstraint("next_free >= first AND next_free <= last + 1", name=op.f("ck_number_blocks_next_in_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_blocks")),
        sa.UniqueConstraint("series", "first", name=op.f("uq_number_blocks_series_first")),
    )
    op.create_table(
        "support_groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("vendor", sa.String(length=120), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.CheckConstraint("tier BETWEEN 0 AND 3", name=op.f("ck_support_groups_tier_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_groups")),
        sa.UniqueConstraint("code", name=op.f("uq_support_groups_code")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "service_desk_analyst",
                "functional_consultant",
                "technical",
                "super_user",
                "support_manager",
                "change_approver",
                "admin",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=29,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_table(
        "approval_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "change_type",
            sa.Enum(
                "standard",
                "normal",
                "emergency",
                name="change_type",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column(
            "risk",
            sa.Enum("low", "medium", "high", name="risk_level", native_enum=False, create_constraint=True, length=14),
            nullable=True,
        ),
        sa.Column(
            "approver_kind",
            sa.Enum(
                "module_owner",
                "unit_super_users",
                "cab",
                "group",
                name="approver_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column(
            "quorum_kind",
            sa.Enum(
                "all", "count", "percent", name="quorum_kind", native_enum=False, create_constraint=True, length=15
            ),
            nullable=False,
        ),
        sa.Column("quorum_value", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(quorum_kind = 'all' AND quorum_value IS NULL) OR (quorum_kind = 'count' AND quorum_value >= 1) OR (quorum_kind = 'percent' AND quorum_value BETWEEN 1 AND 100)",
            name=op.f("ck_approval_policies_quorum_value_fits"),
        ),
        sa.CheckConstraint(
            "approver_kind <> 'group' OR group_id IS NOT NULL", name=op.f("ck_approval_policies_group_named")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["support_groups.id"], name=op.f("fk_approval_policies_group_id_support_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_policies")),
    )
    op.create_table(
        "approver_delegations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("approver_id", sa.Uuid(), nullable=False),
        sa.Column("delegate_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("approver_id <> delegate_id", name=op.f("ck_approver_delegations_not_self")),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_approver_delegations_period_order")),
        sa.ForeignKeyConstraint(["approver_id"], ["users.id"], name=op.f("fk_approver_delegations_approver_id_users")),
        sa.ForeignKeyConstraint(["delegate_id"], ["users.id"], name=op.f("fk_approver_delegations_delegate_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approver_delegations")),
    )
    with op.batch_alter_table("approver_delegations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approver_delegations_approver_id"), ["approver_id"], unique=False)

    op.create_table(
        "business_hours",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("calendar_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.CheckConstraint("starts < ends", name=op.f("ck_business_hours_window_order")),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_business_hours_weekday_range")),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["business_calendars.id"],
            name=op.f("fk_business_hours_calendar_id_business_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_hours")),
    )
    with op.batch_alter_table("business_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_business_hours_calendar_id"), ["calendar_id"], unique=False)

    op.create_table(
        "erp_modules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("owner_group_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_group_id"], ["support_groups.id"], name=op.f("fk_erp_modules_owner_group_id_support_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_modules")),
        sa.UniqueConstraint("code", name=op.f("uq_erp_modules_code")),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["support_groups.id"],
            name=op.f("fk_group_members_group_id_support_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_group_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "holidays",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("calendar_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("custom", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["business_calendars.id"],
            name=op.f("fk_holidays_calendar_id_business_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holidays")),
        sa.UniqueConstraint("calendar_id", "day", name=op.f("uq_holidays_calendar_id_day")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=True),
        sa.Column("calendar_id", sa.Uuid(), nullable=True),
        sa.Column("warning_threshold", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "warning_threshold > 0 AND warning_threshold < 1", name=op.f("ck_sla_policies_warning_range")
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["business_calendars.id"], name=op.f("fk_sla_policies_calendar_id_business_calendars")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
    )
    op.create_table(
        "business_units",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("calendar_id", sa.Uuid(), nullable=True),
        sa.Column("sla_policy_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["business_calendars.id"], name=op.f("fk_business_units_calendar_id_business_calendars")
        ),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"], ["sla_policies.id"], name=op.f("fk_business_units_sla_policy_id_sla_policies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_units")),
        sa.UniqueConstraint("code", name=op.f("uq_business_units_code")),
    )
    op.create_table(
        "change_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("implementation_plan", sa.Text(), nullable=False),
        sa.Column("backout_plan", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"], ["erp_modules.id"], name=op.f("fk_change_templates_module_id_erp_modules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_change_templates_name")),
    )
    op.create_table(
        "sla_pause_statuses",
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "assigned",
                "in_progress",
                "pending_reporter",
                "pending_vendor",
                "pending_change",
                "resolved",
                "closed",
                name="ticket_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["sla_policies.id"],
            name=op.f("fk_sla_pause_statuses_policy_id_sla_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("policy_id", "status", name=op.f("pk_sla_pause_statuses")),
    )
    op.create_table(
        "sla_targets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "critical",
                "high",
                "medium",
                "low",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("around_the_clock", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "resolution_minutes IS NULL OR resolution_minutes > 0", name=op.f("ck_sla_targets_resolution_positive")
        ),
        sa.CheckConstraint("response_minutes > 0", name=op.f("ck_sla_targets_response_positive")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["sla_policies.id"], name=op.f("fk_sla_targets_policy_id_sla_policies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_targets")),
        sa.UniqueConstraint("policy_id", "priority", name=op.f("uq_sla_targets_policy_id_priority")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column(
            "entity_type",
            sa.Enum(
                "ticket",
                "problem",
                "change",
                "article",
                "user",
                "policy",
                name="entity_type",
                native_enum=False,
                create_constraint=True,
                length=15,
            ),
            nullable=False,
        ),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("business_unit_id", sa.Uuid(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "created",
                "field_changed",
                "commented",
                "escalated",
                "linked",
                "unlinked",
                "approval_decided",
                "deleted",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["business_unit_id"], ["business_units.id"], name=op.f("fk_audit_events_business_unit_id_business_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_entity", ["entity_type", "entity_id", "occurred_at"], unique=False)

    op.create_table(
        "change_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "change_type",
            sa.Enum(
                "standard",
                "normal",
                "emergency",
                name="change_type",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.Enum(
                "draft",
                "assessment",
                "awaiting_approval",
                "approved",
                "implementing_test",
                "test_passed",
                "scheduled",
                "implemented",
                "closed",
                "rejected",
                "cancelled",
                "failed",
                name="change_stage",
                native_enum=False,
                create_constraint=True,
                length=25,
            ),
            nullable=False,
        ),
        sa.Column(
            "risk",
            sa.Enum("low", "medium", "high", name="risk_level", native_enum=False, create_constraint=True, length=14),
            nullable=True,
        ),
        sa.Column("risk_answers", sa.Text(), nullable=True),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("implementation_plan", sa.Text(), nullable=False),
        sa.Column("test_plan", sa.Text(), nullable=False),
        sa.Column("test_evidence", sa.Text(), nullable=True),
        sa.Column("backout_plan", sa.Text(), nullable=False),
        sa.Column("planned_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("implemented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_notes", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "planned_start IS NULL OR planned_end IS NULL OR planned_start < planned_end",
            name=op.f("ck_change_requests_window"),
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_change_requests_owner_id_users")),
        sa.ForeignKeyConstraint(["requester_id"], ["users.id"], name=op.f("fk_change_requests_requester_id_users")),
        sa.ForeignKeyConstraint(
            ["template_id"], ["change_templates.id"], name=op.f("fk_change_requests_template_id_change_templates")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_change_requests_number")),
    )
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_requests_requester_id"), ["requester_id"], unique=False)
        batch_op.create_index("ix_change_requests_stage_start", ["stage", "planned_start"], unique=False)

    op.create_table(
        "freeze_windows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=True),
        sa.Column("business_unit_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_freeze_windows_period_order")),
        sa.ForeignKeyConstraint(
            ["business_unit_id"], ["business_units.id"], name=op.f("fk_freeze_windows_business_unit_id_business_units")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"], ["erp_modules.id"], name=op.f("fk_freeze_windows_module_id_erp_modules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freeze_windows")),
    )
    with op.batch_alter_table("freeze_windows", schema=None) as batch_op:
        batch_op.create_index("ix_freeze_windows_period", ["starts_at", "ends_at"], unique=False)

    op.create_table(
        "memberships",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("business_unit_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_unit_id"],
            ["business_units.id"],
            name=op.f("fk_memberships_business_unit_id_business_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "business_unit_id", name=op.f("pk_memberships")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_business_unit_id"), ["business_unit_id"], unique=False)

    op.create_table(
        "problems",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "investigating",
                "root_cause_known",
                "known_error",
                "resolved",
                "closed",
                name="problem_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "critical",
                "high",
                "medium",
                "low",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("business_unit_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("workaround", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("known_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_unit_id"], ["business_units.id"], name=op.f("fk_problems_business_unit_id_business_units")
        ),
        sa.ForeignKeyConstraint(["module_id"], ["erp_modules.id"], name=op.f("fk_problems_module_id_erp_modules")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_problems_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
        sa.UniqueConstraint("number", name=op.f("uq_problems_number")),
    )
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.create_index("ix_problems_status_module", ["status", "module_id"], unique=False)

    op.create_table(
        "change_approvals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=True),
        sa.Column("approver_id", sa.Uuid(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="approval_decision",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "decision = 'pending' OR (decided_at IS NOT NULL AND comment IS NOT NULL AND length(comment) > 0)",
            name=op.f("ck_change_approvals_decision_explained"),
        ),
        sa.ForeignKeyConstraint(["approver_id"], ["users.id"], name=op.f("fk_change_approvals_approver_id_users")),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["change_requests.id"],
            name=op.f("fk_change_approvals_change_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_change_approvals_decided_by_id_users")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["approval_policies.id"], name=op.f("fk_change_approvals_policy_id_approval_policies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_approvals")),
    )
    with op.batch_alter_table("change_approvals", schema=None) as batch_op:
        batch_op.create_index("ix_change_approvals_approver_decision", ["approver_id", "decision"], unique=False)
        batch_op.create_index(batch_op.f("ix_change_approvals_change_id"), ["change_id"], unique=False)

    op.create_table(
        "change_business_units",
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("business_unit_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_unit_id"],
            ["business_units.id"],
            name=op.f("fk_change_business_units_business_unit_id_business_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["change_requests.id"],
            name=op.f("fk_change_business_units_change_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("change_id", "business_unit_id", name=op.f("pk_change_business_units")),
    )
    with op.batch_alter_table("change_business_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_change_business_units_business_unit_id"), ["business_unit_id"], unique=False
        )

    op.create_table(
        "change_modules",
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["change_requests.id"],
            name=op.f("fk_change_modules_change_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"], ["erp_modules.id"], name=op.f("fk_change_modules_module_id_erp_modules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("change_id", "module_id", name=op.f("pk_change_modules")),
    )
    with op.batch_alter_table("change_modules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_modules_module_id"), ["module_id"], unique=False)

    op.create_table(
        "change_problems",
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("problem_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["change_requests.id"],
            name=op.f("fk_change_problems_change_id_change_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_change_problems_problem_id_problems"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("change_id", "problem_id", name=op.f("pk_change_problems")),
    )
    with op.batch_alter_table("change_problems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_problems_problem_id"), ["problem_id"], unique=False)

    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "retired",
                name="article_status",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=True),
        sa.Column("problem_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_knowledge_articles_author_id_users")),
        sa.ForeignKeyConstraint(
            ["module_id"], ["erp_modules.id"], name=op.f("fk_knowledge_articles_module_id_erp_modules")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_knowledge_articles_problem_id_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
        sa.UniqueConstraint("number", name=op.f("uq_knowledge_articles_number")),
    )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.create_index("ix_knowledge_articles_module_status", ["module_id", "status"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "incident", "service_request", name="ticket_kind", native_enum=False, create_constraint=True, length=23
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "assigned",
                "in_progress",
                "pending_reporter",
                "pending_vendor",
                "pending_change",
                "resolved",
                "closed",
                name="ticket_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "critical",
                "high",
                "medium",
                "low",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "impact",
            sa.Enum("high", "medium", "low", name="impact", native_enum=False, create_constraint=True, length=14),
            nullable=False,
        ),
        sa.Column(
            "urgency",
            sa.Enum("high", "medium", "low", name="urgency", native_enum=False, create_constraint=True, length=14),
            nullable=False,
        ),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("business_unit_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("vendor", sa.String(length=120), nullable=True),
        sa.Column("vendor_reference", sa.String(length=64), nullable=True),
        sa.Column("sla_policy_id", sa.Uuid(), nullable=True),
        sa.Column("problem_id", sa.Uuid(), nullable=True),
        sa.Column("change_id", sa.Uuid(), nullable=True),
        sa.Column("planned_release", sa.String(length=32), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_system", sa.String(length=32), nullable=True),
        sa.Column("source_key", sa.String(length=64), nullable=True),
        sa.CheckConstraint("length(title) > 0", name=op.f("ck_tickets_title_not_empty")),
        sa.CheckConstraint("reopen_count >= 0", name=op.f("ck_tickets_reopen_count_positive")),
        sa.CheckConstraint("tier BETWEEN 0 AND 3", name=op.f("ck_tickets_tier_range")),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_tickets_assignee_id_users")),
        sa.ForeignKeyConstraint(
            ["business_unit_id"], ["business_units.id"], name=op.f("fk_tickets_business_unit_id_business_units")
        ),
        sa.ForeignKeyConstraint(
            ["change_id"], ["change_requests.id"], name=op.f("fk_tickets_change_id_change_requests")
        ),
        sa.ForeignKeyConstraint(["group_id"], ["support_groups.id"], name=op.f("fk_tickets_group_id_support_groups")),
        sa.ForeignKeyConstraint(["module_id"], ["erp_modules.id"], name=op.f("fk_tickets_module_id_erp_modules")),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"], name=op.f("fk_tickets_problem_id_problems")),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], name=op.f("fk_tickets_reporter_id_users")),
        sa.ForeignKeyConstraint(
            ["sla_policy_id"], ["sla_policies.id"], name=op.f("fk_tickets_sla_policy_id_sla_policies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
        sa.UniqueConstraint("source_system", "source_key", name=op.f("uq_tickets_source_system_source_key")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_assignee_status", ["assignee_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_change_id"), ["change_id"], unique=False)
        batch_op.create_index("ix_tickets_created_unit", ["created_at", "business_unit_id"], unique=False)
        batch_op.create_index("ix_tickets_group_status", ["group_id", "status"], unique=False)
        batch_op.create_index("ix_tickets_module_created", ["module_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_reporter_id"), ["reporter_id"], unique=False)
        batch_op.create_index("ix_tickets_resolved_at", ["resolved_at"], unique=False)
        batch_op.create_index("ix_tickets_status_resolution_due", ["status", "resolution_due_at"], unique=False)
        batch_op.create_index("ix_tickets_unit_status", ["business_unit_id", "status"], unique=False)

    op.create_table(
        "comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum("public", "internal", name="visibility", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(body) > 0", name=op.f("ck_comments_body_not_empty")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_comments_author_id_users")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_comments_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_ticket_created", ["ticket_id", "created_at"], unique=False)

    op.create_table(
        "ticket_articles",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name=op.f("fk_ticket_articles_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_articles_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", "article_id", name=op.f("pk_ticket_articles")),
    )
    with op.batch_alter_table("ticket_articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_articles_article_id"), ["article_id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(filename) > 0", name=op.f("ck_attachments_filename_not_empty")),
        sa.CheckConstraint("size_bytes >= 0 AND size_bytes <= 26214400", name=op.f("ck_attachments_size_range")),
        sa.ForeignKeyConstraint(
            ["comment_id"], ["comments.id"], name=op.f("fk_attachments_comment_id_comments"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_attachments_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_attachments_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_ticket_id"), ["ticket_id"], unique=False)

    _create_append_only_triggers()


APPEND_ONLY = "audit_events are append-only: an event is never updated or deleted"


def _create_append_only_triggers() -> None:
    """The audit trail is evidence (SLA disputes, change reviews): the database itself refuses edits."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_ticket_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("ticket_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_articles_article_id"))

    op.drop_table("ticket_articles")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_ticket_created")

    op.drop_table("comments")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_unit_status")
        batch_op.drop_index("ix_tickets_status_resolution_due")
        batch_op.drop_index("ix_tickets_resolved_at")
        batch_op.drop_index(batch_op.f("ix_tickets_reporter_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_problem_id"))
        batch_op.drop_index("ix_tickets_module_created")
        batch_op.drop_index("ix_tickets_group_status")
        batch_op.drop_index("ix_tickets_created_unit")
        batch_op.drop_index(batch_op.f("ix_tickets_change_id"))
        batch_op.drop_index("ix_tickets_assignee_status")

    op.drop_table("tickets")
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_articles_module_status")

    op.drop_table("knowledge_articles")
    with op.batch_alter_table("change_problems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_problems_problem_id"))

    op.drop_table("change_problems")
    with op.batch_alter_table("change_modules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_modules_module_id"))

    op.drop_table("change_modules")
    with op.batch_alter_table("change_business_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_business_units_business_unit_id"))

    op.drop_table("change_business_units")
    with op.batch_alter_table("change_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_approvals_change_id"))
        batch_op.drop_index("ix_change_approvals_approver_decision")

    op.drop_table("change_approvals")
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_index("ix_problems_status_module")

    op.drop_table("problems")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_business_unit_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("freeze_windows", schema=None) as batch_op:
        batch_op.drop_index("ix_freeze_windows_period")

    op.drop_table("freeze_windows")
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_change_requests_stage_start")
        batch_op.drop_index(batch_op.f("ix_change_requests_requester_id"))

    op.drop_table("change_requests")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_entity")

    op.drop_table("audit_events")
    op.drop_table("sla_targets")
    op.drop_table("sla_pause_statuses")
    op.drop_table("change_templates")
    op.drop_table("business_units")
    op.drop_table("sla_policies")
    op.drop_table("holidays")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_user_id"))

    op.drop_table("group_members")
    op.drop_table("erp_modules")
    with op.batch_alter_table("business_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_hours_calendar_id"))

    op.drop_table("business_hours")
    with op.batch_alter_table("approver_delegations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approver_delegations_approver_id"))

    op.drop_table("approver_delegations")
    op.drop_table("approval_policies")
    op.drop_table("users")
    op.drop_table("support_groups")
    op.drop_table("number_blocks")
    op.drop_table("deployment_info")
    op.drop_table("business_calendars")
