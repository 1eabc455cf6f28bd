"""An article's lifecycle and who may do what, as plain constants: read by the service, the lists, the window, the
command line and the shared database's guards (``console.sync.guards``), so every one applies the same rules.

Draft → In review → Published → Retired. An article is written as a draft; it goes to review with a reviewer
named, someone other than its author (``GATES``); only that reviewer, or a support manager who did not write it,
publishes it (four eyes: nobody publishes their own text). Its text is edited while it is a draft or in review;
a published or retired article goes back to draft to be revised (a reason said), and stays off tier 0 until it is
published again. Retiring and every move back need a reason.
"""

from __future__ import annotations

from models import ArticleStatus, Audience, Role

A = ArticleStatus

MOVES: dict[ArticleStatus, frozenset[ArticleStatus]] = {
    A.DRAFT: frozenset({A.IN_REVIEW, A.RETIRED}),
    A.IN_REVIEW: frozenset({A.PUBLISHED, A.DRAFT}),
    A.PUBLISHED: frozenset({A.RETIRED, A.DRAFT}),
    A.RETIRED: frozenset({A.DRAFT}),
}
ORDER = tuple(ArticleStatus)
"""The lifecycle in order; a move to an earlier status is a move back."""

WRITERS = frozenset({Role.FUNCTIONAL_CONSULTANT, Role.TECHNICAL, Role.SUPPORT_MANAGER, Role.ADMIN})
"""Who writes, edits and reviews articles (everyone rates them; a super-user reads the published ones)."""
PUBLISHERS = frozenset({Role.SUPPORT_MANAGER, Role.ADMIN})
"""Who may publish an article they did not write, besides its reviewer."""
READERS_OF_DRAFTS = frozenset(set(Role) - {Role.SUPER_USER})
"""Who reads articles that are not published (a super-user, of the business, reads published ones only)."""

EDITABLE_IN = frozenset({A.DRAFT, A.IN_REVIEW})
"""Statuses in which the text and fields are edited."""
TEXTS = ("title", "body")
"""A new version of the article each time one of them is saved."""
EDITABLE = ("title", "body", "module_id", "language", "audience", "problem_id", "reviewer_id")
LANGUAGES = ("en", "fa", "ar")
AUDIENCES = tuple(Audience)
BODY_MAX = 100_000
"""An article's body, in characters (a long how-to with its tables is a few thousand)."""


def needs_reason(old: ArticleStatus, new: ArticleStatus) -> bool:
    """Retiring and every move back need a reason."""
    return new is A.RETIRED or ORDER.index(new) < ORDER.index(old)
