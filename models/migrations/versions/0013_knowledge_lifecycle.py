"""Articles are written at the desks: In review with a reviewer, versions kept, an audience, feedback

Articles were reference data. Now people write them (``console.knowledge``): Draft → In review → Published →
Retired, so the status may be ``in_review``; an article names its reviewer (someone other than its author, who
publishes it), its audience (``internal`` or ``tier0``: end users' self-service), the number of its current
text (``version``) and when it was published and retired. Every saved text is kept (``article_versions``: the
articles there are become their version 1, with the same ids on every database, so a desk's cache and the shared
database agree) and each person's "was this helpful" vote (``article_feedback``). ``admin prepare`` again after
it. On SQLite the checks and the reviewer's foreign key are added in the table's definition, in place.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 17:00:00.000000
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.migrations.sqlite_tables import check_in, edit_definition, with_check, with_constraints, without_constraints

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "knowledge_articles"
BEFORE = ("draft", "published", "retired")
AFTER = ("draft", "in_review", "published", "retired")
AUDIENCES = ("internal", "tier0")
STATUS_CHECK = "ck_knowledge_articles_article_status"
AUDIENCE_CHECK = "ck_knowledge_articles_article_audience"
REVIEWER_FK = "fk_knowledge_articles_reviewer_id_users"
NEW_COLUMNS = ("retired_at", "published_at", "version", "reviewer_id", "audience")
SQLITE_CONSTRAINTS = (
    f"CONSTRAINT {AUDIENCE_CHECK} CHECK ({check_in('audience', AUDIENCES)})",
    f"CONSTRAINT {REVIEWER_FK} FOREIGN KEY(reviewer_id) REFERENCES users (id)",
)


def version_one(article_id: uuid.UUID) -> uuid.UUID:
    """The id of an article's first version: the same on every database that migrates it."""
    return uuid.uuid5(article_id, "version 1")


def upgrade() -> None:
    audience = sa.Enum(*AUDIENCES, name="article_audience", native_enum=False, create_constraint=False, length=16)
    op.add_column(TABLE, sa.Column("audience", audience, server_default="internal", nullable=False))
    op.add_column(TABLE, sa.Column("reviewer_id", sa.Uuid(), nullable=True))
    op.add_column(TABLE, sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column(TABLE, sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(TABLE, sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE {TABLE} SET published_at = updated_at WHERE status IN ('published', 'retired')")
    op.execute(f"UPDATE {TABLE} SET retired_at = updated_at WHERE status = 'retired'")
    versions = op.create_table(
        "article_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("edited_by_id", sa.Uuid(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            [f"{TABLE}.id"],
            name=op.f("fk_article_versions_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["edited_by_id"], ["users.id"], name=op.f("fk_article_versions_edited_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_article_versions_article_id_version")),
    )
    op.create_table(
        "article_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            [f"{TABLE}.id"],
            name=op.f("fk_article_feedback_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_article_feedback_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_feedback")),
        sa.UniqueConstraint("article_id", "user_id", name=op.f("uq_article_feedback_article_id_user_id")),
    )
    conn = op.get_bind()
    articles = sa.table(
        TABLE, sa.column("id", sa.Uuid()), sa.column("title"), sa.column("body"), sa.column("author_id", sa.Uuid()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    first = [
        {"id": version_one(a.id), "article_id": a.id, "version": 1, "title": a.title, "body": a.body,
         "edited_by_id": a.author_id, "edited_at": a.created_at}
        for a in conn.execute(sa.select(articles))
    ]  # fmt: skip
    if first:
        op.bulk_insert(versions, first)
    if conn.dialect.name == "postgresql":
        op.drop_constraint(op.f(STATUS_CHECK), TABLE, type_="check")
        op.create_check_constraint("article_status", TABLE, check_in("status", AFTER))
        op.create_check_constraint("article_audience", TABLE, check_in("audience", AUDIENCES))
        op.create_foreign_key(op.f(REVIEWER_FK), TABLE, "users", ["reviewer_id"], ["id"])
        return
    edit_definition(TABLE, lambda sql: with_constraints(with_check(sql, "status", AFTER), *SQLITE_CONSTRAINTS))


def downgrade() -> None:
    op.execute(f"UPDATE {TABLE} SET status = 'draft' WHERE status = 'in_review'")
    op.drop_table("article_feedback")
    op.drop_table("article_versions")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(REVIEWER_FK), TABLE, type_="foreignkey")
        op.drop_constraint(op.f(AUDIENCE_CHECK), TABLE, type_="check")
        op.drop_constraint(op.f(STATUS_CHECK), TABLE, type_="check")
        op.create_check_constraint("article_status", TABLE, check_in("status", BEFORE))
    else:
        edit_definition(TABLE, lambda sql: without_constraints(with_check(sql, "status", BEFORE), *SQLITE_CONSTRAINTS))
    for column in NEW_COLUMNS:
        op.drop_column(TABLE, column)
