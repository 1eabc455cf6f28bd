"""Change management: a governed ERP change from request to production — the service, its rules, the
lists and the CAB agenda.
"""
