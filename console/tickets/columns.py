"""The queue's columns, by which it sorts (``console.tickets.queue``): plain names, so the command line can offer
them without loading the queue."""

from __future__ import annotations

import enum


class Column(enum.StrEnum):
    NUMBER = "number"
    PRIORITY = "priority"
    TITLE = "title"
    STATUS = "status"
    UNIT = "unit"
    MODULE = "module"
    ASSIGNEE = "assignee"
    GROUP = "group"
    AGE = "age"
    SLA = "sla"
