"""The ``support-console`` command: one module per verb group, all calling the same services as the window."""
