"""Sources told from a file's columns, overridden by --from, and any CSV read through a mapping file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from console.imports import EventKind, ImportFile, MappingError, Source, UnknownSource, load_mapping
from console.imports.mapping import Field
from console.imports.sources import detect_source
from models import Priority, TicketStatus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("servicenow_events.csv", Source.SERVICENOW_EVENTS),
        ("servicenow_events_broken.csv", Source.SERVICENOW_EVENTS),
        ("servicenow_list_cp1256.csv", Source.SERVICENOW_LIST),
        ("jira.csv", Source.JIRA),
        ("jira_utf16.txt", Source.JIRA),
    ],
)
def test_the_source_is_told_from_the_columns(name: str, source: Source) -> None:
    assert ImportFile(FIXTURES / name).source is source


def test_servicenow_labels_as_well_as_field_names() -> None:
    header = ["Number", "State", "Priority", "Opened", "Short description", "Assigned to", "Updates", "Updated"]
    assert detect_source(header) is Source.SERVICENOW_EVENTS
    assert detect_source(header[:6]) is Source.SERVICENOW_LIST


def test_from_overrides_or_narrows_the_source() -> None:
    header = ["number", "incident_state", "priority", "opened_at", "sys_mod_count", "sys_updated_at"]
    assert detect_source(header, "servicenow") is Source.SERVICENOW_EVENTS
    assert detect_source(header, "servicenow-list") is Source.SERVICENOW_LIST
    assert detect_source(["number", "state"], "servicenow") is Source.SERVICENOW_LIST
    with pytest.raises(UnknownSource, match="'remedy' is not a source; the sources are: servicenow, servicenow-events"):
        detect_source(header, "remedy")


def test_columns_of_an_unknown_export_ask_for_a_mapping() -> None:
    with pytest.raises(UnknownSource, match=r"match no export we know .*'Incident ID', 'Summary'.*--mapping FILE"):
        ImportFile(FIXTURES / "remedy.csv")
    with pytest.raises(MappingError, match="read with a mapping file: give --mapping FILE"):
        ImportFile(FIXTURES / "remedy.csv", source="csv")


def test_any_csv_through_a_toml_mapping_with_value_maps() -> None:
    file = ImportFile(FIXTURES / "remedy.csv", mapping=FIXTURES / "remedy.toml")
    assert file.source is Source.CSV
    reading = file.read()
    tickets = {t.key: t for t in reading}
    assert not reading.problems.problems
    first = tickets["REM-000101"]
    assert (first.source_system, first.status, first.source_status) == ("remedy", TicketStatus.CLOSED, "Closed")
    assert (first.priority, first.source_priority) == (Priority.HIGH, "Priority 2")
    assert (first.unit, first.module, first.reporter, first.assignee) == ("DXB-HQ", "FIN", "j.smith", "akhan")
    assert first.created_at == datetime(2024, 3, 20, 5, 0, tzinfo=UTC)  # 09:00 in Dubai
    assert first.resolved_at == datetime(2024, 3, 20, 9, 30, tzinfo=UTC)
    assert first.source_sla_met is True
    assert [(e.kind.value, e.old, e.new) for e in first.events] == [
        ("work_note", None, "Reopened the period for the user"),
        ("status", "new", "resolved"),
        ("status", "resolved", "closed"),
    ]
    assert tickets["REM-000102"].status is TicketStatus.PENDING_VENDOR
    assert tickets["REM-000103"].unit == "Muscat DC"  # no value maps it: the name as it is, for the missing report
    assert tickets["REM-000103"].source_sla_met is False


def test_the_time_zone_option_wins_over_the_mapping() -> None:
    file = ImportFile(FIXTURES / "remedy.csv", mapping=FIXTURES / "remedy.toml", time_zone="Europe/London")
    assert next(iter(file.read())).created_at == datetime(2024, 3, 20, 9, 0, tzinfo=UTC)


def test_a_json_mapping_adjusts_a_built_in_source(tmp_path: Path) -> None:
    mapping = tmp_path / "servicenow.json"
    mapping.write_text(
        json.dumps(
            {
                "base": "servicenow-events",
                "time_zone": "UTC",
                "values": {"priority": {"6 - Whenever": "low"}, "status": {"-100": "in_progress"}},
            }
        ),
        encoding="utf-8",
    )
    file = ImportFile(FIXTURES / "servicenow_events_broken.csv", mapping=mapping, cell_limit=1000)
    assert file.mapping.source == "servicenow"
    reading = file.read()
    tickets = {t.key: t for t in reading}
    kept = tickets["INC0020002"]  # its two rows were bad rows without the mapping
    assert kept.first(EventKind.PRIORITY) == "low"
    assert [(e.kind.value, e.old, e.new, e.source_value) for e in kept.events] == [
        ("priority", "low", "medium", "3 - Moderate"),
        ("status", "new", "in_progress", "-100"),
    ]
    assert {p.row for p in reading.problems.problems} >= {8, 11}
    assert not {6, 7} & reading.problems.bad_rows


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[columns]\n"A" = "titel"\n', "'titel' is not a field; the fields are: key, title"),
        ('[values.status]\n"Open" = "opened"\n', "values.status maps 'Open' to 'opened'; it maps to one of: assigned"),
        ('[values.colour]\n"Red" = "red"\n', "there is no value map 'colour'"),
        ('time_zone = "Asia/Teheran"\n', "'Asia/Teheran' is not a time zone.*Did you mean Asia/Tehran"),
        ('rows = "lines"\n', "rows is one of: tickets, updates"),
        ('base = "remedy"\n', "base is one of: servicenow-events"),
        ('colour = "red"\n', "unknown setting colour"),
        ("missing = 3\n", "missing is a list of texts"),
        ("this is = not toml [\n", "neither JSON nor TOML"),
    ],
)
def test_a_mapping_file_that_says_something_wrong_is_refused_with_words(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


def test_a_mapping_without_a_needed_column_names_it_and_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[columns]\n"Incident ID" = "key"\n"Reported" = "created"\n', encoding="utf-8")
    with pytest.raises(MappingError, match=r"no column for status, priority \(m\)\. Its columns are: 'Incident ID'"):
        ImportFile(FIXTURES / "remedy.csv", mapping=path)
    path.write_text(
        'date_order = "month-first"\n[columns]\n"Incident ID" = "key"\n"Reported" = "created"\n"Status" = "status"\n'
        '[defaults]\npriority = "medium"'
        '\n[values.status]\n"Pending" = "pending_reporter"\n',
        encoding="utf-8",
    )
    file = ImportFile(FIXTURES / "remedy.csv", mapping=path, time_zone="UTC")
    assert [(t.key, t.priority, t.title) for t in file.read()][:1] == [("REM-000101", Priority.MEDIUM, "REM-000101")]


def test_the_preview_shows_the_columns_read_and_the_first_rows() -> None:
    preview = ImportFile(FIXTURES / "jira.csv").preview(rows=2)
    assert preview.source is Source.JIRA
    assert preview.needs_time_zone
    assert ("Issue key", Field.KEY) in preview.columns
    assert ("Issue id", None) in preview.columns
    assert [c for c in preview.columns if c[1] is Field.COMMENT] == [("Comment", Field.COMMENT)] * 3
    assert [row[1] for row in preview.rows] == ["SD-101", "SD-102"]


def test_the_words_of_a_field_for_the_value_maps() -> None:
    words = ImportFile(FIXTURES / "servicenow_events.csv").words()
    assert words[Field.STATUS] == {
        "New": 3, "Active": 9, "Awaiting User Info": 1, "Resolved": 4, "Closed": 2, "Awaiting Problem": 1,
        "Awaiting Evidence": 1, "Awaiting Vendor": 1,
    }  # fmt: skip
    assert words[Field.PRIORITY] == {"3 - Moderate": 8, "2 - High": 6, "4 - Low": 6, "1 - Critical": 2}
