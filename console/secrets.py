"""Passwords for shared databases, kept only in the OS keyring.

When the keyring has no usable backend (the ``fail`` backend, or a headless Linux box
with no Secret Service), callers get a ``SecretStoreError`` saying what to install, and
the app asks for the password each session instead of writing it anywhere.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from console.errors import SecretStoreError

if TYPE_CHECKING:  # keyring loads its backends (and scans entry points) only when a password is wanted
    from keyring.backend import KeyringBackend

SERVICE = "support-console"

INSTALL_HINT = (
    "No OS keyring is available, so the password cannot be saved and will be asked for each session. "
    "On Linux install and unlock a Secret Service (GNOME Keyring or KWallet); Windows and macOS have one built in."
)


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
