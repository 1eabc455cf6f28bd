"""Two PDFs written by matplotlib, joined: every page of both, in order, their text and the first file's title."""

from __future__ import annotations

import io
from typing import Any

import matplotlib
import pytest
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from pypdf import PdfReader

from console.metrics.pdf_join import NotJoinable, join


def pdf(words: list[str], title: str) -> bytes:
    out = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(out, metadata={"Title": title}) as pages:
        for word in words:
            figure = Figure(figsize=(4, 3))
            figure.text(0.1, 0.5, word)
            figure.add_subplot().plot([1, 2, 3])
            pages.savefig(figure)
    return out.getvalue()


def test_the_pages_of_both_in_order() -> None:
    # a title naming what looks like a reference, and text in three scripts: strings and streams copied as they are
    first = pdf(["first page", "second page"], "Report (1 0 R) \\ 3 0 R")
    second = pdf(["third page é", "fourth شماره", "fifth page"], "another")
    joined = PdfReader(io.BytesIO(join(first, second)), strict=True)
    assert [page.extract_text().splitlines()[-1] for page in joined.pages] == [
        "first page", "second page", "third page é", "fourth شماره", "fifth page",
    ]  # fmt: skip
    assert joined.metadata is not None
    assert joined.metadata.title == "Report (1 0 R) \\ 3 0 R"
    assert len({page.indirect_reference.idnum for page in joined.pages}) == 5  # type: ignore[union-attr]


def test_a_file_not_written_so_is_refused() -> None:
    with pytest.raises(NotJoinable):
        join(b"not a pdf", pdf(["a"], "a"))


def test_a_tables_cells_read_top_down_on_a_raster_as_in_the_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cells' one artist places its lines as Text does: on a raster (whose y runs downwards) too, the heading
    above the first row, the first above the second, all on the page."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

    from console.metrics.pages import Piece, draw_piece, page, set_table

    table = set_table("Cells", [{"figure": "first", "value": "1"}, {"figure": "second", "value": "2"}])
    sheet = page("A page", "footer", layout=None)
    draw_piece(sheet, Piece(table, table.title, table.rows, 100.0))
    drawn: dict[str, float] = {}
    original = RendererAgg.draw_text

    def recording(self: RendererAgg, gc: Any, x: float, y: float, s: str, *args: Any, **kwargs: Any) -> None:
        drawn[s] = y
        original(self, gc, x, y, s, *args, **kwargs)

    monkeypatch.setattr(RendererAgg, "draw_text", recording)
    canvas = FigureCanvasAgg(sheet)
    canvas.draw()
    height = canvas.get_width_height()[1]
    assert 0 < drawn["Figure"] < drawn["first"] < drawn["second"] < height, drawn
