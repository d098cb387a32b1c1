"""Build a Schema from DDL statements: CREATE TABLE / INDEX, ALTER TABLE, DROP INDEX.

Statements are applied in order, as a migration runner would, so a later
DROP INDEX or ALTER TABLE changes what earlier statements declared.
"""

from __future__ import annotations

from typing import Iterable

from sqlglot import exp

from advisor.ir import Column, ForeignKey, IndexDef, IndexKey, Location, Schema, SqlQuery, Table
from advisor.names import fold
from advisor.parse import parse_sql


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
    if isinstance(node, exp.Ordered):
        desc = bool(node.args.get("desc"))
        node = node.this
    if isinstance(node, exp.Opclass):
        node = node.this
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, (exp.Column, exp.Identifier)):
        return IndexKey(fold(node), True, desc)
    return IndexKey(canonical_expression(node), False, desc)


def canonical_expression(node: exp.Expression) -> str:
    """An expression as text, with column qualifiers dropped, for matching index expressions."""
    from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

    copy = node.copy()
    for column in copy.find_all(exp.Column):
        column.set("table", None)
    return sql_text(normalize_identifiers(copy, dialect="postgres"))


class SchemaBuilder:
    def __init__(self) -> None:
        self.schema = Schema()
        self._auto_names: dict[str, int] = {}

    # -- helpers --------------------------------------------------------------

    def _table(self, name: str) -> Table:
        if name not in self.schema.tables:
            self.schema.tables[name] = Table(name)
        return self.schema.tables[name]

    def _constraint_index(self, table: str, columns: Iterable[str], *, primary: bool, name: str | None,
                          location: Location | None) -> None:
        columns = tuple(columns)
        if not name:
            suffix = "pkey" if primary else "_".join(columns) + "_key"
            name = f"{table}_{suffix}"
        self.schema.indexes.append(
            IndexDef(name=name, table=table, keys=tuple(IndexKey(c) for c in columns), unique=True,
                     primary=primary, location=location, constraint=True)
        )

    # -- statements -----------------------------------------------------------

    def apply(self, tree: exp.Expression, query: SqlQuery) -> None:
        if isinstance(tree, exp.Create):
            kind = (tree.args.get("kind") or "").upper()
            if kind == "TABLE":
                self._create_table(tree, query)
            elif kind == "INDEX":
                self._create_index(tree, query)
        elif isinstance(tree, exp.Alter) and (tree.args.get("kind") or "").upper() == "TABLE":
            self._alter_table(tree, query)
        elif isinstance(tree, exp.Drop):
            kind = (tree.args.get("kind") or "").upper()
            names = {_name(t) for t in tree.args.get("tables") or [tree.this] if t is not None}
            if kind == "INDEX":
                self.schema.indexes = [i for i in self.schema.indexes if i.name not in names]
            elif kind == "TABLE":
                for name in names:
                    self.schema.tables.pop(name, None)
                self.schema.indexes = [i for i in self.schema.indexes if i.table not in names]

    def _create_table(self, tree: exp.Create, query: SqlQuery) -> None:
        target = tree.this
        name = _name(target)
        table = self._table(name)
        table.location = query.location
        for prop in (tree.args.get("properties") or exp.Properties()).expressions:
            if isinstance(prop, exp.PartitionedByProperty):
                table.partition_by = sql_text(prop.this)
            elif isinstance(prop, exp.PartitionedOfProperty):
                table.partition_of = _name(prop.this)
        if not isinstance(target, exp.Schema):
            return
        for item in target.expressions:
            if isinstance(item, exp.ColumnDef):
                self._column(table, item, query)
            else:
                self._table_constraint(table, item, query)

    def _column(self, table: Table, item: exp.ColumnDef, query: SqlQuery) -> None:
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
            elif isinstance(kind, exp.Reference):
                ref = kind.this
                ref_cols = tuple(_name(c) for c in ref.expressions) if isinstance(ref, exp.Schema) else ()
                table.foreign_keys.append(
                    ForeignKey(table.name, (column.name,), _name(ref), ref_cols, query.location)
                )

    def _table_constraint(self, table: Table, item: exp.Expression, query: SqlQuery) -> None:
        name = None
        parts = [item]
        if isinstance(item, exp.Constraint):
            name = fold(item.this) or None
            parts = item.expressions
        for part in parts:
            if isinstance(part, exp.PrimaryKey):
                cols = tuple(_name(c) for c in part.expressions)
                table.primary_key = cols
                for c in cols:
                    if c in table.columns:
                        table.columns[c].not_null = True
                self._constraint_index(table.name, cols, primary=True, name=name, location=query.location)
            elif isinstance(part, exp.UniqueColumnConstraint):
                target = part.this
                cols = tuple(_name(c) for c in target.expressions) if isinstance(target, exp.Schema) else ()
                if cols:
                    self._constraint_index(table.name, cols, primary=False, name=name, location=query.location)
            elif isinstance(part, exp.ForeignKey):
                ref = part.args.get("reference")
                ref_schema = ref.this if ref is not None else None
                ref_cols = tuple(_name(c) for c in ref_schema.expressions) if isinstance(ref_schema, exp.Schema) else ()
                table.foreign_keys.append(
                    ForeignKey(table.name, tuple(_name(c) for c in part.expressions), _name(ref_schema),
                               ref_cols, query.location)
                )

    def _alter_table(self, tree: exp.Alter, query: SqlQuery) -> None:
        table = self._table(_name(tree.this))
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.ColumnDef):
                self._column(table, action, query)
            elif isinstance(action, exp.AddConstraint):
                for constraint in action.expressions:
                    self._table_constraint(table, constraint, query)
            elif isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
                table.columns.pop(_name(action.this), None)

    def _create_index(self, tree: exp.Create, query: SqlQuery) -> None:
        index = tree.this
        if not isinstance(index, exp.Index):
            return
        params = index.args.get("params")
        table = _name(index.args.get("table"))
        if params is None or not table:
            return
        keys = tuple(_index_key(c) for c in params.args.get("columns") or [])
        using = params.args.get("using")
        where = params.args.get("where")
        name = fold(index.this) if index.this is not None else self._auto_name(table, keys)
        self.schema.indexes.append(
            IndexDef(
                name=name,
                table=table,
                keys=keys,
                unique=bool(tree.args.get("unique")),
                where=canonical_expression(where.this) if where is not None else None,
                include=tuple(_name(c) for c in params.args.get("include") or []),
                method=(using.name if using is not None else "btree").lower(),
                location=query.location,
            )
        )

    def _auto_name(self, table: str, keys: tuple[IndexKey, ...]) -> str:
        base = f"{table}_{'_'.join(k.expr for k in keys if k.is_column) or 'expr'}_idx"
        count = self._auto_names.get(base, 0)
        self._auto_names[base] = count + 1
        return base if count == 0 else f"{base}{count}"


def is_schema_statement(tree: exp.Expression) -> bool:
    if isinstance(tree, exp.Create):
        return (tree.args.get("kind") or "").upper() in ("TABLE", "INDEX")
    if isinstance(tree, exp.Alter):
        return True
    if isinstance(tree, exp.Drop):
        return (tree.args.get("kind") or "").upper() in ("TABLE", "INDEX")
    return False


def schema_from_queries(queries: Iterable[SqlQuery]) -> Schema:
    """The schema the DDL among these statements declares, in their order."""
    builder = SchemaBuilder()
    for query in queries:
        tree = parse_sql(query.text, query.dialect)
        if isinstance(tree, exp.Expression) and is_schema_statement(tree):
            builder.apply(tree, query)
    return builder.schema
