"""Incident management: the ticket workflow, the ticket service, the queue, one ticket in full, saved views."""
