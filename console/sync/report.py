"""What one sync pass did, as the command line prints it and the window's status bar says it.

One record filled in by the push, the pull and the downloads alike, so each step adds its part and the
person reads a single sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SyncReport:
    pushed: int = 0
    conflicts: int = 0
    rejected: list[str] = field(default_factory=list)
    pulled: int = 0  # rows written or removed in the cache
    downloaded: list[str] = field(default_factory=list)  # spaces read whole
    removed: list[str] = field(default_factory=list)  # spaces no longer visible
    redownloaded: list[str] = field(default_factory=list)  # spaces read again: offline too long
    seeded: str | None = None  # the unit space whose ready-made cache an empty cache started from
    notes: list[str] = field(default_factory=list)  # what a person should know (a ready-made cache unusable)
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"pushed {self.pushed}", f"pulled {self.pulled:,} rows"]
        if self.conflicts:
            parts.append(f"{self.conflicts} conflicts to resolve")
        if self.rejected:
            parts.append(f"{len(self.rejected)} rejected")
        if self.seeded:
            parts.append("started from a ready-made cache")
        if self.downloaded:
            parts.append(f"downloaded {len(self.downloaded)} spaces")
        if self.redownloaded:
            parts.append(f"read {len(self.redownloaded)} spaces again (offline longer than changes are kept)")
        if self.removed:
            parts.append(f"removed {len(self.removed)} spaces no longer yours")
        return ". ".join([", ".join(parts) + f" in {self.seconds:.1f} s", *self.notes])
