"""An index's operator class is part of what it serves (holdout 103's MetaCat: `files` has `gin (metadata)` and
`gin (metadata jsonb_path_ops)`; the first serves `?`, `?|`, `?&` and `@>`, the second only `@>`, `@?` and `@@`, and
smaller): two indexes on one expression with different classes are two indexes, never one twice. The same class
named with its schema is the same index."""

from advisor import catalogue, engine

CONFIG = 'dialect = "postgres"\nschema = ["schema.sql"]\n'
SCHEMA = """\
CREATE TABLE files (id bigint PRIMARY KEY, metadata jsonb, name text NOT NULL);
CREATE INDEX files_meta_path_ops ON files USING gin (metadata jsonb_path_ops);
CREATE INDEX files_meta ON files USING gin (metadata);
CREATE INDEX files_meta_again ON files USING gin (metadata pg_catalog.jsonb_path_ops);
CREATE INDEX files_name_pattern ON files (name text_pattern_ops);
CREATE INDEX files_name_id ON files (name, id);
"""


def test_operator_classes_tell_indexes_apart(project):
    project({"advisor.toml": CONFIG + 'large-tables = ["files"]\n', "schema.sql": SCHEMA})
    found = {
        (catalogue.lookup(f.rule).name, f.location.line)
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name in ("duplicate-index", "redundant-index")
    }
    assert found == {("duplicate-index", 4)}  # the same class under its schema: a duplicate of line 2
    # files_name_pattern (LIKE 'x%' in any collation) is no prefix of files_name_id (the default class)
