"""The release calendar: each ERP module's releases, planned, moved and cancelled as intents that sync."""
