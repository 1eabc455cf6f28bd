"""The main window's views: their keys, titles and icons, in navigation order (Ctrl+1 … Ctrl+6)."""

from __future__ import annotations

from dataclasses import dataclass

from console.i18n import N_, _


@dataclass(frozen=True)
class PageSpec:
    key: str
    name: str  # marked for the catalogue: ``title`` is it in the person's language
    icon: str
    about: str  # the same: ``lead``

    @property
    def title(self) -> str:
        """The view's title in the navigation and the View menu, in the person's language."""
        return _(self.name)

    @property
    def lead(self) -> str:
        """What the view is for, in a sentence (the navigation's tooltip), in the person's language."""
        return _(self.about)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("queue", N_("Ticket queue"), "queue.svg", N_("Your tickets and your business units' tickets.")),
    PageSpec("ticket", N_("Ticket detail"), "ticket.svg", N_("One ticket with its notes, history and SLA.")),
    PageSpec("changes", N_("Change approval"), "changes.svg", N_("Governed ERP changes from request to production.")),
    PageSpec("metrics", N_("Metrics"), "metrics.svg", N_("SLA compliance a manager can take to the business review.")),
    PageSpec("problems", N_("Problems"), "problems.svg", N_("Root causes of recurring incidents, and known errors.")),
    PageSpec(
        "knowledge", N_("Knowledge"), "knowledge.svg", N_("Articles that answer tickets: written, reviewed, published.")
    ),
)
