"""Load the application's schema: the DDL/migration files from config, in order.

Every statement first passes advisor's allow-list (advisor/seed/allowlist.py): one that reaches
beyond the schema is not sent and is reported at its file:line.  The extensions the schema asks
for (trusted ones only) are created by `create_extension` -- advisor's administrator connection --
before any statement of the repository runs.  The rest runs on `conn`, a role without privileges,
each statement on its own (autocommit), so one PostgreSQL rejects is reported as
`file:line: message` and the rest still load, as a migration runner that skips a broken step would.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from advisor.seed.server import mask

SCHEMA_STATEMENT_TIMEOUT = "60s"  # a schema statement that runs longer (pg_sleep, a huge INSERT) is cut


@dataclass
class LoadError:
    path: str
    line: int
    message: str
    statement: str
    refused: bool = False  # advisor's allow-list refused it; it was never sent

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.summary}"

    @property
    def summary(self) -> str:
        if self.refused:
            return f"advisor does not run this statement: {self.message}"
        return f"PostgreSQL rejects this statement: {self.message}"


def _line_of(text: str, start_line: int, position: str | None) -> int:
    if not position:
        return start_line
    try:
        offset = int(position) - 1
    except ValueError:
        return start_line
    return start_line + text.count("\n", 0, max(0, offset))


def _message(exc) -> str:
    return mask((exc.diag.message_primary or str(exc)).strip().splitlines()[0])


def load_schema(
    conn, files: list[Path], shown: dict[Path, str] | None = None, create_extension: Callable[[str], None] | None = None
) -> list[LoadError]:
    """Run every allowed statement of the files; returns the statements refused or rejected."""
    import psycopg

    from advisor.seed.allowlist import check
    from advisor.sources.sql_files import extract_sql

    errors: list[tuple[int, LoadError]] = []  # (statement number, error): reported in file order
    allowed = []
    created: set[str] = set()
    counter = itertools.count()
    for path in files:
        name = (shown or {}).get(path, str(path))
        text = path.read_text(encoding="utf-8", errors="replace")
        for query in extract_sql(name, text, source="schema"):
            if query.origin == "function-body":
                continue  # analysed as a query, never sent: its CREATE FUNCTION carries it
            seq = next(counter)
            body = query.text.strip()
            if not body or body.rstrip(";").strip() == "":
                continue
            verdict = check(query.text)  # the text the schema stage parsed: sqlglot's tree comes from its cache
            if verdict.action == "refuse":
                errors.append((seq, LoadError(name, query.location.line, verdict.reason, body, refused=True)))
            elif verdict.action == "extension":
                if verdict.extension in created:
                    continue
                created.add(verdict.extension)
                try:
                    if create_extension is None:
                        raise LookupError("no administrator connection to create it with")
                    create_extension(verdict.extension)
                except (psycopg.Error, LookupError) as exc:
                    message = _message(exc) if isinstance(exc, psycopg.Error) else str(exc)
                    errors.append((seq, LoadError(name, query.location.line, message, body)))
            elif verdict.action == "send":
                allowed.append((seq, name, query, body))
    conn.autocommit = True
    conn.execute(f"SET statement_timeout = '{SCHEMA_STATEMENT_TIMEOUT}'")
    for seq, name, query, body in allowed:
        try:
            # binary results take the extended protocol, where PostgreSQL refuses a second statement: if its
            # lexer and advisor's ever disagree on where one ends, nothing unchecked runs after it
            conn.execute(body, binary=True, prepare=False)
        except psycopg.Error as exc:
            line = _line_of(query.text, query.location.line, exc.diag.statement_position)
            errors.append((seq, LoadError(name, line, _message(exc), body)))
    conn.execute("SET statement_timeout = 0")  # seeding is not cut; a role default set by the schema does not count
    return [e for _, e in sorted(errors, key=lambda pair: pair[0])]
