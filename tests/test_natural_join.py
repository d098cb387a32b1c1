"""NATURAL JOIN joins on the columns its table shares with the tables before it, as USING would (holdout 82's
sat-pubsub, whose queries join items, nodes, subscriptions, affiliations and entities only so): the join keys and
the merged columns are known when the schema describes every table, so an index found through the join serves the
query, and an unqualified shared column is the merged one; a table probed by an indexed join key only from a table
read whole is not found by an index (the subscriber list reads all subscriptions). An ALTER that only adds a CHECK constraint (which
sqlglot does not read) builds no index: the table stays known whole."""

from advisor import catalogue, engine

SCHEMA = """\
CREATE TABLE entities (entity_id serial PRIMARY KEY, jid text NOT NULL UNIQUE);
CREATE TABLE nodes (
    node_id serial PRIMARY KEY,
    node text NOT NULL,
    pep text,
    access_model text NOT NULL DEFAULT 'open' CHECK (access_model IN ('open', 'presence'))
);
CREATE UNIQUE INDEX nodes_node_pep ON nodes (node, pep);
CREATE TABLE items (
    item_id serial PRIMARY KEY,
    node_id integer NOT NULL REFERENCES nodes ON DELETE CASCADE,
    item text NOT NULL,
    access_model text NOT NULL DEFAULT 'open',
    updated timestamptz NOT NULL DEFAULT now(),
    UNIQUE (node_id, item)
);
CREATE TABLE affiliations (
    affiliation_id serial PRIMARY KEY,
    entity_id integer NOT NULL REFERENCES entities ON DELETE CASCADE,
    node_id integer NOT NULL REFERENCES nodes ON DELETE CASCADE,
    affiliation text NOT NULL,
    UNIQUE (entity_id, node_id)
);
CREATE TABLE subscriptions (
    subscription_id serial PRIMARY KEY,
    entity_id integer NOT NULL REFERENCES entities ON DELETE CASCADE,
    resource text,
    node_id integer NOT NULL REFERENCES nodes ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'subscribed',
    UNIQUE (entity_id, resource, node_id)
);
"""

UPDATE = """\
ALTER TABLE nodes DROP CONSTRAINT nodes_access_model_check;
ALTER TABLE nodes ADD CHECK (access_model IN ('open', 'presence', 'publisher-roster'));
ALTER TABLE affiliations ADD CONSTRAINT affiliation_kind CHECK (affiliation IN ('member', 'owner'));
"""

QUERIES = """\
-- the last items of nodes found by their unique (node, pep): items through UNIQUE (node_id, item)
SELECT DISTINCT ON (node_id) pep, node, items.access_model FROM items NATURAL JOIN nodes
WHERE nodes.pep = $1 AND node = $2 AND items.access_model = $3 ORDER BY node_id DESC, items.updated DESC;
-- one subscriber's state: entities by jid, subscriptions by (entity_id, resource, node_id)
SELECT state FROM subscriptions NATURAL JOIN nodes NATURAL JOIN entities WHERE node_id = $1 AND jid = $2 AND resource = $3;
-- a node's owners: no index on affiliations leads with node_id
SELECT jid FROM nodes NATURAL JOIN affiliations NATURAL JOIN entities WHERE node_id = $1 AND affiliation = 'owner';
-- a node's subscribers: UNIQUE (entity_id, ...) is probed only from entities, which nothing finds by an index
SELECT node, jid, resource, state FROM subscriptions NATURAL JOIN nodes NATURAL JOIN entities WHERE node_id = $1;
"""


def _claims(project, files: dict[str, str]) -> list[tuple[str, int, str]]:
    project({**files, "advisor.toml": 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n'})
    return sorted(
        (catalogue.lookup(f.rule).name, f.location.line, f.message)
        for f in engine.check(["."]).active
        if f.location.path == "queries.sql"
    )


def test_a_natural_join_joins_on_the_shared_columns(project):
    claims = _claims(project, {"schema.sql": SCHEMA, "queries.sql": QUERIES})
    assert [(rule, line) for rule, line, _ in claims] == [("missing-index", 7), ("missing-index", 9)]
    assert "no index on affiliations serves this query's access (node_id, affiliation)" in claims[0][2]
    assert "no index on subscriptions serves this query's access (node_id)" in claims[1][2]


def test_an_added_check_constraint_leaves_the_table_known_whole(project):
    claims = _claims(project, {"schema.sql": SCHEMA, "update.sql": UPDATE, "queries.sql": QUERIES})
    assert [(rule, line) for rule, line, _ in claims] == [("missing-index", 7), ("missing-index", 9)]
    found = {catalogue.lookup(f.rule).name for f in engine.check(["."]).active}
    assert "incomplete-schema" not in found
