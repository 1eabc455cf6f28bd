"""Knowledge-base articles: tier 0 self-service and the answers support links to tickets.

An article goes Draft → In review → Published → Retired (``console.knowledge.rules``); every saved text is a
version (``ArticleVersion``), and the people who read it say whether it helped (``ArticleFeedback``: one vote
each, which they may change).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, HasId, str_enum
from models.enums import ArticleStatus, Audience


class KnowledgeArticle(HasId, Base):
    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_module_status", "module_id", "status"),)

    number: Mapped[str] = mapped_column(String(24), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[ArticleStatus] = mapped_column(str_enum(ArticleStatus, "article_status"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    module_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("erp_modules.id"))
    problem_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("problems.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    audience: Mapped[Audience] = mapped_column(
        str_enum(Audience, "article_audience"), default=Audience.INTERNAL, server_default=Audience.INTERNAL.value
    )
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    """Who reviews it: someone other than its author, who publishes it."""
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """The number of its current text (``ArticleVersion``)."""
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class ArticleVersion(HasId, Base):
    """One saved text of an article: its title and body as they were, who wrote them and when."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    edited_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[datetime]


class ArticleFeedback(HasId, Base):
    """Was this article helpful: one person's vote (they may change it)."""

    __tablename__ = "article_feedback"
    __table_args__ = (UniqueConstraint("article_id", "user_id"),)

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    helpful: Mapped[bool]
    at: Mapped[datetime]


ticket_articles = Table(
    "ticket_articles",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("article_id", ForeignKey("knowledge_articles.id", ondelete="CASCADE"), primary_key=True, index=True),
)
