"""jsonb's key-exists operator `?` beside `$n` placeholders (holdout 32's @axiom-lattice/pg-stores:
`WHERE tenant_id = $1 AND config ? $2`) is an operator, not a placeholder: numbered as one, it made PostgreSQL refuse
the statement and the explain stage planned none of three. In a statement of `?` placeholders, every `?` is one."""

from hypothesis import given
from hypothesis import strategies as st

from advisor.explain.params import normalise


def test_jsonb_question_mark_beside_numbered_placeholders_stays():
    assert normalise("SELECT id FROM bundles WHERE tenant_id = $1 AND config ? $2") == (
        "SELECT id FROM bundles WHERE tenant_id = $1 AND config ? $2",
        2,
    )
    assert normalise("SELECT id FROM t WHERE (data->'a') ? %s AND b = %s") == (
        "SELECT id FROM t WHERE (data->'a') ? $1 AND b = $2",
        2,
    )


def test_question_mark_placeholders_are_numbered():
    assert normalise("SELECT id FROM t WHERE a = ? AND b IN (?, ?)") == (
        "SELECT id FROM t WHERE a = $1 AND b IN ($2, $3)",
        3,
    )


@given(st.lists(st.sampled_from(["config", "data", "tags"]), min_size=1, max_size=5))
def test_every_operator_survives_and_every_placeholder_is_numbered(columns):
    """Whatever jsonb tests a statement holds beside its `$n` values, each `?` between a column and a value stays,
    and the count is the statement's `$n`."""
    sql = "SELECT 1 FROM t WHERE " + " AND ".join(f"{c} ? ${n}" for n, c in enumerate(columns, 1))
    out, count = normalise(sql)
    assert out == sql and count == len(columns)
