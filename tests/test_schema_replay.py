"""The schema model replays DDL as PostgreSQL would: one object per name (issue 10, class 3).

Shapes taken from real projects: a schema snapshot next to the migrations that built it
(procrastinate keeps `schema.sql` beside `migrations/*.sql`), pg_dump's `ALTER TABLE ONLY
... ADD CONSTRAINT ..._pkey`, `CREATE INDEX IF NOT EXISTS` in idempotent migrations (pgqueuer),
renames in later migrations (graphile-worker renamed `jobs` to `_private_jobs`).
"""

import pytest

from advisor import engine
from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql


def build(*files: tuple[str, str]):
    queries = []
    for path, text in files:
        queries += extract_sql(path, text)
    return schema_from_queries(queries)


MIGRATION = """
CREATE TABLE jobs (id bigserial PRIMARY KEY, queue text NOT NULL, worker text, status text NOT NULL);
CREATE INDEX jobs_queue_idx ON jobs (queue);
CREATE UNIQUE INDEX jobs_lock_idx ON jobs (queue) WHERE status = 'doing';
"""

SNAPSHOT = """
CREATE TABLE public.jobs (id bigint NOT NULL, queue text NOT NULL, worker text, status text NOT NULL);
ALTER TABLE ONLY public.jobs ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);
CREATE INDEX jobs_queue_idx ON public.jobs USING btree (queue);
CREATE UNIQUE INDEX jobs_lock_idx ON public.jobs USING btree (queue) WHERE (status = 'doing'::text);
"""


def names(schema):
    return sorted(i.name for i in schema.indexes)


def test_snapshot_and_migrations_declare_each_object_once():
    schema = build(("migrations/001.sql", MIGRATION), ("schema.sql", SNAPSHOT))
    assert names(schema) == ["jobs_lock_idx", "jobs_pkey", "jobs_queue_idx"]
    assert schema.table("jobs").primary_key == ("id",)
    assert schema.complete("jobs")


def test_release_snapshots_side_by_side_and_if_not_exists():
    v2 = MIGRATION + "CREATE INDEX IF NOT EXISTS jobs_worker_idx ON jobs (worker);\n"
    schema = build(("v1.sql", MIGRATION), ("v2.sql", v2), ("v3.sql", "CREATE TABLE IF NOT EXISTS jobs (id int);"))
    assert names(schema) == ["jobs_lock_idx", "jobs_pkey", "jobs_queue_idx", "jobs_worker_idx"]
    assert set(schema.table("jobs").columns) == {"id", "queue", "worker", "status"}


def test_renames_follow_tables_columns_and_indexes():
    schema = build(("m.sql", MIGRATION + """
        ALTER TABLE jobs RENAME TO _private_jobs;
        ALTER TABLE _private_jobs RENAME COLUMN worker TO locked_by;
        ALTER INDEX jobs_queue_idx RENAME TO private_jobs_queue_idx;
        CREATE INDEX private_jobs_locked_by_idx ON _private_jobs (locked_by);
    """))
    assert schema.table("jobs") is None and "locked_by" in schema.table("_private_jobs").columns
    assert {i.table for i in schema.indexes} == {"_private_jobs"}
    assert "private_jobs_queue_idx" in names(schema) and "jobs_queue_idx" not in names(schema)


def test_drops_if_exists_and_dropped_columns_take_their_indexes():
    schema = build(("m.sql", MIGRATION + """
        DROP INDEX IF EXISTS jobs_queue_idx;
        DROP INDEX IF EXISTS never_existed;
        ALTER TABLE jobs DROP COLUMN IF EXISTS status;
        ALTER TABLE IF EXISTS ghosts ADD COLUMN x int;
    """))
    assert names(schema) == ["jobs_pkey"]  # the partial index used status: PostgreSQL drops it too
    assert schema.table("ghosts") is None


def test_a_table_only_altered_or_with_unreadable_index_ddl_is_not_complete():
    schema = build(("m.sql", """
        ALTER TABLE events ADD COLUMN kind text;
        CREATE TABLE jobs (id bigint PRIMARY KEY, queue text);
        CREATE INDEX jobs_q ON jobs USING btree (queue) WITH (fillfactor = 70) TABLESPACE fast WHERE WHERE;
    """))
    assert not schema.complete("events")  # its CREATE TABLE was never seen
    assert not schema.complete("jobs") and "m.sql:4" in schema.gaps["jobs"]


def check(project, files):
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/*.sql"]\n', **files})
    return [(f.location.path, f.location.line, f.rule, f.message) for f in engine.check(["."]).active]


def test_no_duplicate_index_from_a_snapshot_beside_its_migrations(project):
    found = check(project, {"db/001_init.sql": MIGRATION, "db/schema.sql": SNAPSHOT})
    assert [f for f in found if f[2] in ("SCH001", "SCH002")] == []


def test_never_advise_dropping_a_primary_key_or_constraint(project):
    found = check(project, {"db/s.sql": """
        CREATE TABLE t (id bigint PRIMARY KEY, code text, CONSTRAINT t_id_key UNIQUE (id), CONSTRAINT t_code UNIQUE (code));
        CREATE UNIQUE INDEX t_code_again ON t (code);
        CREATE INDEX t_code_plain ON t (code);
    """})
    dups = [f for f in found if f[2] == "SCH001"]
    assert len(dups) == 2 and all("t_code_again" in m or "t_code_plain" in m for *_, m in dups)
    assert not any("DROP CONSTRAINT" in m for *_, m in found)


def test_unindexed_foreign_key_through_a_partial_index(project):
    found = check(project, {"db/s.sql": """
        CREATE TABLE workers (id bigint PRIMARY KEY);
        CREATE TABLE jobs (id bigint PRIMARY KEY, status text,
                           worker_id bigint REFERENCES workers (id) ON DELETE SET NULL,
                           owner_id bigint REFERENCES workers (id) ON DELETE CASCADE);
        CREATE INDEX jobs_worker_doing ON jobs (worker_id) WHERE status = 'doing';
        CREATE INDEX jobs_owner_set ON jobs (owner_id) WHERE owner_id IS NOT NULL;
    """})
    fks = [m for *_, rule, m in found if rule == "SCH003"]
    assert len(fks) == 1 and "jobs(worker_id)" in fks[0] and "partial index jobs_worker_doing" in fks[0]


def test_absence_rules_stay_silent_on_tables_not_seen_and_one_note_says_so(project):
    found = check(project, {
        "db/s.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY, queue text);\n",
        "q.sql": "SELECT id FROM events WHERE kind = $1;\nSELECT id FROM logs WHERE level = $1;\n"
                 "SELECT id FROM jobs WHERE queue = $1;\n",
    })
    rules = sorted(rule for _, _, rule, _ in found)
    assert rules == ["ADV005", "IDX001"]  # jobs is known whole; events and logs are not
    note = next(m for *_, rule, m in found if rule == "ADV005")
    assert "events, logs" in note


def test_a_table_rebuilt_by_drop_and_rename_is_not_known_whole():
    # synapse's delta 16 rebuilds `users` (SQLite style); replayed on top of the v72 snapshot it would
    # drop the snapshot's indexes, so advisor no longer claims to know them all
    others = "".join(f"CREATE TABLE t{i} (id bigint PRIMARY KEY);\n" for i in range(5))  # a snapshot: many tables
    rebuild = ("CREATE TABLE IF NOT EXISTS new_users (name text, creation_ts bigint, UNIQUE (name));\n"
               "DROP TABLE users;\nALTER TABLE new_users RENAME TO users;\n")
    schema = build(("full.sql", others + "CREATE TABLE users (name text UNIQUE, creation_ts bigint);\n"
                                "CREATE INDEX users_creation_ts ON users (creation_ts);\n"),
                   ("delta/16/users.sql", rebuild))
    assert not schema.complete("users") and "DROP TABLE and RENAME" in schema.gaps["users"]
    # within one migration history (nutshell's migrations.py rebuilds its tables so), the table is the rebuilt
    # one, as PostgreSQL has it: its columns and indexes, the old ones gone
    for files in ((("m.py.sql", others + "CREATE TABLE users (name text, creation_ts bigint);\n"
                                "CREATE INDEX users_creation_ts ON users (creation_ts);\n" + rebuild),),
                  (("m1.sql", "CREATE TABLE users (name text, creation_ts bigint);\n"
                              "CREATE INDEX users_creation_ts ON users (creation_ts);\n"), ("m2.sql", rebuild))):
        schema = build(*files)
        assert schema.complete("users"), schema.gaps
        assert [(i.name, i.columns, i.unique) for i in schema.indexes if i.table == "users"] == [
            ("new_users_name_key", ("name",), True)
        ]
    # a rename to a fresh name (graphile-worker's jobs -> _private_jobs) keeps the table known,
    # and a new table's primary key gets the next free name, as PostgreSQL names it
    schema = build(("m.sql", "CREATE TABLE jobs (id bigint PRIMARY KEY);\nALTER TABLE jobs RENAME TO jobs_legacy;\n"
                             "CREATE TABLE jobs (id bigint PRIMARY KEY, q text);\nALTER TABLE jobs RENAME TO _private_jobs;\n"))
    assert schema.complete("_private_jobs")
    assert sorted((i.name, i.table) for i in schema.indexes) == [("jobs_pkey", "jobs_legacy"), ("jobs_pkey1", "_private_jobs")]


def test_a_migration_dropping_what_a_snapshot_declares_leaves_the_table_unknown():
    # synapse: delta 32 drops events_stream_ordering, which the v72 snapshot (replayed first) declares
    snapshot = "".join(f"CREATE TABLE t{i} (id bigint PRIMARY KEY);\n" for i in range(5))
    snapshot += "CREATE TABLE events (stream_ordering bigint);\nCREATE UNIQUE INDEX events_stream_ordering ON events (stream_ordering);\n"
    schema = build(("full.sql", snapshot), ("delta/32/remove_indices.sql", "DROP INDEX IF EXISTS events_stream_ordering;\n"))
    assert "events_stream_ordering" in names(schema) and not schema.complete("events")
    # within one migration history, a later migration's drop is just a drop
    schema = build(("m1.sql", "CREATE TABLE events (stream_ordering bigint);\nCREATE INDEX e_so ON events (stream_ordering);\n"),
                   ("m2.sql", "DROP INDEX e_so;\n"))
    assert names(schema) == [] and schema.complete("events")


def test_the_incomplete_schema_note_stands_on_the_config_line_that_names_the_schema(project):
    project({"advisor.toml": 'dialect = "postgres"\n\nschema = ["db/*.sql"]\n',
             "db/s.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY);\n",
             "q.sql": "SELECT id FROM events WHERE kind = $1;\n"})
    notes = [f.location for f in engine.check(["."]).active if f.rule == "ADV005"]
    assert [(n.path, n.line) for n in notes] == [("advisor.toml", 3)]


def test_a_schema_file_the_config_names_is_checked_whatever_its_suffix(project):
    # synapse keeps its snapshot in full.sql.postgres: the schema rules report on it like on a .sql file
    project({"advisor.toml": 'large-tables = ["*"]\nschema = ["db/full.sql.postgres"]\n',
             "db/full.sql.postgres": "CREATE TABLE push_rules (id bigint PRIMARY KEY, user_name text, rule_id text);\n"
                                     "ALTER TABLE ONLY push_rules ADD CONSTRAINT push_rules_key UNIQUE (user_name, rule_id);\n"
                                     "CREATE INDEX push_rules_user_name ON push_rules USING btree (user_name);\n",
             "db/notes.postgres": "CREATE INDEX nothing_here ON push_rules (rule_id);\n"})
    found = [(f.location.path, f.location.line, f.rule) for f in engine.check(["."]).active]
    assert found == [("db/full.sql.postgres", 3, "SCH002")]


def test_an_index_name_longer_than_63_bytes_is_the_one_postgresql_truncated(project):
    # PostgreSQL keeps 63 bytes of a name: the dump shows the truncated name of the index the code created
    long = "remote_media_repository_thumbn_media_origin_id_width_height_method_key"
    found = check(project, {
        "db/s.sql": "CREATE TABLE thumbs (origin text, media_id text, width int);\n"
                    f"CREATE UNIQUE INDEX {long[:63]} ON thumbs (origin, media_id, width);\n",
        "app.py": "def setup(self):\n"
                  "    self.db_pool.updates.register_background_index_update(\n"
                  f"        update_name='thumbs_idx', index_name='{long}', table='thumbs',\n"
                  "        columns=['origin', 'media_id', 'width'], unique=True)\n",
    })
    assert [f for f in found if f[2] in ("SCH001", "SCH002")] == []


def test_a_composite_foreign_key_served_by_an_index_on_some_of_its_leading_columns(project):
    # synapse's worker_read_write_locks: the key (lock_name, lock_key, write_lock) is looked up through the
    # unique index (lock_name, lock_key, token); an index leading with a column outside the key does not serve
    found = check(project, {"db/s.sql": """
        CREATE TABLE modes (lock_name text, lock_key text, write_lock boolean, UNIQUE (lock_name, lock_key, write_lock));
        CREATE TABLE locks (lock_name text NOT NULL, lock_key text NOT NULL, write_lock boolean NOT NULL,
                            token text NOT NULL,
                            FOREIGN KEY (lock_name, lock_key, write_lock) REFERENCES modes (lock_name, lock_key, write_lock));
        CREATE UNIQUE INDEX locks_key ON locks (lock_name, lock_key, token);
        CREATE TABLE grants (token text NOT NULL, lock_name text NOT NULL, lock_key text NOT NULL, write_lock boolean,
                             FOREIGN KEY (lock_name, lock_key, write_lock) REFERENCES modes (lock_name, lock_key, write_lock));
        CREATE INDEX grants_token ON grants (token, lock_name);
    """})
    assert [(f[2], "grants" in f[3]) for f in found if f[2] == "SCH003"] == [("SCH003", True)]


def test_sqlite_catalogs_are_not_application_tables(project):
    # synapse reads sqlite_master on its SQLite path: not a table advisor failed to see
    found = check(project, {
        "db/s.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY, queue text);\n",
        "q.sql": "SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1;\n"
                 "SELECT id FROM events WHERE kind = $1;\n",
    })
    (note,) = [m for *_, rule, m in found if rule == "ADV005"]
    assert "events" in note and "sqlite_master" not in note


def test_an_extension_s_own_tables_are_not_application_tables(project):
    # mastra-pg asks pg_partman whether a table is partitioned (partman.part_config), and pg_cron's cron.job
    # is made by CREATE EXTENSION: no project DDL defines them, and none is missing
    found = check(project, {
        "db/s.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY, queue text);\n",
        "q.sql": "SELECT EXISTS (SELECT 1 FROM partman.part_config WHERE parent_table = $1);\n"
                 "SELECT jobid FROM cron.job WHERE jobname = $1;\n"
                 "SELECT id FROM events WHERE kind = $1;\n",
    })
    (note,) = [m for *_, rule, m in found if rule == "ADV005"]
    assert "events" in note and "part_config" not in note and "job," not in note and "job " not in note, note


@pytest.mark.parametrize(("config", "why"), [
    ('large-tables = ["*"]\n', "the config names no schema files"),
    ('large-tables = ["*"]\nschema = ["db/*.sql"]\n', "its schema files create no table advisor could name"),
])
def test_without_any_table_definition_one_note_says_what_was_kept_back(project, config, why):
    # chainlit (holdout 63) ships no DDL: its 56 statements were read and nothing said that no index claim could be
    project({"advisor.toml": config, "db/s.sql": "SET search_path = app;\n",
             "q.sql": "SELECT id FROM events WHERE kind = $1;\nSELECT 1;\n"})
    found = [(f.location.path, f.rule, f.message) for f in engine.check(["."]).active]
    assert [(path, rule) for path, rule, _ in found] == [("advisor.toml", "ADV005")]
    assert found[0][2].startswith(f"advisor read no table's definition ({why}): not of events, so it stayed silent")


def test_without_a_config_file_the_note_stands_on_the_first_query(project):
    project({"q.sql": "SELECT 1;\nSELECT id FROM events WHERE kind = $1;\n"})
    found = [(f.location.path, f.location.line, f.rule, f.message) for f in engine.check(["."]).active]
    assert [f[:3] for f in found] == [("q.sql", 2, "ADV005")]
    assert found[0][3].startswith("advisor read no table's definition (no config file names schema files): not of events")


def test_a_key_in_the_default_collation_is_the_column(project):
    # pgAdmin writes `account COLLATE pg_catalog."default"`: the column's own order, so the one-column index is a
    # prefix of the unique one (holdout 73's per-block balance view); another collation orders the key otherwise
    found = check(project, {"db/schema.sql": (
        "CREATE TABLE balances (account text NOT NULL, token text NOT NULL, amount numeric);\n"
        "CREATE INDEX balances_account ON balances (account);\n"
        "CREATE UNIQUE INDEX balances_uniq ON balances USING btree\n"
        "    (account COLLATE pg_catalog.\"default\", token COLLATE \"default\");\n"
        "CREATE INDEX balances_token ON balances (token);\n"
        "CREATE UNIQUE INDEX balances_c ON balances (token COLLATE \"C\", account);\n"
    )})
    assert [(f[1], f[2]) for f in found if f[2] == "SCH002"] == [(2, "SCH002")], found
