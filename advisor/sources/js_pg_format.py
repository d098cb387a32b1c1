"""SQL written for pg-format's `format()` (npm `pg-format`) and run by an execution call.

    import format from 'pg-format';
    const query = format('SELECT id FROM %I WHERE docname = %L LIMIT 1', this.tableName, docName);
    const res = await this.pool.query(query);

pg-format writes `%I` as a quoted identifier, `%L` as a quoted literal, `%s` as the string itself and
`%%` as `%` (also numbered: `%1$I`). The text is read where it is written (advisor.sources.js_sql_text),
each directive replaced by what advisor.parse reads as the same thing: `%I` and `%s` by a typed
placeholder `{}` (a name where a name is expected: a table or column advisor does not know; `%s` may be
any piece), `%L` by a bind parameter `%s`, `%%` by `%`. Only a call whose result reaches an execution call
is a query (advisor.sources.js_sql_builders.reaching_calls), and only a `format` bound to the package
(`import format from 'pg-format'`, `import { format }`, `require('pg-format')`): another module's
`format` is not pg-format's. `%I`/`%L` are pg-format's own quoting, not SQL built from strings: only a
`${...}` in the text itself is reported as such. @event-driven-io/dumbo's `sql()` (Emmett's and Pongo's SQL layer)
formats the same way, and its `rawSql()` is the text as written: read alike, by the name the import gives them,
and as SQL by construction (as psycopg's `sql.SQL` is in Python), whether or not advisor sees the call reach an
execution call (a schema's DDL kept in a constant and run from a list of migrations).
"""

from __future__ import annotations

from advisor.ir import SqlQuery, StringBuilt, TextMap
from advisor.parse import FORMAT_DIRECTIVE
from advisor.sources.js_sql_builders import reaching_calls
from advisor.sources.js_sql_text import (
    concatenation,
    flatten_plus,
    is_parameter,
    js_query,
    string_pieces,
)
from advisor.sources.js_syntax import JsFile, arg_list, member_parts, required, unwrap
from advisor.sources.sql_shape import DYNAMIC_PLACEHOLDER, runs_as_sql

PACKAGE = "pg-format"
# @event-driven-io/dumbo (Emmett's and Pongo's SQL layer): `sql(text, ...values)` formats with pg-format's
# directives; `rawSql(text)` is the text as written
DUMBO = "@event-driven-io/dumbo"
DUMBO_TEXT = frozenset({"sql", "rawSql"})
_STAND_IN = {"I": DYNAMIC_PLACEHOLDER, "s": DYNAMIC_PLACEHOLDER, "L": "%s", "%": "%"}  # by FORMAT_DIRECTIVE's kind


def pg_format_queries(f: JsFile, calls: list, sinks: dict[str, int], dialect: str, seen: set, result) -> None:
    """The statements of the pg-format calls whose result an execution call (or a helper: `sinks`) runs."""
    if PACKAGE not in f.text and DUMBO not in f.text:
        return
    # dumbo's sql()/rawSql() is SQL by construction (as psycopg's sql.SQL is): a schema's DDL kept in a constant and
    # run from a list of migrations is read too; pg-format's format() only where its result is run
    built = [c for c in calls if c.type == "call_expression" and _writer(f, c) == DUMBO] if DUMBO in f.text else []
    for call in [*reaching_calls(f, calls, sinks), *built]:
        args = arg_list(call.child_by_field_name("arguments"))
        if call.id in seen or not args or _writer(f, call) is None:
            continue
        seen.add(call.id)
        read = _text(f, args[0])
        if read is None:
            continue
        node, text, anchors, unknown = read
        text, anchors, pieces = _directives(f.path, text, anchors)
        if node.id in seen or not runs_as_sql(text):
            continue
        seen.add(node.id)
        if unknown:  # a `${...}` of the text itself: built from strings, as any template is
            result.string_built.append(StringBuilt("template literal", "format", f.loc(node), tuple(unknown)))
        origin = (
            "execute-call" if call.parent is not None and call.parent.type == "arguments" else "constant-reaching-call"
        )
        query: SqlQuery = js_query(
            f, node, text, anchors, dynamic=bool(unknown) or pieces > 0, dialect=dialect, origin=origin, at=call
        )
        result.queries.append(query)


def _writer(f: JsFile, call) -> str | None:
    """The package whose SQL writer the call's function is (PACKAGE, DUMBO), or None: imported (under any name the
    import gives it, `sql as sql2`), required, or `(0, pg_format_1.default)` / `(0, import_dumbo.sql)` as TypeScript
    and bundlers compile an import to CommonJS."""
    fn = unwrap(call.child_by_field_name("function"))
    if fn is not None and fn.type == "sequence_expression" and fn.named_children:
        fn = unwrap(fn.named_children[-1])
    member = None
    if fn is not None and fn.type == "member_expression":
        obj, member = member_parts(f, fn)
        fn = unwrap(obj) if member == "default" or member in DUMBO_TEXT else None
    if fn is None or fn.type != "identifier" or is_parameter(f, fn):
        return None
    name = f.src(fn)
    bound = f.binding(name, call.start_byte)
    module = f.imports.get(name) if bound is None else required(f, bound)
    if module == DUMBO:
        return DUMBO if (member if member is not None else f.imported.get(name)) in DUMBO_TEXT else None
    return PACKAGE if module == PACKAGE else None


def _text(f: JsFile, arg) -> tuple | None:
    """(node, text, anchors, unknown pieces) of the format text: a literal, a template, a concatenation,
    or a name the module gives one of these."""
    arg = unwrap(arg)
    if arg is not None and arg.type == "identifier" and not is_parameter(f, arg):
        arg = unwrap(f.resolve(f.src(arg), arg.start_byte))
    unknown: list[str] = []
    if arg is None:
        return None
    if arg.type in ("string", "template_string"):
        text, anchors, _ = string_pieces(f, arg, tagged=False, unknown=unknown)
    elif arg.type == "binary_expression" and len(flatten_plus(arg)) > 1:
        text, anchors, _ = concatenation(f, flatten_plus(arg), unknown)
    else:
        return None
    return arg, text, anchors, unknown


def _directives(path: str, text: str, anchors: tuple) -> tuple[str, tuple, int]:
    """(text, anchors, pieces) with pg-format's directives replaced by their stand-ins; `pieces`: how many
    stand for a name or a piece (`%I`, `%s`). Past a stand-in of another length, an anchor keeps the
    positions that follow where they are written."""
    where = TextMap(path, text, anchors)
    out, at, pieces = "", 0, 0
    shifts: list[tuple[int, int]] = []  # (end of a directive in `text`, how much later text moved by then)
    added: dict[int, tuple[int, int]] = {}
    for m in FORMAT_DIRECTIVE.finditer(text):
        stand_in = _STAND_IN[m.group(2)]
        pieces += m.group(2) in ("I", "s")
        out += text[at : m.start()] + stand_in
        at = m.end()
        if len(stand_in) != len(m.group(0)):
            shifts.append((m.end(), len(out) - m.end()))
            end = where.locate(m.end())
            added[len(out)] = (end.line, end.col)
    out += text[at:]

    def moved(offset: int) -> int:
        return offset + next((by for end, by in reversed(shifts) if end <= offset), 0)

    merged = {moved(o): (line, col) for o, line, col in anchors} | added
    return out, tuple((o, line, col) for o, (line, col) in sorted(merged.items())), pieces
