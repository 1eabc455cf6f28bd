"""The metrics view's Knowledge page, on known data in March 2010 (long before the demo's history): the figures it
shows, narrowed by the filters above and by a super-user's scope, and its chart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from matplotlib.patches import Rectangle
from pytestqt.qtbot import QtBot

from console.access import Actor
from console.desk import Desk
from console.store.workspace import Workspace
from models import TicketStatus
from tests.gui.drive import save_shot
from tests.integration.test_metrics_knowledge import (
    codes,
    consultant,
    made_on,
    opened,
    resolved_with_articles,
    super_user,
)
from views.metrics_view import MetricsView
from views.tasks import TaskRunner

NOW = datetime(2010, 3, 31, 12, tzinfo=UTC)  # the view's periods end with this day: "Last 12 months" holds March
WAIT = 30_000


def made_in(workspace: Workspace) -> tuple[Actor, Actor, dict[str, str]]:
    """The tickets and articles of tests/integration/test_metrics_knowledge.py, and one problem opened from two
    incidents (one of each unit); the consultant who opened it, the super-user, and the units' codes."""
    with workspace.cache().connect() as conn:
        her, worker = super_user(conn), consultant(conn)
        made = made_on(conn)
        resolved_with_articles(made)
        incidents = [
            made.ticket("i1", "MINE", status=TicketStatus.NEW),
            made.ticket("i2", "OTHER", status=TicketStatus.NEW),
        ]
        units = codes(made)
        conn.commit()
    opened(workspace, worker, datetime(2010, 3, 10, 9, tzinfo=UTC), incidents)
    return worker, her, units


def metrics_of(qtbot: QtBot, workspace: Workspace, actor: Actor) -> MetricsView:
    view = MetricsView(Desk(workspace, actor), TaskRunner(), now=lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1100, 720)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.start()
    assert view.knowledge.found is None  # read when its tab is first shown, not before
    with qtbot.waitSignal(view.knowledge.loaded, timeout=WAIT):
        view.tabs.setCurrentWidget(view.knowledge)
    assert view.tabs.tabText(view.tabs.currentIndex()) == "Knowledge"
    return view


def shown(view: MetricsView) -> dict[str, object]:
    """What the page shows: both figures with their notes, the table's rows, and the chart's bars from the top, each
    with the article it names on the axis and its length."""
    page = view.knowledge
    chart: list[tuple[str, int]] = []
    if page.figure.axes:
        ax = page.figure.axes[0]
        names = {round(y): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
        bars = sorted((p for p in ax.patches if isinstance(p, Rectangle)), key=lambda b: -b.get_y())
        chart = [(names[round(b.get_y() + b.get_height() / 2)], round(b.get_width())) for b in bars]
    return {
        "deflected": (page.deflected.value.text(), page.deflected.note.text()),
        "problems": (page.problems.value.text(), page.problems.note.text()),
        "articles": page.articles.rows,
        "chart": chart,
    }


def test_the_page_shows_the_figures_of_the_filters(qtbot: QtBot, gui_workspace: Workspace, tmp_path: Path) -> None:
    worker, _her, units = made_in(gui_workspace)
    view = metrics_of(qtbot, gui_workspace, worker)
    # Resolved in the twelve months to 31 March 2010: first, closed, last, plain, mine, fifth, feb (not april, on
    # 1 April; not again, reopened); with an article: first, closed, last, fifth, feb.
    assert shown(view) == {
        "deflected": ("71.4 %", "5 of 7 tickets resolved in the period"),
        "problems": ("1", "2 incidents linked at their opening"),
        "articles": [
            ["KB-1", "Period closed: reopen it", "3"],
            ["KB-3", "Vendor blocked on requisitions", "2"],
            ["KB-2", "Bank import rejected", "1"],
        ],
        "chart": [("KB-1", 3), ("KB-3", 2), ("KB-2", 1)],
    }
    assert view.save_button.isEnabled()  # the page's chart is saved as the others are
    assert view.save_chart(str(tmp_path / "knowledge")).read_bytes().startswith(b"\x89PNG")
    save_shot(view, "metrics-knowledge")
    view.grab().save("/tmp/metrics_knowledge.png")

    qtbot.waitUntil(lambda: view.unit.count() > 1, timeout=10_000)
    with qtbot.waitSignal(view.knowledge.loaded, timeout=WAIT):  # shown: read again at once
        view.unit.setCurrentText(units["OTHER"])
    assert shown(view) == {  # last, plain, fifth; the problem's incident i2
        "deflected": ("66.7 %", "2 of 3 tickets resolved in the period"),
        "problems": ("1", "1 incident linked at their opening"),
        "articles": [["KB-1", "Period closed: reopen it", "1"], ["KB-3", "Vendor blocked on requisitions", "1"]],
        "chart": [("KB-1", 1), ("KB-3", 1)],
    }
    view.tabs.setCurrentIndex(0)  # filters changed while the page is hidden are read when it is shown again
    view.priority.setCurrentText("Low")
    qtbot.waitUntil(lambda: view.knowledge._stale, timeout=WAIT)
    with qtbot.waitSignal(view.knowledge.loaded, timeout=WAIT):
        view.tabs.setCurrentWidget(view.knowledge)
    assert shown(view) == {
        "deflected": ("0.0 %", "0 of 1 ticket resolved in the period"),
        "problems": ("0", "0 incidents linked at their opening"),
        "articles": [],
        "chart": [],
    }
    assert view.knowledge.none_used.isVisible()
    assert not view.knowledge.chart.isVisible()


def test_a_super_user_sees_only_her_units(qtbot: QtBot, gui_workspace: Workspace) -> None:
    _worker, her, _units = made_in(gui_workspace)
    view = metrics_of(qtbot, gui_workspace, her)
    assert shown(view) == {  # first, closed, mine, feb; the problem's incident i1
        "deflected": ("75.0 %", "3 of 4 tickets resolved in the period"),
        "problems": ("1", "1 incident linked at their opening"),
        "articles": [
            ["KB-1", "Period closed: reopen it", "2"],
            ["KB-2", "Bank import rejected", "1"],
            ["KB-3", "Vendor blocked on requisitions", "1"],
        ],
        "chart": [("KB-1", 2), ("KB-2", 1), ("KB-3", 1)],
    }
