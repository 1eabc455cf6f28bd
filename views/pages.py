"""The views' pages until each view is built: what it will do, and what the cache already holds.

Each view is built by its own feature; until then its page says so plainly and shows
the real figures it will work on, so the window never pretends.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console.summary import WorkspaceSummary


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    icon: str
    lead: str
    planned: tuple[str, ...]  # empty once the view itself is built


PAGES: tuple[PageSpec, ...] = (
    PageSpec("queue", "Ticket queue", "queue.svg", "Your tickets and your business units' tickets.", ()),
    PageSpec("ticket", "Ticket detail", "ticket.svg", "One ticket with its notes, history and SLA.", ()),
    PageSpec(
        "changes",
        "Change approval",
        "changes.svg",
        "Governed ERP changes from request to production.",
        (
            "Awaiting-my-decision list with risk and conflicts",
            "Stages with gates, quorum and delegation",
            "Change calendar with period-end freeze windows, CAB agenda",
        ),
    ),
    PageSpec("metrics", "Metrics", "metrics.svg", "SLA compliance a manager can take to the business review.", ()),
)


def _label(text: str, role: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if role:
        label.setProperty("role", role)
    return label


class Figure(QFrame):
    """A card with one number and what it counts."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setProperty("role", "card")
        layout = QVBoxLayout(self)
        self.value = _label("…", "figure", wrap=False)
        self.value.setObjectName("figure-value")
        layout.addWidget(self.value)
        layout.addWidget(_label(caption, "lead"))

    def set(self, value: str) -> None:
        self.value.setText(value)


class ViewPage(QWidget):
    """A view's page until the view itself is built: purpose, plan, and the live figures it will use."""

    def __init__(self, spec: PageSpec) -> None:
        super().__init__()
        self.spec = spec
        self.setObjectName(f"page-{spec.key}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 24)
        layout.setSpacing(14)
        layout.addWidget(_label(spec.title, "heading"))
        layout.addWidget(_label(spec.lead, "lead"))
        self.figures: dict[str, Figure] = {}
        row = QHBoxLayout()
        for key, caption in self._figure_captions():
            self.figures[key] = Figure(caption)
            row.addWidget(self.figures[key])
        layout.addLayout(row)
        self.facts = _label("Reading the local cache…")
        self.facts.setObjectName("facts")
        layout.addWidget(self.facts)
        plan = QFrame()
        plan.setProperty("role", "card")
        grid = QGridLayout(plan)
        grid.addWidget(_label("<b>Not built yet.</b> This view is planned to bring:"), 0, 0)
        for i, item in enumerate(spec.planned, 1):
            grid.addWidget(_label(f"•  {item}"), i, 0)
        layout.addWidget(plan)
        layout.addStretch(1)

    def _figure_captions(self) -> list[tuple[str, str]]:
        return {
            "queue": [
                ("open", "open tickets"),
                ("unassigned", "open and unassigned"),
                ("total", "tickets in the cache"),
            ],
            "ticket": [("total", "tickets you can open"), ("problems", "problems"), ("articles", "knowledge articles")],
            "changes": [("changes", "change requests"), ("awaiting", "awaiting approval")],
        }[self.spec.key]

    def show_summary(self, summary: WorkspaceSummary) -> None:
        values = {
            "open": summary.open_tickets,
            "unassigned": summary.unassigned_open,
            "total": summary.tickets,
            "problems": summary.problems,
            "articles": summary.articles,
            "changes": summary.changes,
            "awaiting": summary.changes_awaiting_approval,
        }
        for key, figure in self.figures.items():
            figure.set(f"{values[key]:,}")
        if summary.first_ticket_at and summary.last_ticket_at:
            span = f"{summary.first_ticket_at:%d %b %Y} to {summary.last_ticket_at:%d %b %Y}"
            self.facts.setText(f"The local cache holds tickets from {span} in {', '.join(summary.units)}.")
        else:
            self.facts.setText("The local cache holds no tickets yet. Create a demo: support-console demo")

    def show_unavailable(self, message: str) -> None:
        for figure in self.figures.values():
            figure.set("–")
        self.facts.setText(message)
