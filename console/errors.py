"""Errors a user can act on. Anything else is a bug and is reported with its traceback."""

from __future__ import annotations


class ConsoleError(Exception):
    """A problem the user can understand and fix; ``str(error)`` is the message to show."""


class WorkspaceError(ConsoleError):
    """The workspace folder, its settings or its local cache cannot be used as they are."""


class SchemaError(ConsoleError):
    """A database whose schema this version cannot use (newer, or not ours)."""


class DatabaseUnavailable(ConsoleError):
    """The database server cannot be reached, refused the login, or the file is locked."""


class SettingError(ConsoleError):
    """A setting with a bad value, or a value that must not be a setting (a password)."""


class SecretStoreError(ConsoleError):
    """No usable OS keyring; the message says what to install."""
