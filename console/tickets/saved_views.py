"""Saved queue views: named filter sets, per user, kept in the workspace (``saved-views.json``).

Written atomically (a temporary file renamed over the old one), so a crash never leaves
half a file; a damaged file is set aside and reported, never silently emptied.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from console.errors import ConsoleError
from console.tickets.queue import QueueFilter
from models import Priority, TicketStatus

NAME_MAX = 60


class SavedViews:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, dict[str, Any]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            damaged = self.path.with_suffix(".damaged.json")
            self.path.replace(damaged)
            raise ConsoleError(f"The saved views file was damaged ({exc}); it was kept as {damaged.name}.") from exc
        return data if isinstance(data, dict) else {}

    def names(self, login: str) -> list[str]:
        return sorted(self._read().get(login, {}), key=str.casefold)

    def load(self, login: str, name: str) -> QueueFilter:
        stored = self._read().get(login, {}).get(name)
        if stored is None:
            raise ConsoleError(f"No saved view {name!r}.")
        return decode(stored)

    def save(self, login: str, name: str, flt: QueueFilter) -> None:
        name = " ".join(name.split())
        if not name:
            raise ConsoleError("A saved view needs a name.")
        if len(name) > NAME_MAX:
            raise ConsoleError(f"A saved view's name is at most {NAME_MAX} characters.")
        data = self._read()
        data.setdefault(login, {})[name] = encode(flt)
        self._write(data)

    def delete(self, login: str, name: str) -> None:
        data = self._read()
        if data.get(login, {}).pop(name, None) is None:
            raise ConsoleError(f"No saved view {name!r}.")
        self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        partial = self.path.with_name(self.path.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(self.path)


def encode(flt: QueueFilter) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(flt).items()}


def decode(stored: dict[str, Any]) -> QueueFilter:
    known = {f.name for f in fields(QueueFilter)}
    values: dict[str, Any] = {}
    for key, value in stored.items():
        if key not in known:
            continue  # a view saved by a newer version: keep what this one understands
        if key == "statuses":
            value = tuple(TicketStatus(v) for v in value)
        elif key == "priorities":
            value = tuple(Priority(v) for v in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[key] = value
    return QueueFilter(**values)
