"""The ticket detail: every field, the workflow, notes, history, SLA, links and attachments.

Every edit is an intent (``console.tickets.edits``) applied by the ticket services on the database worker,
with the values shown as its base: an edit of something that changed meanwhile, or one the
workflow or the person's role does not allow, is refused with the reason and changes nothing.

The header counts each SLA clock down; the SLA tab draws the clocks (``views.ticket_sla``). Above the tabs,
"Suggestions" opens the articles, known errors and resolved tickets most like this one (``views.suggestions_panel``);
"Link article" there links one as "Link article…" does.

Keys: S change status, N add a note (Ctrl+Enter sends it), A assign to me, E escalate,
Ctrl+] / Ctrl+[ next / previous ticket of the queue, F5 reload.
"""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.access import Can
from console.desk import Desk, MakeIntents
from console.errors import ConsoleError
from console.i18n import _, right_to_left
from console.journal.touched import Touched
from console.problems.similar import Suggestions
from console.rows import text_value
from console.tickets import edits, workflow
from console.tickets import service as tickets
from console.tickets.detail import TicketDetail
from console.tickets.history import history_value
from console.tickets.queue import Choices
from console.zone import moment_text, zoned
from models import Priority, TicketStatus
from views import words
from views.errors import show_error
from views.known_error_banner import KnownErrorBanner
from views.suggestions_panel import SuggestionsPanel
from views.tables import RowsModel, rows_table
from views.tasks import TaskRunner
from views.ticket_editors import DetailsDialog, NoteEditor
from views.ticket_sla import SlaChips, SlaTab


class TicketView(QWidget):
    loaded = Signal(object)  # the TicketDetail shown
    edited = Signal(str)  # a ticket number, after an edit was applied
    refused = Signal(str)  # the message of a refused edit
    navigate = Signal(int)  # +1 next, -1 previous ticket of the queue
    open_problem = Signal(str)  # a suggested known error's number, to open
    open_article = Signal(str)  # a suggested knowledge article's number, to open

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__()
        self.setObjectName("ticket-view")
        self.desk = desk
        self.workspace = desk.workspace
        self.runner = runner
        self.actor = desk.actor
        runner.edited.connect(self._touched)
        self.detail: TicketDetail | None = None
        self.choices = Choices([], [], [])
        self._filling = False

        layout = QVBoxLayout(self)
        self.heading = QLabel(_("Open a ticket from the queue (Enter)."))
        self.heading.setObjectName("ticket-heading")
        self.heading.setProperty("role", "subheading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chips = SlaChips(desk.now)
        header = QHBoxLayout()
        header.addWidget(self.heading, 1)
        header.addWidget(self.chips, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)
        self.known_error = KnownErrorBanner(desk, runner)  # an incident of a known error: its workaround
        self.known_error.applied.connect(self.edited)
        layout.addWidget(self.known_error)
        # The arrows point the way the queue reads: back is to the right in Persian and Arabic.
        back, ahead = ("▶", "◀") if right_to_left() else ("◀", "▶")
        self.previous = QPushButton(f"{back} " + _("Previous"))
        self.next = QPushButton(_("Next") + f" {ahead}")
        self.previous.setToolTip(_("The ticket before this one in the queue (Ctrl+[)"))
        self.next.setToolTip(_("The ticket after this one in the queue (Ctrl+])"))
        self.previous.clicked.connect(lambda: self.navigate.emit(-1))
        self.next.clicked.connect(lambda: self.navigate.emit(1))

        fields = QHBoxLayout()
        form = QFormLayout()
        self.status = QToolButton()
        self.status.setObjectName("ticket-status")
        self.status.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.status.setMinimumWidth(150)
        self.status.setToolTip(_("Change the status (S)"))
        self.status_menu = QMenu(self.status)
        self.status.setMenu(self.status_menu)
        self.priority = QComboBox()
        self.priority.setObjectName("ticket-priority")
        self.priority.addItems([words.priority(p) for p in Priority])
        self.assignee = QComboBox()
        self.assignee.setObjectName("ticket-assignee")
        self.module = QComboBox()
        self.module.setObjectName("ticket-module")
        self.tier = QComboBox()
        self.tier.setObjectName("ticket-tier")
        self.tier.addItems([_("Tier 0"), _("Tier 1"), _("Tier 2"), _("Tier 3")])
        form.addRow(_("Status"), self.status)
        form.addRow(_("Priority"), self.priority)
        form.addRow(_("Assignee"), self.assignee)
        form.addRow(_("Module"), self.module)
        form.addRow(_("Tier"), self.tier)
        fields.addLayout(form)
        self.facts = QLabel()
        self.facts.setObjectName("ticket-facts")
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.setAlignment(Qt.AlignmentFlag.AlignTop)
        fields.addWidget(self.facts, 1)
        actions = QVBoxLayout()
        steps = QHBoxLayout()
        steps.addWidget(self.previous)
        steps.addWidget(self.next)
        actions.addLayout(steps)
        for caption, slot in ((_("Edit details…"), self.ask_details), (_("Assign to me (A)"), self.assign_to_me),
                              (_("Escalate… (E)"), self.ask_escalate),
                              (_("Link problem…"), lambda: self.ask_link("problem")),
                              (_("Link change…"), lambda: self.ask_link("change")),
                              (_("Link article…"), lambda: self.ask_link("article")),
                              (_("Attach file…"), self.ask_attach)):  # fmt: skip
            button = QPushButton(caption)
            button.clicked.connect(slot)
            actions.addWidget(button)
        actions.addStretch(1)
        fields.addLayout(actions)
        layout.addLayout(fields)
        # What is known about tickets like this one, in a strip that opens (and stays open from ticket to ticket).
        self.suggestions_toggle = QToolButton()
        self.suggestions_toggle.setObjectName("ticket-suggestions-toggle")
        self.suggestions_toggle.setCheckable(True)
        self.suggestions_toggle.setAutoRaise(True)
        self.suggestions_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.suggestions_toggle.setToolTip(_("Articles, known errors and resolved tickets like this one"))
        self.suggestions_toggle.toggled.connect(self._open_suggestions)
        layout.addWidget(self.suggestions_toggle)
        self.suggestions = SuggestionsPanel(desk, runner, linking=True, across=True)
        self.suggestions.open_ticket.connect(self.open)
        self.suggestions.open_problem.connect(self.open_problem)
        self.suggestions.open_article.connect(self.open_article)
        self.suggestions.link_article.connect(lambda article_id: self.link("article", article_id))
        self.suggestions.shown.connect(self._suggestions_counted)
        layout.addWidget(self.suggestions)
        self._open_suggestions(False)
        self.priority.activated.connect(self._priority_chosen)
        self.assignee.activated.connect(self._assignee_chosen)
        self.module.activated.connect(self._module_chosen)
        self.tier.activated.connect(self._tier_chosen)

        self.tabs = QTabWidget()
        notes = QWidget()
        notes_layout = QVBoxLayout(notes)
        self.notes = RowsModel([zoned(_("When")), _("By"), _("Kind"), _("Text")], self)
        self.notes_table = rows_table(self.notes, "ticket-notes")
        self.notes_table.setWordWrap(True)
        notes_layout.addWidget(self.notes_table, 1)
        compose = QHBoxLayout()
        self.compose = NoteEditor()
        self.compose.submitted.connect(self.add_note)
        self.compose.setObjectName("ticket-compose")
        self.compose.setPlaceholderText(_("A comment for the reporter, or an internal work note (Ctrl+Enter adds it)"))
        self.compose.setMaximumHeight(90)
        self.internal = QCheckBox(_("Internal work note"))
        self.internal.setChecked(True)
        add = QPushButton(_("Add note"))
        add.setObjectName("ticket-add-note")
        add.clicked.connect(self.add_note)
        compose.addWidget(self.compose, 1)
        side = QVBoxLayout()
        side.addWidget(self.internal)
        side.addWidget(add)
        compose.addLayout(side)
        notes_layout.addLayout(compose)
        self.tabs.addTab(notes, _("Notes"))
        self.history = RowsModel([zoned(_("When")), _("By"), _("What"), _("From"), _("To"), _("Why")], self)
        self.tabs.addTab(rows_table(self.history, "ticket-history"), _("History"))
        self.sla = SlaTab(self.chips.zone)
        self.sla_summary = self.sla.summary
        self.tabs.addTab(self.sla, _("SLA"))
        links = QWidget()
        links_layout = QVBoxLayout(links)
        self.links = RowsModel([_("Kind"), _("Number"), _("Title")], self)
        links_layout.addWidget(rows_table(self.links, "ticket-links"))
        self.tabs.addTab(links, _("Links"))
        files = QWidget()
        files_layout = QVBoxLayout(files)
        self.files = RowsModel([_("File"), _("Type"), _("Size"), _("By"), zoned(_("When"))], self)
        self.files_table = rows_table(self.files, "ticket-files")
        self.files_table.activated.connect(lambda index: self.ask_save_attachment(index.row()))
        files_layout.addWidget(self.files_table)
        files_layout.addWidget(QLabel(_("Enter or a double click saves the file.")))
        self.tabs.addTab(files, _("Attachments"))
        layout.addWidget(self.tabs, 1)

        for keys, slot in (("S", self.status.showMenu), ("N", self.focus_note), ("A", self.assign_to_me),
                           ("E", self.ask_escalate), ("Ctrl+]", lambda: self.navigate.emit(1)),
                           ("Ctrl+[", lambda: self.navigate.emit(-1)), ("F5", self.reload)):  # fmt: skip
            QShortcut(QKeySequence(keys), self, slot, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._set_enabled(False)

    # -- loading -----------------------------------------------------------------------------------

    def set_choices(self, choices: Choices) -> None:
        self.choices = choices
        self._filling = True
        self.assignee.clear()
        self.assignee.addItem(_("— unassigned —"), None)
        # Ids as text: a combo box finds Python objects by identity, not by value.
        for person, _login, name in choices.people:
            self.assignee.addItem(name, str(person))
        self.module.clear()
        for module, code in choices.modules:
            self.module.addItem(code, str(module))
        self._filling = False
        if self.detail is not None:
            self.show_detail(self.detail)

    def open(self, number: str) -> None:
        self.heading.setText(_("{number} · reading…").format(number=number))
        self.runner.op(self.desk.ticket, number, label=_("Opening {number}…").format(number=number)).success(
            self.show_detail
        ).failure(self._failed).run()

    def reload(self) -> None:
        if self.detail is not None:
            self.open(self.detail.number)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.status, self.priority, self.assignee, self.module, self.tier, self.compose):
            widget.setEnabled(enabled)

    def show_detail(self, detail: TicketDetail) -> None:
        self.detail = detail
        row = detail.row
        status = TicketStatus(row["status"])
        self._filling = True
        self.heading.setText(f"{detail.number} · {row['title']}")
        self.status.setText(words.status(status))
        self.status_menu.clear()
        for move in workflow.allowed_moves(status):
            action = self.status_menu.addAction(words.status(move))
            action.triggered.connect(lambda _checked=False, s=move: self.ask_status(s))
        self.priority.setCurrentIndex(list(Priority).index(Priority(row["priority"])))
        self.assignee.setCurrentIndex(max(0, self.assignee.findData(str(row["assignee_id"]))))
        self.module.setCurrentIndex(max(0, self.module.findData(str(row["module_id"]))))
        self.tier.setCurrentIndex(int(row["tier"]))
        self._filling = False
        names = detail.names
        said = [
            _("reported by {reporter} on {moment}").format(
                reporter=names["reporter"], moment=words.isolated(moment_text(row["created_at"], named=True))
            ),
            _("impact {impact}, urgency {urgency}").format(
                impact=words.level(row["impact"]), urgency=words.level(row["urgency"])
            ),
            _("group {group}").format(group=names["group"] or "—"),
        ]
        if row["vendor"]:
            said.append(
                _("vendor {vendor} {reference}").format(vendor=row["vendor"], reference=row["vendor_reference"] or "")
            )
        self.facts.setText(f"<b>{names['unit']}</b> · " + " · ".join(said) + f"<br>{_html(row['description'])}")
        self.notes.set_rows(
            [[text_value(n.at), n.author, _("work note") if n.internal else _("comment"), n.body] for n in detail.notes]
        )
        self.history.set_rows(
            [
                [
                    text_value(c.at),
                    c.actor,
                    words.field(c.field),
                    *(words.value(history_value(c.field, v)) for v in (c.old, c.new)),
                    c.reason or "",
                ]
                for c in detail.history
            ]
        )
        self.sla.show_sla(detail.sla, names["module_name"])
        self.chips.show_sla(detail.sla)
        links = [[_("problem"), names["problem"], ""]] if names["problem"] else []
        links += [[_("change"), names["change"], ""]] if names["change"] else []
        links += [[_("article"), number, title] for _id, number, title in detail.articles]
        self.links.set_rows(links)
        kilobytes = _("{size} KB")
        self.files.set_rows(
            [[f.filename, f.media_type, kilobytes.format(size=f"{f.size_bytes / 1024:,.1f}"), f.uploaded_by,
              text_value(f.at)] for f in detail.attachments]
        )  # fmt: skip
        self.suggestions.set_linked(frozenset(article_id for article_id, _number, _title in detail.articles))
        self.suggestions.ask(row["title"], row["description"] or "", row["module_id"], exclude=row["id"])
        self._set_enabled(True)
        self.known_error.show_for(row["id"], status.is_open)
        self.loaded.emit(detail)

    def _open_suggestions(self, shown: bool) -> None:
        self.suggestions.setVisible(shown)
        closed = Qt.ArrowType.LeftArrow if right_to_left() else Qt.ArrowType.RightArrow  # pointing the way it reads
        self.suggestions_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else closed)
        self._suggestions_counted(self.suggestions.found)

    def _suggestions_counted(self, found: Suggestions) -> None:
        count = len(found.articles) + len(found.known_errors) + len(found.tickets)
        self.suggestions_toggle.setText(_("Suggestions ({n})").format(n=count) if count else _("Suggestions"))

    def _failed(self, error: BaseException) -> None:
        self.heading.setText(_("This ticket could not be opened."))
        show_error(self, error)

    # -- edits -------------------------------------------------------------------------------------

    def edit(self, make: MakeIntents) -> None:
        """Apply intents made with the values shown as their base, then show the ticket again (or the refusal)."""
        if self.detail is None:
            return
        number, ticket_id = self.detail.number, self.detail.row["id"]
        self.runner.op(
            self.desk.edit_ticket, make, ticket_id, number, label=_("Saving {number}…").format(number=number)
        ).success(self._applied).failure(self._refused).run()

    def _applied(self, number: str) -> None:
        self.edited.emit(number)  # shown again when the runner announces the edit

    def _touched(self, touched: Touched) -> None:
        if self.detail is not None and touched.ticket(self.detail.row["id"]):
            self.reload()

    def _refused(self, error: BaseException) -> None:
        self.refused.emit(str(error))
        show_error(self, error)
        self.reload()  # back to what is stored

    def _shown(self) -> dict[str, Any]:
        assert self.detail is not None
        return self.detail.row

    def ask_status(self, status: TicketStatus) -> None:
        reason: str | None = None
        if self.detail is not None and (TicketStatus(self._shown()["status"]), status) in workflow.NEEDS_REASON:
            label = words.status(status)
            reason, ok = QInputDialog.getText(self, label, _("Why does it go to {status}?").format(status=label))
            if not ok:
                return
        self.set_status(status, reason)

    def set_status(self, status: TicketStatus, reason: str | None = None) -> None:
        base = TicketStatus(self._shown()["status"])
        self.edit(lambda t: [edits.set_status(t, status, base=base, reason=reason)])

    def _priority_chosen(self, index: int) -> None:
        if self._filling or self.detail is None:
            return
        priority = list(Priority)[index]
        base = Priority(self._shown()["priority"])
        if priority == base:
            return
        reason, ok = QInputDialog.getText(
            self, _("Priority"), _("Why is the priority {priority} now?").format(priority=words.priority(priority))
        )
        if not ok:
            self.show_detail(self.detail)
            return
        self.edit(lambda t: [edits.set_priority(t, priority, base=base, reason=reason)])

    def _assignee_chosen(self, index: int) -> None:
        if not self._filling and self.detail is not None:
            chosen = self.assignee.itemData(index)
            self.assign(uuid.UUID(chosen) if chosen else None)

    def assign(self, person: uuid.UUID | None) -> None:
        base = self._shown()["assignee_id"]
        self.edit(lambda t: [edits.assign(t, person, base=base)])

    def assign_to_me(self) -> None:
        if self.detail is not None:
            self.assign(self.actor.id)

    def _module_chosen(self, index: int) -> None:
        if not self._filling and self.detail is not None:
            module, base = uuid.UUID(self.module.itemData(index)), self._shown()["module_id"]
            self.edit(lambda t: [edits.set_module(t, module, base=base)])

    def _tier_chosen(self, index: int) -> None:
        if self._filling or self.detail is None:
            return
        base = int(self._shown()["tier"])
        reason, ok = QInputDialog.getText(self, _("Tier"), _("Why does it move to tier {tier}?").format(tier=index))
        if not ok:
            self.show_detail(self.detail)
            return
        self.edit(lambda t: [edits.move_tier(t, index, base=base, reason=reason)])

    def focus_note(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.compose.setFocus()

    def add_note(self) -> None:
        text = self.compose.toPlainText()
        if self.detail is None or not self.actor.may(Can.NOTE):
            return
        internal = self.internal.isChecked()
        self.compose.clear()  # kept below if refused
        self.refused.connect(lambda _message: self.compose.setPlainText(text), Qt.ConnectionType.SingleShotConnection)
        self.edit(lambda t: [edits.add_note(t, text, internal=internal)])

    def ask_escalate(self) -> None:
        if self.detail is None:
            return
        reason, ok = QInputDialog.getText(self, _("Escalate"), _("Why (kept in the history)?"))
        if not ok:
            return
        vendor, ok = QInputDialog.getText(self, _("Escalate"), _("Vendor (leave empty for tier 3 only):"))
        if not ok:
            return
        self.escalate(reason, vendor.strip() or None)

    def escalate(self, reason: str, vendor: str | None = None) -> None:
        row = self._shown()
        self.edit(
            lambda t: edits.escalate(t, base_tier=row["tier"], reason=reason, vendor=vendor, base_vendor=row["vendor"])
        )

    def ask_details(self) -> None:
        if self.detail is None:
            return
        dialog = DetailsDialog(self._shown(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self.set_details)
        dialog.open()

    def set_details(self, values: dict[str, Any]) -> None:
        """Change the title, description, category, impact or urgency: one intent per field changed."""
        row = self._shown()
        changed = {name: value for name, value in values.items() if (row[name] or "") != value}
        if changed:
            self.edit(lambda t: [tickets.SetField(t, name, value, row[name]) for name, value in changed.items()])

    def ask_link(self, kind: str) -> None:
        title, prompt = {
            "problem": (_("Link problem"), _("Problem number:")),
            "change": (_("Link change"), _("Change number:")),
            "article": (_("Link article"), _("Article number:")),
        }[kind]
        number, ok = QInputDialog.getText(self, title, prompt)
        if ok and number.strip():
            self.link(kind, number)

    def link(self, kind: str, number: str | uuid.UUID) -> None:
        """Link a problem, change or article named by its number, or by its id when it is known (a suggestion)."""
        row = self._shown()

        def make(ticket_id: uuid.UUID) -> list[tickets.Intent]:
            target = number if isinstance(number, uuid.UUID) else self.desk.find_id(kind, number)
            if kind == "problem":
                return [edits.link_problem(ticket_id, target, base=row["problem_id"])]
            if kind == "change":
                return [edits.link_change(ticket_id, target, base=row["change_id"])]
            return [edits.link_article(ticket_id, target)]

        self.edit(make)

    def ask_attach(self) -> None:
        dialog = QFileDialog(self, _("Attach a file"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.attach)
        dialog.open()

    def attach(self, path: str) -> None:
        source = Path(path)
        try:
            content = source.read_bytes()
        except OSError as exc:
            show_error(self, ConsoleError(_("Cannot read {name}: {why}.").format(name=source.name, why=exc.strerror)))
            return
        media = mimetypes.guess_type(source.name)[0] or ""
        self.edit(lambda t: [edits.attach(t, source.name, content, media)])

    def ask_save_attachment(self, index: int) -> None:
        if self.detail is None:
            return
        info = self.detail.attachments[index]
        dialog = QFileDialog(self, _("Save attachment"), str(Path.home() / info.filename))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda target: self.save_attachment(info.id, target))
        dialog.open()

    def save_attachment(self, attachment_id: uuid.UUID, target: str) -> None:
        self.runner.op(self.desk.save_attachment, attachment_id, target, label=_("Saving the attachment…")).failure(
            self._show_failure
        ).run_io()

    def _show_failure(self, error: BaseException) -> None:
        show_error(self, error)


def _html(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", "<br>")
