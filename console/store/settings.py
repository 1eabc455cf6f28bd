"""Every setting of the app, declared once: key, type, default, label and help.

Values live in ``settings.json`` in the workspace. Window geometry is the GUI's own
business (QSettings); passwords are never settings (see ``console.store.secrets``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from console.errors import SettingError
from console.i18n import AUTO, LANGUAGES, N_, _
from console.store.secrets import PRIVATE_FILE, masked_text, refuse_secrets
from console.zone import zone_problem


@dataclass(frozen=True)
class Setting:
    key: str
    type: type[Any]
    default: Any
    label: str  # marked for the catalogue: shown through _()
    help: str
    minimum: int | None = None
    maximum: int | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "shared_url",
        str,
        "",
        N_("Shared database"),
        "URL of the team's shared database (postgresql://USER@HOST/DB). Empty: the single-seat "
        "SQLite file in the workspace. The password is kept in the OS keyring, never here.",
    ),
    Setting(
        "shared_read_url",
        str,
        "",
        N_("Standby for reading"),
        "URL of a PostgreSQL streaming-replication standby of the shared database (postgresql://HOST:PORT; the "
        "login and database are the shared database's). Pulls and downloads read there once it has replayed what "
        "the shared database held when the pull began; edits always go to the shared database. Empty: none.",
    ),
    Setting("user", str, "", N_("User"), "Login the console acts as in this workspace."),
    Setting(
        "sync_interval_seconds",
        int,
        120,
        N_("Sync every (s)"),
        "Background sync period while online.",
        minimum=10,
        maximum=86_400,
    ),
    Setting(
        "sync_automatically",
        bool,
        True,
        N_("Sync automatically"),
        "Sync in the background while the window is open: on start, on a timer and after edits. F9 syncs now.",
    ),
    Setting(
        "max_offline_days",
        int,
        30,
        N_("Longest offline period (days)"),
        "How long `admin prune` keeps the shared change index; a cache offline for longer pushes its edits, "
        "then reads its data again.",
        minimum=1,
        maximum=3_650,
    ),
    Setting(
        "compliance_target_percent",
        int,
        90,
        N_("Compliance target (%)"),
        "The share of tickets that must meet their SLA; drawn as the target line on the charts.",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "breach_horizon_hours",
        int,
        24,
        N_("Breach forecast horizon (h)"),
        "Tickets due within this many hours count as 'about to breach': the tray icon's menu lists them.",
        minimum=1,
        maximum=24 * 90,
    ),
    Setting(
        "notify_warnings",
        bool,
        True,
        N_("Notify at the warning mark"),
        "A desktop notification when one of your tickets enters the last quarter of its SLA time; "
        "clicking it shows them in the queue.",
    ),
    Setting(
        "time_zone",
        str,
        "",
        N_("Time zone"),
        "The zone every time you read is shown in — the window, the command line's tables and CSV, the report: "
        "a name such as Europe/London or Asia/Tehran. Empty: this computer's zone. (Times you type on the "
        "command line are still UTC unless they carry a zone.)",
    ),
    Setting(
        "language",
        str,
        AUTO,
        N_("Language"),
        "The language of the window, the command line, CSV headings, charts and reports: en (English), "
        "fa (Persian) or ar (Arabic); auto: this computer's language.",
    ),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def _validate(setting: Setting, value: Any) -> Any:
    if setting.type is bool and isinstance(value, str):
        if value.lower() not in ("true", "false", "yes", "no", "on", "off"):
            raise SettingError(f"{setting.label}: {value!r} is not true or false.")
        value = value.lower() in ("true", "yes", "on")
    if setting.type is int and isinstance(value, str):
        try:
            value = int(value)
        except ValueError as exc:
            raise SettingError(f"{setting.label}: {value!r} is not a whole number.") from exc
    if not isinstance(value, setting.type) or isinstance(value, bool) != (setting.type is bool):
        raise SettingError(f"{setting.label}: expected {setting.type.__name__}, got {value!r}.")
    if setting.minimum is not None and value < setting.minimum:
        raise SettingError(f"{setting.label}: must be at least {setting.minimum}.")
    if setting.maximum is not None and value > setting.maximum:
        raise SettingError(f"{setting.label}: must be at most {setting.maximum:,}.")
    if isinstance(value, str) and any("\ud800" <= ch <= "\udfff" for ch in value):
        raise SettingError(f"{setting.label}: holds characters that are not text (bytes that are not UTF-8).")
    if setting.key in ("shared_url", "shared_read_url") and value:
        try:
            url = make_url(value)
        except (ArgumentError, ValueError) as exc:  # a port that is not a number is a ValueError
            raise SettingError(f"{setting.label}: {masked_text(value)!r} is not a database URL.") from exc
        refuse_secrets(url, setting.label)
        if setting.key == "shared_read_url" and url.get_backend_name() not in ("postgresql", "postgres"):
            raise SettingError(
                _("{label}: a standby is a PostgreSQL server (postgresql://HOST:PORT).").format(label=_(setting.label))
            )
    if setting.key == "language":
        value = value.strip().lower()
        if value not in (AUTO, *LANGUAGES):
            raise SettingError(f"{setting.label}: {value!r} is not one of {', '.join((*LANGUAGES, AUTO))}.")
    if setting.key == "time_zone":
        value = value.strip()
        problem = zone_problem(value)
        if problem:
            raise SettingError(f"{setting.label}: {problem}")
    return value


class Settings:
    """The workspace's settings; unknown keys in the file are kept and left alone."""

    def __init__(self, path: Path, values: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self._values: dict[str, Any] = dict(values or {})

    @classmethod
    def load(cls, path: Path) -> Settings:
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SettingError(f"Cannot read the settings file {path}: {exc}. Fix or remove it.") from exc
        if not isinstance(raw, dict):
            raise SettingError(f"The settings file {path} must hold a JSON object.")
        for key, value in raw.items():
            if key in BY_KEY:
                try:
                    _validate(BY_KEY[key], value)
                except SettingError as exc:
                    raise SettingError(f"{exc} (in the settings file {path}: fix or remove it there)") from exc
        return cls(path, raw)

    def get(self, key: str) -> Any:
        setting = BY_KEY[key]
        return self._values.get(key, setting.default)

    def set(self, key: str, value: Any) -> None:
        self._values[key] = self.checked(key, value)

    @staticmethod
    def checked(key: str, value: Any) -> Any:
        """The value as the setting keeps it, or a ``SettingError`` saying why it cannot be."""
        if key not in BY_KEY:
            raise SettingError(f"Unknown setting {key!r}; known: {', '.join(BY_KEY)}.")
        return _validate(BY_KEY[key], value)

    def save(self) -> None:
        """Write atomically, so a crash never leaves half a settings file; readable by its owner only."""
        tmp = self.path.with_suffix(".json.tmp")
        data = (json.dumps(self._values, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            if os.name == "posix":
                os.chmod(tmp, PRIVATE_FILE)  # an older tmp file kept its mode through O_CREAT
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk, a read-only folder: the settings as they were, nothing half-written
            tmp.unlink(missing_ok=True)
            raise SettingError(
                f"The settings could not be written in {self.path.parent} ({exc.strerror or exc}); they are "
                "unchanged. Free some space there, or make the folder writable."
            ) from exc
