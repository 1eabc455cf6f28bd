"""The problem view driven by the people who use it, each at their own desk (a view with their user): the demo's
problems listed and filtered, a consultant working one from New to Known error, a move refused for what its
status asks, a super-user reading only, resolving a problem offering to resolve its open incidents; and the
ticket detail's known-error banner applying a workaround. Each checked against the cache.

With ``SUPPORT_CONSOLE_SHOTS`` set, the screens are kept (``problems-list.png``, ``problems-refusal.png``…)."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from console.access import Actor, load_actor
from console.desk import Desk
from console.journal.intents import LinkIncidents
from console.problems.rules import KNOWN
from console.store.workspace import Workspace
from models import (
    AuditEvent,
    Comment,
    EntityType,
    Problem,
    ProblemStatus,
    Role,
    Ticket,
    TicketStatus,
    User,
    Visibility,
)
from tests.gui.drive import become_super_user, save_shot
from views.known_error_banner import KnownErrorBanner
from views.problem_detail import ProblemPanel
from views.problems_model import Column
from views.problems_view import ProblemsView
from views.tasks import TaskRunner

P = ProblemStatus
WAIT = 20_000
VIEW_SIZE = (1060, 760)  # about what the main window gives a view at its default 1280×800


def person(workspace: Workspace, role: Role) -> Actor:
    with workspace.cache().connect() as conn:
        login = conn.execute(
            select(User.login).where(User.role == role, User.active).order_by(User.login)
        ).scalars().first()  # fmt: skip
        assert login is not None
        return load_actor(conn, login)


def problems_view(qtbot: QtBot, workspace: Workspace, actor: Actor) -> ProblemsView:
    """One person's problem view, its list read and its filters' choices with it."""
    view = ProblemsView(Desk(workspace, actor), TaskRunner())
    qtbot.addWidget(view)
    view.resize(*VIEW_SIZE)
    view.show()
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.start()
    qtbot.waitUntil(lambda: bool(view.modules) and view.pending.count == 0, timeout=WAIT)
    return view


def listed(view: ProblemsView) -> set[str]:
    return {p.number for p in view.model.problems}


def numbers_in_cache(workspace: Workspace, *where: object) -> set[str]:
    with workspace.cache().connect() as conn:
        return set(conn.execute(select(Problem.number).where(*where)).scalars())  # type: ignore[arg-type]


def stored(workspace: Workspace, number: str) -> dict[str, object]:
    with workspace.cache().connect() as conn:
        return dict(conn.execute(select(Problem).where(Problem.number == number)).one()._mapping)


def shown_number(panel: ProblemPanel) -> str | None:
    return None if panel.detail is None else panel.detail.number


def shown_status(panel: ProblemPanel) -> ProblemStatus | None:
    return None if panel.detail is None else ProblemStatus(panel.detail.row["status"])


def open_new(qtbot: QtBot, view: ProblemsView, title: str) -> str:
    """A problem opened from the view's dialog, as a person types it; its number, once it is shown."""
    dialog = view.new_problem()
    assert dialog is not None
    assert not dialog.ok.isEnabled()  # a title first
    qtbot.keyClicks(dialog.title, title)
    dialog.module.setCurrentIndex(dialog.module.findText("FIN"))
    qtbot.keyClicks(dialog.description, "The nightly batch posts into a period that is still closed.")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.panel.detail is not None and view.panel.detail.row["title"] == title, timeout=WAIT)
    assert view.panel.detail is not None
    return view.panel.detail.number


def click_move(qtbot: QtBot, view: ProblemsView, to: ProblemStatus) -> None:
    qtbot.mouseClick(view.panel.lifecycle.move_buttons[to], Qt.MouseButton.LeftButton)


def moved(qtbot: QtBot, view: ProblemsView, to: ProblemStatus) -> None:
    """Click the move to ``to`` and wait until the problem shows in it."""
    click_move(qtbot, view, to)
    qtbot.waitUntil(lambda: shown_status(view.panel) is to, timeout=WAIT)


def answer(qtbot: QtBot, view: ProblemsView, text: str) -> None:
    """Give the question asked (a move's reason, incident numbers to link) this answer."""

    def asked() -> QInputDialog | None:
        dialogs = (view.panel.lifecycle.dialog, view.panel.dialog)
        return next((d for d in dialogs if isinstance(d, QInputDialog) and d.isVisible()), None)

    qtbot.waitUntil(lambda: asked() is not None, timeout=WAIT)
    dialog = asked()
    assert dialog is not None
    dialog.setTextValue(text)
    dialog.accept()


def test_the_list_shows_the_demos_problems_and_filters_by_known_error(qtbot: QtBot, gui_workspace: Workspace) -> None:
    view = problems_view(qtbot, gui_workspace, person(gui_workspace, Role.FUNCTIONAL_CONSULTANT))
    assert listed(view) == numbers_in_cache(gui_workspace, Problem.status.not_in([P.RESOLVED, P.CLOSED]))
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.show_all()
        assert view.busy.isVisibleTo(view)  # while the list is read
    qtbot.waitUntil(lambda: not view.busy.isVisibleTo(view), timeout=WAIT)  # the problem shown read too
    everything = numbers_in_cache(gui_workspace)
    assert listed(view) == everything
    assert len(everything) >= 8
    assert view.count.text() == f"{len(everything)} problems"

    known = numbers_in_cache(gui_workspace, Problem.status.in_(KNOWN))
    assert known
    assert known != everything
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.known.setCurrentIndex(1)  # known errors
    assert listed(view) == known
    statuses = {view.model.index(r, Column.STATUS).data() for r in range(view.model.rowCount())}
    assert statuses <= {"Known error", "Fix in change"}
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.known.setCurrentIndex(2)  # not known errors
    assert listed(view) == everything - known

    # The search finds words of the title; a module narrows it.
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.known.setCurrentIndex(0)
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search.hasFocus()
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        qtbot.keyClicks(view.search, "invoice")
        qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert listed(view) == numbers_in_cache(gui_workspace, Problem.title.ilike("%invoice%"))
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.search.clear()

    # The problem with the most incidents in full; Enter on an incident asks the window to open that ticket.
    busiest = max(view.model.problems, key=lambda p: p.incidents)
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(view.model.problems.index(busiest), 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)  # Enter: the problem, its description in focus
    qtbot.waitUntil(lambda: shown_number(view.panel) == busiest.number and view.pending.count == 0, timeout=WAIT)
    detail = view.panel.detail
    assert detail is not None
    assert view.panel.editors["description"].hasFocus()
    assert view.panel.heading.text() == f"{busiest.number} · {busiest.title}"
    assert view.panel.incidents.rowCount() == busiest.incidents == len(detail.incidents)
    assert view.panel.tabs.tabText(1) == f"Incidents ({busiest.incidents})"
    view.panel.tabs.setCurrentIndex(1)
    table = view.panel.incidents_table
    table.setFocus()
    table.setCurrentIndex(view.panel.incidents.index(0, 0))
    with qtbot.waitSignal(view.open_ticket, timeout=WAIT) as ticket:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert ticket.args == [detail.incidents[0].number]
    with qtbot.waitSignal(view.listed, timeout=WAIT):  # F5: the list read again, the problem shown kept
        qtbot.keyClick(view, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: view.pending.count == 0, timeout=WAIT)
    assert shown_number(view.panel) == busiest.number
    view.panel.tabs.setCurrentIndex(0)
    save_shot(view, "problems-list")


def test_a_consultant_works_a_problem_from_new_to_known_error(qtbot: QtBot, gui_workspace: Workspace) -> None:
    consultant = person(gui_workspace, Role.FUNCTIONAL_CONSULTANT)
    view = problems_view(qtbot, gui_workspace, consultant)
    number = open_new(qtbot, view, "Period-end posting fails after the batch")
    assert stored(gui_workspace, number)["status"] == P.NEW
    assert stored(gui_workspace, number)["owner_id"] == consultant.id
    assert number in listed(view)
    assert view.model.problems[0].number == number
    assert set(view.panel.lifecycle.move_buttons) == {P.INVESTIGATING, P.CLOSED}

    moved(qtbot, view, P.INVESTIGATING)
    assert stored(gui_workspace, number)["status"] == P.INVESTIGATING
    assert set(view.panel.lifecycle.move_buttons) == {P.ROOT_CAUSE_KNOWN, P.KNOWN_ERROR, P.CLOSED}
    assert "its root cause" in view.panel.lifecycle.move_buttons[P.ROOT_CAUSE_KNOWN].toolTip()

    cause = "The batch job does not open the posting period before it posts."
    workaround = "Open the period by hand (Finance, Periods), then run the posting again."
    assert not view.panel.save_button.isEnabled()
    qtbot.keyClicks(view.panel.editors["root_cause"], cause)
    qtbot.keyClicks(view.panel.editors["workaround"], workaround)
    assert view.panel.save_button.isEnabled()
    qtbot.mouseClick(view.panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.panel.detail is not None and view.panel.detail.row["workaround"] == workaround,
                    timeout=WAIT)  # fmt: skip
    row = stored(gui_workspace, number)
    assert (row["root_cause"], row["workaround"]) == (cause, workaround)
    assert not view.panel.save_button.isEnabled()

    moved(qtbot, view, P.KNOWN_ERROR)
    row = stored(gui_workspace, number)
    assert row["status"] == P.KNOWN_ERROR
    assert row["known_error_at"] is not None
    assert (row["root_cause"], row["workaround"]) == (cause, workaround)
    status_cell = view.model.index([p.number for p in view.model.problems].index(number), Column.STATUS).data()
    assert status_cell == "Known error"
    what = [view.panel.history.rows[r][2:5] for r in range(view.panel.history.rowCount())]
    assert what[0] == ["Status", "Investigating", "Known error"]  # the newest first
    assert ["Status", "New", "Investigating"] in what
    assert any(w[0] == "Workaround" and w[2] == workaround for w in what)
    assert set(view.panel.lifecycle.move_buttons) == {P.FIX_IN_CHANGE, P.RESOLVED, P.INVESTIGATING}
    assert view.panel.lifecycle.move_buttons[P.INVESTIGATING].text() == "Back to Investigating"
    view.panel.tabs.setCurrentIndex(3)
    save_shot(view, "problems-history")


def test_a_move_lacking_what_its_status_asks_is_refused_and_changes_nothing(
    qtbot: QtBot, gui_workspace: Workspace
) -> None:
    view = problems_view(qtbot, gui_workspace, person(gui_workspace, Role.FUNCTIONAL_CONSULTANT))
    number = open_new(qtbot, view, "Leave balance wrong after the policy change")
    moved(qtbot, view, P.INVESTIGATING)
    with gui_workspace.cache().connect() as conn:
        events = conn.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_type == EntityType.PROBLEM)).scalar_one()  # fmt: skip

    with qtbot.waitSignal(view.panel.refused, timeout=WAIT) as refusal:
        click_move(qtbot, view, P.ROOT_CAUSE_KNOWN)
    assert "needs its root cause" in refusal.args[0]
    qtbot.waitUntil(view.panel.lifecycle.refusal.isVisible)
    assert view.panel.lifecycle.refusal.text() == refusal.args[0]
    assert stored(gui_workspace, number)["status"] == P.INVESTIGATING

    # Closing asks why; no reason given, it is refused too.
    click_move(qtbot, view, P.CLOSED)
    with qtbot.waitSignal(view.panel.refused, timeout=WAIT) as refusal:
        answer(qtbot, view, "   ")
    assert refusal.args[0].startswith(f"Say why {number} goes to closed")
    row = stored(gui_workspace, number)
    assert (row["status"], row["root_cause"], row["closed_at"]) == (P.INVESTIGATING, None, None)
    with gui_workspace.cache().connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_type == EntityType.PROBLEM)).scalar_one() == events  # fmt: skip
    qtbot.waitUntil(lambda: view.pending.count == 0, timeout=WAIT)
    assert shown_status(view.panel) is P.INVESTIGATING
    save_shot(view, "problems-refusal")


def test_a_super_user_reads_problems_only(qtbot: QtBot, gui_workspace: Workspace) -> None:
    become_super_user(gui_workspace)
    with gui_workspace.cache().connect() as conn:
        actor = load_actor(conn, str(gui_workspace.settings.get("user")))
    assert actor.role is Role.SUPER_USER
    view = problems_view(qtbot, gui_workspace, actor)
    with qtbot.waitSignal(view.listed, timeout=WAIT):
        view.show_all()
    assert listed(view) == numbers_in_cache(gui_workspace)
    qtbot.waitUntil(lambda: view.panel.detail is not None and view.pending.count == 0, timeout=WAIT)
    panel = view.panel
    assert panel.read_only.isVisible()
    assert "super user cannot work problems" in panel.read_only.text()
    assert panel.lifecycle.move_buttons == {}
    assert all(editor.isReadOnly() for editor in panel.editors.values())
    for hidden in (
        panel.save_button,
        panel.lifecycle.take_over,
        panel.link_button,
        panel.unlink_button,
        panel.lifecycle.moves_label,
    ):
        assert not hidden.isVisible()
    assert not view.new_button.isEnabled()
    assert view.new_problem() is None
    save_shot(view, "problems-read-only")
    # Every problem is read, but of its incidents only those of the super-user's own units.
    busiest = max(view.model.problems, key=lambda p: p.incidents)
    view.table.setCurrentIndex(view.model.index(view.model.problems.index(busiest), 0))
    qtbot.waitUntil(lambda: shown_number(panel) == busiest.number and view.pending.count == 0, timeout=WAIT)
    assert panel.detail is not None
    shown = {i.unit for i in panel.detail.incidents}
    assert shown <= set(actor_units(gui_workspace, actor))
    assert len(panel.detail.incidents) <= busiest.incidents
    assert panel.lifecycle.move_buttons == {}


def actor_units(workspace: Workspace, actor: Actor) -> list[str]:
    from models import BusinessUnit

    with workspace.cache().connect() as conn:
        ids = sorted(actor.units, key=str)
        return list(conn.execute(select(BusinessUnit.code).where(BusinessUnit.id.in_(ids))).scalars())


def open_incident(workspace: Workspace, status: TicketStatus) -> tuple[uuid.UUID, str]:
    with workspace.cache().connect() as conn:
        found = conn.execute(
            select(Ticket.id, Ticket.number).where(Ticket.status == status, Ticket.problem_id.is_(None))
            .order_by(Ticket.number).limit(1)
        ).one()  # fmt: skip
    return found.id, found.number


def ticket_status(workspace: Workspace, ticket_id: uuid.UUID) -> TicketStatus:
    with workspace.cache().connect() as conn:
        return TicketStatus(conn.execute(select(Ticket.status).where(Ticket.id == ticket_id)).scalar_one())


def test_resolving_offers_to_resolve_the_open_incidents(qtbot: QtBot, gui_workspace: Workspace) -> None:
    view = problems_view(qtbot, gui_workspace, person(gui_workspace, Role.FUNCTIONAL_CONSULTANT))
    working, working_number = open_incident(gui_workspace, TicketStatus.IN_PROGRESS)
    fresh, fresh_number = open_incident(gui_workspace, TicketStatus.NEW)
    number = open_new(qtbot, view, "Three-way match fails after the tolerance change")

    view.panel.ask_link()
    answer(qtbot, view, f"{working_number}, {fresh_number}")
    qtbot.waitUntil(lambda: view.panel.incidents.rowCount() == 2, timeout=WAIT)
    assert {r[0] for r in view.panel.incidents.rows} == {working_number, fresh_number}

    moved(qtbot, view, P.INVESTIGATING)
    qtbot.keyClicks(view.panel.editors["workaround"], "Post the invoice with the old tolerance, then re-match.")
    qtbot.mouseClick(view.panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.panel.detail is not None and bool(view.panel.detail.row["workaround"]),
                    timeout=WAIT)  # fmt: skip
    moved(qtbot, view, P.KNOWN_ERROR)

    click_move(qtbot, view, P.RESOLVED)  # resolving asks why, then offers to resolve the incidents
    answer(qtbot, view, "Tolerance rule corrected in release 4.2")
    lifecycle = view.panel.lifecycle
    qtbot.waitUntil(lambda: isinstance(lifecycle.dialog, QMessageBox) and lifecycle.dialog.isVisible(), timeout=WAIT)
    offer = lifecycle.dialog
    assert isinstance(offer, QMessageBox)
    assert offer.objectName() == "resolve-incidents-offer"
    assert "(2)" in offer.text()
    assert stored(gui_workspace, number)["status"] == P.RESOLVED
    resolve = next(b for b in offer.buttons() if b.text() == "Resolve them")
    with qtbot.waitSignal(view.panel.incidents_resolved, timeout=WAIT) as outcome:
        qtbot.mouseClick(resolve, Qt.MouseButton.LeftButton)
    done, kept = outcome.args
    assert done == [working_number]
    assert len(kept) == 1
    assert kept[0].startswith(f"{fresh_number}: A ticket cannot go from New to Resolved")
    assert ticket_status(gui_workspace, working) is TicketStatus.RESOLVED
    assert ticket_status(gui_workspace, fresh) is TicketStatus.NEW
    report = lifecycle.dialog
    assert isinstance(report, QMessageBox)
    assert report.objectName() == "resolve-incidents-report"
    assert working_number in report.text()
    assert fresh_number in report.text()
    # The incidents tab shows what became of them, and the resolved one's status.
    qtbot.waitUntil(lambda: any(r[2] == "Resolved" for r in view.panel.incidents.rows), timeout=WAIT)
    assert view.panel.outcome.text().startswith(f"Resolved: {working_number}.")
    report.accept()
    view.panel.tabs.setCurrentIndex(1)
    save_shot(view, "problems-resolved")


def test_resolving_can_tell_the_open_incidents_instead_each_in_a_public_note(
    qtbot: QtBot, gui_workspace: Workspace
) -> None:
    view = problems_view(qtbot, gui_workspace, person(gui_workspace, Role.FUNCTIONAL_CONSULTANT))
    incident, incident_number = open_incident(gui_workspace, TicketStatus.IN_PROGRESS)
    number = open_new(qtbot, view, "Goods receipt posts to the wrong plant")
    view.panel.ask_link()
    answer(qtbot, view, incident_number)
    qtbot.waitUntil(lambda: view.panel.incidents.rowCount() == 1, timeout=WAIT)
    moved(qtbot, view, P.INVESTIGATING)
    qtbot.keyClicks(view.panel.editors["workaround"], "Post to the right plant by hand.")
    qtbot.mouseClick(view.panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.panel.detail is not None and bool(view.panel.detail.row["workaround"]),
                    timeout=WAIT)  # fmt: skip
    moved(qtbot, view, P.KNOWN_ERROR)
    click_move(qtbot, view, P.RESOLVED)
    answer(qtbot, view, "Plant mapping corrected")
    lifecycle = view.panel.lifecycle
    qtbot.waitUntil(lambda: isinstance(lifecycle.dialog, QMessageBox) and lifecycle.dialog.isVisible(), timeout=WAIT)
    offer = lifecycle.dialog
    assert isinstance(offer, QMessageBox)
    save_shot(offer, "problems-resolve-or-notify")
    tell = next(b for b in offer.buttons() if b.text() == "Notify them")
    with qtbot.waitSignal(view.panel.incidents_resolved, timeout=WAIT) as outcome:
        qtbot.mouseClick(tell, Qt.MouseButton.LeftButton)
    assert outcome.args == [[incident_number], []]
    assert ticket_status(gui_workspace, incident) is TicketStatus.IN_PROGRESS  # told, not resolved
    with gui_workspace.cache().connect() as conn:
        notes = conn.execute(
            select(Comment.body, Comment.visibility).where(Comment.ticket_id == incident)
            .order_by(Comment.created_at.desc())
        ).first()  # fmt: skip
    assert notes is not None
    assert notes.body == f"Problem {number}, behind this incident, is resolved: Plant mapping corrected"
    assert notes.visibility == Visibility.PUBLIC
    assert view.panel.outcome.text().startswith(f"Told: {incident_number}.")


def test_the_known_error_banner_applies_the_workaround(qtbot: QtBot, gui_workspace: Workspace) -> None:
    consultant = person(gui_workspace, Role.FUNCTIONAL_CONSULTANT)
    desk = Desk(gui_workspace, consultant)
    with gui_workspace.cache().connect() as conn:
        problem_id, problem, workaround = conn.execute(
            select(Problem.id, Problem.number, Problem.workaround)
            .where(Problem.status.in_(KNOWN), Problem.workaround.is_not(None)).order_by(Problem.number).limit(1)
        ).one()  # fmt: skip
        done = conn.execute(select(Ticket.id).where(Ticket.problem_id == problem_id, Ticket.status.in_(
            [TicketStatus.RESOLVED, TicketStatus.CLOSED])).limit(1)).scalar()  # fmt: skip
    ticket_id, ticket_number = open_incident(gui_workspace, TicketStatus.IN_PROGRESS)
    desk.edit_problem(LinkIncidents(problem_id, frozenset({ticket_id})))  # as the ticket's "Link problem…" would
    unlinked, _number = open_incident(gui_workspace, TicketStatus.NEW)
    banner = KnownErrorBanner(desk, TaskRunner())
    qtbot.addWidget(banner)
    banner.resize(900, 70)
    with qtbot.waitSignal(banner.shown, timeout=WAIT) as shown:
        banner.show_for(unlinked)
    assert shown.args == [None]
    assert banner.isHidden()
    assert done is not None  # the demo's known errors have incidents resolved long ago
    with qtbot.waitSignal(banner.shown, timeout=WAIT):
        banner.show_for(done, still_open=False)
    assert banner.isVisible()
    assert not banner.apply_button.isEnabled()  # shown, not offered: the ticket is no longer open
    with qtbot.waitSignal(banner.shown, timeout=WAIT):
        banner.show_for(ticket_id)
    assert banner.isVisible()
    assert banner.apply_button.isEnabled()
    assert banner.heading.text().startswith(f"Known error {problem}: ")
    assert banner.workaround.text() == f"Workaround: {workaround}"
    save_shot(banner, "problems-banner")
    with qtbot.waitSignal(banner.applied, timeout=WAIT) as applied:
        qtbot.mouseClick(banner.apply_button, Qt.MouseButton.LeftButton)
    assert applied.args == [ticket_number]
    with gui_workspace.cache().connect() as conn:
        bodies = conn.execute(select(Comment.body).where(
            Comment.ticket_id == ticket_id, Comment.visibility == Visibility.PUBLIC)).scalars().all()  # fmt: skip
    assert workaround is not None
    assert any(body.startswith(f"Workaround from known error {problem}:") and workaround in body for body in bodies)
