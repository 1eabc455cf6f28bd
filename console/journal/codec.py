"""Intents as JSON for the outbox: every value tagged with its type, so the shared database
applies exactly the intent the person made (ids, enums, times, bytes and sets included)."""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from console.access import Refused
from console.i18n import N_, _
from console.journal.intents import KINDS, AnyIntent
from models import changes as model_changes
from models import enums as model_enums
from models import org as model_org

INTENT_CLASSES: dict[str, type[AnyIntent]] = {cls.__name__: cls for cls in KINDS}


ENUMS: dict[str, type[enum.Enum]] = {
    cls.__name__: cls
    for module in (model_enums, model_org, model_changes)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, enum.Enum) and cls.__module__ == module.__name__
}


class CodecError(ValueError):
    pass


def _encode(value: Any) -> Any:
    encoder = _BY_TYPE.get(type(value))
    if encoder is not None:  # the common types, told by their type alone: the same as below, sooner
        return encoder(value)
    if value is None or (isinstance(value, bool | int | float | str) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, enum.Enum):
        return {"$enum": type(value).__name__, "v": value.value}
    if isinstance(value, uuid.UUID):
        return {"$uuid": value.hex}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, frozenset | set):
        return {"$set": sorted((_encode(v) for v in value), key=json.dumps)}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, Mapping):
        return {"$map": {str(k): _encode(v) for k, v in value.items()}}
    raise CodecError(f"cannot store a {type(value).__name__} in the outbox")


def _same(value: Any) -> Any:
    return value


def _tuple(value: tuple[Any, ...]) -> dict[str, Any]:
    return {"$tuple": [v if type(v) in _PLAIN else _encode(v) for v in value]}


def _map(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {"$map": {str(k): v if type(v) in _PLAIN else _encode(v) for k, v in value.items()}}


_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})
"""Types stored as they are (exactly these: an enum is a ``str`` or an ``int`` too)."""


_BY_TYPE: dict[type, Any] = {
    **dict.fromkeys(_PLAIN, _same),
    uuid.UUID: lambda value: {"$uuid": value.hex},
    datetime: lambda value: {"$dt": value.isoformat()},
    tuple: _tuple,
    dict: _map,
}
"""``_encode`` of a value of exactly these types (not a subclass: an enum is a ``str`` or an ``int`` too)."""


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "$enum" in value:
        return ENUMS[value["$enum"]](value["v"])
    if "$uuid" in value:
        return uuid.UUID(hex=value["$uuid"])
    if "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    if "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    if "$set" in value:
        return frozenset(_decode(v) for v in value["$set"])
    if "$tuple" in value:
        return tuple(_decode(v) for v in value["$tuple"])
    if "$map" in value:
        return {k: _decode(v) for k, v in value["$map"].items()}
    raise CodecError(f"unknown value in the outbox: {value!r}")


def dumps(intent: AnyIntent) -> tuple[str, bytes]:
    """The intent's kind and its JSON payload."""
    kind = type(intent).__name__
    if kind not in INTENT_CLASSES:
        raise CodecError(f"{kind} is not an intent the outbox carries")
    fields = {f.name: _encode(getattr(intent, f.name)) for f in dataclasses.fields(intent)}
    try:
        return kind, json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: bytes that were not UTF-8, read with surrogateescape
        raise Refused(_(NOT_TEXT)) from exc


NOT_TEXT = N_(
    "What was typed holds characters that are not text (bytes that are not UTF-8, perhaps from a file or a "
    "terminal in another encoding); nothing was changed."
)


def loads(kind: str, payload: bytes) -> AnyIntent:
    try:
        cls = INTENT_CLASSES[kind]
        fields = json.loads(payload.decode("utf-8"))
        return cls(**{name: _decode(value) for name, value in fields.items()})
    except (KeyError, TypeError, ValueError) as error:
        raise CodecError(f"an outbox entry of kind {kind!r} cannot be read: {error}") from error
