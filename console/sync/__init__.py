"""Sync with the shared database: the push, the merge there, the pull, downloads and seeds, and the
shared database's own side (spaces, triggers, roles, grants, guards, row security). Sits above every service.
"""
