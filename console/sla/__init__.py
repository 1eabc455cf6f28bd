"""Service levels: business-time calendars and the engine that replays a ticket's clocks."""

from console.sla.calendar import NoWorkingTime, WorkingCalendar
from console.sla.engine import (
    Change,
    Clock,
    ClockResult,
    EventKind,
    History,
    Policy,
    ReleaseDue,
    SlaResult,
    Target,
    TimelineEvent,
    evaluate,
)

__all__ = [
    "Change",
    "Clock",
    "ClockResult",
    "EventKind",
    "History",
    "NoWorkingTime",
    "Policy",
    "ReleaseDue",
    "SlaResult",
    "Target",
    "TimelineEvent",
    "WorkingCalendar",
    "evaluate",
]
