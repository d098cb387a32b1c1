"""The shortcuts taken for speed give the same answers as the long way round.

- the rule catalogue is read from a cached parse while its pages are unchanged;
- one tokenizer and parser per dialect are reused from statement to statement;
- facts come from one walk: `find` and the scopes match a plain search of the tree;
- the missing-index rule renders a partial index's predicate and the query's conditions
  only when an index has a WHERE clause.
"""

from __future__ import annotations

import shutil

import pytest
import sqlglot
from sqlglot import exp

from advisor import catalogue
from advisor.facts.sql import SCOPE_NODES, build_facts
from advisor.indexes import candidates
from advisor.ir import IndexDef, IndexKey, Schema, Table
from advisor.parse import ParseFailure, parse_sql

# --- the catalogue --------------------------------------------------------------


@pytest.fixture
def pages(tmp_path, monkeypatch):
    """A private copy of the rule pages and a private cache directory."""
    rules = tmp_path / "rules"
    shutil.copytree(catalogue.rules_dir(), rules)
    monkeypatch.setattr(catalogue, "rules_dir", lambda: rules)
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    catalogue.catalogue.cache_clear()
    yield rules
    catalogue.catalogue.cache_clear()


def parsed(rules):
    specs = [catalogue.parse_page(p) for p in sorted(rules.glob("*.md")) if p.name != "README.md"]
    return {s.id: s for s in specs}


def test_cached_catalogue_equals_the_parsed_pages(pages, monkeypatch):
    expected = parsed(pages)
    first = catalogue.catalogue()
    assert (pages.parent / "cache" / "catalogue.json").is_file()
    catalogue.catalogue.cache_clear()
    monkeypatch.setattr(catalogue, "parse_page", lambda path: pytest.fail(f"{path} parsed again"))
    second = catalogue.catalogue()
    assert second == first == expected
    assert list(second) == list(first)  # the same order


def test_a_changed_page_is_parsed_again(pages):
    catalogue.catalogue()
    page = pages / "select-star.md"
    page.write_text(page.read_text().replace('severity = "warning"', 'severity = "error"', 1))
    catalogue.catalogue.cache_clear()
    assert catalogue.catalogue()["SQL001"].severity == "error"


@pytest.mark.parametrize("record", ["not json", "[]", '{"key": 1}', '{"key": null, "specs": [{"id": 1}]}'])
def test_an_unusable_record_is_parsed_around(pages, record):
    (pages.parent / "cache").mkdir()
    (pages.parent / "cache" / "catalogue.json").write_text(record)
    assert catalogue.catalogue() == parsed(pages)


def test_no_cache_directory_still_reads_the_pages(pages, monkeypatch):
    import advisor.home

    def no_root():
        raise OSError("read-only file system")

    monkeypatch.setattr(advisor.home, "cache_root", no_root)
    assert catalogue.catalogue() == parsed(pages)


# --- parsing --------------------------------------------------------------------


def test_reused_parser_gives_the_trees_of_a_fresh_one():
    statements = ["SELECT a FROM t WHERE b = 1", "SELECT * FROM", "'open", "UPDATE t SET a = 1 WHERE id = $1",
                  "WITH x AS (SELECT 1) SELECT * FROM x", "SELEC 1", "DELETE FROM t WHERE a IN (SELECT b FROM u)"]
    for text in statements * 2:  # a failure in between must not leak into the next statement
        parse_sql.cache_clear()
        tree = parse_sql(text)
        if isinstance(tree, ParseFailure):
            continue
        fresh = sqlglot.parse(text, read="postgres")[0]
        assert tree == fresh and tree.sql() == fresh.sql()
        assert [n.meta_get("start") for n in tree.walk()] == [n.meta_get("start") for n in fresh.walk()]


# --- facts ----------------------------------------------------------------------

TRICKY = [
    "SELECT * FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.x = a.x AND b.y IN (SELECT y FROM c))",
    "WITH w AS (SELECT id FROM t WHERE n = 1) UPDATE u SET v = 1 FROM w WHERE u.id = w.id AND u.k <> 2",
    "DELETE FROM t WHERE id = 1 OR NOT (a = 2) OR b <> NULL",
    "INSERT INTO t SELECT * FROM (SELECT a FROM s UNION SELECT a FROM r) q WHERE a = NULL",
]


def dfs_ancestors(tree):
    """(node, nearest enclosing scope node, inside an EXISTS) for every node: the long way."""
    out, stack = [], [(tree, None, False)]
    while stack:
        node, scope, in_exists = stack.pop()
        out.append((node, scope, in_exists))
        inner_scope = node if isinstance(node, SCOPE_NODES) else scope
        for child in reversed(list(node.iter_expressions())):
            stack.append((child, inner_scope, in_exists or isinstance(node, exp.Exists)))
    return out


@pytest.mark.parametrize("sql", TRICKY)
def test_find_matches_a_search_of_the_tree(sql):
    tree = parse_sql(sql)
    facts = build_facts(tree)
    walk = [n for n, _, _ in dfs_ancestors(tree)]
    for types in [(exp.EQ, exp.NEQ), (exp.Not,), (exp.Insert,), (exp.Select, exp.Update, exp.Delete),
                  (exp.Condition,), (exp.Column, exp.Literal), (exp.Expression,)]:
        assert [id(n) for n in facts.find(*types)] == [id(n) for n in walk if isinstance(n, types)]


@pytest.mark.parametrize("sql", TRICKY)
def test_scopes_match_a_search_of_the_tree(sql):
    tree = parse_sql(sql)
    facts = build_facts(tree)
    expected = [(id(n), id(scope) if scope is not None else None, in_exists)
                for n, scope, in_exists in dfs_ancestors(tree) if isinstance(n, SCOPE_NODES)]
    got = [(id(s.node), id(s.parent.node) if s.parent else None, s.in_exists) for s in facts.scopes]
    assert got == expected


# --- partial indexes ------------------------------------------------------------


def test_partial_index_is_matched_on_the_query_conditions():
    schema = Schema(tables={"t": Table("t")}, indexes=[
        IndexDef("t_open", "t", (IndexKey("a"),), where="status = 'open' AND deleted IS NULL"),
    ])
    facts = build_facts(parse_sql("SELECT * FROM t WHERE a = 1 AND t.status = 'open' AND deleted IS NULL"), schema)
    access = candidates.access_of(facts.scopes[0], "t", "t", schema)
    assert [c.sql() for c in access.conditions] == ["a = 1", "t.status = 'open'", "deleted IS NULL"]
    assert candidates.serving_index(schema, access) is schema.indexes[0]
    facts = build_facts(parse_sql("SELECT * FROM t WHERE a = 1 AND status = 'closed'"), schema)
    assert candidates.serving_index(schema, candidates.access_of(facts.scopes[0], "t", "t", schema)) is None
