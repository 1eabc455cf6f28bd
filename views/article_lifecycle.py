"""An article's lifecycle bar: Send to review, Publish, Send back / Revise, Retire — each enabled when the rules
(``console.knowledge.rules``) let this person make that move now, and otherwise disabled with a tooltip saying why
("Only its reviewer or a manager who did not write it publishes"). Retiring and every move back ask why.

A refusal (someone moved it meanwhile) is said beside the buttons and changes nothing. Those who do not write
articles see no bar: the reader says why.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QPushButton, QWidget

from console.desk import Desk
from console.i18n import _
from console.journal.intents import MoveArticle
from console.knowledge.lists import ArticleDetail
from console.knowledge.rules import MOVES, WRITERS, needs_reason
from console.knowledge.service import ArticleApplied, may_publish
from models import ArticleStatus
from views.knowledge_model import status_word
from views.problem_dialogs import ask_text
from views.problem_work import Pending, refusal_label, said_beside

A = ArticleStatus


class ArticleLifecycle(QWidget):
    applied = Signal(object)  # an ArticleApplied
    refused = Signal(str)

    def __init__(self, desk: Desk, pending: Pending) -> None:
        super().__init__()
        self.setObjectName("article-lifecycle")
        self.desk, self.actor, self.pending = desk, desk.actor, pending
        self.writes = self.actor.role in WRITERS
        self.detail: ArticleDetail | None = None
        self.dialog: QInputDialog | None = None  # the question open now (tests answer it)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for key, caption in (
            ("review", _("Send to &review")),
            ("publish", _("&Publish")),
            ("back", _("Send &back…")),
            ("retire", _("Re&tire…")),
        ):
            button = QPushButton(caption)
            button.setObjectName(f"article-{key}")
            button.clicked.connect(lambda _checked=False, k=key: self.ask_move(k))
            layout.addWidget(button)
            self.buttons[key] = button
        self.refusal = refusal_label("article-move-refusal")
        layout.addWidget(self.refusal, 1)
        layout.addStretch(0)
        if not self.writes:  # (never shown here: a widget shown before it has a parent is a window)
            self.hide()
        self.show_moves(None)

    def target(self, key: str) -> ArticleStatus:
        return {"review": A.IN_REVIEW, "publish": A.PUBLISHED, "back": A.DRAFT, "retire": A.RETIRED}[key]

    def show_moves(self, detail: ArticleDetail | None) -> None:
        """Each move enabled or not for the article shown, and why in its tooltip."""
        if detail is None or self.detail is None or detail.number != self.detail.number:
            self.refusal.hide()
        self.detail = detail
        back = self.buttons["back"]
        in_review = detail is not None and detail.status is A.IN_REVIEW
        back.setText(_("Send &back…") if in_review or detail is None or detail.status is A.DRAFT else _("Re&vise…"))
        for key, button in self.buttons.items():
            why = self.why_not(detail, self.target(key)) if detail is not None else ""
            button.setEnabled(detail is not None and not why)
            button.setToolTip(why or (self.rule(detail, self.target(key)) if detail is not None else ""))

    def why_not(self, detail: ArticleDetail, to: ArticleStatus) -> str:
        """Why this person may not make this move now; "" when they may."""
        status, row = detail.status, detail.row
        if not self.writes:
            return _("Only consultants, technical specialists and managers move articles.")
        if to not in MOVES[status]:
            if to is status:
                said = _("It is a draft already.") if status is A.DRAFT else _("It is {status} already.")
            elif to is A.IN_REVIEW:
                said = _("It is {status}: revise it (back to draft) first.")
            elif to is A.PUBLISHED:
                return _("Only an article in review is published (this one: {status}).").format(
                    status=status_word(status)
                )
            else:
                said = _("It is {status}: send it back to draft first, or publish it.")
            return said.format(status=status_word(status).lower())
        if to is A.IN_REVIEW and row["reviewer_id"] is None:
            return _("Name a reviewer first: Edit, then Reviewer.")
        if to is A.PUBLISHED and not may_publish(self.actor, row):
            return _("Only its reviewer or a manager who did not write it publishes.")
        return ""

    def rule(self, detail: ArticleDetail, to: ArticleStatus) -> str:
        """What the move does, for the tooltip of an enabled button."""
        said = {
            A.IN_REVIEW: _("{reviewer} reviews it, then publishes it or sends it back.").format(
                reviewer=detail.names.get("reviewer") or _("Its reviewer")
            ),
            A.PUBLISHED: _("Published: people read it, rate it and link it to tickets."),
            A.DRAFT: _("Back to draft, to be edited; off the published articles until it is published again."),
            A.RETIRED: _("Retired: no longer offered; it can be revised later."),
        }[to]
        if needs_reason(detail.status, to):
            said += " " + _("You are asked why.")
        return said

    def ask_move(self, key: str) -> None:
        if self.detail is None:
            return
        to = self.target(key)
        if not needs_reason(self.detail.status, to):
            self.move_to(to)
            return
        title = self.buttons[key].text().replace("&", "").rstrip("…")
        question = _("Why does {number} go to {status}?").format(number=self.detail.number,
                                                                 status=status_word(to).lower())  # fmt: skip
        self.dialog = ask_text(self, "article-reason", title, question, lambda reason: self.move_to(to, reason))

    def move_to(self, to: ArticleStatus, reason: str | None = None) -> None:
        if self.detail is None:
            return
        detail = self.detail
        self.refusal.hide()
        self.pending.run(
            self.desk.edit_article, MoveArticle(detail.row["id"], to, detail.status, reason),
            label=_("Moving {number}…").format(number=detail.number), success=self._moved, failure=self._refuse,
        )  # fmt: skip

    def _moved(self, applied: ArticleApplied) -> None:
        self.applied.emit(applied)

    def _refuse(self, error: BaseException) -> None:
        why = said_beside(self, error, self.refusal)
        if why is not None:
            self.refused.emit(why)
