"""Opening the catalog store: URL resolution, schema checks and migrations, first-use snapshot load.

SQLite in the platform's user-data directory by default; any SQLAlchemy URL through `--db` or
ADVISOR_DB_URL (PostgreSQL for a team catalog). One session per command or per user action.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from catalog.errors import SchemaTooNewError, StoreError, UsageError
from catalog.location import DATA_DIR_ENV, SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, resolve_db_url
from catalog.migrations import HEAD_REVISION, KNOWN_REVISIONS

def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if not database or database == ":memory:":
        return
    path = Path(database).expanduser()
    if path.is_dir():
        raise StoreError(f"The catalog database path {path} is a directory, not a file.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"Cannot create the data directory {path.parent} ({exc.strerror}); "
            f"set {DATA_DIR_ENV} or --db to a writable place."
        ) from None
    if not path.exists() and not os.access(path.parent, os.W_OK):
        raise StoreError(
            f"The data directory {path.parent} is not writable; "
            f"set {DATA_DIR_ENV} or --db to a writable place."
        )


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(f"'{url}' is not a database URL (e.g. sqlite:///catalog.db or postgresql+psycopg://host/db).") from None
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_path(url)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is what the project depends on; plain postgresql:// would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (ImportError, ModuleNotFoundError) as exc:
        raise StoreError(f"The database driver for {parsed.drivername} is not installed ({exc.name}).") from None


def _describe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@dataclass
class Store:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise _store_error(self.url, exc) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def _store_error(url: str, exc: SQLAlchemyError) -> StoreError:
    message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if "readonly" in message or "read-only" in message:
        return StoreError(f"The catalog database {_describe(url)} is read-only; nothing was changed.")
    if "not a database" in message or "malformed" in message:
        return StoreError(
            f"{_describe(url)} is not a model-advisor catalog or is damaged ({message}); "
            "move it aside or point --db elsewhere."
        )
    return StoreError(f"The catalog database {_describe(url)} failed: {message}.")


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the database, None for an empty database."""
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None
        except (OperationalError, DatabaseError) as exc:
            message = str(exc.orig)
            if "no such table" not in message and "does not exist" not in message:
                raise
            conn.rollback()
        tables = set(inspect(conn).get_table_names())
    if tables:
        raise StoreError(
            f"{_describe(str(engine.url))} holds other tables ({', '.join(sorted(tables)[:3])}, ...) "
            "and is not a model-advisor catalog; point --db elsewhere."
        )
    return None


def upgrade_schema(engine: Engine) -> None:
    """Run Alembic migrations up to head (imported only when a migration is due)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def open_store(url: str | None = None, *, load_snapshot: bool = True) -> Store:
    """Open (creating and migrating as needed) the catalog store.

    An empty store loads the embedded snapshot shipped in data/ on first use.
    """
    resolved = resolve_db_url(url)
    engine = make_engine(resolved)
    try:
        revision = current_revision(engine)
        if revision is not None and revision not in KNOWN_REVISIONS:
            raise SchemaTooNewError(revision, HEAD_REVISION)
        if revision != HEAD_REVISION:
            upgrade_schema(engine)
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        raise _store_error(resolved, exc) from None
    except SQLAlchemyError as exc:
        engine.dispose()
        raise _store_error(resolved, exc) from None
    store = Store(url=resolved, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
    if load_snapshot:
        from catalog.snapshot import ensure_snapshot_loaded

        ensure_snapshot_loaded(store)
    return store
