"""Start-up as a person sees it: the window from `support-console-gui`, its first screen early."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.store.workspace import Workspace
from tests import clock
from tests.gui.drive import save_shot
from views import first_screen
from views.look import create_application


def launch(home: Path) -> list[str]:
    done = subprocess.run(
        [*clock.python_module("views.launch"), "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "SUPPORT_CONSOLE_TRACE": "exit"},
    )
    assert done.returncode == 0, done.stderr
    return [line.split(" ", 1)[1].rsplit(" ", 2)[0] for line in done.stdout.splitlines() if line.startswith("painted")]


def test_the_second_start_paints_the_last_first_screen_before_the_live_queue(demo_copy: Path) -> None:
    assert not (demo_copy / first_screen.FILE).exists()
    assert launch(demo_copy) == ["(live)"]  # first start: no snapshot yet, the live queue only
    saved = json.loads((demo_copy / first_screen.FILE).read_text(encoding="utf-8"))
    assert saved["headers"][0] == "Number"
    assert saved["rows"]
    with Workspace.open(demo_copy).cache().connect() as conn:
        open_count = conn.exec_driver_sql(
            "SELECT count(*) FROM tickets WHERE status NOT IN ('resolved', 'closed')"
        ).scalar()
    assert saved["caption"] == f"{open_count:,} tickets"
    assert launch(demo_copy) == ["(snapshot)", "(live)"]  # then the snapshot first


def test_a_damaged_snapshot_is_no_early_screen(tmp_path: Path, qtbot: QtBot) -> None:
    (tmp_path / first_screen.FILE).write_text("{not json", encoding="utf-8")
    assert first_screen.load(tmp_path) is None
    create_application()
    early = first_screen.Snapshot(
        taken_at="09:30",
        title="Support Console — demo",
        pages=["Ticket queue", "Ticket detail"],
        headers=["Number", "SLA"],
        widths=[100, 120],
        rows=[["INC-0000001", "2h left · response"]],
        colours=[["#e6f4ea", "#1e6b3a"]],
        caption="1 tickets",
    )
    first_screen.save(tmp_path, early)
    assert first_screen.load(tmp_path) == early
    window = first_screen.SnapshotWindow(tmp_path, early)
    qtbot.addWidget(window)
    window.show()
    save_shot(window, "snapshot-window")
    assert window.windowTitle() == "Support Console — demo"
