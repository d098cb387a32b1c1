"""Whether a statement's text alone fixes one of its result columns as a number or a boolean.

A value a query returned is the database's, not the code's: a name read from a table can hold a
quote someone stored there, and writing it back into SQL text is an injection like any other
(second order).  A number cannot: so a result column is the code's own value only when the
statement itself fixes its type as numeric or boolean, whatever the rows hold: `count(*)`, a
numeric literal, a cast to a number (`x::int`, `x::oid`), `EXISTS (...)`, or the `oid` of a
PostgreSQL system catalog (`SELECT oid FROM pg_namespace WHERE ...`), whose type is `oid` in
every release.  `::regclass` and friends are excluded: they print a name, quotes included.
"""

from __future__ import annotations

# the system catalogs whose `oid` column is of type oid (checked against the embedded server in tests)
OID_CATALOGS = frozenset(
    {
        "pg_am",
        "pg_amop",
        "pg_amproc",
        "pg_attrdef",
        "pg_authid",
        "pg_cast",
        "pg_class",
        "pg_collation",
        "pg_constraint",
        "pg_conversion",
        "pg_database",
        "pg_default_acl",
        "pg_enum",
        "pg_event_trigger",
        "pg_extension",
        "pg_foreign_data_wrapper",
        "pg_foreign_server",
        "pg_language",
        "pg_largeobject_metadata",
        "pg_namespace",
        "pg_opclass",
        "pg_operator",
        "pg_opfamily",
        "pg_policy",
        "pg_proc",
        "pg_publication",
        "pg_rewrite",
        "pg_statistic_ext",
        "pg_subscription",
        "pg_tablespace",
        "pg_transform",
        "pg_trigger",
        "pg_ts_config",
        "pg_ts_dict",
        "pg_ts_parser",
        "pg_ts_template",
        "pg_type",
        "pg_user_mapping",
    }
)


def numeric_column(sql: str, name: str) -> bool:
    """The one result column called `name` of the SELECT in `sql` holds only numbers or booleans."""
    from sqlglot import exp

    from advisor.parse import parse_sql

    tree = parse_sql(sql, "postgres")
    if not isinstance(tree, exp.Select):
        return False
    matches = [e for e in tree.expressions if e.alias_or_name == name]
    if len(matches) != 1:
        return False  # `*`, a name the statement does not return, or one returned twice
    value = matches[0].unalias()
    if isinstance(value, exp.Cast):
        to = value.args.get("to")
        if isinstance(to, exp.ObjectIdentifier):
            return to.name.upper() == "OID"
        return isinstance(to, exp.DataType) and to.is_type(*exp.DataType.NUMERIC_TYPES, exp.DataType.Type.BOOLEAN)
    if isinstance(value, (exp.Count, exp.Exists)) or (isinstance(value, exp.Literal) and value.is_number):
        return True
    return isinstance(value, exp.Column) and value.name == "oid" and _catalog_oid(tree, value.table)


def _catalog_oid(select, qualifier: str) -> bool:
    """`oid` (or `c.oid`) names the oid column of a system catalog in the statement's FROM."""
    from sqlglot import exp

    sources = [select.args["from_"].this] if select.args.get("from_") is not None else []
    sources += [j.this for j in select.args.get("joins") or ()]
    if qualifier:
        sources = [s for s in sources if s.alias_or_name == qualifier]
    return (
        len(sources) == 1
        and isinstance(sources[0], exp.Table)
        and sources[0].name in OID_CATALOGS
        and sources[0].db in ("", "pg_catalog")
        and not sources[0].catalog
    )
