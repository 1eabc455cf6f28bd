"""The demo workspace: a realistic, deterministic two-year history of ERP post-go-live support.

``create_demo`` fills a shared database (the workspace's SQLite file, or PostgreSQL) and
then gives the workspace's local cache the same data, as a first download would.
The same seed and end date always give the same database, ids included.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, func, inspect, select, text

import console
import models
from console.demo.reference import build_reference
from console.demo.rows import Dice, Row, Rows
from console.demo.tickets import TicketFactory
from console.demo.work import build_work
from console.errors import ConsoleError
from console.sla.recompute import recompute
from console.store import derived
from console.store.bulk_load import foreign_key_problems, indexes_deferred, insert_rows, sqlite_bulk_load
from console.store.clone import copy_all
from console.store.database import check_schema, connect, describe, make_engine, sqlite_pragma, sqlite_url, upgrade
from console.store.numbering import reserve_block
from console.store.workspace import Workspace
from console.sync import server as sync_server
from models import DeploymentInfo, NumberBlock, Role, User, table_of

Progress = Callable[[str, int, int], None]
MAX_TICKETS = 5_000_000
BATCH = 5_000
BULK_TABLES = (
    models.table_of(models.Ticket),
    models.table_of(models.Comment),
    models.table_of(models.AuditEvent),
)


@dataclass(frozen=True)
class DemoSpec:
    tickets: int = 20_000
    seed: int = 7
    until: date = field(default_factory=lambda: datetime.now(UTC).date())
    months: int = 24

    @property
    def end(self) -> datetime:
        return datetime.combine(self.until, datetime.min.time(), UTC)

    @property
    def first_day(self) -> date:
        return self.until - timedelta(days=round(self.months * 365.25 / 12))


@dataclass(frozen=True)
class DemoResult:
    shared: str
    cache: Path
    rows: dict[str, int]
    seconds: float
    shared_bytes: int | None
    cache_bytes: int
    user: str


class DemoRefused(ConsoleError):
    """The target already holds data that is not a demo; nothing was changed."""


def create_demo(
    workspace: Workspace, spec: DemoSpec, *, shared_url: str | None = None, progress: Progress | None = None
) -> DemoResult:
    if not 1 <= spec.tickets <= MAX_TICKETS:
        raise ConsoleError(f"--tickets must be between 1 and {MAX_TICKETS:,}.")
    report = progress or (lambda _stage, _done, _total: None)
    started = time.perf_counter()
    if shared_url:
        workspace.settings.set("shared_url", shared_url)
    _refuse_non_demo_cache(workspace)
    url = workspace.shared_url()
    is_file = url.get_backend_name() == "sqlite"
    shared_path = Path(str(url.database)) if is_file else None
    shared = _prepare_shared(workspace, shared_path)
    try:
        user, rows = _generate(shared, spec, report)
        with shared.begin() as conn:  # this workspace's own numbers, for the tickets it logs
            for series in ("INC", "REQ", "CHG"):
                reserve_block(conn, series, workspace.client_id)
        recompute(shared, spec.end, report)
        with shared.begin() as conn:  # from here on every write to the shared database is versioned for sync
            sync_server.prepare(conn)
        cache_path = _download(workspace, shared, report)
    finally:
        shared.dispose()
    if shared_path is not None:
        partial = shared_path.with_name(shared_path.name + ".partial")
        _discard_sqlite(shared_path)
        partial.rename(shared_path)
    workspace.settings.set("user", user)
    workspace.settings.save()
    return DemoResult(
        shared=describe(url),
        cache=cache_path,
        rows=rows,
        seconds=time.perf_counter() - started,
        shared_bytes=shared_path.stat().st_size if shared_path else None,
        cache_bytes=cache_path.stat().st_size,
        user=user,
    )


def _is_demo(conn: Connection) -> bool:
    if "deployment_info" not in inspect(conn).get_table_names():
        return False
    kind = conn.execute(select(DeploymentInfo.value).where(DeploymentInfo.key == "kind")).scalar()
    return kind == "demo"


def _is_empty(conn: Connection) -> bool:
    return not conn.execute(select(func.count()).select_from(User)).scalar()


def _refuse_non_demo_cache(workspace: Workspace) -> None:
    if not workspace.has_cache:
        return
    engine = make_engine(sqlite_url(workspace.cache_path))
    try:
        with connect(engine) as conn:
            if check_schema(conn) is not None and not _is_demo(conn) and not _is_empty(conn):
                raise DemoRefused(
                    f"The workspace {workspace.home} holds real work in its cache; the demo would replace it. "
                    "Choose another --home."
                )
    finally:
        engine.dispose()


def _prepare_shared(workspace: Workspace, shared_path: Path | None) -> Engine:
    """An empty, migrated shared database; an earlier demo is replaced, real data never is."""
    if shared_path is not None:
        if shared_path.exists():
            existing = make_engine(sqlite_url(shared_path))
            try:
                with connect(existing) as conn:
                    if check_schema(conn) is not None and not _is_demo(conn) and not _is_empty(conn):
                        raise DemoRefused(f"{shared_path} holds real data, not a demo; nothing was changed.")
            finally:
                existing.dispose()
        partial = shared_path.with_name(shared_path.name + ".partial")
        _discard_sqlite(partial)
        engine = make_engine(sqlite_url(partial))
        upgrade(engine)
        return engine
    engine = make_engine(workspace.shared_url(), password=workspace.shared_password())
    try:
        with connect(engine) as conn:
            revision = check_schema(conn)
            if revision is not None and not _is_empty(conn) and not _is_demo(conn):
                raise DemoRefused(f"{describe(engine.url)} holds real data, not a demo; nothing was changed.")
        upgrade(engine)
        with connect(engine) as conn:
            names = ", ".join(f'"{t.name}"' for t in models.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names}"))
            conn.commit()
    except BaseException:
        engine.dispose()
        raise
    return engine


def _discard_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _generate(engine: Engine, spec: DemoSpec, report: Progress) -> tuple[str, dict[str, int]]:
    dice = Dice(spec.seed)
    rows = Rows()
    cast = build_reference(dice, rows, spec.first_day, spec.until, spec.end)
    links = build_work(dice, rows, cast, spec.end - (spec.until - spec.first_day), spec.end, spec.tickets)
    factory = TicketFactory(dice, cast, spec.first_day, spec.end, links)
    counts: dict[str, int] = {}
    with engine.connect() as conn, sqlite_bulk_load(conn):
        if engine.url.get_backend_name() == "sqlite":
            # A fresh .partial file: if this crashes it is thrown away, so skip the fsyncs.
            sqlite_pragma(conn, "PRAGMA synchronous=OFF")
        _insert(conn, dict(iter(rows)), counts)
        conn.commit()
        done = 0
        report("tickets", 0, spec.tickets)
        with indexes_deferred(conn, BULK_TABLES, report):
            for batch in factory.batches(spec.tickets, BATCH):
                _insert(
                    conn,
                    {
                        models.table_of(models.Ticket): batch.tickets,
                        models.table_of(models.Comment): batch.comments,
                        models.table_of(models.AuditEvent): batch.events,
                        models.ticket_articles: batch.article_links,
                    },
                    counts,
                )
                conn.commit()
                done += len(batch.tickets)
                report("tickets", done, spec.tickets)
        user = cast.login_of[cast.people(Role.FUNCTIONAL_CONSULTANT)[0]]
        _bookkeeping(conn, dice, spec, factory, counts)
        conn.commit()
        broken = foreign_key_problems(conn)
        if broken:
            raise RuntimeError(f"demo data breaks foreign keys: {broken}")
    return user, counts


def _insert(conn: Connection, by_table: Mapping[Table, list[Row]], counts: dict[str, int]) -> None:
    for table in models.metadata.sorted_tables:
        if by_table.get(table):
            counts[table.name] = counts.get(table.name, 0) + insert_rows(conn, table, by_table[table])


def _bookkeeping(conn: Connection, dice: Dice, spec: DemoSpec, factory: TicketFactory, counts: dict[str, int]) -> None:
    now = datetime.now(UTC)
    info = {
        "kind": "demo",
        "seed": str(spec.seed),
        "tickets": str(spec.tickets),
        "until": spec.until.isoformat(),
        "generated_at": now.isoformat(timespec="seconds"),
        "app_version": console.__version__,
    }
    conn.execute(table_of(DeploymentInfo).insert(), [{"key": k, "value": v} for k, v in info.items()])
    used = {
        "INC": next(factory.numbers[models.TicketKind.INCIDENT]) - 1,
        "REQ": next(factory.numbers[models.TicketKind.SERVICE_REQUEST]) - 1,
        "PRB": counts.get("problems", 0),
        "CHG": counts.get("change_requests", 0),
        "KB": counts.get("knowledge_articles", 0),
    }
    blocks = [
        {
            "id": dice.uid(),
            "series": series,
            "first": 1,
            "last": max(last, 1),
            "next_free": last + 1,
            "client_id": "demo",
            "reserved_at": now,
        }
        for series, last in used.items()
    ]
    conn.execute(table_of(NumberBlock).insert(), blocks)


def _download(workspace: Workspace, shared: Engine, report: Progress) -> Path:
    """Build the cache beside the old one and swap it in only when complete."""
    partial = workspace.cache_path.with_name(workspace.cache_path.name + ".partial")
    _discard_sqlite(partial)
    cache = make_engine(sqlite_url(partial))
    try:
        copy_all(shared, cache, report)
        with cache.begin() as conn:
            sync_server.become_cache(conn)
        derived.ensure(cache, report)
        with cache.connect() as conn:
            sqlite_pragma(conn, "PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        cache.dispose()
    _discard_sqlite(workspace.cache_path)
    partial.rename(workspace.cache_path)
    _discard_sqlite(partial)
    return workspace.cache_path
