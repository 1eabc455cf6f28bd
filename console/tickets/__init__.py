"""Incident management: the ticket workflow, the ticket service, a ticket's history replayed from its audit
trail, the queue, one ticket in full, saved views."""
