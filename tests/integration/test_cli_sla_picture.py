"""`support-console sla show NUMBER --out FILE`: the SLA picture of the ticket view, written for a dispute."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from console.cli.command import main
from console.store.workspace import Workspace
from models import SlaState, Ticket
from tests import clock

PNG = b"\x89PNG\r\n\x1a\n"


def breached_ticket(home: Path) -> str:
    with Workspace.open(home).cache().connect() as conn:
        found = conn.execute(
            select(Ticket.number).where(Ticket.resolution_state == SlaState.MISSED).order_by(Ticket.number).limit(1)
        ).scalar_one()
    return str(found)


@pytest.mark.parametrize(("name", "signature"), [("x.png", PNG), ("x.pdf", b"%PDF")])
def test_sla_show_writes_the_picture(
    demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, signature: bytes
) -> None:
    number = breached_ticket(demo_copy)
    out = tmp_path / name
    now = clock.demo_now().isoformat()
    assert main(["--home", str(demo_copy), "sla", "show", number.lower(), "--out", str(out), "--now", now]) == 0
    assert out.read_bytes().startswith(signature)
    said = capsys.readouterr()
    assert said.out.startswith(f"Wrote {out} (")
    assert said.out.rstrip().endswith(f"the SLA of {number}")
    assert said.err == ""


def test_sla_show_refuses_a_picture_it_cannot_write(
    demo_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = breached_ticket(demo_copy)
    assert main(["--home", str(demo_copy), "sla", "show", number, "--out", str(tmp_path / "x.svg")]) == 1
    assert "name the file .png or .pdf, not 'x.svg'" in capsys.readouterr().err
    assert main(["--home", str(demo_copy), "sla", "show", number, "--out", str(tmp_path / "no" / "x.png")]) == 1
    assert f"No folder '{tmp_path / 'no'}' to write x.png in." in capsys.readouterr().err
    assert not list(tmp_path.rglob("x.*"))
