"""One window per workspace: a second launch on the same workspace raises the first window and leaves.

The window that opens a workspace holds ``window.lock`` in it (a ``QLockFile``) and listens on a local
socket named after the workspace's path. A second launch finds the lock held, asks the holder through the
socket to bring its window to the front, says so and exits; if nobody answers (a window still starting, or
one on another computer sharing the folder) it says which process holds the workspace. A lock left by a
process that is gone (a crash, a power cut) is stale: Qt removes it and the new launch takes it.

QtCore, QtNetwork and the standard library only: the check runs before the first screen is painted.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from console.i18n import _

LOCK_FILE = "window.lock"
ASK = b"raise\n"
ANSWER_MS = 5_000  # how long a second launch waits for the first (which answers once its window is up)


def socket_name(home: Path) -> str:
    """The local socket of a workspace's window: one per workspace folder (and per user: see ``listen``)."""
    digest = hashlib.sha256(os.fsencode(home.expanduser().resolve())).hexdigest()[:24]
    return f"support-console-{digest}"


@dataclass(frozen=True)
class Holder:
    """The process that has the workspace open, as a second launch learns it."""

    home: Path
    pid: int | None
    host: str
    raised: bool  # it answered and brought its window to the front

    def message(self) -> str:
        process = _("process {pid}").format(pid=self.pid) if self.pid is not None else _("another process")
        if self.raised:
            return _("Support Console is already open on {home} ({process}): its window is now in front.").format(
                home=self.home, process=process
            )
        where = _("{process} on {host}").format(process=process, host=self.host) if self.host else process
        return _(
            "Support Console is already open on {home} in {where}, which did not answer. "
            "Close that window first; if {process} is not Support Console, remove {lock}."
        ).format(home=self.home, where=where, process=process, lock=self.home / LOCK_FILE)


class Instance(QObject):
    """The workspace's window lock, and the socket on which a second launch asks for the window."""

    raise_requested = Signal()  # a second launch wants this window in front

    def __init__(self, home: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.name = socket_name(home)
        self.lock = QLockFile(str(home / LOCK_FILE))
        self.lock.setStaleLockTime(0)  # stale only when its process is gone, however long a window stays open
        self.server: QLocalServer | None = None

    def claim(self) -> Holder | None:
        """Hold the workspace (None), or ask the process holding it to raise its window and say who it is.

        A workspace folder that cannot be made or locked is not refused here: opening it says why.
        """
        try:
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
        if self.lock.tryLock(0):  # removes a stale lock (its process gone) and takes it
            self.listen()
            return None
        if self.lock.error() is not QLockFile.LockError.LockFailedError:
            return None  # a folder we may not write to: not a second window
        return self.ask()

    def listen(self) -> None:
        """Answer second launches (the lock is ours: a socket file left by a crashed holder is removed)."""
        QLocalServer.removeServer(self.name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)  # this user's launches only
        if server.listen(self.name):
            server.newConnection.connect(self._accept)
            self.server = server

    def _accept(self) -> None:
        assert self.server is not None
        while (socket := self.server.nextPendingConnection()) is not None:
            # The socket is the server's child and goes with it (a few per session). Deleting it on `disconnected`
            # as well crashed PySide when the server was deleted before the peer closed.
            socket.readyRead.connect(partial(self._read, socket))
            self._read(socket)  # what arrived with the connection

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        if bytes(socket.readLine().data()) == ASK:
            socket.write(f"raised {os.getpid()}\n".encode())
            socket.flush()  # now: whatever the window does next, the answer is on its way
            socket.disconnectFromServer()
            self.raise_requested.emit()

    def ask(self) -> Holder:
        """Ask the holder to raise its window; who it is, and whether it did."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        answer = b""
        if socket.waitForConnected(ANSWER_MS):
            socket.write(ASK)
            socket.waitForBytesWritten(ANSWER_MS)
            answer = bytes(socket.readAll().data())  # it may have come (and gone) with the writing
            while not answer.endswith(b"\n") and socket.waitForReadyRead(ANSWER_MS):
                answer += bytes(socket.readAll().data())
            answer += bytes(socket.readAll().data())
            socket.disconnectFromServer()
        info = self.lock.getLockInfo()  # (pid, host, application), or empty values when unreadable
        pid, host = (int(info[0]) or None, str(info[1])) if info else (None, "")
        if answer.startswith(b"raised "):
            return Holder(self.home, int(answer.split()[1]), host, raised=True)
        return Holder(self.home, pid, host, raised=False)

    def release(self) -> None:
        """Let the next launch have the workspace."""
        if self.server is not None:
            self.server.close()
            self.server = None
        self.lock.unlock()


def tell(holder: Holder) -> int:
    """Say why this launch leaves (on the terminal, and in a box when nobody raised a window); its exit code."""
    print(f"support-console: {holder.message()}", file=sys.stderr if not holder.raised else sys.stdout)
    if holder.raised:
        return 0
    from PySide6.QtWidgets import QApplication, QMessageBox

    if QApplication.platformName() != "offscreen":  # where nobody could see it, nobody waits for it either
        QMessageBox.warning(None, "Support Console", holder.message())
    return 1
