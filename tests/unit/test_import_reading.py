"""Reading exported files safely: encodings, delimiters, broken cells, formulas, and memory flat in the file's size."""

from __future__ import annotations

import codecs
import csv
import io
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from console.imports.problems import ProblemKind, UnreadableFile
from console.imports.reading import CsvFile, delimiter_of, encoding_of, is_formula, neutralise

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def written(path: Path, rows: list[list[str]], encoding: str, delimiter: str = ",") -> Path:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def test_windows_1256_from_persian_excel_is_told_and_read() -> None:
    file = CsvFile(FIXTURES / "servicenow_list_cp1256.csv")
    assert file.encoding.name == "cp1256"
    assert file.delimiter == ","
    rows = list(file.rows())
    assert [row.number for row in rows] == [2, 3, 4]
    assert rows[0].cells[1] == "خطا در ثبت سند حسابداري شماره 452"
    assert rows[2].cells[1] == "گزارش حقوق ماه فروردين باز نمي\u200cشود"  # the zero-width non-joiner survives
    assert all(not row.problems for row in rows)


def test_utf16_unicode_text_from_excel_is_told_by_its_mark_and_tabs() -> None:
    file = CsvFile(FIXTURES / "jira_utf16.txt")
    assert (file.encoding.name, file.delimiter) == ("utf-16", "\t")
    assert file.header[:3] == ("Issue key", "Summary", "Status")
    rows = list(file.rows())
    assert rows[0].cells[1] == "خطای ارسال پیامک به مشتری"
    assert rows[1].cells[1] == "صورت\u200cحساب تکراری صادر شد"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le")],
)
def test_unicode_encodings_are_told(tmp_path: Path, encoding: str, expected: str) -> None:
    path = written(tmp_path / "f.csv", [["key", "title"], ["SD-1", "سلام دنیا"], ["SD-2", "Grüße"]], encoding)
    file = CsvFile(path)
    assert file.encoding.name == expected
    assert [row.cells for row in file.rows()] == [("SD-1", "سلام دنیا"), ("SD-2", "Grüße")]


def test_an_encoding_given_wins_and_a_wrong_name_is_said(tmp_path: Path) -> None:
    path = written(tmp_path / "f.csv", [["key", "title"], ["SD-1", "café"]], "cp1252")
    assert [row.cells for row in CsvFile(path, encoding="latin-1").rows()] == [("SD-1", "café")]
    with pytest.raises(UnreadableFile, match="'klingon' is not an encoding"):
        CsvFile(path, encoding="klingon")


persian_or_latin = st.text(
    alphabet=st.sampled_from(list("abc xyz,;\"'\n0123456789") + list("سلامپچژگکیي‌ابتثجحخدذرزسشصضطظعغفقلمنوهء")),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(persian_or_latin, min_size=2, max_size=2), min_size=1, max_size=6))
@example(cells=[["", ""]])
@example(cells=[["a\nb", 'سلام, "دنیا"']])
def test_any_text_comes_back_as_written_in_each_unicode_encoding(tmp_path: Path, cells: list[list[str]]) -> None:
    rows = [row for row in cells if any(c.strip() for c in row)]  # a blank line is no row
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):
        path = written(tmp_path / f"{encoding}.csv", [["key", "title"], *rows], encoding)
        file = CsvFile(path)
        assert [list(row.cells) for row in file.rows()] == rows
        assert all(not row.problems for row in file.rows())


# Persian as Windows-1256 writes it: Arabic yeh (ي) for the Persian one, which the code page lacks.
PERSIAN_WORDS = (
    "خطا", "گزارش", "حقوق", "سفارش", "خريد", "فاکتور", "انبار", "تاييد", "مالي", "پرداخت", "چاپ", "ژانويه",
    "نمي‌شود", "سند", "حسابداري", "مشتري", "کارخانه", "تهران", "اصفهان", "بانک",
)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(st.lists(st.sampled_from(PERSIAN_WORDS), min_size=1, max_size=6), min_size=1, max_size=8))
def test_persian_written_in_windows_1256_is_told_and_read_as_written(tmp_path: Path, titles: list[list[str]]) -> None:
    rows = [[f"INC{n:07}", " ".join(words)] for n, words in enumerate(titles)]
    path = written(tmp_path / "fa.csv", [["number", "short_description"], *rows], "cp1256")
    file = CsvFile(path)
    assert file.encoding.name == "cp1256"
    assert [list(row.cells) for row in file.rows()] == rows


def test_mostly_utf8_with_a_broken_row_stays_utf8_and_the_row_is_said() -> None:
    file = CsvFile(FIXTURES / "servicenow_events_broken.csv", cell_limit=1000)
    assert file.encoding.name == "utf-8"
    problems = {p.row: p for row in file.rows() for p in row.problems}
    assert problems[11].kind is ProblemKind.CELL_TOO_LARGE
    assert "2,000 bytes, over the limit of 1,000" in problems[11].message
    assert problems[12].kind is ProblemKind.INVALID_BYTES
    assert problems[12].column == "short_description"
    assert problems[13].kind is ProblemKind.LONE_SURROGATE
    assert problems[13].column == "assigned_to"
    assert problems[15].kind is ProblemKind.CELL_COUNT
    assert "3 cells and the header 14" in problems[15].message
    assert sorted(problems) == [11, 12, 13, 15]


def test_a_lone_surrogate_in_utf16_is_said_and_the_rows_around_it_read(tmp_path: Path) -> None:
    text = "key\ttitle\r\nSD-1\tfine\r\nSD-2\tbad \ud800 half\r\nSD-3\tفارسی\r\n"
    path = tmp_path / "u16.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le", "surrogatepass"))
    rows = list(CsvFile(path).rows())
    assert [row.cells[0] for row in rows] == ["SD-1", "SD-2", "SD-3"]
    assert [p.kind for row in rows for p in row.problems] == [ProblemKind.LONE_SURROGATE]
    assert rows[2].cells[1] == "فارسی"


def test_only_checked_columns_are_held_to_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("key,title,notes\r\nSD-1,سلام دنیا,".encode() + b"\xff\xfe\r\n")
    assert CsvFile(path).encoding.name == "utf-8"
    assert next(iter(CsvFile(path).rows([0, 1]))).problems == ()
    assert [p.kind for p in next(iter(CsvFile(path).rows())).problems] == [ProblemKind.INVALID_BYTES]


def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("sep=;\r\nkey;title\r\nSD-1;a, b\r\n", encoding="utf-8")
    file = CsvFile(path)
    assert (file.delimiter, file.header) == (";", ("key", "title"))
    assert [row.cells for row in file.rows()] == [("SD-1", "a, b")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [("a,b,c", ","), ("a\tb\tc", "\t"), ("a;b;c", ";"), ('"a;b",c', ","), ("a|b|c", "|"), ("abc", ",")],
)
def test_delimiter_of_a_header(line: str, expected: str) -> None:
    assert delimiter_of(line) == expected


def test_an_empty_or_missing_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(UnreadableFile, match="empty"):
        CsvFile(tmp_path / "empty.csv")
    with pytest.raises(UnreadableFile, match="There is no file"):
        CsvFile(tmp_path / "none.csv")


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example","click")',
        "=1+1",
        "@SUM(1+9)*cmd|' /C calc'!A0",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "\t=1+1",
        "\r@SUM(A1)",
        '+HYPERLINK("x")',
    ],
)
def test_formulas_are_told(cell: str) -> None:
    assert is_formula(cell)
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["- step 1: open the invoice", "+1 from finance", "@sara please check", "-5", "a = b", "", "'=1"]
)
def test_text_that_only_starts_like_a_sign_is_no_formula(cell: str) -> None:
    assert not is_formula(cell)


def test_encoding_of_bytes_without_a_mark() -> None:
    assert encoding_of(b"").name == "utf-8"
    assert encoding_of("key,title\nSD-1,سلام\n".encode("utf-16-le")).name == "utf-16-le"
    assert encoding_of("key,title\nSD-1,سلام\n".encode("utf-16-be")).name == "utf-16-be"
    assert encoding_of("key,title\r\nSD-1,café au lait\r\n".encode("cp1252")).name == "cp1252"


def test_memory_stays_flat_in_the_file_size(tmp_path: Path) -> None:
    def peak(rows: int) -> int:
        path = tmp_path / f"{rows}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["number", "short_description", "priority"])
            writer.writerows([f"INC{n:07}", f"گزارش فروش {n} خالی است", "3 - Moderate"] for n in range(rows))
        file = CsvFile(path)
        tracemalloc.start()
        try:
            count = sum(1 for _row in file.rows())
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert count == rows

    small, large = peak(2_000), peak(40_000)  # 40,000 rows: some 2.5 MB of file
    assert large < small + 256 * 1024, (small, large)
