"""Change management: a governed ERP change from request to production.

- ``service``: applying change intents (create, edit, assess risk, move a stage, decide).
- ``rules``: the pure rules (risk, stage gates, quorum, delegation, conflicts, period-end freezes).
- ``facts``: what those rules need read from the database.
- ``stages``: the words for each stage, what may be edited in which, and who may steer a change.
- ``approvals``: who must approve a change, how decisions settle it, delegation while away.
- ``freezes``: the freeze policy and the planner that finds clashes of change windows.
- ``settings``: a person's time away and the freeze policy, as intents that sync.
- ``applied``: the cleaned text, audit event and report every applied change intent shares.
- ``lists`` and ``agenda``: the change list, detail, calendar and the CAB agenda, read from the cache.
"""
