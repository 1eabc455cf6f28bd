"""The local write path below the services: the intents, their JSON codec, the outbox, the bookkeeping of
a conflict's resolution, and the audit trail with the text its values are written as.

Below the services so that they, and sync above them, share it without importing each other: it imports
no service and nothing of sync (only ``models``, ``console.access`` and ``console.errors``).
"""
