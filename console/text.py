"""Text as it is stored: one rule for every field a person types, in every service.

One rule, so that a title typed in the window, a note from the command line and a release name pushed
by sync are stored alike: no control characters (they break exports and terminals), within a length
(the database's and the screen's), keeping the joiners and direction marks Persian and Arabic need.
"""

from __future__ import annotations

from console.access import Refused

# Zero-width (non-)joiners and direction marks are part of Persian and Arabic text.
_KEPT_FORMAT = "\u200c\u200d\u200f\u200e"


def clean_text(value: str, what: str, limit: int, *, required: bool = True) -> str:
    """Text as stored: no NUL or other control characters but tab and newline, within ``limit``."""
    text = "".join(ch for ch in value if ch in "\t\n" or ch.isprintable() or ch in _KEPT_FORMAT).strip()
    if required and not text:
        raise Refused(f"The {what} is empty.")
    if len(text) > limit:
        raise Refused(f"The {what} is {len(text):,} characters long; the limit is {limit:,}.")
    return text
