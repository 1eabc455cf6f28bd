"""The desk's own files and databases: workspace, engines and migrations, settings, secrets, derived
structures, bulk loading, numbering.
"""
