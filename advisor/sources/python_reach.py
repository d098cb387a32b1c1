"""What reaches a SQL execution call in Python: the calls, and the names, attributes, dict
entries, returning functions and forwarding helpers a string passes through on its way there.

Plain `ast` analysis of one module; advisor.sources.python turns what it finds into queries.
"""

from __future__ import annotations

import ast
import re
from functools import cached_property

from advisor.facts.ast_nodes import LineSpans, walk
from advisor.facts.callers import call_name, defaults
from advisor.facts.reaching import formatted_statement, own_nodes
from advisor.sources import psycopg_sql
from advisor.sources.python_builders import Returns
from advisor.sources.python_classes import Classes
from advisor.sources.python_parts import (
    Number,
    flatten_add,
    format_template,
    literal,
    named_table,
    option_default,
    parts,
)
from advisor.sources.sql_shape import DYNAMIC_PLACEHOLDER, runs_as_sql

# Calls whose first argument is executed as SQL: DB-API and psycopg, asyncpg, databases, SQLAlchemy,
# pandas, psycopg's COPY, Twisted's adbapi pool; SQL text is still required (`session.query(User)` is not SQL).
EXECUTE_METHODS = {
    "execute",
    "executemany",
    "exec_driver_sql",
    "mogrify",
    "executescript",
    "copy_expert",
    "fetch",
    "fetchrow",
    "fetchval",
    "fetchone",
    "fetchall",
    "fetchmany",
    "fetch_one",
    "fetch_all",
    "fetch_val",
    "execute_many",
    "iterate",
    "query",
    "copy",
    "prepare",
    "read_sql",
    "read_sql_query",
    "cursor_execute",
    "run_query",
    "execute_query",
    "execute_sql",
    "runQuery",  # twisted.enterprise.adbapi.ConnectionPool (cowrie's outputs)
    "runOperation",
}
TEXT_FUNCTIONS = {"text", "literal_column_sql", "sql", "SQL"}  # sqlalchemy.text, psycopg.sql.SQL
# methods only, never a bare name: Django's Model.objects.raw(...), sa.text, sql.SQL; pg8000.native's and a project
# runner's `run("SELECT ...")` (a bare `run(...)` is anyone's; `subprocess.run(cmd)` passes no SQL text)
RAW_METHODS = {"raw", "from_statement", "text", "SQL", "run"}

COMPOSITION = "psycopg sql composition"  # sql.SQL(...) + ..., .format(), .join() (advisor.sources.psycopg_sql)


def is_sql_sink(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr in EXECUTE_METHODS or func.attr in RAW_METHODS
    if isinstance(func, ast.Name):  # text(...), or an execute function handed in (a test fixture, a partial)
        return func.id in TEXT_FUNCTIONS or func.id in EXECUTE_METHODS
    return False


def dynamic_sketch(node: ast.expr) -> tuple[str, str] | None:
    """(how, sketch text) for SQL built at run time, or None for a plain literal: every value a placeholder."""
    built = parts(node)
    if built is None:
        return None
    text = "".join(p if isinstance(p, str) and not isinstance(p, Number) else DYNAMIC_PLACEHOLDER for p in built)
    if psycopg_sql.pieces(node) is not None:
        return COMPOSITION, text
    if isinstance(node, ast.JoinedStr):
        return "f-string", text
    if isinstance(node, ast.BinOp):
        return ("%-format" if isinstance(node.op, ast.Mod) else "concatenation"), text
    return ".format()", text


def _held_sink_calls(functions: list) -> set[int]:
    """The calls of a name the function holds an execution method in: `method = cls._pool.execute` (or a
    parameter's default), then `method(query, *args)`; red-discordbot's `_execute(query, *args, method=None)`."""
    out: set[int] = set()
    for function in functions:
        args = function.args
        defaults = zip(reversed(args.posonlyargs + args.args), reversed(args.defaults))
        held = {a.arg for a, d in [*defaults, *zip(args.kwonlyargs, args.kw_defaults)] if _sink_method(d)}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and _sink_method(node.value):
                held.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if held:
            out.update(
                id(node)
                for node in ast.walk(function)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in held
            )
    return out


def _sink_method(node: ast.expr | None) -> bool:
    """`pool.execute`, also as one choice of several (`method or pool.fetch`, `a.fetch if one else a.execute`)."""
    if isinstance(node, ast.BoolOp):
        return any(_sink_method(v) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _sink_method(node.body) or _sink_method(node.orelse)
    return isinstance(node, ast.Attribute) and (node.attr in EXECUTE_METHODS or node.attr in RAW_METHODS)


class Reach:
    """Which string expressions reach an execution call, and how.

    Names, attributes (`self.SQL`, `Queries.GET`), dict subscripts and calls to functions of the
    module that return SQL are followed to their assignments in the same module (one called with values,
    when every return is SQL text: advisor.sources.python_builders); a function that forwards one of its
    parameters to an execution call is itself an execution call.
    """

    def __init__(self, tree: ast.Module):
        self.assigned: dict[str, list[ast.expr]] = {}
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        for node in walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    name = (
                        target.id
                        if isinstance(target, ast.Name)
                        else target.attr
                        if isinstance(target, ast.Attribute)
                        else None
                    )
                    if name:
                        self.assigned.setdefault(name, []).append(node.value)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.append(node)
        self.rebound = _rebound(tree)  # names also bound some other way: a parameter, a loop, `+=`...
        self.tree = tree
        self.held = _held_sink_calls(self.functions)
        self.helpers: dict[str, int] = {}  # function name -> index of the argument it executes
        for _ in range(3):  # helpers of helpers
            if not self._find_helpers():
                break

    def _formatted(self, node: ast.BinOp) -> list[ast.expr]:
        """`sql % (gi, accession)`: the literal `sql` holds there, formatted here (its `'%s'` are values spliced in:
        advisor.facts.reaching.formatted_statement); [] when it is not one literal."""
        around = self._spans.around(node.lineno)
        built = formatted_statement(around[0][2], node) if around else None
        return [built] if built is not None else []

    @cached_property
    def _spans(self) -> LineSpans:
        """The module's functions by line (read once, when a formatted name asks)."""
        return LineSpans((f.lineno, f.end_lineno or f.lineno, f) for f in self.functions)

    @cached_property
    def classes(self) -> Classes:
        """What `self.name` holds, class by class (read once, when a statement asks)."""
        return Classes(self.tree)

    @cached_property
    def returns(self) -> Returns:
        """What a call of the module's functions returns (advisor.sources.python_builders)."""
        return Returns(self.tree, _writes_sql)

    def sink_argument(self, call: ast.Call) -> ast.expr | None:
        """The SQL argument of an execution call (or of a helper that forwards to one), else None."""
        name = (
            call.func.attr
            if isinstance(call.func, ast.Attribute)
            else call.func.id
            if isinstance(call.func, ast.Name)
            else None
        )
        if name is None:
            return None
        index = 0 if is_sql_sink(call) or id(call) in self.held else self.helpers.get(name)
        if index is None:
            return None
        if index < len(call.args) and not isinstance(call.args[index], ast.Starred):
            return call.args[index]
        for keyword in call.keywords:
            if keyword.arg in SQL_KEYWORDS:
                return keyword.value
        return None

    def _find_helpers(self) -> bool:
        found = False
        for function in self.functions:
            if function.name in self.helpers:
                continue
            params = [a.arg for a in function.args.posonlyargs + function.args.args]
            offset = 1 if params and params[0] in ("self", "cls") else 0
            varargs = function.args.vararg.arg if function.args.vararg else None
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    arg = _text_of(self.sink_argument(node))
                    if isinstance(arg, ast.Name) and arg.id in params[offset:]:
                        self.helpers[function.name] = params.index(arg.id) - offset
                        found = True
                        break
                    position = _vararg_position(arg, varargs)
                    if position is not None:  # `def _execute(self, *args): cur.execute(args[0], *args[1:])`
                        self.helpers[function.name] = len(params) - offset + position
                        found = True
                        break
        return found

    def strings(self, node: ast.expr, depth: int = 0) -> list[ast.expr]:
        """The string expressions `node` may stand for: literals, f-strings, formats, concatenations."""
        if depth > 4:
            return []
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Name):
            return self._formatted(node)
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            return [node] if literal(node) is not None or dynamic_sketch(node) is not None else []
        if isinstance(node, ast.IfExp):
            return self.strings(node.body, depth + 1) + self.strings(node.orelse, depth + 1)
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name is not None:
            return [s for value in self.assigned.get(name, ()) for s in self.strings(value, depth + 1)]
        if isinstance(node, ast.Subscript):  # `QUERIES["jobs"]`: that entry; `QUERIES[kind]`: each may run
            key = node.slice.value if isinstance(node.slice, ast.Constant) else None
            out = []
            for mapping in self.strings_of_dicts(node.value):
                for k, v in zip(mapping.keys, mapping.values):
                    if key is None or (isinstance(k, ast.Constant) and k.value == key):
                        out += self.strings(v, depth + 1)
            return out
        if isinstance(node, ast.Call):
            if psycopg_sql.kind(node) == "SQL":
                return []  # sql.SQL(text) alone: a call whose text is SQL, read as one (is_sql_sink)
            if dynamic_sketch(node) is not None:
                return [node]
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            mappings = self.strings_of_dicts(func.value) if name == "get" and isinstance(func, ast.Attribute) else []
            if mappings:  # `self._ref_types_query.get(ref_type)`: each statement of the table may run, or the default
                values = [v for mapping in mappings for v in mapping.values] + node.args[1:2]
            elif (inner := _same_text(node)) is not None:
                values = [inner]
            else:
                values = self.returns.of(node) or _passed_statement(node)
            return [s for value in values for s in self.strings(value, depth + 1)]
        return []

    def constant(self, node: ast.expr) -> str | None:
        """The text a name has in this module when every assignment to it is a literal (`TABLE = "jobs"`,
        or a clause chosen from literals: then the first one, as one variant of the query), or its one assignment a
        caller's option with a default (python_parts.option_default), or a call of a function named for tables gives
        (python_parts.named_table), else None."""
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Call):  # `{db.table_with_schema("jobs")}`: the table jobs, qualified at run time
            return named_table(node, self.constant, self._alias(node.func))
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            held = self.classes.inherited(node, node.attr)
            if held is not None and isinstance(held, ast.expr) and (text := literal(held)) is not None:
                return text  # the class's own `Table = "datasets"`, not the module's first class's
        values = self.assigned.get(name or "", [])
        if len(values) == 1 and name not in self.rebound and (default := self._default(values[0])) is not None:
            return default  # `self._table = kwargs.get("table", "jobs")`: the default, one variant of the statement
        if not values and isinstance(node, ast.Attribute) and name in self.properties:
            return self._property_table(self.properties[name])
        if not values or name in self.rebound or any(literal(v) is None for v in values):
            return None
        return literal(values[0])

    def _alias(self, func: ast.expr) -> ast.expr:
        """What a local name bound once to a function stands for (`t = names.table`, then `t("history")`)."""
        if isinstance(func, ast.Name) and func.id not in self.rebound:
            values = self.assigned.get(func.id, [])
            if len(values) == 1 and isinstance(values[0], (ast.Attribute, ast.Name)):
                return values[0]
        return func

    def _default(self, value: ast.expr) -> str | None:
        """A caller's option's default (python_parts.option_default), or a parameter's: `self._table = table`
        in `def __init__(self, table: str = "wf_events")`, when every parameter of that name in the module
        defaults to the same text."""
        if isinstance(value, ast.Name):
            defaults = self.parameter_defaults.get(value.id, set())
            return next(iter(defaults)) if len(defaults) == 1 and None not in defaults else None
        return option_default(value)

    @cached_property
    def parameter_defaults(self) -> dict[str, set[str | None]]:
        """Parameter name -> the defaults the module's functions give it (None: no default, or not a literal)."""
        out: dict[str, set[str | None]] = {}
        for function in self.functions:
            given, a = defaults(function), function.args
            for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs):
                out.setdefault(arg.arg, set()).add(literal(given[arg.arg]) if arg.arg in given else None)
        return out

    @cached_property
    def properties(self) -> dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]:
        """The module's properties by name (`@property`, `@functools.cached_property`): a read of `self.name`
        runs them."""
        out: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        for function in self.functions:
            if {call_name(d) for d in function.decorator_list} & {"property", "cached_property"}:
                out.setdefault(function.name, []).append(function)
        return out

    def _property_table(self, functions: list) -> str | None:
        """The table every property of that name returns: a name (`return "wf_ticks"`, `return self._events_table`)
        or that name under a schema the run gives (`return f"{self._schema}.wf_ticks"`), the same in every
        `return`; else None."""
        names: set[str | None] = set()
        for function in functions:
            for node in own_nodes(function):  # its own returns, not a nested function's
                if isinstance(node, ast.Return):
                    names.add(self._returned_table(node.value))
        table = next(iter(names)) if len(names) == 1 else None
        return table if table is not None and _TABLE_NAME.fullmatch(table) else None

    def _returned_table(self, value: ast.expr | None) -> str | None:
        if isinstance(value, ast.JoinedStr):
            # f"{schema}.wf_ticks", f"{schema}.{name}": the name, qualified at run time
            parts = value.values
            if len(parts) < 2 or not isinstance(parts[0], ast.FormattedValue) or not isinstance(parts[1], ast.Constant):
                return None
            dotted = str(parts[1].value)
            if len(parts) == 2:
                return dotted[1:] if dotted.startswith(".") else None
            last = parts[2]
            if len(parts) == 3 and dotted == "." and isinstance(last, ast.FormattedValue) and last.conversion == -1:
                return self._returned_table(last.value) if last.format_spec is None else None
            return None
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self":
            return self.constant(value) if value.attr not in self.properties else None
        return literal(value) if value is not None else None

    def fill_constants(self, node: ast.expr, depth: int = 0) -> tuple[str, tuple[str, ...]] | None:
        """(text, unknown pieces) of an f-string or concatenation with the module's constants filled in,
        and the pieces built the same way (`base = f"FROM t {where}"; f"SELECT a {base} ORDER BY a"`)."""
        if depth > 3:
            return None
        if isinstance(node, ast.JoinedStr):
            pieces: list[ast.expr] = [
                v.value if isinstance(v, ast.FormattedValue) and v.conversion == -1 and v.format_spec is None else v
                for v in node.values
            ]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            pieces = flatten_add(node)
        elif format_template(node) is not None:  # "... FROM {} ...".format("test_run"), "... FROM %s" % TABLE
            split = parts(node)
            if split is None:
                return None
            pieces = [
                p if isinstance(p, ast.expr) else ast.Constant(str(p)) if not isinstance(p, Number) else _number(p)
                for p in split
            ]
        else:
            return None
        text, unknown = "", list[str]()
        for piece in pieces:
            known = self.constant(piece)
            built = self._built(piece, depth) if known is None else None
            if built is not None:
                text += built[0]
                unknown += built[1]
            elif known is None:
                unknown.append(ast.unparse(piece.value if isinstance(piece, ast.FormattedValue) else piece))
                text += DYNAMIC_PLACEHOLDER
            else:
                text += known
        return text, tuple(unknown)

    def _built(self, piece: ast.expr, depth: int) -> tuple[str, tuple[str, ...]] | None:
        """A name assigned exactly once from an f-string or concatenation: that, filled in."""
        if not isinstance(piece, ast.Name) or len(self.assigned.get(piece.id, ())) != 1 or piece.id in self.rebound:
            return None
        return self.fill_constants(self.assigned[piece.id][0], depth + 1)

    def strings_of_dicts(self, node: ast.expr) -> list[ast.Dict]:
        if isinstance(node, ast.Dict):
            return [node]
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        return [v for v in self.assigned.get(name or "", ()) if isinstance(v, ast.Dict)]


def _writes_sql(value: ast.expr) -> bool:
    """A function's returned value is SQL text: a statement, or one built from literals and values."""
    text = literal(value)
    sketch = dynamic_sketch(value) if text is None else None
    return runs_as_sql(text if text is not None else sketch[1] if sketch is not None else "")


SQL_KEYWORDS = {"sql", "query", "statement", "stmt", "operation", "text", "sql_query", "command"}


_TABLE_NAME = re.compile(r"[A-Za-z_][\w$]*")


def _rebound(tree: ast.Module) -> set[str]:
    """Names bound other than by a plain assignment: their value may come from outside."""
    names: set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension, ast.AugAssign, ast.NamedExpr)):
            names.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute):
                names.add(node.target.attr)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            names.update(n.id for n in ast.walk(node.optional_vars) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, (ast.Tuple, ast.List)):
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _same_text(call: ast.Call) -> ast.expr | None:
    """The text a call gives back as the same statement, or None: `textwrap.dedent(SQL)`, `SQL.strip()` (and
    `lstrip`, `rstrip`), `sql.replace("?", "%s")` (its placeholders rewritten for the driver, matrix-reminder-bot's
    `_execute`)."""
    func = call.func
    if isinstance(func, ast.Name) and func.id == "dedent" or isinstance(func, ast.Attribute) and func.attr == "dedent":
        return call.args[0] if call.args else None
    if isinstance(func, ast.Attribute) and func.attr in ("strip", "lstrip", "rstrip", "replace"):
        return func.value
    return None


def _passed_statement(call: ast.Call) -> list[ast.expr]:
    """A call of a method the module does not define, given one statement written there and nothing else, whose
    result an execution call runs (`c.execute(self.sql("SELECT ..."))`, xtransit's `self.sql = self.store.sql`,
    another object's wrapper that prefixes its schema, as `text()` does): that statement."""
    if not isinstance(call.func, ast.Attribute) or len(call.args) != 1 or call.keywords:
        return []
    text = literal(call.args[0])
    return [call.args[0]] if text is not None and runs_as_sql(text) else []


def _text_of(arg: ast.expr | None) -> ast.expr | None:
    """The expression a text an execution call runs is made from (through `_same_text`)."""
    while isinstance(arg, ast.Call) and (inner := _same_text(arg)) is not None:
        arg = inner
    return arg


def _vararg_position(arg: ast.expr | None, varargs: str | None) -> int | None:
    """N for `args[N]` of the function's `*args`."""
    if (
        varargs is not None
        and isinstance(arg, ast.Subscript)
        and isinstance(arg.value, ast.Name)
        and arg.value.id == varargs
        and isinstance(arg.slice, ast.Constant)
        and isinstance(arg.slice.value, int)
        and arg.slice.value >= 0
    ):
        return arg.slice.value
    return None


def _number(piece: Number) -> ast.expr:
    """A numeric conversion's text (`%d` of a value): known only when the value is a literal number."""
    if isinstance(piece.node, ast.Constant) and type(piece.node.value) is int:
        return ast.Constant(str(piece.node.value))
    return piece.node if piece.node is not None else ast.Constant(str(piece))
