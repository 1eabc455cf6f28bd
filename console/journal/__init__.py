"""The local write path below the services: intents, their JSON codec, the outbox, conflict bookkeeping
and the audit trail. Imports no service.
"""
