"""A condition on the one row a unique key finds costs one evaluation, whatever it is (issue 10): the rules
that claim a cost per row (function-on-column, leading-wildcard-like, implicit-cast, or-across-columns,
optional-filter) share one premise, advisor.checks.premises.pinned_by_key. unleash-server's
`WHERE secret = ? AND expires_at::date > ?` (secret: the primary key, declared where advisor did not look)."""

import pytest

from advisor import catalogue, engine

SCHEMA = """
CREATE TABLE tokens (secret text PRIMARY KEY, name text, expires_at timestamptz NOT NULL, enabled boolean,
  uses int, kind text);
CREATE INDEX tokens_name ON tokens (name);
CREATE INDEX tokens_kind ON tokens (kind);
"""

STATEMENTS = {
    "function-on-column": "SELECT 1 FROM {t} WHERE {key} = $1 AND expires_at::date > $2;",
    "leading-wildcard-like": "SELECT 1 FROM {t} WHERE {key} = $1 AND kind LIKE '%x';",
    "implicit-cast": "SELECT 1 FROM {t} WHERE {key} = $1 AND uses = 1.5;",
    "or-across-columns": "SELECT 1 FROM {t} WHERE {key} = $1 AND (name = $2 OR uses = $3);",
    "optional-filter": "SELECT 1 FROM {t} WHERE {key} = $1 AND ($2::text IS NULL OR name = $2) ORDER BY name LIMIT 5;",
}


def found(project, sql, schema=SCHEMA):
    project({"advisor.toml": 'schema = ["db/*.sql"]\nselect = ["ALL"]\n', "db/schema.sql": schema, "q.sql": sql})
    return [catalogue.lookup(f.rule).name for f in engine.check(["."]).active]


@pytest.mark.parametrize("rule", sorted(STATEMENTS))
def test_a_condition_on_the_row_a_key_found_is_not_a_cost_per_row(project, rule):
    # the rule fires when the other equality is no key ...
    assert rule in found(project, STATEMENTS[rule].format(t="tokens", key="enabled") + "\n")
    # ... and is silent when it is the primary key
    assert rule not in found(project, STATEMENTS[rule].format(t="tokens", key="secret") + "\n")


@pytest.mark.parametrize("rule", sorted(STATEMENTS))
def test_a_table_whose_keys_advisor_has_not_seen_may_be_pinned_by_one(project, rule):
    # `vault` is not in the schema: `secret` may be its key, so the claim is withheld and the note says why
    sql = STATEMENTS[rule].format(t="vault", key="secret") + "\n"
    rules = found(project, sql)
    assert rule not in rules
    assert "incomplete-schema" in rules


def test_a_cast_postgresql_rejects_is_reported_even_on_the_row_a_key_found(project):
    # not a cost but an error: `kind = 1` fails whatever row the key finds
    assert "implicit-cast" in found(project, "SELECT 1 FROM tokens WHERE secret = $1 AND kind = 1;\n")
