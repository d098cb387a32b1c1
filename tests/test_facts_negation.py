"""Negated predicates are marked negated however sqlglot writes them: `a NOT LIKE b` and `NOT ILIKE`
come back as Like/ILike(negate=True), `a NOT IN (...)` as Not(In), `NOT (a LIKE b)` as Not(Like).
Index advice and the LIKE rules read `negated`: a negated predicate is never an index's access path."""

from __future__ import annotations

import pytest

from advisor.facts.sql import build_facts
from advisor.ir import Schema
from advisor.parse import parse_sql


def predicate(where: str):
    tree = parse_sql(f"SELECT id FROM jobs WHERE {where}")
    assert hasattr(tree, "find_all"), tree
    (found,) = [p for scope in build_facts(tree, Schema()).scopes for p in scope.predicates if p.column == "name"]
    return found


@pytest.mark.parametrize("where,op,negated", [
    ("name LIKE 'a%'", "like", False),
    ("name NOT LIKE 'a%'", "like", True),
    ("name NOT ILIKE 'a%'", "like", True),
    ("NOT (name LIKE 'a%')", "like", True),
    ("NOT (name NOT LIKE 'a%')", "like", False),
    ("name IN ('a', 'b')", "in", False),
    ("name NOT IN ('a', 'b')", "neq", True),
    ("NOT name IN ('a', 'b')", "neq", True),
])
def test_negated_predicates(where, op, negated):
    found = predicate(where)
    assert (found.op, found.negated) == (op, negated)
