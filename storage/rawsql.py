"""Hot-path SQL straight through the DBAPI driver, inside the ORM's transaction.

The SMTP server's group commit stores a batch of mails: a few rows per mail
and a few statements per batch.  Through SQLAlchemy's statement machinery
(coercion, cache keys, insert-many-values executed row by row on SQLite to keep
``RETURNING`` in order) that cost 0.6-0.8 ms of CPU per mail; written as plain
SQL on the session's own DBAPI connection it costs a small fraction of that.

:class:`Raw` keeps SQLAlchemy's meaning of the values: each value is converted
by its column's own bind processor (SQLite datetimes and JSON, psycopg JSON), so
the rows read back exactly as rows the ORM wrote.  SQL is written with ``?``
placeholders and rewritten for psycopg.  Driver errors are wrapped into
SQLAlchemy's exceptions (``IntegrityError``, ``OperationalError``), as if
SQLAlchemy had run the statement, so callers and ``session_scope`` see the same
errors either way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

__all__ = ["Raw"]

Processor = Callable[[Any], Any]


@functools.lru_cache(maxsize=256)
def _processor(table: Table, column: str, dialect: Dialect) -> Processor | None:
    proc: Processor | None = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return proc


class Raw:
    """Plain SQL on the session's connection (same transaction)."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.dialect = connection.dialect
        self.postgresql = self.dialect.name == "postgresql"
        self._error = self.dialect.loaded_dbapi.Error
        self._cursor: Any = connection.connection.cursor()

    def close(self) -> None:
        self._cursor.close()

    def __enter__(self) -> Raw:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- values ---------------------------------------------------------------------------
    def row(self, table: Table, values: Mapping[str, Any]) -> list[Any]:
        """``values`` in their columns' database form, in the mapping's order."""
        return [self.value(table, name, value) for name, value in values.items()]

    def value(self, table: Table, column: str, value: Any) -> Any:
        """``value`` in the database form of ``table.column``."""
        proc = _processor(table, column, self.dialect)
        return value if proc is None or value is None else proc(value)

    # -- statements -----------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgresql else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; the cursor, for ``fetchone``/``fetchall``/``rowcount``."""
        text = self._sql(sql)
        try:
            self._cursor.execute(text, params)
        except self._error as exc:
            raise DBAPIError.instance(text, params, exc, self._error) from exc
        return self._cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        text = self._sql(sql)
        try:
            self._cursor.executemany(text, rows)
        except self._error as exc:
            raise DBAPIError.instance(text, None, exc, self._error) from exc

    def each_returning(self, sql: str, rows: Sequence[Sequence[Any]]) -> Iterator[Any]:
        """Run ``sql`` (with a ``RETURNING`` clause) once per row; per row, its first
        returned row or None.  psycopg pipelines the rows in one round trip."""
        if not rows:
            return
        text = self._sql(sql)
        try:
            if self.postgresql:
                self._cursor.executemany(text, rows, returning=True)
                while True:
                    yield self._cursor.fetchone()
                    if not self._cursor.nextset():
                        return
            for params in rows:  # sqlite3: one prepared statement, reused
                self._cursor.execute(text, params)
                yield self._cursor.fetchone()
        except self._error as exc:
            raise DBAPIError.instance(text, None, exc, self._error) from exc

    def insert_ids(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        same: Mapping[str, Any] | None = None,
    ) -> list[int]:
        """Insert ``rows`` (values for ``columns``) plus the values ``same`` for every
        row (converted once) into ``table``; the new ids, in order."""
        if not rows:
            return []
        same = dict(same or {})
        names = [*columns, *same]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' for _ in names)}) RETURNING id"
        )
        fixed = self.row(table, same)
        procs = [
            (i, proc)
            for i, name in enumerate(columns)
            if (proc := _processor(table, name, self.dialect)) is not None
        ]
        params = []
        for values in rows:
            row = [*values, *fixed]
            for i, proc in procs:
                if row[i] is not None:
                    row[i] = proc(row[i])
            params.append(row)
        return [int(found[0]) for found in self.each_returning(sql, params)]
