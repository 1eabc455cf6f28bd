"""A change's stages and who may steer it, as plain constants.

Which stages are final or hold a slot in the calendar, which fields may
still be edited in which stage, and which roles may request or steer a change. Kept apart, with no
database, so that the service, the lists, the views and the shared database's guards
(``console.sync.guards``, ``console.sync.grants``) read the same ones without importing the service. A stage's
words are ``console.words.STAGE_LABELS``.
"""

from __future__ import annotations

from models import ChangeStage, Role

S = ChangeStage
FINAL = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})
# Stages whose planned window takes a slot in the calendar: other changes' windows are checked against these.
IN_CALENDAR = frozenset(set(S) - FINAL - {S.DRAFT, S.FAILED})
# Stages whose own window is checked, its conflicts shown in the lists and the detail: a draft's too, from the
# moment it is planned, though it takes no slot for others (a draft is an idea its requester may still drop: it
# should not flag colleagues' assessed and approved changes). An implemented change's window is history.
CHECKED = (IN_CALENDAR | {S.DRAFT}) - {S.IMPLEMENTED}
# Who may request and steer changes (create, edit, move); decisions go by the approval rows only.
REQUESTERS = frozenset({Role.FUNCTIONAL_CONSULTANT, Role.TECHNICAL, Role.SUPER_USER, Role.SUPPORT_MANAGER, Role.ADMIN})
COORDINATORS = frozenset({Role.SUPPORT_MANAGER, Role.CHANGE_APPROVER, Role.ADMIN})
# Text fields, and the stages in which each may still be edited.
PLANNING = frozenset({S.DRAFT, S.ASSESSMENT})
EDITABLE: dict[str, frozenset[ChangeStage]] = {
    "title": PLANNING,
    "description": PLANNING,
    "reason": PLANNING,
    "implementation_plan": PLANNING,
    "test_plan": PLANNING | {S.APPROVED},
    "backout_plan": PLANNING | {S.APPROVED, S.IMPLEMENTING_TEST, S.TEST_PASSED},
    "test_evidence": frozenset({S.IMPLEMENTING_TEST}),
    "review_notes": frozenset({S.IMPLEMENTED, S.FAILED}),
    # Re-planning the production window is allowed until it is scheduled; conflicts are shown again.
    "window": PLANNING | {S.APPROVED, S.IMPLEMENTING_TEST, S.TEST_PASSED},
    "modules": PLANNING,
    "units": PLANNING,
}
