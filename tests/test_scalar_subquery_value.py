"""A column compared with a scalar subquery (`queue_id = (SELECT id FROM queue_info)`, holdout 89's pgjobq, whose
every statement finds its queue's id in a CTE so) is compared with a value PostgreSQL computes once: an index on
the column serves it, as `= $1` would. The subquery's own columns (`id` of `queue_info`) are not the outer row's,
even when the outer table has a column of that name: it is no condition on two columns of one row."""

from advisor import catalogue, engine

SCHEMA = """\
CREATE TABLE queues (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE jobs (queue_id int NOT NULL, id uuid NOT NULL, body text, attempts int, max_attempts int,
                   PRIMARY KEY (queue_id, id));
"""

QUERIES = """\
WITH queue_info AS (SELECT id FROM queues WHERE name = $1)
SELECT body FROM jobs WHERE queue_id = (SELECT id FROM queue_info) AND jobs.id = $2;
SELECT body FROM jobs WHERE queue_id = (SELECT id FROM queues WHERE name = $1) AND jobs.id = $2;
SELECT body FROM jobs WHERE id = $1;
"""


def test_a_scalar_subquery_is_a_value_an_index_serves(project):
    project(
        {
            "schema.sql": SCHEMA,
            "queries.sql": QUERIES,
            "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n',
        }
    )
    found = [
        (catalogue.lookup(f.rule).name, f.location.line, f.message)
        for f in engine.check(["."]).active
        if f.location.path == "queries.sql"
    ]
    # the primary key (queue_id, id) serves the first two; the third, by id alone, it does not
    assert [(rule, line) for rule, line, _ in found] == [("missing-index", 4)], found
