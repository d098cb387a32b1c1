"""An index keys an expression after columns the query fixes by equality (holdout 31's swh-scheduler: `task (type,
md5(arguments::text))` serves `type = t.type AND md5(arguments::text) = md5(t.arguments::text)`): the expression is
searched, not evaluated on every row, so function-on-column says nothing. Only the keys before it that an equality
fixes let the index seek on it."""

import pytest

from advisor import catalogue, engine

CONFIG = 'dialect = "postgres"\nschema = ["schema.sql"]\n'
SCHEMA = """\
CREATE TABLE task (id bigserial PRIMARY KEY, type text NOT NULL, status text, arguments jsonb);
CREATE INDEX task_type_args ON task (type, md5(arguments::text));
"""


def _wrapped(project, where: str) -> list:
    project({"advisor.toml": CONFIG, "schema.sql": SCHEMA, "q.sql": f"SELECT id FROM task WHERE {where};\n"})
    return [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "function-on-column"]


@pytest.mark.parametrize(
    "where",
    [
        "type = $1 AND md5(arguments::text) = $2",
        "md5(arguments::text) = $2 AND type = 'x'",
    ],
)
def test_an_expression_key_after_fixed_columns_is_served(project, where):
    assert _wrapped(project, where) == []


@pytest.mark.parametrize(
    "where",
    [
        "md5(arguments::text) = $2",  # the leading key is not fixed: the index cannot seek on the expression
        "status = $1 AND md5(arguments::text) = $2",  # an equality on another column
    ],
)
def test_an_expression_key_behind_an_unfixed_column_is_not(project, where):
    found = _wrapped(project, where)
    assert len(found) == 1 and "md5" in found[0].message.lower()
