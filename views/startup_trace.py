"""Start-up milestones for the benchmark (``SUPPORT_CONSOLE_TRACE=1``): milliseconds since the GUI process
began to load, printed by ``views.launch`` (the snapshot painted) and ``views.app`` (the live window).

Standard library only, so ``views.launch`` imports it first and stays light.
"""

from __future__ import annotations

import os
import time

STARTED = time.perf_counter()


def trace(what: str) -> None:
    """Print a milestone when tracing is on."""
    if os.environ.get("SUPPORT_CONSOLE_TRACE"):
        print(f"{what} {1000 * (time.perf_counter() - STARTED):.0f} ms", flush=True)
