"""Passwords for shared databases, kept only in the OS keyring, and never in a URL.

When the keyring has no usable backend (the ``fail`` backend, or a headless Linux box
with no Secret Service), callers get a ``SecretStoreError`` saying what to install, and
the app asks for the password each session instead of writing it anywhere.

A database URL with a secret in it (``postgresql://u:PW@host/db`` or ``...?password=PW``) is
refused as a setting and by ``connect``; every URL the app shows or logs goes through ``masked``.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL

from console.errors import SecretStoreError, SettingError

if TYPE_CHECKING:  # keyring loads its backends (and scans entry points) only when a password is wanted
    from keyring.backend import KeyringBackend

SERVICE = "support-console"
# A workspace is readable by its owner only (on POSIX): the folder 0700, every file in it 0600.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

INSTALL_HINT = (
    "No OS keyring is available, so the password cannot be saved and will be asked for each session. "
    "On Linux install and unlock a Secret Service (GNOME Keyring or KWallet); Windows and macOS have one built in."
)


class SecretInUrl(SettingError):
    """A database URL that holds a password (in its user info or its query)."""


class SecretStore:
    """A thin wrapper so every keyring call goes through one place, with a backend that can be swapped."""

    def __init__(self, backend: KeyringBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> KeyringBackend:
        import keyring

        return self._backend or keyring.get_keyring()

    @property
    def available(self) -> bool:
        backend = self.backend
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        return not name.startswith(("keyring.backends.fail", "keyring.backends.null")) and backend.priority > 0

    def get_password(self, account: str) -> str | None:
        import keyring.errors

        if not self.available:
            return None
        try:
            return self.backend.get_password(SERVICE, account)
        except keyring.errors.KeyringError:
            return None

    def set_password(self, account: str, password: str) -> None:
        import keyring.errors

        if not self.available:
            raise SecretStoreError(INSTALL_HINT)
        try:
            self.backend.set_password(SERVICE, account, password)
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"The OS keyring refused to save the password: {exc}") from exc

    def delete_password(self, account: str) -> None:
        import keyring.errors

        if not self.available:
            return
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self.backend.delete_password(SERVICE, account)


# ---- secrets in database URLs --------------------------------------------------------------------------------

# Connection parameters that are secrets wherever they appear in a URL's query (libpq's names).
SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
MASK = "***"


def url_secrets(url: URL) -> list[str]:
    """Where ``url`` holds a secret: "password" (the user info) and each secret query parameter, by name."""
    found = ["password"] if url.password else []
    return found + sorted(key for key in url.query if key.lower() in SECRET_PARAMETERS)


def without_secrets(url: URL) -> URL:
    """``url`` with no password in its user info and no secret query parameter."""
    kept = {key: value for key, value in url.query.items() if key.lower() not in SECRET_PARAMETERS}
    return url.set(password=None, query=kept)


def masked(url: URL) -> str:
    """``url`` as it may be shown or logged: every secret replaced by ``***``."""
    query = {key: (MASK if key.lower() in SECRET_PARAMETERS else value) for key, value in url.query.items()}
    hidden = url.set(password=MASK if url.password else None, query=query)
    return hidden.render_as_string(hide_password=False).replace("%2A%2A%2A", MASK)


_USER_INFO_PASSWORD = re.compile(r"(?P<keep>//[^/?#@:]*):[^/?#@]*@")
_QUERY_SECRET = re.compile(r"(?P<keep>[?&](?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&#]*", re.IGNORECASE)


def masked_text(text: str) -> str:
    """Text that may hold a URL someone typed (even one that does not parse), with its secrets masked."""
    text = _USER_INFO_PASSWORD.sub(lambda m: f"{m['keep']}:{MASK}@", text)
    return _QUERY_SECRET.sub(lambda m: f"{m['keep']}{MASK}", text)


def refuse_secrets(url: URL, what: str) -> None:
    """Refuse a URL that holds a password anywhere; the message names where, never the value."""
    found = url_secrets(url)
    if found:
        where = " and ".join(
            "its password" if part == "password" else f"the query parameter {part!r}" for part in found
        )
        raise SecretInUrl(
            f"{what}: the URL holds a secret ({where}). Give the URL without it; the password is asked for and "
            "kept in the OS keyring."
        )


# ---- files only their owner reads ---------------------------------------------------------------------------


def make_private(path: Path) -> None:
    """A file 0600, or a folder 0700 with everything below it so (a missing path is fine; off POSIX, nothing)."""
    if os.name != "posix" or path.is_symlink() or not path.exists():
        return
    if not path.is_dir():
        path.chmod(PRIVATE_FILE)
        return
    path.chmod(PRIVATE_DIR)
    for folder, dirs, files in os.walk(path):
        for name in dirs:
            (Path(folder) / name).chmod(PRIVATE_DIR)
        for name in files:
            if not (Path(folder) / name).is_symlink():
                (Path(folder) / name).chmod(PRIVATE_FILE)


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only, unless it exists (then it is made so)."""
    if os.name != "posix":
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        make_private(path)
