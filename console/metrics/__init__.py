"""Service metrics: SQL aggregates over the stored SLA outcomes, their charts, and the manager's report."""
