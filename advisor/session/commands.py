"""What the session does with each input: a statement to explain, or a backslash command."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from advisor.session import render
from advisor.session.workspace import SessionError, Workspace
from advisor.units import human_size

HELP = [
    ("<SQL>;", "explain a statement: plan tree, plan and static findings, measured index advice"),
    ("\\d [TABLE]", "tables with rows and indexes; one table's columns and indexes (Mongo mode: collections)"),
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

    def __init__(self, workspace: Workspace, console: Console, fmt: str = "text", typed: bool = True):
        self.ws = workspace
        self.console = console
        self.fmt = fmt
        # the input is the user's (typed, or the QUERY argument), not a file's or a pipe's: a file in the
        # checkout may be the repository's, and its `\save` lines must not choose where advisor writes
        self.typed = typed
        self.commands: dict[str, Callable[[str], None]] = {
            "d": self.describe,
            "try": self.try_index,
            "drop": self.drop,
            "analyze": self.analyze,
            "seed": self.seed,
            "params": self.set_params,
            "mongo": self.mongo,
            "sql": self.sql,
            "save": self.save,
            "help": self.help,
            "?": self.help,
        }
        self.failed = False  # any statement or command failed (exit code of one-shot runs)
        self.command: str | None = None  # the backslash command being carried out, named in JSON output

    def handle(self, text: str) -> bool:
        """Carry out one input; False when the session should end. Never raises for bad input."""
        from advisor.config import ConfigError

        text = text.strip()
        if not text:
            return True
        self.command = None
        try:
            if text.startswith("\\"):
                name, rest = (text[1:].split(None, 1) + ["", ""])[:2]  # any whitespace after the name
                name = name.rstrip(";").lower()
                if name in ("q", "quit", "exit"):
                    return False
                self.command = name
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
            from advisor.secrets import mask

            self.error(f"internal error ({type(exc).__name__}: {mask(str(exc))})")
        return True

    def error(self, message: str) -> None:
        self.failed = True
        if self.fmt == "json":
            self.emit({"command": self.command, "error": message} if self.command else {"error": message})
        else:
            self.console.print(f"[bold red]error:[/] {escape(message)}")

    def say(self, message: str, **data) -> None:
        """What a command did: a line for people, or (--format json) a document naming the command."""
        if self.fmt == "json":
            self.emit({"command": self.command, **data, "message": message})
        else:
            self.console.print(escape(message))

    def emit(self, doc: dict) -> None:
        """One JSON document per line (JSON Lines): what --format json writes for scripts."""
        self.console.file.write(json.dumps(doc, default=str, ensure_ascii=False) + "\n")
        self.console.file.flush()

    def _notes(self) -> None:
        while self.ws.notes:
            note = self.ws.notes.pop(0)
            if self.fmt == "json":  # a rejected schema statement matters to scripts too
                self.emit({"note": note})
            else:
                self.console.print(f"[dim]note: {escape(note)}[/]")

    # --- statements ----------------------------------------------------------------------

    def explain(self, text: str) -> None:
        statements = self.ws.statements(text)
        if not statements and _only_comments(text, self.ws.mode):
            return  # a comment on its own (the end of a file, say) is not a failed statement
        if not statements:
            raise SessionError(
                "no statement found in the input"
                + (" (Mongo mode: db.collection.find({...}) or .aggregate([...]))" if self.ws.mode == "mongo" else "")
            )
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
        if ws.mode == "mongo" or (not ws.schema.tables and ws.collections()):
            self._describe_mongo(arg)
            return
        try:
            ws.connection()
        except SessionError:
            if not ws.schema.tables:
                raise
        self._notes()
        if arg:
            self._describe_table(arg)
            return
        rows = ws.tables()
        if self.fmt == "json":
            self.emit(
                {
                    "command": "d",
                    "database": ws.describe_target(),
                    "tried": [t.name for t in ws.tried],
                    "tables": [{"table": name, "rows": n_rows, "indexes": n} for name, n_rows, n in rows],
                }
            )
            return
        table = Table("table", "rows", "indexes", title=ws.describe_target(), title_justify="left")
        for name, n_rows, n in rows:
            table.add_row(escape(name), "?" if n_rows is None else f"{n_rows:,.0f}", str(n))
        self.console.print(table)
        if ws.tried:
            self.console.print("tried in this session: " + ", ".join(escape(t.name) for t in ws.tried))

    def _describe_table(self, arg: str) -> None:
        ws = self.ws
        tdef = ws.find_table(arg)
        if tdef is None:
            raise SessionError(f"no table {arg.strip().rstrip(';')!r} in the schema: \\d lists them")
        # a partition's columns are its parent's
        parent = ws.schema.table(tdef.partition_of) if tdef.partition_of and not tdef.columns else None
        cols = list((parent or tdef).columns.values())
        title = f"table {tdef.name}" + (f" (partition of {tdef.partition_of})" if tdef.partition_of else "")
        live = [
            (name, definition, size, any(t.name == name for t in ws.tried))
            for name, definition, size in ws.live_indexes(tdef.name)
        ]
        declared = [
            (i.name or "", f"{i.table}({', '.join(str(k) for k in i.keys)})") for i in ws.schema.indexes_on(tdef.name)
        ]
        if self.fmt == "json":
            doc = {
                "command": "d",
                "table": tdef.name,
                "partition_of": tdef.partition_of,
                "columns": [{"name": c.name, "type": c.type, "not_null": c.not_null} for c in cols],
            }
            doc["indexes"] = (
                [{"name": n, "definition": d, "size_bytes": z, "tried": t} for n, d, z, t in live]
                if live
                else [{"name": n, "definition": d} for n, d in declared]
            )
            self.emit(doc)
            return
        columns = Table("column", "type", "not null", title=escape(title), title_justify="left")
        for col in cols:
            columns.add_row(escape(col.name), escape(col.type or ""), "yes" if col.not_null else "")
        self.console.print(columns)
        if live:
            indexes = Table("index", "definition", "size", title="indexes in the database", title_justify="left")
            for name, definition, size, tried in live:
                indexes.add_row(
                    escape(name) + (" [green](tried)[/]" if tried else ""), escape(definition), human_size(size)
                )
            self.console.print(indexes)
        else:
            for name, definition in declared:
                self.console.print(f"  {escape(name)} {escape(definition)}")

    def _describe_mongo(self, arg: str) -> None:
        """Mongo mode: the collections and the indexes the code declares on them."""
        from advisor.mongo.indexes import describe_index, indexes_named

        collections = self.ws.collections()
        if not arg:
            if self.fmt == "json":
                self.emit(
                    {
                        "command": "d",
                        "collections": [{"collection": c, "indexes": len(i)} for c, i in sorted(collections.items())],
                    }
                )
                return
            table = Table(
                "collection",
                "indexes",
                title="MongoDB collections (indexes declared in the code)",
                title_justify="left",
            )
            for name, indexes in sorted(collections.items()):
                table.add_row(escape(name), str(len(indexes)))
            self.console.print(table)
            return
        indexes, name = indexes_named(self.ws.schema, arg.strip().rstrip(";").strip("\"'"))
        if not indexes:
            raise SessionError(f"no indexes declared on a collection {arg!r}: \\d lists the collections")
        described = [describe_index(i) for i in indexes]
        if self.fmt == "json":
            self.emit({"command": "d", "collection": name, "indexes": described})
            return
        self.console.print(f"[bold]collection {escape(name)}[/]")
        for line in described:
            self.console.print(f"  {escape(line)}")

    def try_index(self, arg: str) -> None:
        if self.ws.mode == "mongo":
            raise SessionError(
                "\\try builds a PostgreSQL index; in Mongo mode the findings give the createIndex "
                "to add (\\sql switches back)"
            )
        result = self.ws.try_index(arg)
        self._notes()
        if self.fmt == "json":
            doc: dict[str, Any] = {
                "command": "try",
                "tried": result.ddl,
                "name": result.name,
                "size_bytes": result.size_bytes,
                "build_ms": result.build_ms,
                "hypothetical": result.hypothetical,
                "used": result.used,
            }
            if result.before is not None and result.after is not None:
                doc.update(before=render.report_dict(result.before), after=render.report_dict(result.after))
            self.emit(doc)
        else:
            self.console.print(render.try_renderable(result, self.console))

    def drop(self, arg: str) -> None:
        tried = self.ws.drop()
        self.say(f"dropped {tried.name}", dropped=tried.name)

    def analyze(self, arg: str) -> None:
        value = arg.lower().rstrip(";")
        if value not in ("on", "off", ""):
            raise SessionError("\\analyze takes on or off")
        self.ws.analyze = (not self.ws.analyze) if not value else value == "on"
        self.say(
            f"analyze is {'on: queries run, rolled back' if self.ws.analyze else 'off: plans only'}",
            analyze=self.ws.analyze,
        )

    def seed(self, arg: str) -> None:
        try:
            rows = int(arg.replace("_", "").replace(",", "").rstrip(";"))
        except ValueError:
            raise SessionError("\\seed takes a number of rows, e.g. \\seed 100000") from None
        self.ws.reseed(rows)
        self._notes()
        rebuilt = [t.name for t in self.ws.tried]
        self.say(
            f"seeded again with {rows:,} rows per table"
            + (f"; tried indexes rebuilt: {', '.join(rebuilt)}" if rebuilt else ""),
            rows=rows,
            tried=rebuilt,
        )

    def set_params(self, arg: str) -> None:
        try:
            self.ws.params = shlex.split(arg)
        except ValueError as exc:
            raise SessionError(f"\\params: {exc}") from None
        if self.ws.params:
            self.say(
                "params: " + ", ".join(f"${i}={p}" for i, p in enumerate(self.ws.params, 1)), params=self.ws.params
            )
        else:
            self.say("params: sampled from the seeded data", params=[])

    def mongo(self, arg: str) -> None:
        self.ws.mode = "mongo"
        how = "live explain on --mongo-uri" if self.ws.mongo_uri else "static planner over the indexes in the code"
        self.say(
            f"MongoDB mode ({how}): type db.collection.find({{...}}) or aggregate([...]); \\sql to go back",
            mode="mongo",
        )

    def sql(self, arg: str) -> None:
        self.ws.mode = "sql"
        self.say("SQL mode", mode="sql")

    def save(self, arg: str) -> None:
        if not arg:
            raise SessionError("\\save takes a file name, e.g. \\save migrations/042_indexes.sql")
        try:  # a name may be quoted (spaces) and start with ~
            words = shlex.split(arg.rstrip(";"))
        except ValueError as exc:
            raise SessionError(f"\\save: {exc}") from None
        if len(words) != 1:
            raise SessionError("\\save takes one file name (quote a name with spaces)")
        if not self.typed:
            raise SessionError(
                "\\save writes a file only when typed in the session: from a file or a pipe (text a repository "
                "may have written) advisor writes nothing; run the session and type \\save there"
            )
        path = Path(words[0]).expanduser()
        if not self.ws.recommended and not self.ws.tried:
            raise SessionError("nothing to save yet: no index recommended or tried in this session")
        from advisor.indexes.migration import distinct_indexes

        # an index the session recommended for one query and tried (or was recommended) wider for another
        # is written once: the one that serves both
        text, _ = distinct_indexes(self.ws.migration())
        from advisor.files import OutputError, write_output

        try:  # a relative path through no symbolic link of the checkout
            write_output(path, text + "\n")
        except OutputError as exc:
            raise SessionError(str(exc)) from None
        count = sum(1 for line in text.splitlines() if line.startswith("CREATE"))
        self.say(f"wrote {count} index statement(s) to {path}", path=str(path), statements=count)

    def help(self, arg: str) -> None:
        if self.fmt == "json":
            self.emit({"command": "help", "commands": [{"input": name, "does": does} for name, does in HELP]})
            return
        table = Table("input", "does", show_header=False, box=None)
        for name, does in HELP:
            table.add_row(escape(name), escape(does))
        self.console.print(table)


def _only_comments(text: str, mode: str) -> bool:
    """Nothing but comments (and semicolons): SQL's -- and /* */, or JavaScript's // and /* */."""
    line = r"//[^\n]*" if mode == "mongo" else r"--[^\n]*"
    return not re.sub(rf"{line}|/\*.*?\*/|;", "", text, flags=re.DOTALL).strip()
