"""The SLA as a picture, built from the engine's results: a row per clock, running, paused and off-hours
stretches, the warning, due and breach marks, "now"; the evidence and the header's chips in words."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from console.errors import ConsoleError
from console.sla import Change, Clock, History, Policy, ReleaseDue, SlaResult, Target, WorkingCalendar, evaluate
from console.sla.course import course
from console.sla.picture import SEEN, draw_sla, screen_figure, write_picture
from console.sla.words import chip, evidence_lines, local_moment
from models import Priority

LONDON = ZoneInfo("Europe/London")
OFFICE = WorkingCalendar.weekly("Europe/London", [(d, time(9), time(17)) for d in range(5)])
H = timedelta(hours=1)
POLICY = Policy(
    "standard",
    {
        Priority.CRITICAL: Target(timedelta(minutes=15), 4 * H, around_the_clock=True),
        Priority.HIGH: Target(2 * H, 16 * H),
        Priority.MEDIUM: Target(8 * H, 24 * H),
        Priority.LOW: Target(16 * H, None),
    },
    frozenset({"pending_reporter", "pending_vendor", "pending_change"}),
)
ISO = re.compile(r"\d{4}-\d\d-\d\d|\d\dT\d\d|[+-]\d\d:\d\d\b")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in the week of Monday 23 November 2026, London time."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=LONDON) + timedelta(days=day)


def sla(priority: str, *steps: tuple[datetime, str], now: datetime, release: ReleaseDue | None = None) -> SlaResult:
    changes = [Change(when, "status", value, seq=n) for n, (when, value) in enumerate(steps)]
    return evaluate(History(at(0, 9), priority, changes), POLICY, OFFICE, now, release)


def drawn(result: SlaResult) -> Axes:
    figure = screen_figure()
    ax = draw_sla(figure, result, LONDON)
    FigureCanvasAgg(figure).draw()  # lays out ticks and labels, as a window or a file would
    return ax


def by_gid(ax: Axes, gid: str) -> list[object]:
    return [artist for artist in ax.get_children() if artist.get_gid() == gid]


def spans(ax: Axes, gid: str) -> list[tuple[float, float]]:
    """The (start, end) of each bar of a stretch kind, in matplotlib's day numbers."""
    (bars,) = by_gid(ax, gid)
    assert isinstance(bars, PolyCollection)
    corners = [np.asarray(path.vertices)[:, 0] for path in bars.get_paths()]
    return [(float(xs.min()), float(xs.max())) for xs in corners]


def x(value: datetime) -> float:
    return float(date2num(value))


BREACHED = sla("high", (at(0, 10), "assigned"), (at(0, 11), "in_progress"), (at(1, 10), "pending_vendor"),
               (at(2, 9), "in_progress"), now=at(3, 11))  # fmt: skip
RUNNING = sla("medium", (at(0, 9, 30), "assigned"), (at(0, 10), "in_progress"), now=at(1, 15))
PAUSED = sla("high", (at(0, 9, 20), "assigned"), (at(0, 11), "pending_reporter"), now=at(1, 15))


def test_one_row_per_clock_with_a_now_line() -> None:
    ax = drawn(RUNNING)
    assert [label.get_text() for label in ax.get_yticklabels()] == ["Response", "Resolution"]
    (now,) = by_gid(ax, "now")
    assert now.get_xdata()[0] == pytest.approx(x(at(1, 15)))  # type: ignore[attr-defined]
    assert len(by_gid(ax, "state-response")) == len(by_gid(ax, "state-resolution")) == 1
    assert not by_gid(ax, "breach-response")
    assert not by_gid(ax, "breach-resolution")


def test_a_breached_clock_has_a_red_mark_where_it_used_its_target_up() -> None:
    ax = drawn(BREACHED)
    (mark,) = by_gid(ax, "breach-resolution")
    # 16 h of office time: Monday 9–17, Tuesday 9–10 then paused until Wednesday 9, then to 16:00.
    assert BREACHED.resolution.breached_at == at(2, 16)
    assert mark.get_xdata()[0] == pytest.approx(x(at(2, 16)))  # type: ignore[attr-defined]
    assert not by_gid(ax, "breach-response")  # answered in an hour of its two


def test_a_paused_history_draws_its_pause_from_the_status_change_to_now() -> None:
    ax = drawn(PAUSED)
    assert spans(ax, "paused-resolution") == [pytest.approx((x(at(0, 11)), x(at(1, 15))))]
    assert spans(ax, "running-resolution") == [pytest.approx((x(at(0, 9)), x(at(0, 11))))]
    assert not by_gid(ax, "due-resolution")  # unknown while paused
    assert not by_gid(ax, "paused-response")


def test_a_clock_paused_at_the_moment_judged_shows_its_pause_from_then() -> None:
    just_now = sla("high", (at(0, 9, 20), "assigned"), (at(0, 11), "pending_reporter"), now=at(0, 11))
    path = course(just_now, Clock.RESOLUTION)
    assert [(s.start, s.end, s.running, s.ongoing) for s in path.stretches] == [
        (at(0, 9), at(0, 11), True, False),
        (at(0, 11), at(0, 11), False, True),  # where the clock stands now: paused, from this very moment
    ]
    ax = drawn(just_now)
    ((start, end),) = spans(ax, "paused-resolution")
    left, right = ax.get_xlim()
    assert start == pytest.approx(x(at(0, 11)))
    assert end - start == pytest.approx((right - left) * SEEN)  # a sliver a person sees, not a line of no width
    seconds = sla("high", (at(0, 9, 20), "assigned"), (at(0, 11), "pending_reporter"), now=at(0, 11, 1))
    ((start, end),) = spans(drawn(seconds), "paused-resolution")
    assert start == pytest.approx(x(at(0, 11)))
    assert end > x(at(0, 11, 1))  # to now, and seen
    ax = drawn(PAUSED)  # a pause long enough to see is drawn as long as it is
    assert spans(ax, "paused-resolution") == [pytest.approx((x(at(0, 11)), x(at(1, 15))))]


def test_running_bars_cover_working_hours_only_and_add_up_to_the_business_time_used() -> None:
    ax = drawn(RUNNING)
    counted = sum(end - start for start, end in spans(ax, "running-resolution")) * 24
    assert counted == pytest.approx(RUNNING.resolution.used / H)  # 8 h on Monday, 6 h on Tuesday
    assert spans(ax, "idle-resolution") == [pytest.approx((x(at(0, 9)), x(at(1, 15))))]


def test_the_warning_mark_sits_where_the_target_share_was_used() -> None:
    path = course(BREACHED, Clock.RESOLUTION)
    assert path.warning_at == at(2, 12)  # 12 h of the 16 h: 9 h before the pause, 3 h on Wednesday
    ahead = course(RUNNING, Clock.RESOLUTION)
    assert ahead.warning_at == at(2, 11)  # ahead, at its pace: 18 h of 24 is Tuesday's 16 h and 2 h on Wednesday
    ax = drawn(BREACHED)
    (tick,) = by_gid(ax, "warning-resolution")
    assert tick.get_segments()[0][0][0] == pytest.approx(x(at(2, 12)))  # type: ignore[attr-defined]
    assert by_gid(ax, "due-resolution")


def test_a_low_ticket_due_with_a_release_shows_the_release_as_its_target() -> None:
    release = ReleaseDue("R2026.12", at(17, 18))
    result = sla("low", (at(0, 9, 20), "assigned"), (at(0, 11), "in_progress"), now=at(1, 15), release=release)
    ax = drawn(result)
    (due,) = by_gid(ax, "due-resolution")
    assert due.get_segments()[0][0][0] == pytest.approx(x(release.at))  # type: ignore[attr-defined]
    (label,) = by_gid(ax, "due-resolution-label")
    assert label.get_text().strip() == "release R2026.12 Thu 10 Dec 18:00"  # type: ignore[attr-defined]


def test_a_ticket_resolved_long_before_its_release_never_reached_its_warning_mark() -> None:
    release = ReleaseDue("R2026.12", at(17, 18))
    result = sla("low", (at(0, 9, 20), "assigned"), (at(1, 10), "resolved"), now=at(20, 9), release=release)
    assert [line[2:4] for line in evidence_lines(result, LONDON) if line[1] == "Resolution"] == [
        ["started", "logged as New"],
        ["stopped", "set to Resolved"],
    ]
    assert chip(course(result, Clock.RESOLUTION), at(20, 9), LONDON).text == "Resolution met"


def test_a_ticket_closed_long_ago_keeps_its_clocks_readable_and_points_to_now() -> None:
    done = sla("high", (at(0, 9, 20), "assigned"), (at(1, 12), "resolved"), now=at(200, 15))
    ax = drawn(done)
    assert not by_gid(ax, "now")
    (beyond,) = by_gid(ax, "now-beyond")
    assert beyond.get_text() == "now: Fri 11 Jun 2027 15:00 →"  # type: ignore[attr-defined]
    assert ax.get_xlim()[1] < x(at(3, 0))


def test_what_a_person_reads_has_no_iso_timestamps_nor_field_names() -> None:
    for result in (BREACHED, RUNNING, PAUSED):
        ax = drawn(result)
        figure = ax.get_figure(root=True)
        assert isinstance(figure, Figure)
        legend = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
        words = [t.get_text() for t in ax.texts] + [t.get_text() for t in ax.get_xticklabels()] + legend
        assert words
        assert not [w for w in words if ISO.search(w) or "_" in w]
    assert [t.get_text() for t in drawn(RUNNING).get_xticklabels()][:3] == [
        "Mon 23 Nov 2026\n12:00",
        "Tue 24 Nov",
        "12:00",
    ]


def test_the_evidence_says_what_moved_each_clock_in_local_time() -> None:
    lines = evidence_lines(BREACHED, LONDON)
    assert lines == [
        ["Mon 23 Nov 09:00", "Response", "started", "logged as New", "0 min"],
        ["Mon 23 Nov 09:00", "Resolution", "started", "logged as New", "0 min"],
        ["Mon 23 Nov 10:00", "Response", "stopped", "set to Assigned", "1 h"],
        ["Tue 24 Nov 10:00", "Resolution", "paused", "set to Pending vendor", "9 h"],
        ["Wed 25 Nov 09:00", "Resolution", "running again", "set to In progress", "9 h"],
        ["Wed 25 Nov 12:00", "Resolution", "reached its warning mark", "12 h of the 16 h target used", "12 h"],
        ["Wed 25 Nov 16:00", "Resolution", "breached", "its 16 h target used up", "16 h"],
    ]
    tokyo = evidence_lines(BREACHED, ZoneInfo("Asia/Tokyo"))[0]
    assert tokyo[0] == "Mon 23 Nov 18:00"  # the person's zone, not the office's


def test_chips_count_down_from_the_moments_read() -> None:
    def said(result: SlaResult, which: Clock, now: datetime) -> tuple[str, str]:
        found = chip(course(result, which), now, LONDON)
        return found.text, found.band

    assert said(RUNNING, Clock.RESPONSE, at(1, 15)) == ("Response met", "met")
    due = RUNNING.resolution.due_at
    assert due == at(2, 17)  # 10 h left: Tuesday 15–17 and Wednesday 9–17
    assert said(RUNNING, Clock.RESOLUTION, at(1, 15)) == ("Resolution · 1d 2h left", "running")
    assert said(RUNNING, Clock.RESOLUTION, at(2, 14, 48)) == ("Resolution · 2h 12m left", "warning")
    assert said(RUNNING, Clock.RESOLUTION, at(2, 19, 5)) == ("Resolution · 2h 05m overdue", "breached")
    assert said(BREACHED, Clock.RESOLUTION, at(3, 11)) == ("Resolution · 19h 00m overdue", "breached")
    assert said(PAUSED, Clock.RESOLUTION, at(1, 15)) == ("Resolution · paused", "paused")
    assert "14 h of business time left" in chip(course(PAUSED, Clock.RESOLUTION), at(1, 15), LONDON).tip
    assert local_moment(at(2, 17), LONDON, at(1, 15)) == "Wed 25 Nov 17:00"


@pytest.mark.parametrize(("suffix", "signature"), [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF")])
def test_the_picture_is_written_with_its_evidence(tmp_path: Path, suffix: str, signature: bytes) -> None:
    path = write_picture(BREACHED, "INC-0000042", tmp_path / f"sla{suffix}", LONDON)
    assert path.read_bytes().startswith(signature)


def test_only_png_or_pdf_is_written(tmp_path: Path) -> None:
    with pytest.raises(ConsoleError, match=r"name the file \.png or \.pdf, not 'sla\.svg'"):
        write_picture(BREACHED, "INC-0000042", tmp_path / "sla.svg", LONDON)
    assert not (tmp_path / "sla.svg").exists()
