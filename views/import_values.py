"""The import wizard's value maps: the words a file uses for statuses and priorities, what each is read as, and
the person's changes to that, written as a mapping file the import reads (``console.imports.mapping``).

The words are read from the whole file (``ImportFile.words``), off the UI thread. A change is kept only where it
differs from what the rules already read; none, and the import reads the files as it would have anyway.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.i18n import _, n_
from console.imports import Field, ImportFile, MappingError, Source
from console.imports.lines import VOCABULARIES
from console.imports.values import JIRA_STATES, priority_of, status_of
from models import Priority, TicketStatus
from views import words

ERROR_STYLE = "color: #a33;"
"""How the import wizard marks what is wrong (a refusal, a word that reads as nothing, a missing zone)."""
MAPS = ("status", "priority")
"""The value maps the wizard edits, by their names in a mapping file."""


@dataclass(frozen=True)
class WordRow:
    word: str
    """As the file writes it."""
    rows: int
    ours: str | None
    """Our value the rules read it as; None: none, so its rows are left out (a bad row)."""


@dataclass(frozen=True)
class ValueWords:
    """The status and priority words of the files, and the built-in source they share (a mapping's ``base``)."""

    found: dict[str, list[WordRow]] = field(default_factory=dict)
    base: str | None = None
    """The source every file is read as, when they share one built-in source; None: they do not."""


def read_value_words(paths: Sequence[str], source: str | None, mapping: Path | None) -> ValueWords:
    """The distinct status and priority words of all the files, each with what the rules read it as (the mapping
    file's value maps first). Reads every file through: run it off the UI thread."""
    found: dict[str, dict[str, WordRow]] = {name: {} for name in MAPS}
    bases: set[Source] = set()
    for path in paths:
        file = ImportFile(Path(path), source=source, mapping=mapping)
        bases.add(file.source)
        own = file.mapping.values
        vocabulary = VOCABULARIES.get(file.mapping.states, JIRA_STATES)
        counted = file.words((Field.STATUS, Field.PRIORITY))
        for word, rows in counted[Field.STATUS].items():
            status = status_of(word, own.get("status", {}), vocabulary)
            _count(found["status"], word, rows, status.value if status else None)
        for word, rows in counted[Field.PRIORITY].items():
            priority = priority_of(word, own.get("priority", {}))
            _count(found["priority"], word, rows, priority.value if priority else None)
    base = next(iter(bases)).value if len(bases) == 1 and Source.CSV not in bases else None
    return ValueWords({name: list(rows.values()) for name, rows in found.items()}, base)


def _count(rows: dict[str, WordRow], word: str, count: int, ours: str | None) -> None:
    before = rows.get(word)
    rows[word] = WordRow(word, count + (before.rows if before else 0), before.ours if before else ours)


def choices(name: str) -> list[tuple[str, str]]:
    """(our value, its words) a word of the map ``name`` may be read as."""
    if name == "status":
        return [(s.value, _status_words(s)) for s in TicketStatus]
    return [(p.value, words.priority(p)) for p in Priority]


def _status_words(status: TicketStatus) -> str:
    if status.is_pending:
        return _("{status} (pauses the SLA clock)").format(status=words.status(status))
    return words.status(status)


def mapping_with_values(
    mapping: Path | None, base: str | None, changed: dict[str, dict[str, str]], folder: Callable[[], Path]
) -> Path | None:
    """The mapping file the import reads: the person's own (``mapping``) with the changed value maps laid over it,
    written to the folder ``folder()`` gives; ``mapping`` itself when nothing changed.

    Raises:
        MappingError: the person's mapping file cannot be read (the preview has said so already).
    """
    if not any(changed.values()):
        return mapping
    if mapping is not None:
        document = _document(mapping)
        if document.get("base", Source.CSV.value) == Source.CSV.value and "source" not in document:
            document["source"] = mapping.stem[:32] or "csv"  # the name the import gives it, not our copy's
        target = folder() / f"{mapping.stem or 'mapping'}.json"
    elif base is not None:
        document, target = {"base": base}, folder() / "values.json"
    else:
        return None
    values = document.setdefault("values", {})
    for name, found in changed.items():
        if found:
            values.setdefault(name, {}).update(found)
    target.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return target


def _document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
        readers = (tomllib.loads, json.loads) if path.suffix.lower() == ".toml" else (json.loads, tomllib.loads)
        for read in readers:
            try:
                found = read(text)
            except ValueError:
                continue
            if isinstance(found, dict):
                return dict(found)
    except (OSError, UnicodeDecodeError) as error:
        raise MappingError(str(error)) from None
    raise MappingError(_("The mapping file {name} cannot be read.").format(name=path.name))


class ValueMaps(QWidget):
    """Each status and priority word of the files beside what it is read as, which the person may change."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("value-maps")
        self.found: ValueWords | None = None
        self.combos: dict[str, dict[str, QComboBox]] = {name: {} for name in MAPS}
        layout = QVBoxLayout(self)
        self.note = QLabel(_("Reading the words of the file…"))
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        columns = QHBoxLayout()
        self.boxes: dict[str, QGroupBox] = {}
        self.forms: dict[str, QFormLayout] = {}
        for name, title in (("status", _("Statuses")), ("priority", _("Priorities"))):
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            self.boxes[name], self.forms[name] = box, form
            columns.addWidget(box, 1)
        inner = QWidget()
        inner.setLayout(columns)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout.addWidget(scroll, 1)

    def clear(self, note: str) -> None:
        self.found = None
        self.note.setText(note)
        for name in MAPS:
            form = self.forms[name]
            while form.rowCount():
                form.removeRow(0)
            self.combos[name].clear()

    def show_words(self, found: ValueWords, editable: bool) -> None:
        """The words, each with a list of what it may be read as (the rules' reading chosen)."""
        self.clear("")
        self.found = found
        unread = sum(1 for rows in found.found.values() for row in rows if row.ours is None)
        said = [_("The words the file uses, and what each is read as. Change one to read it otherwise.")]
        if unread:
            said.append(
                n_("{n} word matches nothing of ours: its rows are left out unless you choose what it means.",
                   "{n} words match nothing of ours: their rows are left out unless you choose what they mean.",
                   unread).format(n=unread)
            )  # fmt: skip
        if not editable:
            said = [_("These files come from different sources: their words are read by each source's rules. "
                      "Import them one source at a time to change what a word means.")]  # fmt: skip
        self.note.setText(" ".join(said))
        for name in MAPS:
            rows = found.found.get(name, [])
            if not rows:
                self.forms[name].addRow(QLabel(_("No values in the file.")))
            for row in sorted(rows, key=lambda r: (r.ours is not None, r.word.casefold())):
                combo = QComboBox()
                combo.setObjectName(f"value-{name}-{row.word}")
                if row.ours is None:  # a mapping maps a word to a value: "left out" is only the rules' word
                    combo.addItem(_("— nothing: its rows are left out —"), None)
                for value, text in choices(name):
                    combo.addItem(text, value)
                combo.setCurrentIndex(max(0, combo.findData(row.ours)))
                combo.setEnabled(editable)
                label = QLabel(
                    n_("{word} ({n} row)", "{word} ({n} rows)", row.rows).format(word=row.word, n=f"{row.rows:,}")
                )
                label.setTextFormat(Qt.TextFormat.PlainText)
                label.setBuddy(combo)
                if row.ours is None:
                    label.setStyleSheet(ERROR_STYLE)
                self.forms[name].addRow(label, combo)
                self.combos[name][row.word] = combo

    def changed(self) -> dict[str, dict[str, str]]:
        """The words read otherwise than the rules read them: map name → {word: our value}."""
        if self.found is None:
            return {}
        ruled = {name: {row.word: row.ours for row in rows} for name, rows in self.found.found.items()}
        out: dict[str, dict[str, str]] = {}
        for name, combos in self.combos.items():
            for word, combo in combos.items():
                chosen = combo.currentData()
                if chosen is not None and chosen != ruled[name].get(word):
                    out.setdefault(name, {})[word] = str(chosen)
        return out
