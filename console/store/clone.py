"""Copy a whole database into another with the same schema: the cache's first download."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select

import models
from console.store.bulk_load import indexes_deferred, insert_rows
from console.store.database import copy_sqlite_file, upgrade

Progress = Callable[[str, int, int], None]


def copy_all(source: Engine, target: Engine, progress: Progress | None = None) -> None:
    """Copy every table of ``source`` into the new, empty database ``target``.

    SQLite to SQLite is a page-level copy with SQLite's online backup API (a million
    tickets in seconds, consistent even while the source is in use); anything else
    streams rows table by table in pages.
    """
    report = progress or (lambda _stage, _done, _total: None)
    if source.url.get_backend_name() == target.url.get_backend_name() == "sqlite":
        copy_sqlite_file(
            Path(str(source.url.database)),
            Path(str(target.url.database)),
            lambda done, total: report("copying", done, total),
        )
        return
    upgrade(target)
    tables = models.metadata.sorted_tables
    with source.connect() as src, target.connect() as dst, indexes_deferred(dst, tables, report):
        for index, table in enumerate(tables):
            report(f"copying {table.name}", index, len(tables))
            stream = src.execution_options(yield_per=5000).execute(select(table))
            for page in stream.partitions():
                insert_rows(dst, table, [row._asdict() for row in page])
        dst.commit()
    report("copied", len(tables), len(tables))
