"""What the session does with each input: a statement to explain, or a backslash command."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from advisor.session import render
from advisor.units import human_size
from advisor.session.workspace import SessionError, Workspace

HELP = [
    ("<SQL>;", "explain a statement: plan tree, plan and static findings, measured index advice"),
    ("\\d [TABLE]", "tables with rows and indexes; one table's columns and indexes"),
    ("\\try CREATE INDEX ...", "build the index (hypothetical with HypoPG on --dsn) and re-plan the last query"),
    ("\\drop", "undo the last \\try"),
    ("\\analyze on|off", "run queries (EXPLAIN ANALYZE, rolled back) or only plan them"),
    ("\\seed ROWS", "seed the database again with ROWS rows per table"),
    ("\\params V1 V2 ...", "values for $1, $2, ... (no values: sample them from the data)"),
    ("\\mongo", "switch to MongoDB shapes (db.coll.find({...}), aggregate([...])); \\sql switches back"),
    ("\\save FILE", "write the session's recommended and tried indexes as a migration"),
    ("\\help", "this list"),
    ("\\q", "leave (Ctrl-D too)"),
]


class Controller:
    """Takes one complete input at a time and prints what it produced."""

    def __init__(self, workspace: Workspace, console: Console, fmt: str = "text"):
        self.ws = workspace
        self.console = console
        self.fmt = fmt
        self.commands: dict[str, Callable[[str], None]] = {
            "d": self.describe, "try": self.try_index, "drop": self.drop, "analyze": self.analyze,
            "seed": self.seed, "params": self.set_params, "mongo": self.mongo, "sql": self.sql,
            "save": self.save, "help": self.help, "?": self.help,
        }
        self.failed = False  # any statement or command failed (exit code of one-shot runs)

    def handle(self, text: str) -> bool:
        """Carry out one input; False when the session should end. Never raises for bad input."""
        from advisor.config import ConfigError

        text = text.strip()
        if not text:
            return True
        try:
            if text.startswith("\\"):
                name, _, rest = text[1:].partition(" ")
                name = name.strip().rstrip(";").lower()
                if name in ("q", "quit", "exit"):
                    return False
                command = self.commands.get(name)
                if command is None:
                    raise SessionError(f"unknown command \\{name}: \\help lists them")
                command(rest.strip())
            else:
                self.explain(text)
        except SessionError as exc:
            self.error(str(exc))
        except ConfigError as exc:  # the database could not be prepared: say why, keep the session
            self.error(str(exc))
        except KeyboardInterrupt:
            self.error("cancelled (Ctrl-C): the query was stopped, the session goes on")
        except Exception as exc:  # noqa: BLE001 -- a bug must not end the session or print a traceback
            from advisor.seed.server import mask

            self.error(f"internal error ({type(exc).__name__}: {mask(str(exc))})")
        return True

    def error(self, message: str) -> None:
        self.failed = True
        if self.fmt == "json":
            self.emit({"error": message})
        else:
            self.console.print(f"[bold red]error:[/] {escape(message)}")

    def emit(self, doc: dict) -> None:
        """One JSON document per line (JSON Lines): what --format json writes for scripts."""
        self.console.file.write(json.dumps(doc, default=str, ensure_ascii=False) + "\n")
        self.console.file.flush()

    def _note(self, message: str) -> None:
        if self.fmt != "json":
            self.console.print(f"[dim]{escape(message)}[/]")

    def _notes(self) -> None:
        while self.ws.notes:
            self._note("note: " + self.ws.notes.pop(0))

    # --- statements ----------------------------------------------------------------------

    def explain(self, text: str) -> None:
        statements = self.ws.statements(text)
        if not statements:
            raise SessionError("no statement found in the input" + (
                " (Mongo mode: db.collection.find({...}) or .aggregate([...]))" if self.ws.mode == "mongo" else ""))
        for query in statements:
            if self.ws.mode == "mongo":
                report = self.ws.explain_mongo(query)
            else:
                report = self.ws.explain(query)
            self._notes()
            if report.error:
                self.failed = True
            if self.fmt == "json":
                self.emit(render.report_dict(report))
            else:
                self.console.print(render.report_renderable(report, with_query=len(statements) > 1))

    # --- commands ---------------------------------------------------------------------------

    def describe(self, arg: str) -> None:
        ws = self.ws
        try:
            ws.connection()
        except SessionError:
            if not ws.schema.tables:
                raise
        self._notes()
        if not arg:
            table = Table("table", "rows", "indexes", title=ws.describe_target(), title_justify="left")
            for name, rows, n in ws.tables():
                table.add_row(escape(name), "?" if rows is None else f"{rows:,.0f}", str(n))
            self.console.print(table)
            if ws.tried:
                self.console.print("tried in this session: " + ", ".join(escape(t.name) for t in ws.tried))
            return
        name = arg.strip().rstrip(";").strip('"')
        tdef = ws.schema.table(name) or ws.schema.table(name.lower())
        if tdef is None:
            raise SessionError(f"no table {name!r} in the schema: \\d lists them")
        columns = Table("column", "type", "not null", title=f"table {tdef.name}", title_justify="left")
        for col in tdef.columns.values():
            columns.add_row(escape(col.name), escape(col.type or ""), "yes" if col.not_null else "")
        self.console.print(columns)
        live = ws.live_indexes(tdef.name)
        if live:
            indexes = Table("index", "definition", "size", title="indexes in the database", title_justify="left")
            for iname, definition, size in live:
                tried = any(t.name == iname for t in ws.tried)
                indexes.add_row(escape(iname) + (" [green](tried)[/]" if tried else ""), escape(definition),
                                human_size(size))
            self.console.print(indexes)
        else:
            for index in ws.schema.indexes_on(tdef.name):
                keys = ", ".join(str(k) for k in index.keys)
                self.console.print(f"  {escape(index.name or '')} {escape(f'{index.table}({keys})')}")

    def try_index(self, arg: str) -> None:
        result = self.ws.try_index(arg)
        self._notes()
        if self.fmt == "json":
            doc = {"tried": result.ddl, "name": result.name, "size_bytes": result.size_bytes,
                   "build_ms": result.build_ms, "hypothetical": result.hypothetical}
            if result.before is not None and result.after is not None:
                doc.update(before=render.report_dict(result.before), after=render.report_dict(result.after))
            self.emit(doc)
        else:
            self.console.print(render.try_renderable(result))

    def drop(self, arg: str) -> None:
        tried = self.ws.drop()
        self.console.print(f"dropped {escape(tried.name)}")

    def analyze(self, arg: str) -> None:
        value = arg.lower().rstrip(";")
        if value not in ("on", "off", ""):
            raise SessionError("\\analyze takes on or off")
        self.ws.analyze = (not self.ws.analyze) if not value else value == "on"
        self.console.print(f"analyze is {'on: queries run, rolled back' if self.ws.analyze else 'off: plans only'}")

    def seed(self, arg: str) -> None:
        try:
            rows = int(arg.replace("_", "").replace(",", "").rstrip(";"))
        except ValueError:
            raise SessionError("\\seed takes a number of rows, e.g. \\seed 100000") from None
        self.ws.reseed(rows)
        self._notes()
        self.console.print(f"seeded again with {rows:,} rows per table")

    def set_params(self, arg: str) -> None:
        try:
            self.ws.params = shlex.split(arg)
        except ValueError as exc:
            raise SessionError(f"\\params: {exc}") from None
        if self.ws.params:
            self.console.print("params: " + ", ".join(f"${i}={escape(p)}" for i, p in enumerate(self.ws.params, 1)))
        else:
            self.console.print("params: sampled from the seeded data")

    def mongo(self, arg: str) -> None:
        self.ws.mode = "mongo"
        how = "live explain on --mongo-uri" if self.ws.mongo_uri else "static planner over the indexes in the code"
        self.console.print(f"MongoDB mode ({how}): type db.collection.find({{...}}) or aggregate([...]); \\sql to go back")

    def sql(self, arg: str) -> None:
        self.ws.mode = "sql"
        self.console.print("SQL mode")

    def save(self, arg: str) -> None:
        if not arg:
            raise SessionError("\\save takes a file name, e.g. \\save migrations/042_indexes.sql")
        path = Path(arg.rstrip(";"))
        if not self.ws.recommended and not self.ws.tried:
            raise SessionError("nothing to save yet: no index recommended or tried in this session")
        try:
            path.write_text(self.ws.migration() + "\n", encoding="utf-8")
        except OSError as exc:
            raise SessionError(f"{path}: cannot write: {exc.strerror}") from None
        self.console.print(f"wrote {len(self.ws.recommended) + len(self.ws.tried)} index statement(s) to {escape(str(path))}")

    def help(self, arg: str) -> None:
        table = Table("input", "does", show_header=False, box=None)
        for name, does in HELP:
            table.add_row(escape(name), escape(does))
        self.console.print(table)
