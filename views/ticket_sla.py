"""A ticket's SLA in the window: a countdown chip per clock for the ticket's header, and the SLA tab — the
clocks as a picture with the evidence below it in words.

The picture is ``console.sla.picture``'s, the one ``sla show --out`` writes, on a matplotlib canvas. The
canvas is made the first time the tab is shown, and drawn only while it is: matplotlib and its Qt backend
take the better part of a second to import, which opening a ticket (on its Notes tab) does not pay. The
chips are plain labels, counted down every 30 s from the moments already read, without a query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from console.i18n import _
from console.sla.course import Course, course
from console.sla.engine import Clock, SlaResult
from console.sla.words import EVIDENCE_HEADINGS, chip, evidence_lines, resolution_sentence
from console.zone import local_zone, zone_label
from views import words
from views.queue_model import BANDS
from views.tables import RowsModel, rows_table

TICK_MS = 30_000
PICTURE_HEIGHT = 240  # pixels: two clocks with their labels, the legend and the time axis


def _chip_style(band: str) -> str:
    background, colour = BANDS.get(band, BANDS["met"])
    return (
        f"QLabel {{ background: {background}; color: {colour}; border: 1px solid {colour}55;"
        " border-radius: 10px; padding: 2px 10px; font-weight: 600; }"
    )


class SlaChips(QWidget):
    """One chip per clock: "Response met", "Resolution · 3h 12m left", "… 2h 05m overdue", "… paused"."""

    def __init__(self, now: Callable[[], datetime], zone: tzinfo | None = None) -> None:
        super().__init__()
        self.setObjectName("ticket-sla-chips")
        self.now = now
        self.zone = zone or local_zone()
        self.courses: list[Course] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addStretch(1)  # the chips kept together, at the right
        self.labels: dict[str, QLabel] = {}  # by clock: "response", "resolution"
        for which in Clock:
            label = QLabel()
            label.setObjectName(f"ticket-sla-chip-{which}")
            label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # the title wraps, not the chip
            label.hide()
            layout.addWidget(label)
            self.labels[which] = label
        self.ticker = QTimer(self)
        self.ticker.setInterval(TICK_MS)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()

    def show_sla(self, result: SlaResult) -> None:
        self.courses = [course(result, which) for which in Clock]
        self.tick()

    def tick(self) -> None:
        now = self.now()
        for path in self.courses:
            said = chip(path, now, self.zone)
            label = self.labels[path.clock.clock]
            label.setText(said.text)
            label.setToolTip(said.tip)
            label.setProperty("band", said.band)
            label.setStyleSheet(_chip_style(said.band))
            label.show()

    def texts(self) -> list[str]:
        """What the chips say, in clock order (for tests and for the status of a ticket read aloud)."""
        return [label.text() for label in self.labels.values() if not label.isHidden()]


class SlaTab(QWidget):
    drawn = Signal()  # the picture was drawn

    def __init__(self, zone: tzinfo | None = None) -> None:
        super().__init__()
        self.setObjectName("ticket-sla")
        self.zone = zone or local_zone()
        self.result: SlaResult | None = None
        self.canvas: Any = None  # a FigureCanvasQTAgg, once the tab is first shown
        self._stale = False
        # One scroll for the whole tab: the picture at the height it reads at, every step of the evidence
        # below it (a short window scrolls rather than squeezing the two into each other).
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        self.content = QVBoxLayout(content)
        self.summary = QLabel()
        self.summary.setObjectName("ticket-sla-summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.content.addWidget(self.summary)
        self.placeholder = QLabel(_("Drawing the clocks…"))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setFixedHeight(PICTURE_HEIGHT)
        self.content.addWidget(self.placeholder)
        heading = QLabel(
            "<b>"
            + _("What happened, in order")
            + "</b> · "
            + _("the status that moved each clock, in your time ({zone})").format(zone=zone_label(self.zone))
        )
        heading.setObjectName("ticket-sla-evidence-heading")
        self.content.addWidget(heading)
        self.evidence = RowsModel(words.headings(EVIDENCE_HEADINGS), self)
        self.table = rows_table(self.evidence, "ticket-sla-evidence")
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.content.addWidget(self.table)
        self.content.addStretch(1)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def _fit_table(self) -> None:
        """The table as tall as its rows: the tab scrolls, not the table."""
        table = self.table
        rows = sum(table.rowHeight(row) for row in range(self.evidence.rowCount()))
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows + 2 * table.frameWidth() + 2)

    def show_sla(self, result: SlaResult, module: str) -> None:
        self.result = result
        self.summary.setText(resolution_sentence(result, module, self.zone))
        self.evidence.set_rows(evidence_lines(result, self.zone))
        self._fit_table()
        self._stale = True
        if self.isVisible():
            self.draw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.draw()

    def draw(self) -> None:
        from console.sla.picture import draw_sla

        if self.result is None:
            return
        if self.canvas is None:
            self.canvas = self._make_canvas()
        draw_sla(self.canvas.figure, self.result, self.zone)
        self.canvas.draw_idle()
        self._stale = False
        self.drawn.emit()

    def _make_canvas(self) -> Any:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        from console.sla.picture import screen_figure

        canvas = FigureCanvasQTAgg(screen_figure())
        canvas.setObjectName("ticket-sla-picture")
        canvas.setFixedHeight(PICTURE_HEIGHT)
        self.content.replaceWidget(self.placeholder, canvas)
        self.placeholder.deleteLater()
        canvas.show()  # added to a tab already shown
        return canvas
