"""The words a person reads for the states of a ticket, one vocabulary for the window, the command line,
the CSV files and the report. Kept below every feature (it imports only the models), so the SLA's words
and the ticket screens say a status the same way.
"""

from __future__ import annotations

from models import TicketStatus

S = TicketStatus

STATUS_LABELS = {
    S.NEW: "New",
    S.ASSIGNED: "Assigned",
    S.IN_PROGRESS: "In progress",
    S.PENDING_REPORTER: "Pending reporter",
    S.PENDING_VENDOR: "Pending vendor",
    S.PENDING_CHANGE: "Pending change",
    S.RESOLVED: "Resolved",
    S.CLOSED: "Closed",
}
