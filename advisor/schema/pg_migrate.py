"""node-pg-migrate's builder calls in a schema file, as the DDL they run (holdout 81's @cardstack/pgsearch):

    exports.up = pgm => {
        pgm.createTable("documents", { type: "varchar", id: "varchar", refs: "varchar[]" });
        pgm.addConstraint("documents", "documents_pkey", { primaryKey: ["type", "id"] });
        pgm.createIndex("documents", "refs", { method: "GIN" });
    };

Only the calls on the first parameter of a step's `up` (`exports.up`, `export const up`, `up(pgm) {}`): `down` undoes
the step. Each call is a statement at the call (advisor.schema.code_keys.schema_statements). A call whose arguments
advisor cannot read (a name held in a variable, a column list built at run time) leaves its table one advisor has not
seen whole, and the rules that claim an absence stay silent on it. `pgm.sql('...')` is read as any string of a schema
file is.
"""

from __future__ import annotations

from typing import Any

from advisor.names import quote

UP_NAMES = frozenset({"up"})
# node-pg-migrate's builder methods whose first argument is a table: a call of one advisor cannot read leaves that
# table unseen whole; any other call on the step's parameter is no builder call it knows (a Sequelize step's
# `connection.query(sql)`, whose string is read as any schema file's)
TABLE_METHODS = frozenset(
    "createTable dropTable renameTable alterTable addColumns addColumn dropColumns dropColumn renameColumn alterColumn "
    "addConstraint createConstraint dropConstraint renameConstraint createIndex addIndex dropIndex createTrigger "
    "dropTrigger renameTrigger createPolicy alterPolicy dropPolicy renamePolicy".split()
)


def builder_ddl(f: Any) -> list[tuple[Any, str]]:
    """(call node, DDL) of each builder call of the file's `up` steps. A call whose arguments advisor cannot read,
    on a table it can name, gives a statement about that table no parser reads (`ALTER TABLE t ADD ?`): the schema
    then counts the table as one it has not seen whole."""
    out: list[tuple[Any, str]] = []
    for fn in _up_functions(f):
        params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        if params is None:
            continue
        first = (
            params
            if params.type == "identifier"
            else next((c for c in params.named_children if c.type == "identifier"), None)
        )
        if first is None:
            continue
        name = f.src(first)
        stack = [fn.child_by_field_name("body")]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            stack.extend(node.named_children)
            if node.type != "call_expression":
                continue
            callee = node.child_by_field_name("function")
            if (
                callee is None
                or callee.type != "member_expression"
                or f.src(callee.child_by_field_name("object")) != name
            ):
                continue
            method = f.src(callee.child_by_field_name("property"))
            if method in ("sql", "func", "noTransaction"):
                continue  # its string is read as a schema file's; a function value; a step option
            if method not in TABLE_METHODS:
                continue  # not a builder call on a table (`connection.query(sql)` in a step of another tool)
            args = _args(f, node)
            ddl = _ddl(method, args)
            if ddl is None:
                table = _name(args[0]) if args else None
                ddl = f"ALTER TABLE {table} ADD ?" if table is not None else None
            if ddl is not None:
                out.append((node, ddl))
    return out


def _up_functions(f: Any) -> list:
    """The functions of the file a step runs going up."""
    from advisor.sources.js_syntax import FUNCTIONS, unwrap

    found = []
    stack = [f.root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        named = value = None
        if node.type == "assignment_expression":  # exports.up = pgm => {...}
            left = node.child_by_field_name("left")
            named = (
                left.child_by_field_name("property") if left is not None and left.type == "member_expression" else None
            )
            value = node.child_by_field_name("right")
        elif node.type in ("variable_declarator", "pair"):  # export const up = ...; { up: ... }
            named = node.child_by_field_name("name" if node.type == "variable_declarator" else "key")
            value = node.child_by_field_name("value")
        elif node.type in ("function_declaration", "method_definition"):  # export function up(pgm) {}; up(pgm) {}
            named, value = node.child_by_field_name("name"), node
        value = unwrap(value) if value is not None else None
        if named is not None and value is not None and value.type in FUNCTIONS and f.src(named) in UP_NAMES:
            found.append(value)
    return found


def _args(f: Any, call) -> list[Any] | None:
    from advisor.sources.js_syntax import arg_list, read_value

    state: dict = {"partial": False}
    values = [read_value(f, a, (), {}, state) for a in arg_list(call.child_by_field_name("arguments"))]
    return None if state["partial"] else values


def _name(value: Any) -> str | None:
    return quote(value) if isinstance(value, str) and value else None


def _columns(value: Any) -> str | None:
    """A column or a list of them, as node-pg-migrate takes them (`"refs"`, `["type", "id"]`)."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if not items or not all(isinstance(c, str) and c for c in items):
        return None
    return ", ".join(quote(c) for c in items)


def _column(name: str, spec: Any, keyed: bool = True) -> str | None:
    """A column definition: `"varchar"`, `"id"` (node-pg-migrate's shorthand: a serial primary key), or `{ type,
    primaryKey, unique, notNull, references }`; `keyed` False when the table's key spans several columns (written
    as the table's PRIMARY KEY instead)."""
    if spec == "id":
        spec = {"type": "serial", "primaryKey": True}
    if isinstance(spec, str):
        return f"{quote(name)} {spec}"
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        return None
    text = f"{quote(name)} {spec['type']}"
    if spec.get("primaryKey") is True and keyed:
        text += " PRIMARY KEY"
    elif spec.get("unique") is True:
        text += " UNIQUE"
    if spec.get("notNull") is True:
        text += " NOT NULL"
    if isinstance(spec.get("references"), str):
        text += f" REFERENCES {spec['references']}"
        if isinstance(spec.get("onDelete"), str):
            text += f" ON DELETE {spec['onDelete']}"
    return text


def _ddl(method: str, args: list[Any] | None) -> str | None:
    """The DDL a builder method runs with these arguments (None: unread, or not one advisor knows)."""
    table = _name(args[0]) if args else None
    if args is None or table is None:
        return None
    rest = args[1:]
    if method in ("createTable", "addColumns", "addColumn") and rest and isinstance(rest[0], dict):
        keys = [str(k) for k, v in rest[0].items() if v == "id" or isinstance(v, dict) and v.get("primaryKey") is True]
        defs = [_column(str(k), v, keyed=len(keys) == 1) for k, v in rest[0].items()]
        written = [d for d in defs if d is not None]
        if len(written) < len(defs):
            return None
        if method != "createTable":
            return f"ALTER TABLE {table} " + ", ".join(f"ADD COLUMN {d}" for d in written)
        key = [f"PRIMARY KEY ({', '.join(quote(k) for k in keys)})"] if len(keys) > 1 else []
        return f"CREATE TABLE {table} ({', '.join(written + key)})"
    if method in ("dropColumns", "dropColumn") and rest:
        listed = _columns(rest[0])
        if listed is None:
            return None
        return f"ALTER TABLE {table} " + ", ".join(f"DROP COLUMN {c}" for c in listed.split(", "))
    if method == "addConstraint" and len(rest) >= 2 and isinstance(rest[1], dict):
        named = f"CONSTRAINT {_name(rest[0])} " if _name(rest[0]) else ""
        for option, kind in (("primaryKey", "PRIMARY KEY"), ("unique", "UNIQUE")):
            if option in rest[1]:
                listed = _columns(rest[1][option])
                return None if listed is None else f"ALTER TABLE {table} ADD {named}{kind} ({listed})"
        return None
    if method == "dropConstraint" and rest and _name(rest[0]):
        return f"ALTER TABLE {table} DROP CONSTRAINT {_name(rest[0])}"
    if method == "createIndex" and rest:
        return _create_index(table, rest[0], rest[1] if len(rest) > 1 else {})
    if method == "dropIndex" and rest:
        options = rest[1] if len(rest) > 1 and isinstance(rest[1], dict) else {}
        name = _name(options.get("name")) if options.get("name") else None
        return f"DROP INDEX {name}" if name else None
    if method == "renameTable" and rest and _name(rest[0]):
        return f"ALTER TABLE {table} RENAME TO {_name(rest[0])}"
    if method == "renameColumn" and len(rest) >= 2 and _name(rest[0]) and _name(rest[1]):
        return f"ALTER TABLE {table} RENAME COLUMN {_name(rest[0])} TO {_name(rest[1])}"
    if method == "dropTable":
        return f"DROP TABLE {table}"
    return None


def _create_index(table: str, columns: Any, options: Any) -> str | None:
    cols = _columns(columns)
    if cols is None or not isinstance(options, dict):
        return None
    unique = "UNIQUE " if options.get("unique") is True else ""
    name = f"{_name(options['name'])} " if isinstance(options.get("name"), str) else ""
    method = options.get("method")
    using = f" USING {method}" if isinstance(method, str) and method.isidentifier() else ""
    where = f" WHERE {options['where']}" if isinstance(options.get("where"), str) else ""
    return f"CREATE {unique}INDEX {name}ON {table}{using} ({cols}){where}"
