"""The metrics view's Knowledge page: tickets resolved with a knowledge article, the articles linked most, and
problem candidates opened as problems (``console.metrics.knowledge``), for the filters of the view.

Read off the UI thread when the page is shown with filters it has not read yet, and again after tickets are edited
(while it is not shown, only marked stale).
"""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QHeaderView, QLabel, QVBoxLayout, QWidget

from console.desk import Desk
from console.i18n import _, n_
from console.journal.touched import Touched
from console.metrics import charts
from console.metrics.knowledge import TOP_ARTICLES, ArticleUse, Knowledge
from console.metrics.queries import Filter
from views.tables import RowsModel, rows_table
from views.tasks import TaskRunner


def percent_text(value: float | None) -> str:
    """A share as the metrics view's status line says one: "6.8 %", or "–" with nothing to take it of."""
    return "–" if value is None else f"{value:.1f} %"


def draw_articles(figure: Figure, articles: tuple[ArticleUse, ...]) -> None:
    """The articles most used as horizontal bars, the most used on top, each with its count. Named by number only:
    a title may be Persian or Arabic, which matplotlib cannot join and order (the table beside it shows titles)."""
    figure.clear()
    if not articles:
        return
    ax = figure.add_subplot()
    # one slot per place of the list, from the top, so that a bar is as thick with three articles as with ten
    places = [TOP_ARTICLES - 1 - index for index in range(len(articles))]
    counts = [a.tickets for a in articles]
    bars = ax.barh(places, counts, color=charts.BAR, height=0.6)
    ax.set_yticks(places, [a.number for a in articles])
    ax.set_ylim(-0.5, TOP_ARTICLES - 0.5)
    ax.bar_label(bars, labels=[f"{n:,}" for n in counts], padding=3, fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, max(counts) * 1.15)
    ax.tick_params(axis="y", labelsize=9)
    ax.tick_params(axis="x", labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


class Card(QFrame):
    """One key figure: what it is, the figure large, and what it is made of."""

    def __init__(self, name: str, caption: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setProperty("role", "card")
        layout = QVBoxLayout(self)
        self.caption = QLabel(caption)
        self.value = QLabel("–")
        self.value.setObjectName(f"{name}-value")
        self.value.setProperty("role", "figure")
        self.note = QLabel("")
        self.note.setObjectName(f"{name}-note")
        self.note.setWordWrap(True)
        for label in (self.caption, self.value, self.note):
            layout.addWidget(label)

    def show_figure(self, value: str, note: str) -> None:
        self.value.setText(value)
        self.note.setText(note)


class KnowledgePage(QWidget):
    loaded = Signal(object)  # the Knowledge shown

    def __init__(self, desk: Desk, runner: TaskRunner) -> None:
        super().__init__()
        self.setObjectName("metrics-knowledge")
        self.desk, self.runner = desk, runner
        self.filter: Filter | None = None
        self.found: Knowledge | None = None
        self._stale = False
        self._generation = 0
        layout = QVBoxLayout(self)
        lead = QLabel(
            _("How the knowledge base served support in the period, by the filters above: tickets resolved with a "
              "linked article, the articles linked most, and problem candidates opened as problems.")
        )  # fmt: skip
        lead.setWordWrap(True)
        lead.setProperty("role", "lead")
        layout.addWidget(lead)
        self.status = QLabel(_("Reading…"))
        self.status.setObjectName("knowledge-status")
        layout.addWidget(self.status)
        cards = QHBoxLayout()
        self.deflected = Card("knowledge-deflected", _("Resolved with a knowledge article"))
        self.problems = Card("knowledge-problems", _("Problem candidates opened as problems"))
        for card in (self.deflected, self.problems):
            cards.addWidget(card, 1)
        layout.addLayout(cards)
        title = QLabel(_("Articles most used (tickets resolved in the period that link them)"))
        title.setProperty("role", "subheading")
        layout.addWidget(title)
        self.none_used = QLabel(_("No ticket resolved in the period links a knowledge article."))
        self.none_used.setObjectName("knowledge-none-used")
        self.none_used.setVisible(False)
        layout.addWidget(self.none_used)
        below = QHBoxLayout()
        self.articles = RowsModel([_("Knowledge article"), _("Title"), _("Tickets")], self)
        self.articles_view = rows_table(self.articles, "knowledge-articles")
        self.articles_view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.articles_view.horizontalHeader().setStretchLastSection(False)
        below.addWidget(self.articles_view, 3)
        self.figure = charts.chart_figure(4.5, 3.2)
        self.chart = FigureCanvasQTAgg(self.figure)
        self.chart.setObjectName("chart-knowledge")
        below.addWidget(self.chart, 2)
        layout.addLayout(below, 1)
        runner.edited.connect(self._edited)

    def show_filter(self, flt: Filter) -> None:
        """The view's filters changed: read now if shown, else when next shown."""
        self.filter = flt
        self._stale = True
        self._generation += 1  # an answer for the filters before is no longer wanted
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _edited(self, touched: Touched) -> None:
        if touched.any_ticket and self.filter is not None:
            self.show_filter(self.filter)

    def refresh(self) -> None:
        if self.filter is None:
            return
        self._stale = False
        generation = self._generation
        self.status.setText(_("Reading…"))
        self.status.setVisible(True)

        def show_if_current(found: Knowledge) -> None:
            if generation == self._generation:
                self.show_knowledge(found)

        self.runner.op(self.desk.knowledge_use, self.filter, label=_("Reading knowledge use…")).success(
            show_if_current
        ).run()

    def show_knowledge(self, found: Knowledge) -> None:
        self.found = found
        self.status.setVisible(False)
        self.deflected.show_figure(
            percent_text(found.deflected_percent),
            n_(
                "{n} of {resolved} ticket resolved in the period",
                "{n} of {resolved} tickets resolved in the period",
                found.resolved,
            ).format(n=f"{found.deflected:,}", resolved=f"{found.resolved:,}"),
        )
        self.problems.show_figure(
            f"{found.problems_opened:,}",
            n_("{n} incident linked at their opening", "{n} incidents linked at their opening",
               found.incidents_linked).format(n=f"{found.incidents_linked:,}"),
        )  # fmt: skip
        self.articles.set_rows([[a.number, a.title, f"{a.tickets:,}"] for a in found.articles])
        self.none_used.setVisible(not found.articles)
        self.chart.setVisible(bool(found.articles))
        draw_articles(self.figure, found.articles)
        self.chart.draw_idle()
        self.loaded.emit(found)
