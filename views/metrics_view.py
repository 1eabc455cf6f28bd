"""The metrics view: SLA compliance charts with filters, computed off the UI thread.

Imported only when the view is first opened, so matplotlib stays out of start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from matplotlib.backend_bases import MouseButton, MouseEvent
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.desk import Desk, MetricChoices
from console.i18n import N_, _
from console.metrics import charts
from console.metrics.queries import Dashboard, Drill, Filter
from console.zone import moment_text
from models import Priority
from views import words
from views.drill import DrillDialog, SlaDialog
from views.metrics_knowledge import KnowledgePage
from views.metrics_reconciliation import ReconciliationPage
from views.tasks import TaskRunner

DialogT = TypeVar("DialogT", bound=QDialog)

PERIODS = ((N_("Last 3 months"), 91), (N_("Last 6 months"), 182), (N_("Last 12 months"), 365),
           (N_("Last 24 months"), 730))  # fmt: skip
ALL = N_("All")  # the first choice of each filter but the period


class Chart(FigureCanvasQTAgg):
    def __init__(self, name: str) -> None:
        self.figure = charts.chart_figure()
        super().__init__(self.figure)
        self.setObjectName(f"chart-{name}")


class MetricsView(QWidget):
    loaded = Signal(object)
    drill_opened = Signal(object)  # the DrillDialog
    sla_opened = Signal(object)  # the SlaDialog

    def __init__(
        self,
        desk: Desk,
        runner: TaskRunner,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """A super-user sees only their business units (the desk's person)."""
        super().__init__()
        self.setObjectName("metrics-view")
        self.desk = desk
        self.actor = desk.actor
        self.workspace = desk.workspace
        self.runner = runner
        self.now = now or desk.now
        self.data: Dashboard | None = None
        self._generation = 0
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.period = self._combo("period", [_(label) for label, _days in PERIODS], default=2)
        self.unit = self._combo("unit", [_(ALL)])
        self.module = self._combo("module", [_(ALL)])
        self.priority = self._combo("priority", [_(ALL), *(words.priority(p) for p in Priority)])
        for caption, combo in ((_("Period"), self.period), (_("Unit"), self.unit), (_("Module"), self.module),
                               (_("Priority"), self.priority)):  # fmt: skip
            bar.addWidget(QLabel(caption))
            bar.addWidget(combo)
        bar.addStretch(1)
        self.save_button = QPushButton(_("Save chart…"))
        self.save_button.clicked.connect(self.ask_where_to_save)
        bar.addWidget(self.save_button)
        layout.addLayout(bar)
        self.status = QLabel(_("Computing…"))
        self.status.setObjectName("metrics-status")
        layout.addWidget(self.status)
        self.tabs = QTabWidget()
        self.charts = {name: Chart(name) for name in charts.CHARTS}
        for name, (title, _draw) in charts.CHARTS.items():
            self.tabs.addTab(self.charts[name], _(title))  # marked in views.words
            self.charts[name].mpl_connect("button_press_event", self._clicked)
        self.knowledge = KnowledgePage(desk, runner)  # read when shown, for the filters
        self.tabs.addTab(self.knowledge, _("Knowledge"))
        self.reconciliation = ReconciliationPage(desk, runner)  # read when first shown
        self.tabs.addTab(self.reconciliation, _("Reconciliation"))
        self.picks: dict[str, charts.Picks] = {}  # per chart: the bars a click lists
        self._stale: set[str] = set()  # charts not yet drawn with the latest data
        self.tabs.currentChanged.connect(self._draw_current)
        self.dialogs: list[QDialog] = []  # the drill-down and SLA dialogs open now
        layout.addWidget(self.tabs, 1)
        self._choices_loaded = False

    def _combo(self, name: str, items: list[str], default: int = 0) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"filter-{name}")
        combo.addItems(items)
        combo.setCurrentIndex(default)
        combo.currentIndexChanged.connect(self.refresh)
        return combo

    def start(self) -> None:
        """Fill the filter lists, then compute the charts (both in the background)."""
        self.runner.op(self.desk.metric_choices, label=_("Reading filters…")).success(self._fill_choices).run()
        self.refresh()

    def _fill_choices(self, choices: MetricChoices) -> None:
        for combo, items in ((self.unit, choices.units), (self.module, choices.modules)):
            combo.blockSignals(True)
            combo.addItems(items)
            combo.blockSignals(False)
        self._choices_loaded = True

    def current_filter(self) -> Filter:
        end = self.now().date() + timedelta(days=1)  # today included
        days = PERIODS[self.period.currentIndex()][1]

        def chosen(combo: QComboBox) -> tuple[str, ...]:
            return () if combo.currentIndex() <= 0 else (combo.currentText(),)

        index = self.priority.currentIndex()  # the list reads "Critical", the filter takes "critical"
        priority = (list(Priority)[index - 1].value,) if index > 0 else ()
        return Filter(end - timedelta(days=days), end, chosen(self.unit), chosen(self.module), priority)

    def refresh(self) -> None:
        """Recompute for the current filters; an answer to an older request is dropped, not drawn."""
        self.status.setText(_("Computing…"))
        self._generation += 1
        generation = self._generation

        def show_if_current(data: Dashboard) -> None:
            if generation == self._generation:
                self.show_dashboard(data)

        flt, now = self.current_filter(), self.now()
        self.knowledge.show_filter(flt)
        self.runner.op(self.desk.dashboard, flt, now, label=_("Computing metrics…")).success(show_if_current).run()

    def show_dashboard(self, data: Dashboard) -> None:
        self.data = data
        self._stale = set(self.charts)
        self._draw_current()
        judged = sum(c.total for c in data.weekly)
        met = sum(c.met for c in data.weekly)
        share = f"{100 * met / judged:.1f} %" if judged else "–"
        as_of = words.isolated(moment_text(data.as_of, named=True)) if data.as_of else _("never")
        self.status.setText(
            _("Resolution compliance {share} of {tickets}").format(share=share, tickets=words.counted(judged, "ticket"))
            + " · "
            + _("{n} open").format(n=f"{data.backlog.open:,}")
            + " · "
            + _("data as of {moment}").format(moment=as_of)
        )
        self.loaded.emit(data)

    def _draw_current(self) -> None:
        """Draw the chart on show only: the others wait until their tab is opened (each takes a moment)."""
        on_chart = self.tabs.currentWidget() in self.charts.values()
        # the knowledge page's chart is saved too; the reconciliation page has its own Export CSV…
        self.save_button.setEnabled(on_chart or self.tabs.currentWidget() is self.knowledge)
        if not on_chart:
            return
        name = list(self.charts)[self.tabs.currentIndex()]
        if self.data is None or name not in self._stale:
            return
        target = float(self.workspace.settings.get("compliance_target_percent"))
        self.picks[name] = charts.draw(name, self.charts[name].figure, self.data, target)
        self.charts[name].draw_idle()
        self._stale.discard(name)

    def _clicked(self, event: MouseEvent) -> None:
        """A left click on a bar lists its tickets (found by hit test, whatever axes lie on top)."""
        if event.button != MouseButton.LEFT:
            return
        name = next(n for n, chart in self.charts.items() if chart is event.canvas)
        for artist, drill in self.picks.get(name, {}).items():
            hit, details = artist.contains(event)
            if not hit:
                continue
            if isinstance(drill, list):  # a collection of bars: the one under the mouse
                drill = drill[int(details["ind"][0])]
            self.open_drill(drill)
            return

    def open_drill(self, drill: Drill) -> DrillDialog:
        """List the tickets behind a bar; opening one shows its SLA and timeline."""
        dialog = DrillDialog(self.desk, self.runner, drill, self)
        dialog.open_ticket.connect(self.open_ticket)
        self.drill_opened.emit(self._keep(dialog))
        return dialog

    def open_ticket(self, number: str) -> SlaDialog:
        dialog = self._keep(SlaDialog(self.desk, self.runner, number, self.now(), self))
        self.sla_opened.emit(dialog)
        return dialog

    def _keep(self, dialog: DialogT) -> DialogT:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(dialog)
        dialog.destroyed.connect(lambda: self.dialogs.remove(dialog))
        dialog.open()
        return dialog

    def current_chart(self) -> FigureCanvasQTAgg:
        if self.tabs.currentWidget() is self.knowledge:
            return self.knowledge.chart
        return list(self.charts.values())[self.tabs.currentIndex()]

    def ask_where_to_save(self) -> None:
        name = "knowledge-chart.png" if self.tabs.currentWidget() is self.knowledge else "sla-chart.png"
        dialog = QFileDialog(self, _("Save chart"), str(Path.home() / name))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([_("PNG image (*.png)"), _("SVG drawing (*.svg)"), _("PDF document (*.pdf)")])
        dialog.fileSelected.connect(self.save_chart)
        dialog.open()

    def save_chart(self, path: str) -> Path:
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg", ".pdf"):
            target = target.with_suffix(".png")
        self.current_chart().figure.savefig(target, dpi=150)
        return target
