"""The change screen: ``view`` (the screen), ``model`` (the change list), ``calendar`` (the calendar tab),
``dialogs`` (decide, risk, edit, new change, CAB agenda, away) and ``work`` (its reads and writes on
the database worker)."""
