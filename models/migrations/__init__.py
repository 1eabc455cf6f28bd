"""Alembic migrations for the Support Console schema (SQLite and PostgreSQL)."""
