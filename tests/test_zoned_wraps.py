"""function-on-column offers no expression index PostgreSQL would refuse: `DATE(ts)`, `ts::date`,
`date_trunc('day', ts)` and `EXTRACT(... FROM ts)` of a `timestamptz` column depend on the session's time zone, so
PostgreSQL does not mark them IMMUTABLE and `CREATE INDEX ON t ((DATE(ts)))` fails (holdout 47: ffun's
`WHERE DATE(created_at) = %(date)s`). The rewrite to a range is what serves; on a `timestamp` column the index is
offered as before."""

import pytest

from advisor import catalogue, engine

CONFIG = 'dialect = "postgres"\nschema = ["schema.sql"]\n'


def finding(project, column_type: str, condition: str):
    project(
        {
            "advisor.toml": CONFIG,
            "schema.sql": f"CREATE TABLE tags (id bigint PRIMARY KEY, created_at {column_type} NOT NULL);\n",
            "q.sql": f"SELECT count(*) FROM tags WHERE {condition};\n",
        }
    )
    found = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "function-on-column"]
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize(
    "condition, rewrite",
    [
        ("DATE(created_at) = $1", "created_at >= <day> AND created_at < <day> + interval '1 day'"),
        ("created_at::date = $1", "created_at >= <day> AND created_at < <day> + interval '1 day'"),
        ("date_trunc('day', created_at) = $1", "created_at >= <start> AND created_at < <end>"),
        ("EXTRACT(hour FROM created_at) = 3", "(created_at AT TIME ZONE 'UTC') in place of created_at"),
    ],
)
def test_no_index_is_offered_on_a_time_zone_dependent_wrap(project, condition, rewrite):
    f = finding(project, "timestamptz", condition)
    assert f.fix is None and "CREATE INDEX" not in (f.help or "")
    assert rewrite in f.help


def test_a_timestamp_without_time_zone_keeps_its_expression_index(project):
    f = finding(project, "timestamp", "DATE(created_at) = $1")
    assert f.fix == "CREATE INDEX CONCURRENTLY ON tags ((DATE(created_at)));"
    assert "created_at >= <day>" in f.help
