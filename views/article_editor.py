"""An article written or edited: its title and Markdown text beside a live preview of how it will read (the
reader's own layout, in the article's direction), its ERP module, language, audience and reviewer.

Save writes one ``EditArticle`` per field changed, each with the value the person saw (``base``): when someone
changed that field meanwhile, the edit is refused, said beside Save, and nothing typed is lost — the editor keeps
it, and takes what is stored now as what was seen, so Save again keeps the person's text over theirs. A new
article is written as a draft (``Desk.write_article``), then its reviewer named. Leaving with unsaved changes
asks first (``ask_unsaved``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.access import Refused
from console.desk import Desk
from console.errors import ConsoleError
from console.i18n import _, language
from console.journal.intents import EditArticle
from console.journal.touched import Done
from console.knowledge.lists import ArticleDetail
from console.knowledge.rules import LANGUAGES
from console.knowledge.service import ArticleApplied
from models import Audience
from models.tickets import TITLE_MAX
from views.article_text import ArticleBrowser, direction
from views.errors import show_error
from views.knowledge_model import audience_said, language_name
from views.problem_work import Pending, refusal_label

FIELDS = ("title", "body", "module_id", "language", "audience", "reviewer_id")
"""The fields the editor saves, in the order their edits are made."""
PREVIEW_DELAY_MS = 200


@dataclass(frozen=True)
class NewDraft:
    title: str
    body: str
    module: str | None  # the ERP module's code
    language: str
    audience: Audience
    reviewer_id: uuid.UUID | None


@dataclass(frozen=True)
class Written:
    """A new article written; ``refused``: why its reviewer could not be named (the article is written)."""

    applied: ArticleApplied
    refused: str | None = None


def write_new(desk: Desk, draft: NewDraft) -> Done[Written]:
    """Write the article as a draft, then name its reviewer (on the database worker)."""
    done = desk.write_article(draft.title, draft.body, draft.module, draft.language, draft.audience)
    if draft.reviewer_id is None:
        return Done(Written(done.value), done.touched)
    try:
        named = desk.edit_article(EditArticle(done.value.article_id, "reviewer_id", draft.reviewer_id, None))
    except Refused as why:
        return Done(Written(done.value, str(why)), done.touched)
    return Done(Written(named.value), named.touched)


def _same(field: str, value: Any) -> Any:
    """A value as compared with the stored one: texts as they are stored (trimmed), ids and enums as text."""
    if value is None:
        return None
    if field in ("title", "body"):
        return str(value).strip()
    return str(value)


class ArticleEditor(QWidget):
    saved = Signal(object)  # the ArticleApplied of the last edit saved (or of the article written)
    refused = Signal(str)
    close_asked = Signal()

    def __init__(self, desk: Desk, pending: Pending) -> None:
        super().__init__()
        self.setObjectName("article-editor")
        self.desk, self.actor, self.pending = desk, desk.actor, pending
        self.article_id: uuid.UUID | None = None  # None: a new article, not written yet
        self.number: str | None = None
        self.author_id: uuid.UUID | None = None
        self.base: dict[str, Any] = {}  # the stored values the person saw, by field
        self.saving = False
        self.modules: list[tuple[uuid.UUID, str]] = []
        self.people: list[tuple[uuid.UUID, str, str]] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel()
        self.heading.setObjectName("article-editor-heading")
        self.heading.setProperty("role", "subheading")
        layout.addWidget(self.heading)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.title = QLineEdit()
        self.title.setObjectName("article-title")
        self.title.setMaxLength(TITLE_MAX)
        self.title.setPlaceholderText(_("What the reader is looking for, in their words"))
        form.addRow(_("&Title"), self.title)
        fields = QHBoxLayout()
        self.module = self._combo("article-module", _("ERP module"))
        self.language = self._combo("article-language", _("Language"))
        for code in LANGUAGES:
            self.language.addItem(language_name(code), code)
        self.audience = self._combo("article-audience", _("Audience"))
        for audience in Audience:
            self.audience.addItem(audience_said(audience), audience.value)
        self.reviewer = self._combo("article-reviewer", _("Reviewer"))
        for label, combo in ((_("&Module"), self.module), (_("&Language"), self.language),
                             (_("&Audience"), self.audience), (_("Re&viewer"), self.reviewer)):  # fmt: skip
            caption = QLabel(label)
            caption.setBuddy(combo)
            fields.addWidget(caption)
            fields.addWidget(combo, 1)
        form.addRow(fields)
        layout.addLayout(form)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("article-editor-splitter")
        self.body = QTextEdit()  # not a QPlainTextEdit: its layout reads every line left to right
        self.body.setObjectName("article-body")
        self.body.setAcceptRichText(False)
        self.body.setTabChangesFocus(True)
        self.body.setPlaceholderText(
            _("The text, in Markdown: ## a heading, **bold**, 1. a step, | a | table |, [a link](https://…)")
        )
        self.body.setAccessibleName(_("Text (Markdown)"))
        self.preview = ArticleBrowser("article-preview")
        self.preview.setAccessibleName(_("Preview"))
        self.splitter.addWidget(self._titled(_("Text (Markdown)"), self.body))
        self.splitter.addWidget(self._titled(_("Preview"), self.preview))
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([500, 500])
        layout.addWidget(self.splitter, 1)

        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("&Save"))
        self.save_button.setObjectName("article-save")
        self.save_button.setToolTip(_("Save (Ctrl+S): each text saved is a new version"))
        self.save_button.clicked.connect(lambda: self.save())
        self.close_button = QPushButton(_("Close the &editor"))
        self.close_button.setObjectName("article-close-editor")
        self.close_button.clicked.connect(self.close_asked)
        self.said = QLabel()
        self.said.setObjectName("article-editor-said")
        self.said.setProperty("role", "lead")
        self.refusal = refusal_label("article-save-refusal")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.said)
        buttons.addWidget(self.refusal, 1)
        buttons.addStretch(0)
        layout.addLayout(buttons)

        self._preview_delay = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._preview_delay.timeout.connect(self.update_preview)
        self.title.textChanged.connect(self._typed)
        self.body.textChanged.connect(self._typed)
        for combo in (self.module, self.language, self.audience, self.reviewer):
            combo.currentIndexChanged.connect(self._typed)
        self.language.currentIndexChanged.connect(self._direction_changed)

    def _combo(self, name: str, what: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setAccessibleName(what)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(10)
        return combo

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        caption = QLabel(title)
        caption.setProperty("role", "lead")
        caption.setBuddy(widget)
        layout.addWidget(caption)
        layout.addWidget(widget, 1)
        return box

    # -- what is edited ------------------------------------------------------------------------------------------

    def set_choices(self, modules: list[tuple[uuid.UUID, str]], people: list[tuple[uuid.UUID, str, str]]) -> None:
        """The modules and the people who may be named reviewer (the author is left out when shown)."""
        self.modules, self.people = modules, people

    def start_new(self, module: str | None = None) -> None:
        """An empty article, in the person's language, for support, in ``module`` if one is given."""
        self.article_id = self.number = None
        self.author_id = self.actor.id
        self.heading.setText(_("New article"))
        module_id = next((m for m, code in self.modules if code == module), None)
        self.base = {"title": "", "body": "", "module_id": module_id, "language": language(),
                     "audience": Audience.INTERNAL, "reviewer_id": None}  # fmt: skip
        self._fill(self.base, names={})
        self.refusal.hide()
        self.said.setText("")
        self.title.setFocus()

    def start_edit(self, detail: ArticleDetail) -> None:
        """The article as stored, to edit."""
        self.article_id, self.number = detail.row["id"], detail.number
        self.author_id = detail.row["author_id"]
        self._heading(detail)
        self.base = {field: detail.row[field] for field in FIELDS}
        self._fill(self.base, names=detail.names)
        self.refusal.hide()
        self.said.setText("")
        self.body.setFocus()

    def rebase(self, detail: ArticleDetail) -> None:
        """The article as stored now: what the person has not changed follows it, what they typed stays, and the
        stored values become what they saw (after a save, or a refusal: Save again keeps theirs over it)."""
        if detail.row["id"] != self.article_id:
            return
        typed = self.values()
        self.number = detail.number
        self._heading(detail)
        stored = {field: detail.row[field] for field in FIELDS}
        shown = {f: stored[f] if _same(f, typed[f]) == _same(f, self.base.get(f)) else typed[f] for f in FIELDS}
        self.base = stored
        self._fill(shown, names=detail.names)

    def _heading(self, detail: ArticleDetail) -> None:
        self.heading.setText(_("Editing {number} (version {version})").format(
            number=detail.number, version=detail.row["version"]))  # fmt: skip

    def _fill(self, values: dict[str, Any], names: dict[str, str]) -> None:
        """Show ``values`` (the combos' choices made again: the reviewer is never the author)."""
        for widget in (self.title, self.body, self.module, self.language, self.audience, self.reviewer):
            widget.blockSignals(True)
        if self.title.text() != values["title"]:
            self.title.setText(values["title"] or "")
        if self.body.toPlainText() != values["body"]:
            self.body.setPlainText(values["body"] or "")
        self.module.clear()
        self.module.addItem(_("No module"), None)
        for module_id, code in self.modules:
            self.module.addItem(code, str(module_id))
        _choose(self.module, values["module_id"], names.get("module") or "?")
        _choose(self.language, values["language"], str(values["language"]))
        _choose(self.audience, values["audience"], str(values["audience"]))
        self.reviewer.clear()
        self.reviewer.addItem(_("No reviewer yet"), None)
        for person, _login, name in self.people:
            if person != self.author_id:
                self.reviewer.addItem(name, str(person))
        _choose(self.reviewer, values["reviewer_id"], names.get("reviewer") or "?")
        for widget in (self.title, self.body, self.module, self.language, self.audience, self.reviewer):
            widget.blockSignals(False)
        self._direction_changed()
        self._typed()
        self.update_preview()

    def values(self) -> dict[str, Any]:
        """What the editor holds now, by field, as it would be saved."""
        module, reviewer = self.module.currentData(), self.reviewer.currentData()
        return {
            "title": self.title.text().strip(),
            "body": self.body.toPlainText().strip(),
            "module_id": uuid.UUID(module) if module else None,
            "language": self.language.currentData() or "en",
            "audience": Audience(self.audience.currentData() or Audience.INTERNAL),
            "reviewer_id": uuid.UUID(reviewer) if reviewer else None,
        }

    def changed(self) -> dict[str, Any]:
        """The fields that differ from what was seen, with their new values."""
        now = self.values()
        return {f: now[f] for f in FIELDS if _same(f, now[f]) != _same(f, self.base.get(f))}

    def is_dirty(self) -> bool:
        return bool(self.changed())

    def _typed(self) -> None:
        dirty = bool(self.changed())
        self.save_button.setEnabled(dirty and not self.saving)
        if dirty:
            self.said.setText("")
        self._preview_delay.start()

    def _direction_changed(self) -> None:
        side = direction(self.language.currentData() or "en")
        for editor in (self.title, self.body):
            editor.setLayoutDirection(side)
        option = self.body.document().defaultTextOption()
        option.setTextDirection(side)
        self.body.document().setDefaultTextOption(option)

    def update_preview(self) -> None:
        self._preview_delay.stop()
        self.preview.show_article(self.title.text(), self.body.toPlainText(), self.language.currentData() or "en")

    # -- saving --------------------------------------------------------------------------------------------------

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Write the article, or one edit per field changed, in turn; a refusal stops there (those before it are
        saved). ``then``: called once everything is saved."""
        changed = self.changed()
        if self.saving or not changed:
            if then is not None and not changed:
                then()
            return
        self.refusal.hide()
        self._busy(True)
        if self.article_id is None:
            now = self.values()
            module = next((code for m, code in self.modules if m == now["module_id"]), None)
            draft = NewDraft(now["title"], now["body"], module, now["language"], now["audience"], now["reviewer_id"])
            self.pending.run(write_new, self.desk, draft, label=_("Writing the article…"),
                             success=lambda written: self._written(written, now, then),
                             failure=self._refuse)  # fmt: skip
            return
        intents = [EditArticle(self.article_id, f, value, self.base.get(f)) for f, value in changed.items()]
        self._save_next(intents, None, then)

    def _written(self, written: Written, sent: dict[str, Any], then: Callable[[], None] | None) -> None:
        self.article_id, self.number = written.applied.article_id, written.applied.number
        self.base = {**sent, "reviewer_id": None if written.refused else sent["reviewer_id"]}
        self.heading.setText(_("Editing {number} (version {version})").format(
            number=written.applied.number, version=written.applied.version))  # fmt: skip
        self._busy(False)
        if written.refused:
            self._say_refused(written.refused)
            self.saved.emit(written.applied)
            return
        self.said.setText(_("Saved as {number}.").format(number=written.applied.number))
        self.saved.emit(written.applied)
        if then is not None:
            then()

    def _save_next(self, intents: list[EditArticle], last: ArticleApplied | None,
                   then: Callable[[], None] | None) -> None:  # fmt: skip
        if not intents:
            self._busy(False)
            if last is not None:
                self.said.setText(_("Saved: version {version}.").format(version=last.version))
                self.saved.emit(last)
            if then is not None:
                then()
            return
        first, rest = intents[0], intents[1:]

        def done(applied: ArticleApplied) -> None:
            self.base[first.field] = first.value
            self._save_next(rest, applied, then)

        self.pending.run(self.desk.edit_article, first, label=_("Saving {number}…").format(number=self.number),
                         success=done, failure=self._refuse)  # fmt: skip

    def _busy(self, saving: bool) -> None:
        self.saving = saving
        self._typed()

    def _refuse(self, error: BaseException) -> None:
        self._busy(False)
        if not isinstance(error, ConsoleError):
            show_error(self, error)
            return
        self._say_refused(str(error))

    def _say_refused(self, message: str) -> None:
        kept = _("Nothing you typed is lost: it is still here. Save again to keep yours, or close to drop it.")
        self.refusal.setText(f"{message}\n{kept}")
        self.refusal.show()
        self.refused.emit(message)


def _choose(combo: QComboBox, value: Any, missing: str) -> None:
    """Choose the item holding ``value`` (a stored value not offered, such as a reviewer no longer listed, is
    added so it shows as it is)."""
    data = None if value is None else str(value)
    found = combo.findData(data) if data is not None else 0
    if found < 0:
        combo.addItem(missing, data)
        found = combo.count() - 1
    combo.setCurrentIndex(found)


def ask_unsaved(
    parent: QWidget, what: str, save: Callable[[], None], discard: Callable[[], None],
    stay: Callable[[], None] | None = None,
) -> QMessageBox:  # fmt: skip
    """Unsaved changes in the editor: Save, Discard, or Cancel to stay (opened, not run)."""
    box = QMessageBox(QMessageBox.Icon.Question, _("Unsaved changes"),
                      _("{what} has changes that are not saved.").format(what=what),
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)  # fmt: skip
    box.setObjectName("article-unsaved")
    box.setDefaultButton(QMessageBox.StandardButton.Save)

    def answered(_result: int) -> None:
        chosen = box.standardButton(box.clickedButton()) if box.clickedButton() else None
        if chosen == QMessageBox.StandardButton.Save:
            save()
        elif chosen == QMessageBox.StandardButton.Discard:
            discard()
        elif stay is not None:
            stay()

    box.finished.connect(answered)
    box.open()
    return box
