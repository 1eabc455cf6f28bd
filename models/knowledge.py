"""Knowledge-base articles: tier 0 self-service and the answers support links to tickets."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, HasId, str_enum
from models.enums import ArticleStatus


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


ticket_articles = Table(
    "ticket_articles",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("article_id", ForeignKey("knowledge_articles.id", ondelete="CASCADE"), primary_key=True, index=True),
)
