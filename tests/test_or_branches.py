"""missing-index knows PostgreSQL's BitmapOr: an OR among a table's conditions each branch of which an index serves,
with the other conditions, is served, a partial index included when the branch implies its predicate (holdout 47's
ffun reads a user's markers and the global ones, `(user_id = $1 OR user_id IS NULL) AND entry_id = ANY($2)`, through
two partial indexes; the claim that no index serves it was wrong at any size)."""

import pytest

from advisor import catalogue, engine

SCHEMA = """
CREATE TABLE markers (id bigint PRIMARY KEY, user_id uuid, entry_id uuid NOT NULL, marker int NOT NULL);
CREATE UNIQUE INDEX markers_user ON markers (user_id, entry_id, marker) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX markers_global ON markers (entry_id, marker) WHERE user_id IS NULL;
"""


@pytest.mark.parametrize(
    "condition, claimed",
    [
        ("(user_id = $1 OR user_id IS NULL) AND entry_id = ANY($2)", False),  # each branch has its partial index
        ("user_id IS NULL AND entry_id = ANY($1)", False),
        ("(user_id = $1 OR marker = 3) AND entry_id = ANY($2)", True),  # no index serves the second branch
        ("entry_id = ANY($1)", True),  # neither partial index holds every row
    ],
)
def test_an_or_each_branch_of_which_an_index_serves_is_served(project, condition, claimed):
    project(
        {
            "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n',
            "schema.sql": SCHEMA,
            "q.sql": f"SELECT entry_id, marker FROM markers WHERE {condition};\n",
        }
    )
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "missing-index"]
    assert bool(found) == claimed
