"""Load the application's schema: the DDL/migration files from config, in order.

Each statement runs on its own (autocommit), so one PostgreSQL rejects is
reported as `file:line: message` and the rest still load, as a migration
runner that skips a broken step would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from advisor.seed.server import mask


@dataclass
class LoadError:
    path: str
    line: int
    message: str
    statement: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _line_of(text: str, start_line: int, position: str | None) -> int:
    if not position:
        return start_line
    try:
        offset = int(position) - 1
    except ValueError:
        return start_line
    return start_line + text.count("\n", 0, max(0, offset))


def load_schema(conn, files: list[Path], shown: dict[Path, str] | None = None) -> list[LoadError]:
    """Run every statement of the files; returns the statements PostgreSQL rejected."""
    import psycopg

    from advisor.sources.sql_files import extract_sql

    errors: list[LoadError] = []
    conn.autocommit = True
    for path in files:
        name = (shown or {}).get(path, str(path))
        text = path.read_text(encoding="utf-8", errors="replace")
        for query in extract_sql(name, text, source="schema"):
            body = query.text.strip()
            if not body or body.rstrip(";").strip() == "":
                continue
            upper = body.lstrip("(").upper()
            if upper.startswith(("BEGIN", "COMMIT", "START TRANSACTION", "ROLLBACK")):
                continue  # each statement is its own transaction here
            try:
                conn.execute(body.encode("utf-8") if False else body, prepare=False)
            except psycopg.Error as exc:
                diag = exc.diag
                message = (diag.message_primary or str(exc)).strip().splitlines()[0]
                errors.append(LoadError(name, _line_of(query.text, query.location.line, diag.statement_position),
                                        mask(message), body))
    return errors
