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


# holdout 98's Archon: the index is written `data ->> 'email'::text` and the query `data ->> 'email'`; PostgreSQL reads
# both as the text constant 'email'. And `(data -> 'parent' ->> 'uid')::text` casts what `->>` gives as text already:
# the planner drops the cast, and the index on `data -> 'parent' ->> 'uid'` serves it.
JSON_SCHEMA = """\
CREATE TABLE members (uid uuid PRIMARY KEY, data jsonb);
CREATE INDEX idx_member_email ON members USING BTREE ((data ->> 'email'::text));
CREATE INDEX idx_member_parent ON members USING BTREE ((data -> 'parent' ->> 'uid'));
"""


@pytest.mark.parametrize(
    "where, served",
    [
        ("data ->> 'email' = $1", True),
        ("(data ->> 'email')::text = $1", True),
        ("data -> 'parent' ->> 'uid'::text = $1", True),
        ("(data -> 'parent' ->> 'uid')::text = $1", True),
        ("(data -> 'parent' ->> 'uid')::int = $1", False),  # a cast that changes the type: another expression
        ("data ->> 'name' = $1", False),
    ],
)
def test_a_text_cast_that_changes_nothing_is_the_same_expression(project, where, served):
    project(
        {
            "advisor.toml": CONFIG.replace("schema.sql", "s.sql"),
            "s.sql": JSON_SCHEMA,
            "q.sql": f"SELECT uid FROM members WHERE {where};\n",
        }
    )
    wrapped = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "function-on-column"]
    assert (wrapped == []) is served
