"""Which table an unqualified column belongs to, across the scopes of a statement.

With a schema, a column none of a subquery's tables has, but a table of an enclosing query
has, is a correlated reference to that table: `p_partkey = l_partkey` inside `... FROM lineitem`
under a query on part is a join edge to the outer part, and an equality on lineitem.l_partkey.
Without a schema the facts stay as they were: the only source of a scope takes every column.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings, strategies as st

from advisor.facts.sql import build_facts, is_placeholder
from advisor.indexes.candidates import access_of
from advisor.ir import Column, Schema, Table
from advisor.parse import parse_sql
from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql

DDL = """
CREATE TABLE part (p_partkey int PRIMARY KEY, p_brand text, p_name text, p_size int);
CREATE TABLE partsupp (ps_partkey int, ps_suppkey int, ps_supplycost numeric, PRIMARY KEY (ps_partkey, ps_suppkey));
CREATE TABLE supplier (s_suppkey int PRIMARY KEY, s_name text, s_size int);
CREATE TABLE lineitem (l_orderkey int, l_linenumber int, l_partkey int, l_suppkey int, l_quantity int,
                       l_comment text, PRIMARY KEY (l_orderkey, l_linenumber));
"""

Q17 = ("SELECT sum(l_quantity) FROM lineitem, part WHERE p_partkey = l_partkey AND p_brand = 'x' "
       "AND l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE {cond})")


@pytest.fixture(scope="module")
def schema():
    return schema_from_queries(extract_sql("schema.sql", DDL, source="schema"))


def facts(sql: str, schema):
    tree = parse_sql(sql)
    assert hasattr(tree, "find_all"), tree
    return build_facts(tree, schema)


def inner(sql: str, schema, index: int = -1):
    return facts(sql, schema).scopes[index]


def preds(scope):
    return sorted((p.alias, p.table, p.column, p.op) for p in scope.predicates)


def edges(scope):
    return sorted(tuple(sorted((e.left, e.right))) for e in scope.joins)


# --- correlated subqueries ------------------------------------------------------------------------


@pytest.mark.parametrize("cond", ["p_partkey = l_partkey", "l_partkey = p_partkey"])
def test_outer_column_becomes_a_correlated_join_edge(schema, cond):
    scope = inner(Q17.format(cond=cond), schema)
    assert scope.sources == {"lineitem": "lineitem"}
    assert edges(scope) == [(("lineitem", "l_partkey"), ("part", "p_partkey"))]
    # the outer column is a predicate on the outer part, the inner one an equality per outer row
    assert preds(scope) == [("lineitem", "lineitem", "l_partkey", "eq"), ("part", "part", "p_partkey", "join")]
    assert not [p for p in scope.predicates_on("lineitem") if p.column == "p_partkey"]


def test_unqualified_and_qualified_outer_references_give_the_same_facts(schema):
    base = ("SELECT p_name FROM part p WHERE p_size > (SELECT avg(l_quantity) FROM lineitem "
            "WHERE {cond} AND l_comment LIKE 'a%')")
    unqualified = inner(base.format(cond="p_partkey = l_partkey"), schema)
    qualified = inner(base.format(cond="p.p_partkey = lineitem.l_partkey"), schema)
    assert preds(unqualified) == preds(qualified) == [
        ("lineitem", "lineitem", "l_comment", "like"), ("lineitem", "lineitem", "l_partkey", "eq"),
        ("p", "part", "p_partkey", "join")]
    assert edges(unqualified) == edges(qualified) == [(("lineitem", "l_partkey"), ("p", "p_partkey"))]


def test_the_inner_table_gets_an_equality_for_index_advice(schema):
    for cond in ("p_partkey = l_partkey", "l_partkey = p_partkey"):
        scope = inner(Q17.format(cond=cond), schema)
        access = access_of(scope, "lineitem", "lineitem", schema)
        assert access.equality == ["l_partkey"] and access.joins == []


def test_outer_reference_from_a_scope_with_several_tables(schema):
    """TPC-H Q2's shape: the subquery joins partsupp and supplier and compares with the outer part."""
    scope = inner("SELECT p_name FROM part WHERE p_size = (SELECT min(ps_supplycost) "
                  "FROM partsupp, supplier WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey)", schema)
    assert edges(scope) == [(("part", "p_partkey"), ("partsupp", "ps_partkey")),
                            (("partsupp", "ps_suppkey"), ("supplier", "s_suppkey"))]
    assert ("partsupp", "partsupp", "ps_partkey", "eq") in preds(scope)
    assert ("supplier", "supplier", "s_suppkey", "join") in preds(scope)  # a join inside the scope stays one


def test_two_levels_up(schema):
    scope = inner("SELECT p_name FROM part WHERE EXISTS (SELECT 1 FROM partsupp WHERE ps_partkey = p_partkey "
                  "AND EXISTS (SELECT 1 FROM lineitem WHERE l_suppkey = ps_suppkey AND l_partkey = p_partkey))",
                  schema)
    assert edges(scope) == [(("lineitem", "l_partkey"), ("part", "p_partkey")),
                            (("lineitem", "l_suppkey"), ("partsupp", "ps_suppkey"))]


def test_the_nearest_query_with_the_column_wins(schema):
    """s_size is a column of supplier (the inner table): never the outer part's p_size."""
    scope = inner("SELECT p_name FROM part WHERE EXISTS (SELECT 1 FROM supplier WHERE s_size = p_size)", schema)
    assert preds(scope) == [("part", "part", "p_size", "join"), ("supplier", "supplier", "s_size", "eq")]
    own = inner("SELECT p_name FROM part WHERE EXISTS (SELECT 1 FROM partsupp WHERE ps_partkey = 3)", schema)
    assert preds(own) == [("partsupp", "partsupp", "ps_partkey", "eq")]


# --- when the schema leaves doubt: the facts stay as they were ------------------------------------


def test_without_schema_nothing_changes():
    scope = inner(Q17.format(cond="p_partkey = l_partkey"), None)
    assert preds(scope) == [("lineitem", "lineitem", "p_partkey", "eq")]
    assert scope.joins == []
    qualified = inner("SELECT 1 FROM part p WHERE EXISTS (SELECT 1 FROM lineitem WHERE l_partkey = p.p_partkey)",
                      None)
    assert preds(qualified) == [("lineitem", "lineitem", "l_partkey", "join"), ("p", "part", "p_partkey", "join")]
    assert preds(inner(Q17.format(cond="p_partkey = l_partkey"), Schema())) == preds(scope)  # empty schema


def test_a_from_subquery_or_cte_does_not_see_its_own_querys_tables(schema):
    derived = inner("SELECT * FROM part, (SELECT l_partkey FROM lineitem WHERE p_brand = 'x') s "
                    "WHERE p_partkey = s.l_partkey", schema)
    assert preds(derived) == [("lineitem", "lineitem", "p_brand", "eq")]
    cte = facts("WITH c AS (SELECT l_partkey FROM lineitem WHERE p_brand = 'x') "
                "SELECT * FROM part, c WHERE p_partkey = c.l_partkey", schema)
    body = next(s for s in cte.scopes if s.sources == {"lineitem": "lineitem"})
    assert preds(body) == [("lineitem", "lineitem", "p_brand", "eq")]


def test_a_from_subquery_sees_the_levels_above_its_query(schema):
    scope = inner("SELECT p_name FROM part WHERE p_partkey IN (SELECT x.l_partkey FROM "
                  "(SELECT l_partkey FROM lineitem WHERE l_comment = p_brand) x)", schema)
    assert ("part", "part", "p_brand", "join") in preds(scope)


def test_a_subquery_inside_a_from_subquery_does_not_see_that_querys_tables(schema):
    scope = inner("SELECT * FROM part, (SELECT l_partkey FROM lineitem WHERE l_quantity > (SELECT avg(ps_supplycost) "
                  "FROM partsupp WHERE p_size = ps_suppkey)) d WHERE p_partkey = d.l_partkey", schema)
    assert scope.sources == {"partsupp": "partsupp"}
    assert preds(scope) == [("partsupp", "partsupp", "p_size", "eq")] and scope.joins == []


def test_lateral_sees_its_neighbours(schema):
    scope = inner("SELECT * FROM part, LATERAL (SELECT l_quantity FROM lineitem WHERE l_partkey = p_partkey "
                  "LIMIT 3) top3", schema)
    assert edges(scope) == [(("lineitem", "l_partkey"), ("part", "p_partkey"))]


def test_ambiguous_unknown_or_derived_outer_sources_leave_the_column_alone(schema):
    both = inner("SELECT 1 FROM part, supplier WHERE EXISTS (SELECT 1 FROM lineitem WHERE l_size_x = 1 "
                 "AND l_partkey = p_size)", schema)  # p_size: only part has it
    assert ("part", "part", "p_size", "join") in preds(both)
    ambiguous = Schema({**schema.tables, "other": Table("other", {"p_size": Column("p_size", "int")})})
    amb = inner("SELECT 1 FROM part, other WHERE EXISTS (SELECT 1 FROM lineitem WHERE p_size = l_partkey)",
                ambiguous)
    assert preds(amb) == [("lineitem", "lineitem", "p_size", "eq")] and amb.joins == []  # as without the schema
    # a source the schema cannot describe may hold the column: unless a known table has it, leave it
    unknown = inner("SELECT 1 FROM mystery, supplier WHERE EXISTS (SELECT 1 FROM lineitem WHERE p_size = l_partkey)",
                    schema)
    assert preds(unknown) == [("lineitem", "lineitem", "p_size", "eq")]
    derived = inner("SELECT 1 FROM (SELECT 1 AS p_size) d WHERE EXISTS (SELECT 1 FROM lineitem "
                    "WHERE p_size = l_partkey)", schema)
    assert preds(derived) == [("lineitem", "lineitem", "p_size", "eq")]
    # a known table that has it wins over an unknown neighbour (were both to have it, the SQL is ambiguous)
    known = inner("SELECT 1 FROM mystery, part WHERE EXISTS (SELECT 1 FROM lineitem WHERE p_size = l_partkey)",
                  schema)
    assert ("part", "part", "p_size", "join") in preds(known)
    unknown_inner = inner("SELECT 1 FROM part WHERE EXISTS (SELECT 1 FROM mystery WHERE p_size = m_key)", schema)
    assert preds(unknown_inner) == [("mystery", "mystery", "p_size", "eq")]


def test_order_by_an_output_name_is_not_an_outer_column(schema):
    scope = inner("SELECT p_name FROM part WHERE p_size IN (SELECT l_quantity AS p_size FROM lineitem "
                  "ORDER BY p_size LIMIT 3)", schema)
    assert [(k.alias, k.column) for k in scope.order_by] == [("lineitem", "p_size")]


# --- property: resolution is total and follows the schema --------------------------------------------

# names extraction uses for unknown pieces (all underscores) stand for nothing: not drawn
NAMES = st.text(alphabet=st.sampled_from(list("abcXYZ_1 \"é$")), min_size=1, max_size=6).filter(
    lambda n: not is_placeholder(n))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@settings(max_examples=200, deadline=None)
@given(inner_cols=st.sets(NAMES, min_size=1, max_size=4), outer_cols=st.sets(NAMES, min_size=1, max_size=4),
       with_schema=st.booleans(), data=st.data())
def test_resolution_never_raises_and_follows_the_schema(inner_cols, outer_cols, with_schema, data):
    column = data.draw(st.one_of(NAMES, st.sampled_from(sorted(outer_cols)), st.sampled_from(sorted(inner_cols))))
    schema = Schema({
        "t_in": Table("t_in", {c: Column(c, "int") for c in inner_cols}),
        "t_out": Table("t_out", {c: Column(c, "int") for c in outer_cols}),
    }) if with_schema else None
    key = sorted(inner_cols)[0]
    sql = (f"SELECT 1 FROM t_out o WHERE EXISTS (SELECT 1 FROM t_in i WHERE {_quoted(column)} = "
           f"i.{_quoted(key)} AND {_quoted(column)} > 0) ORDER BY {_quoted(column)}")
    got = facts(sql, schema)
    sub = got.scopes[-1]
    expected = "o" if with_schema and column not in inner_cols and column in outer_cols else "i"
    event(f"resolved to the {'outer' if expected == 'o' else 'inner'} table")
    resolved = {p.alias for p in sub.predicates if p.column == column and p.node.key == "gt"}
    assert resolved == {expected}
    for scope in got.scopes:
        for p in scope.predicates:
            assert p.alias is None or p.table == scope.table_of(p.alias)
    if expected == "o":
        assert (("i", key), ("o", column)) in [tuple(sorted((e.left, e.right))) for e in sub.joins]



def test_an_unqualified_column_of_the_same_row_in_a_join():
    """TPC-H Q12: `l_commitdate < l_receiptdate` beside a join. Only lineitem has both columns, so it compares
    one row's columns (a partial index's predicate, not a range on l_commitdate); when another table has a
    column of that name too, advisor cannot tell whose it is."""
    from advisor.indexes.candidates import row_conditions

    ddl = ("CREATE TABLE orders (o_orderkey int PRIMARY KEY, o_orderpriority text NOT NULL);\n"
           "CREATE TABLE lineitem (l_orderkey int NOT NULL, l_shipmode text NOT NULL, l_commitdate date NOT NULL,\n"
           "  l_receiptdate date NOT NULL);\n"
           "CREATE TABLE shipments (s_orderkey int NOT NULL, l_receiptdate date);\n")
    schema = schema_from_queries(extract_sql("s.sql", ddl))
    two = ("SELECT o_orderpriority FROM orders JOIN lineitem ON o_orderkey = l_orderkey "
           "WHERE l_shipmode = 'MAIL' AND l_commitdate < l_receiptdate")
    three = ("SELECT o_orderpriority FROM orders JOIN lineitem ON o_orderkey = l_orderkey "
             "JOIN shipments ON s_orderkey = o_orderkey WHERE l_shipmode = 'MAIL' AND l_commitdate < l_receiptdate")
    scope = build_facts(parse_sql(two), schema).scopes[0]
    assert access_of(scope, "lineitem", "lineitem", schema).ranges == []
    assert row_conditions(scope, "lineitem", "lineitem", schema) == ["l_commitdate < l_receiptdate"]
    scope = build_facts(parse_sql(three), schema).scopes[0]
    assert access_of(scope, "lineitem", "lineitem", schema).ranges == ["l_commitdate"]
    assert row_conditions(scope, "lineitem", "lineitem", schema) == []


def test_a_using_column_is_of_the_relation_before_it_that_has_it(schema):
    # `part JOIN partsupp USING (...) JOIN supplier USING (s_suppkey)`-like: the second USING column is not the
    # first table's; an unqualified test on it is on the one before the join that has it and on the joined one
    sql = (
        "SELECT s_name FROM part JOIN lineitem ON l_partkey = p_partkey "
        "JOIN supplier AS s ON s.s_suppkey = l_suppkey JOIN partsupp AS ps USING (ps_partkey) "
        "WHERE ps_partkey = 1"
    )
    ddl = DDL.replace("s_size int", "s_size int, ps_partkey int")
    scope = facts(sql, schema_from_queries(extract_sql("schema.sql", ddl, source="schema"))).scopes[-1]
    assert [(p.alias, p.column) for p in scope.predicates if p.op == "eq" and p.column == "ps_partkey"] == [
        ("s", "ps_partkey"),
        ("ps", "ps_partkey"),
    ]
    edges = [(j.left, j.right) for j in scope.joins if j.left[1] == "ps_partkey"]
    assert edges == [(("s", "ps_partkey"), ("ps", "ps_partkey"))]
