"""Alembic migrations for the Support Console schema (SQLite and PostgreSQL)."""

# The newest revision of this release: opening a database already at it needs no Alembic at all
# (Alembic's import costs half a second of start-up). A test checks it against the scripts.
HEAD = "0013"
