"""Build a Schema from DDL statements: CREATE TABLE / INDEX, ALTER TABLE, DROP INDEX.

Statements are applied in order, as a migration runner would, so a later
DROP INDEX or ALTER TABLE changes what earlier statements declared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from sqlglot import exp

from advisor.ir import Column, ForeignKey, IndexDef, IndexKey, Location, Schema, SqlQuery, Table
from advisor.names import NAMEDATALEN, fold
from advisor.parse import is_placeholder_name, parse_sql


def sql_text(node: exp.Expression) -> str:
    return node.sql(dialect="postgres")


_name = fold


def _type_name(kind: exp.DataType | None) -> str:
    if kind is None:
        return ""
    if isinstance(kind.this, exp.DataType.Type):
        return kind.this.value.lower()
    return sql_text(kind).lower()


def _index_key(ordered: exp.Expression) -> IndexKey:
    desc = False
    node = ordered
    opclass = None
    if isinstance(node, exp.Ordered):
        desc = bool(node.args.get("desc"))
        node = node.this
    if isinstance(node, exp.Opclass):  # `metadata jsonb_path_ops`: another set of operators than the default's
        opclass = sql_text(node.expression).rsplit(".", 1)[-1].strip('"').lower()
        node = node.this
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Collate) and _default_collation(node.expression):
        node = node.this  # `hash COLLATE pg_catalog."default"` (pgAdmin's output): the column's own order
    if isinstance(node, (exp.Column, exp.Identifier)):
        return IndexKey(fold(node), True, desc, opclass)
    return IndexKey(canonical_expression(node), False, desc, opclass)


def _default_collation(name: exp.Expression) -> bool:
    """`"default"` or `pg_catalog."default"`: the collation the column has anyway."""
    own = name.this if isinstance(name, exp.Column) and name.table in ("", "pg_catalog") else name
    return isinstance(own, exp.Identifier) and own.this == "default"


def canonical_expression(node: exp.Expression) -> str:
    """An expression as text, with column qualifiers dropped, for matching index expressions."""
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    from advisor.facts.sql import text_already

    copy = node.copy()
    for column in copy.find_all(exp.Column):
        column.set("table", None)
    for cast in list(copy.find_all(exp.Cast)):
        # `data ->> 'email'::text` in the index, `data ->> 'email'` in a query: PostgreSQL reads both as the text
        # constant 'email' (an untyped literal takes the operator's text), one expression; so is
        # `(data ->> 'uid')::text`, a cast of what is text already, `data ->> 'uid'`
        plain = cast.this if cast.this.is_string and cast.to.is_type("text") else text_already(cast)
        if plain is not None:
            if cast is copy:
                return canonical_expression(plain)
            cast.replace(plain)
    for dot in list(copy.find_all(exp.Dot)):
        function = dot.expression
        if (
            isinstance(dot.this, exp.Identifier)
            and isinstance(function, exp.Expression)
            and isinstance(function, exp.Func)
        ):
            # `app.category(name)` in the index, `category(name)` in a query the search path resolves: one
            # function, as a table is one table whichever way it is named
            if dot is copy:
                return canonical_expression(function)
            dot.replace(function)
    return sql_text(normalize_identifiers(copy, dialect="postgres"))


def qualifier(node: exp.Expression | None) -> str | None:
    """The schema a table is named in (`audit.users`: audit); None when unqualified or when a template names
    it (`${schema~}.users`: the schema the migration runner sets): the search path's."""
    if isinstance(node, exp.Schema):
        node = node.this
    db = node.args.get("db") if isinstance(node, exp.Table) else None
    name = fold(db) if db is not None else None
    return None if name is None or is_placeholder_name(name) else name


# `SET search_path TO application, public`: where a file's unqualified names are created (its first schema)
_SEARCH_PATH = re.compile(r"^\s*SET\s+(?:SESSION\s+|LOCAL\s+)?search_path\s*(?:TO|=)\s*(\S[^,;]*)", re.IGNORECASE)


def _named_at_run_time(tree: exp.Expression) -> bool:
    """A statement on a table whose name the code fills in (a placeholder: advisor.parse.is_placeholder_name)."""
    target = tree.this
    if isinstance(tree, exp.Create) and isinstance(target, exp.Index):
        target = target.args.get("table")
    if isinstance(target, exp.Schema):
        target = target.this
    return isinstance(target, exp.Table) and is_placeholder_name(target.name)


def _on_delete(reference: exp.Expression | None) -> str:
    """A REFERENCES clause's ON DELETE action (`CASCADE`, `SET NULL`), "" when it has none."""
    for option in (reference.args.get("options") if reference is not None else None) or []:
        text = option if isinstance(option, str) else option.sql()
        if text.upper().startswith("ON DELETE "):
            return " ".join(text.split()[2:]).upper()
    return ""


def _in_schema(name: str) -> dict[str, str]:
    """An index's options naming its table's schema, when not public (duplicate-index compares within one)."""
    return {"schema": name} if name != "public" else {}


def index_definition(tree: exp.Create, location: Location | None) -> IndexDef | None:
    """The index a CREATE INDEX statement declares (name "" when it has none), or None."""
    index = tree.this
    if not isinstance(index, exp.Index):
        return None
    params = index.args.get("params")
    table = _name(index.args.get("table"))
    if params is None or not table:
        return None
    using = params.args.get("using")
    where = params.args.get("where")
    name = fold(index.this) if index.this is not None else ""
    return IndexDef(
        name="" if is_placeholder_name(name) else name,  # `CREATE INDEX {} ON ...`: a name the code fills in
        table=table,
        keys=tuple(_index_key(c) for c in params.args.get("columns") or []),
        unique=bool(tree.args.get("unique")),
        where=canonical_expression(where.this) if where is not None else None,
        include=tuple(_name(c) for c in params.args.get("include") or []),
        method=(using.name if using is not None else "btree").lower(),
        location=location,
    )


class SchemaBuilder:
    """Replays DDL as PostgreSQL would, per object name.

    A project often declares one object more than once: a schema snapshot next to the migrations
    that built it, release snapshots side by side, `IF NOT EXISTS`.  A second definition of a name
    is the same object (PostgreSQL would refuse to create it twice), never a second index.
    """

    def __init__(self) -> None:
        self.schema = Schema()
        self._auto_names: dict[str, int] = {}
        self._dropped: dict[str, str | None] = {}  # table names a DROP TABLE removed: the file that declared each
        # tables are keyed by name: the schemas each name was created in (two make it two tables advisor
        # reads as one), and the last one, which its constraints' indexes are in
        self._schemas: dict[str, set[str]] = {}
        self._schema_of: dict[str, str] = {}
        self._search: tuple[str, str] = ("", "public")  # (file, the first schema of its search_path)

    # -- helpers --------------------------------------------------------------

    def _table(self, name: str) -> Table:
        if name not in self.schema.tables:
            self.schema.tables[name] = Table(name)
        return self.schema.tables[name]

    def _lookup(self) -> tuple[dict[str, IndexDef], dict[str, list[IndexDef]]]:
        """The indexes by name and by table, rebuilt whenever the list was replaced or shrank, or a name
        changed, and kept up to date by `_append_index` (a scan per statement would make a large schema
        quadratic)."""
        key = (id(self.schema.indexes), len(self.schema.indexes))
        cached = self.__dict__.get("_maps")
        if cached is None or cached[0] != key:
            by_name: dict[str, IndexDef] = {}
            by_table: dict[str, list[IndexDef]] = {}
            for i in self.schema.indexes:
                by_name.setdefault(i.name, i)
                by_table.setdefault(i.table, []).append(i)
            cached = self.__dict__["_maps"] = (key, by_name, by_table)
        return cached[1], cached[2]

    def _index_named(self, name: str) -> IndexDef | None:
        found = self._lookup()[0].get(name)
        return found if found is not None and found.name == name else None

    def _indexes_of(self, table: str) -> list[IndexDef]:
        return [i for i in self._lookup()[1].get(table, ()) if i.table == table]

    def _names_changed(self) -> None:
        self.__dict__.pop("_maps", None)

    def _append_index(self, index: IndexDef) -> None:
        by_name, by_table = self._lookup()
        self.schema.indexes.append(index)
        by_name.setdefault(index.name, index)
        by_table.setdefault(index.table, []).append(index)
        self.__dict__["_maps"] = ((id(self.schema.indexes), len(self.schema.indexes)), by_name, by_table)

    def _add_index(self, index: IndexDef, if_not_exists: bool = False) -> None:
        same = self._index_named(index.name)
        if same is None and index.constraint:
            # the same constraint, named differently by two declarations of the table
            same = next(
                (
                    i
                    for i in self._indexes_of(index.table)
                    if i.constraint and i.keys == index.keys and i.primary == index.primary
                ),
                None,
            )
        if same is None:
            self._append_index(index)
        elif (
            same.table == index.table
            and index.location is not None
            and (not if_not_exists or not _checked_kind(same.location))
        ):
            # the same object declared again: it stays one object, reported where it was last declared
            # (a migration the project still edits rather than the snapshot it regenerates), or at
            # least in a .sql file, which advisor reports on (a `full.sql.postgres` dump it does not)
            same.location = index.location

    def _constraint_index(
        self, table: str, columns: Iterable[str], *, primary: bool, name: str | None, location: Location | None
    ) -> None:
        columns = tuple(columns)
        if primary and any(i.primary for i in self._indexes_of(table)):
            return  # a table has one primary key: a second is the first declared again
        if not name:
            suffix = "pkey" if primary else "_".join(columns) + "_key"
            name = base = f"{table}_{suffix}"
            count = 0
            while (taken := self._index_named(name)) is not None and taken.table != table:
                count += 1  # PostgreSQL picks the next free name (a renamed table keeps its index names)
                name = f"{base}{count}"
        self._add_index(
            IndexDef(
                name=name,
                table=table,
                keys=tuple(IndexKey(c) for c in columns),
                unique=True,
                primary=primary,
                location=location,
                constraint=True,
                options=_in_schema(self._schema_of.get(table, "public")),
            )
        )

    # -- statements -----------------------------------------------------------

    def _where(self, node: exp.Expression | None, query: SqlQuery) -> str:
        """The schema a named table is in: its qualifier, else the search path of the file (each file a session)."""
        if self._search[0] != query.location.path:
            self._search = (query.location.path, "public")
        return qualifier(node) or self._search[1]

    def search_path(self, query: SqlQuery) -> None:
        """A `SET search_path` statement: where the file's later unqualified names are created."""
        search = _SEARCH_PATH.match(query.text)
        if search is not None:
            written = search.group(1).strip()
            first = written.strip("'\"")
            if not written.startswith('"'):
                first = first.lower()  # a quoted name keeps its case, as PostgreSQL reads it
            self._search = (query.location.path, first if first != "$user" else "public")

    def apply(self, tree: exp.Expression, query: SqlQuery) -> None:
        if _named_at_run_time(tree):
            return  # `CREATE TABLE ${table} (...)`: a table advisor cannot name, not one named by the placeholder
        if isinstance(tree, exp.Create):
            kind = (tree.args.get("kind") or "").upper()
            if kind == "TABLE":
                self._create_table(tree, query)
            elif kind == "VIEW":
                self._create_view(tree, query)
            elif kind == "INDEX":
                self._create_index(tree, query)
        elif isinstance(tree, exp.Alter):
            kind = (tree.args.get("kind") or "").upper()
            if kind == "TABLE":
                self._alter_table(tree, query)
            elif kind == "INDEX":
                self._alter_index(tree)
        elif isinstance(tree, exp.Drop):
            kind = (tree.args.get("kind") or "").upper()
            names = {_name(t) for t in tree.args.get("tables") or [tree.this] if t is not None}
            if kind == "INDEX":
                self._drop_indexes(names, query)
            elif kind in ("TABLE", "VIEW"):
                for name in names:
                    self._schemas.pop(name, None)
                    dropped = self.schema.tables.pop(name, None)
                    if dropped is not None:
                        self._dropped[name] = dropped.location.path if dropped.location is not None else None
                    self.schema.gaps.pop(name, None)
                    self.schema.unread.pop(name, None)
                self.schema.indexes = [i for i in self.schema.indexes if i.table not in names]

    def _drop_indexes(self, names: set[str], query: SqlQuery) -> None:
        for index in [i for i in self.schema.indexes if i.name in names]:
            declared = index.location.path if index.location is not None else None
            if declared and declared != query.location.path and self._snapshot(declared):
                # a migration dropping what a schema snapshot declares: it may be one the snapshot already
                # folds in (replayed after it), or a later one; advisor cannot tell, so the table is not known
                self.schema.gaps.setdefault(
                    index.table,
                    f"{query.location} drops index {index.name}, which the schema snapshot {declared} declares",
                )
                continue
            self.schema.indexes.remove(index)

    def _snapshot(self, path: str) -> bool:
        """A file that creates many tables: a schema dump rather than one migration."""
        return sum(1 for t in self.schema.tables.values() if t.location is not None and t.location.path == path) >= 5

    def _create_table(self, tree: exp.Create, query: SqlQuery) -> None:
        target = tree.this
        name = _name(target)
        table = self._table(name)
        if table.location is not None and tree.args.get("exists"):
            return  # CREATE TABLE IF NOT EXISTS of a table that exists: nothing happens
        table.location = table.location or query.location  # declared again: the same table
        where = self._where(target, query)
        seen = self._schemas.setdefault(name, set())
        if seen and where not in seen:
            self.schema.gaps.setdefault(
                name, f"it is created in more than one schema ({', '.join(sorted(seen | {where}))}), as one table"
            )
        seen.add(where)
        self._schema_of[name] = where
        # the index advisor prints must name it where the migration's session may not have it on its search path
        table.namespace = where if len(seen) == 1 and where != "public" else ""
        for prop in (tree.args.get("properties") or exp.Properties()).expressions:
            if isinstance(prop, exp.PartitionedByProperty):
                table.partition_by = sql_text(prop.this)
            elif isinstance(prop, exp.PartitionedOfProperty):
                table.partition_of = _name(prop.this)
            elif isinstance(prop, exp.TemporaryProperty):
                table.temporary = True
            elif isinstance(prop, exp.InheritsProperty):
                table.inherits = [_name(p) for p in prop.expressions]
        if isinstance(target, exp.Schema):
            for item in target.expressions:
                if isinstance(item, exp.ColumnDef):
                    self._column(table, item, query)
                elif isinstance(item, exp.LikeProperty):
                    self.schema.gaps[name] = f"it copies its definition from {_name(item.this)} (LIKE)"
                else:
                    self._table_constraint(table, item, query)
        for parent in [*table.inherits, *([table.partition_of] if table.partition_of else [])]:
            self._inherit_columns(table, parent)

    def _inherit_columns(self, table: Table, parent: str) -> None:
        """A child has its parent's columns (not its indexes, keys or foreign keys: those are each table's own)."""
        known = self.schema.tables.get(parent)
        if known is None or known.location is None:
            if parent in table.inherits:
                self.schema.gaps.setdefault(
                    table.name, f"it inherits columns from {parent}, which advisor has not seen"
                )
            return
        for column in known.columns.values():
            table.columns.setdefault(column.name, Column(column.name, column.type, column.not_null, column.pinned))

    def change_relation(self, verb: str, table: str, other: str) -> None:
        """ALTER TABLE table ATTACH|DETACH PARTITION other, ALTER TABLE table [NO] INHERIT other."""
        if verb in ("attach", "detach"):
            partition = self._table(other)
            partition.partition_of = table if verb == "attach" else None
            if verb == "attach":
                self._inherit_columns(partition, table)
            return
        child = self._table(table)
        child.inherits = [p for p in child.inherits if p != other] + ([other] if verb == "inherit" else [])

    def _create_view(self, tree: exp.Create, query: SqlQuery) -> None:
        target = tree.this
        table = self._table(_name(target))
        table.location = table.location or query.location
        properties = (tree.args.get("properties") or exp.Properties()).expressions
        table.kind = "materialized view" if any(isinstance(p, exp.MaterializedProperty) for p in properties) else "view"
        body = tree.args.get("expression")
        names = (
            [fold(e) for e in target.expressions]
            if isinstance(target, exp.Schema)
            else [e.alias_or_name for e in body.expressions]
            if isinstance(body, exp.Select)
            else []
        )
        for name in names:
            if name and name != "*":
                table.columns.setdefault(name.lower(), Column(name.lower(), ""))
        table.view_sql = _view_query(table.kind, target, body)

    def _descendants(self, name: str) -> list[Table]:
        """The tables that inherit from it or are its partitions, down the tree."""
        out: dict[str, Table] = {}
        parents = [name]
        while parents:
            parent = parents.pop()
            for t in self.schema.tables.values():
                if (parent in t.inherits or t.partition_of == parent) and t.name not in out and t.name != name:
                    out[t.name] = t
                    parents.append(t.name)
        return list(out.values())

    def _column(self, table: Table, item: exp.ColumnDef, query: SqlQuery) -> Column:
        column = Column(fold(item.this), _type_name(item.args.get("kind")))
        if column.type in ("serial", "bigserial", "smallserial"):
            column.not_null = True
        table.columns[column.name] = column
        for constraint in item.args.get("constraints") or []:
            kind = constraint.args.get("kind")
            if isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null"):
                column.not_null = True
            elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
                column.not_null = True
                table.primary_key = (column.name,)
                self._constraint_index(table.name, (column.name,), primary=True, name=None, location=query.location)
            elif isinstance(kind, exp.UniqueColumnConstraint):
                self._constraint_index(table.name, (column.name,), primary=False, name=None, location=query.location)
            elif isinstance(kind, exp.CheckColumnConstraint):
                self._check(table, kind.this)
            elif isinstance(kind, exp.Reference):
                ref = kind.this
                ref_cols = tuple(_name(c) for c in ref.expressions) if isinstance(ref, exp.Schema) else ()
                fk = ForeignKey(
                    table.name,
                    (column.name,),
                    _name(ref),
                    ref_cols,
                    query.location,
                    _name(constraint.this),
                    _on_delete(kind),
                )
                self._foreign_key(table, fk)
        return column

    def _foreign_key(self, table: Table, fk: ForeignKey) -> None:
        if any(f.columns == fk.columns and f.ref_table == fk.ref_table for f in table.foreign_keys):
            return  # the same key declared again (a snapshot and the migration that added it)
        if not fk.name:
            # unnamed: PostgreSQL's name, which a later DROP CONSTRAINT uses (ChooseConstraintName)
            taken = {f.name for f in table.foreign_keys}
            label, count = "fkey", 0
            while (name := object_name(table.name, "_".join(fk.columns), label)) in taken or (
                (index := self._index_named(name)) is not None and index.constraint
            ):
                count += 1
                label = f"fkey{count}"
            fk.name = name
        table.foreign_keys.append(fk)

    def _table_constraint(self, table: Table, item: exp.Expression, query: SqlQuery) -> None:
        name = None
        parts = [item]
        if isinstance(item, exp.Constraint):
            name = fold(item.this) or None
            parts = item.expressions
        for part in parts:
            if isinstance(part, exp.PrimaryKey):
                cols = tuple(_name(c) for c in part.expressions)
                table.primary_key = table.primary_key or cols
                for c in cols:
                    if c in table.columns:
                        table.columns[c].not_null = True
                self._constraint_index(table.name, cols, primary=True, name=name, location=query.location)
            elif isinstance(part, exp.UniqueColumnConstraint):
                target = part.this
                cols = tuple(_name(c) for c in target.expressions) if isinstance(target, exp.Schema) else ()
                if cols:
                    self._constraint_index(table.name, cols, primary=False, name=name, location=query.location)
            elif isinstance(part, exp.CheckColumnConstraint):
                self._check(table, part.this)
            elif isinstance(part, exp.ForeignKey):
                ref = part.args.get("reference")
                ref_schema = ref.this if ref is not None else None
                ref_cols = tuple(_name(c) for c in ref_schema.expressions) if isinstance(ref_schema, exp.Schema) else ()
                self._foreign_key(
                    table,
                    ForeignKey(
                        table.name,
                        tuple(_name(c) for c in part.expressions),
                        _name(ref_schema),
                        ref_cols,
                        query.location,
                        name or "",
                        _on_delete(ref),
                    ),
                )

    @staticmethod
    def _check(table: Table, condition: exp.Expression | None) -> None:
        """CHECK (lock = 'X') or CHECK (flag) on a boolean: the column holds one value in every row."""
        while isinstance(condition, exp.Paren):
            condition = condition.this
        column = None
        if isinstance(condition, exp.Column):
            column = condition
        elif isinstance(condition, exp.EQ):
            for side, other in ((condition.this, condition.expression), (condition.expression, condition.this)):
                while isinstance(other, (exp.Cast, exp.Paren)):
                    other = other.this
                if isinstance(side, exp.Column) and isinstance(other, (exp.Literal, exp.Boolean)):
                    column = side
        known = table.columns.get(fold(column)) if column is not None else None
        if known is not None:
            known.pinned = True

    def _alter_table(self, tree: exp.Alter, query: SqlQuery) -> None:
        name = _name(tree.this)
        if tree.args.get("exists") and name not in self.schema.tables:
            return  # ALTER TABLE IF EXISTS of a table never created: nothing happens
        table = self._table(name)
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.ColumnDef):
                added = self._column(table, action, query)
                for child in self._descendants(table.name):  # a column added to a parent is added to its children
                    child.columns.setdefault(added.name, replace(added))
            elif isinstance(action, exp.AddConstraint):
                for constraint in action.expressions:
                    self._table_constraint(table, constraint, query)
            elif isinstance(action, exp.AlterRename):
                self._rename_table(table, _name(action.this), query)
            elif isinstance(action, exp.RenameColumn):
                self._rename_column(table, _name(action.this), _name(action.args.get("to")))
            elif isinstance(action, exp.Drop):
                kind = (action.args.get("kind") or "").upper()
                dropped = {_name(t) for t in action.args.get("tables") or [action.this] if t is not None}
                if kind == "COLUMN":
                    for column in dropped:
                        table.columns.pop(column, None)
                    # PostgreSQL drops the indexes that use a dropped column
                    self.schema.indexes = [
                        i for i in self.schema.indexes if i.table != table.name or not _uses_any(i, dropped)
                    ]
                elif kind == "CONSTRAINT":
                    table.foreign_keys = [f for f in table.foreign_keys if f.name not in dropped]
                    self.schema.indexes = [
                        i
                        for i in self.schema.indexes
                        if not (i.table == table.name and i.constraint and i.name in dropped)
                    ]

    def _rename_table(self, table: Table, new: str, query: SqlQuery) -> None:
        old = table.name
        if not new or new == old:
            return
        declared = self._dropped.get(new)
        if declared and declared != query.location.path and self._snapshot(declared):
            # DROP TABLE t; ALTER TABLE new_t RENAME TO t of a table a schema snapshot declares: an old migration's
            # rebuild the snapshot may already fold in (replayed on top of it, it would drop the snapshot's
            # indexes); within one migration history it is the table as PostgreSQL has it, replayed
            self.schema.gaps[new] = f"it is rebuilt by DROP TABLE and RENAME at {query.location}"
        self.schema.tables.pop(old, None)
        if old in self._schemas:  # the schema goes with the table (RENAME keeps it in its schema)
            self._schemas[new] = self._schemas.pop(old)
        if old in self._schema_of:
            self._schema_of[new] = self._schema_of.pop(old)
        existing = self.schema.tables.get(new)
        if existing is not None:
            self._merge_renamed(table, existing)
        else:
            table.name = new
            self.schema.tables[new] = table
            for index in self.schema.indexes:
                if index.table == old:
                    index.table = new
            self._names_changed()
        if old in self.schema.gaps:
            if new not in self.schema.gaps and old in self.schema.unread:
                self.schema.unread[new] = self.schema.unread[old]
            self.schema.unread.pop(old, None)
            self.schema.gaps.setdefault(new, self.schema.gaps.pop(old))
        for other in self.schema.tables.values():
            if other.partition_of == old:
                other.partition_of = new
            other.inherits = [new if p == old else p for p in other.inherits]
            for fk in other.foreign_keys:
                if fk.table == old:
                    fk.table = new
                if fk.ref_table == old:
                    fk.ref_table = new

    def _merge_renamed(self, renamed: Table, existing: Table) -> None:
        """ALTER TABLE old RENAME TO new where new is declared already: PostgreSQL would refuse it, so the
        statement brings an older database to the state another file declares (a migration replayed after a
        schema snapshot).  It is the same table: the declaration of `new` stands, and what the migrations
        gave `old` joins it unless `new` has it already (an index by name, a key by its columns)."""
        old, new = renamed.name, existing.name
        existing.location = existing.location or renamed.location
        for column in renamed.columns.values():
            existing.columns.setdefault(column.name, column)
        existing.primary_key = existing.primary_key or renamed.primary_key
        for fk in renamed.foreign_keys:
            fk.table = new
            self._foreign_key(existing, fk)
        moved = [i for i in self.schema.indexes if i.table == old]
        self.schema.indexes = [i for i in self.schema.indexes if i.table != old]
        self._names_changed()
        for index in moved:
            index.table = new
            same = self._index_named(index.name) or next(
                (
                    i
                    for i in self._indexes_of(new)
                    if (i.primary and index.primary)
                    or (i.constraint and index.constraint and i.keys == index.keys and i.primary == index.primary)
                ),
                None,
            )
            if same is None:
                self._append_index(index)

    def _rename_column(self, table: Table, old: str, new: str) -> None:
        if not old or not new:
            return
        if old in table.columns:
            column = table.columns.pop(old)
            column.name = new
            table.columns[new] = column

        def rename(cols: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if c == old else c for c in cols)

        table.primary_key = rename(table.primary_key)
        for fk in table.foreign_keys:
            fk.columns = rename(fk.columns)
        for index in self.schema.indexes:
            if index.table == table.name:
                index.keys = tuple(
                    IndexKey(new, True, k.desc) if k.is_column and k.expr == old else k for k in index.keys
                )
                index.include = rename(index.include)

    def _alter_index(self, tree: exp.Alter) -> None:
        index = self._index_named(_name(tree.this))
        for action in tree.args.get("actions") or []:
            if index is not None and isinstance(action, exp.AlterRename):
                new = _name(action.this)
                existing = self._index_named(new)
                if existing is not None and existing is not index:
                    self.schema.indexes.remove(existing)  # renamed onto a name declared elsewhere: one object
                index.name = new
                self._names_changed()

    def _create_index(self, tree: exp.Create, query: SqlQuery) -> None:
        index = index_definition(tree, query.location)
        if index is None:
            return
        index.options.update(_in_schema(self._where(tree.this.args.get("table"), query)))
        if not index.name:
            index.name = self._auto_name(index.table, index.keys)
        self._add_index(index, if_not_exists=bool(tree.args.get("exists")))

    def constraint_using_index(self, query: SqlQuery) -> bool:
        """`ALTER TABLE t ADD CONSTRAINT c PRIMARY KEY USING INDEX i` (sqlglot does not read it): index i becomes
        the key, renamed c, as PostgreSQL makes it; a table's key declared again under the same name is the same
        key. An index the code names at run time is the table's one unique index that could be it. True when
        the statement is one and its index known; else the caller reads it as a statement it could not."""
        m = _USING_INDEX.match(query.text)
        if m is None:
            return False
        table, given = _written_name(m.group("table")), _written_name(m.group("index"))
        if given is None or is_placeholder_name(given):
            candidates = [i for i in self._indexes_of(table or "") if i.unique and not i.constraint and not i.where]
            index = candidates[0] if len(candidates) == 1 else None
        else:
            index = self._index_named(given)
        if table is None or index is None or index.table != table or not index.unique or index.where:
            return False
        primary = m.group("kind").upper().startswith("PRIMARY")
        name = _written_name(m.group("constraint") or "") or index.name
        for other in self._indexes_of(table):
            if other is not index and (other.name == name or (primary and other.primary)):
                if other.keys != index.keys:
                    return False  # a second key PostgreSQL would refuse: not one advisor can replay
                self.schema.indexes.remove(other)  # the same key, declared again
        index.name, index.constraint = name, True
        index.primary = index.primary or primary
        self._names_changed()
        return True

    def unreadable(self, query: SqlQuery) -> None:
        """A schema statement advisor could not parse: the table it changes is no longer known whole."""
        match = _DDL_TARGET.search(query.text)
        if match is None or (
            match.group("alter") and not _ALTER_CHANGES_INDEXES.search(_ADDED_CHECK.sub(" ", query.text))
        ):
            return  # an ALTER that adds no key and drops nothing (`ADD CHECK (...)`, which sqlglot does not read)
        table = _written_name(match.group("table"))
        if table is not None and table not in self.schema.gaps:
            self.schema.gaps[table] = f"advisor could not read the statement at {query.location}"
            self.schema.unread[table] = query.location

    def _auto_name(self, table: str, keys: tuple[IndexKey, ...]) -> str:
        base = f"{table}_{'_'.join(k.expr for k in keys if k.is_column) or 'expr'}_idx"
        count = self._auto_names.get(base, 0)
        self._auto_names[base] = count + 1
        return base if count == 0 else f"{base}{count}"


def object_name(name1: str, name2: str, label: str) -> str:
    """`name1_name2_label` cut to 63 bytes as PostgreSQL's makeObjectName cuts it: the longer of the
    two names loses a byte at a time, on a character boundary, and the label stays whole."""
    raw1, raw2 = name1.encode(), name2.encode()
    available = NAMEDATALEN - 1 - len(label.encode()) - 1 - (1 if name2 else 0)
    keep1, keep2 = len(raw1), len(raw2)
    while keep1 + keep2 > available:
        if keep1 > keep2:
            keep1 -= 1
        else:
            keep2 -= 1
    parts = [raw1[:keep1].decode(errors="ignore"), raw2[:keep2].decode(errors="ignore"), label]
    return "_".join(p for p in parts if p)


def _checked_kind(location: Location | None) -> bool:
    return location is not None and location.path.lower().endswith(".sql")


def _uses_any(index: IndexDef, columns: set[str]) -> bool:
    """The index has one of the columns in a key, an expression, INCLUDE or its predicate."""
    words = set(index.include)
    for text in (*index.columns, index.where or ""):
        words.update(w.lower() for w in re.findall(r"[A-Za-z_][\w$]*", text))
    return bool(words & columns)


_DDL_TARGET = re.compile(
    r"^(?:\s*--[^\n]*\n|\s*/\*.*?\*/)*\s*(?:CREATE\s+(?:UNIQUE\s+)?INDEX\b.*?\bON\s+(?:ONLY\s+)?|(?P<alter>ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?))"
    r"(?P<table>(?:\"[^\"]+\"|[\w$]+)(?:\.(?:\"[^\"]+\"|[\w$]+))?)",
    re.IGNORECASE | re.DOTALL,
)
_WRITTEN_NAME = r'(?:"[^"]+"|[\w$]+|\{[^{}\n]*\}|\$\{[^{}\n]*\}|%\(\w+\)s|%s)'
_USING_INDEX = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_WRITTEN_NAME}(?:\.{_WRITTEN_NAME})?)\s+"
    rf"ADD\s+(?:CONSTRAINT\s+(?P<constraint>{_WRITTEN_NAME})\s+)?(?P<kind>PRIMARY\s+KEY|UNIQUE)\s+"
    rf"USING\s+INDEX\s+(?P<index>{_WRITTEN_NAME})\s*;?\s*$",
    re.IGNORECASE,
)


def _written_name(written: str) -> str | None:
    """The name a statement writes (`"Jobs"`, `audit.jobs`: its last part, folded); None for one a template fills."""
    last = re.findall(_WRITTEN_NAME, written)[-1:] or [""]
    name = last[0]
    if not name or name[0] in "{$%":
        return None
    return name[1:-1] if name.startswith('"') else fold(name)


_ALTER_CHANGES_INDEXES = re.compile(r"\b(ADD|PRIMARY|UNIQUE|RENAME\s+TO|DROP)\b", re.IGNORECASE)
# a CHECK constraint added, with its condition: it builds no index (its condition's words, `'unique'`, are not keys)
_ADDED_CHECK = re.compile(
    r"\bADD\s+(?:CONSTRAINT\s+(?:\w+|\"[^\"]+\")\s+)?CHECK\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)", re.IGNORECASE
)


def is_schema_statement(tree: exp.Expression) -> bool:
    if isinstance(tree, exp.Create):
        return (tree.args.get("kind") or "").upper() in ("TABLE", "INDEX", "VIEW")
    if isinstance(tree, exp.Alter):
        return True
    if isinstance(tree, exp.Drop):
        return (tree.args.get("kind") or "").upper() in ("TABLE", "INDEX", "VIEW")
    return False


# `CREATE INDEX ... USING gist (geom) {{db.tablespace.x}} WHERE ...`: a template between an index's columns and
# its WHERE is a storage clause (TABLESPACE, WITH (...), INCLUDE), never the predicate, so it reads as nothing
_STORAGE_TEMPLATE = re.compile(r"(?<=\))\s*\{\{[^{}]*\}\}(?=\s*WHERE\b)", re.IGNORECASE)


def schema_from_queries(queries: Iterable[SqlQuery]) -> Schema:
    """The schema the DDL among these statements declares, in their order."""
    from advisor.schema import inheritance, templates

    builder = SchemaBuilder()
    run_time: dict[str, Location] = {}
    branches = templates.Branches()
    for query in queries:
        tree = parse_sql(query.text, query.dialect)
        if not isinstance(tree, exp.Expression) and _STORAGE_TEMPLATE.search(query.text):
            tree = parse_sql(_STORAGE_TEMPLATE.sub(lambda m: " " * len(m.group(0)), query.text), query.dialect)
        if branches.inside(query.location.path, query.text) and isinstance(tree, exp.Drop):
            continue  # a template's `{% if %}` branch may not run: what it drops stays known
        builder.search_path(query)  # a SET is no schema statement, but it says where the next ones land
        if isinstance(tree, exp.Expression) and is_schema_statement(tree):
            builder.apply(tree, query)
        elif (change := inheritance.relation_change(query.text)) is not None:
            builder.change_relation(*change)
        elif not isinstance(tree, exp.Expression) or isinstance(tree, exp.Command):
            if not builder.constraint_using_index(query):
                builder.unreadable(query)
        for parent in inheritance.run_time_parents(query.text):
            run_time.setdefault(parent, query.location)
        for parent in inheritance.templated_parents(query.text):
            builder.schema.gaps.setdefault(
                parent, f"{query.location} creates its children under names a template fills in"
            )
        if inheritance.routine(query.text):
            for parent in inheritance.self_indexed_partitions(query.text):
                builder.schema.gaps.setdefault(
                    parent, f"the routine at {query.location} creates its partitions and indexes them at run time"
                )
    for parent, where in run_time.items():
        builder.schema.gaps.setdefault(
            parent, f"the routine at {where} creates tables that inherit from it at run time"
        )
    return builder.schema


def _view_query(kind: str, target: exp.Expression, body: exp.Expression | None) -> str:
    """The query a plain view stands for, its column list (`CREATE VIEW v (a, b) AS ...`) given to its outputs as
    aliases; "" when it is not one SELECT or the list does not match it one for one."""
    if kind != "view" or not isinstance(body, exp.Select):
        return ""
    body = body.copy()
    if isinstance(target, exp.Schema) and target.expressions:
        outputs = body.expressions
        if len(outputs) != len(target.expressions) or any(isinstance(e, exp.Star) or e.is_star for e in outputs):
            return ""
        body.set(
            "expressions",
            [
                exp.alias_(
                    e.this if isinstance(e, exp.Alias) else e,
                    exp.to_identifier(fold(c), quoted=fold(c) != fold(c).lower()),
                )
                for e, c in zip(outputs, target.expressions, strict=True)
            ],
        )
    return body.sql(dialect="postgres")
