"""Code that runs once by design (advisor/oneoff.py), and the rules that say `workload = true` on their
page: silent there, and only there."""

import json

import pytest
from click.testing import CliRunner

from advisor import catalogue
from advisor.oneoff import maintenance, migration_path, name_words, runs_once, script_path


@pytest.mark.parametrize(
    "path, migration, script",
    [
        ("src/db/updates/3.0.1.js", True, False),  # formio: one update per schema version
        ("db/migrations/create_users.js", True, False),
        ("app/migrations/0001_initial.py", True, False),
        ("knex/20220331085057_add_api_link.js", True, False),
        ("sql/000001_init.up.sql", True, False),
        ("V1__init.sql", True, False),
        ("lib/migrate.js", True, False),
        ("scripts/convert_case.py", False, True),
        ("tools/reindex.js", False, True),
        ("seed/index.js", False, True),  # @mongoosejs/studio: the demo data it loads
        ("lib/seeder.js", False, False),
        ("lib/routes/404_handler.js", False, False),  # three digits: not a step number
        ("lib/api/v1.2.js", False, False),  # an API version, not a step
        ("lib/services/updates.js", False, False),
        ("lib/jobs/cleanup.js", False, False),
        ("share/sql/upgrade-monitoring-purge-instances.sql", True, False),  # temboard: an upgrade step by its name
        ("db/v3_upgrade.sql", True, False),
        ("lib/upgrader.js", False, False),  # not the word
        ("lib/services/upgradeable.py", False, False),
        ("db/libervia_pubsub_update_5_7.sql", True, False),  # sat-pubsub: an update from one version to the next
        ("db/update-1.2-to-1.3.sql", True, False),
        ("sql/update_user.sql", False, False),  # a statement named for what it does
        ("sql/update_2024.sql", False, False),
    ],
)
def test_where_code_runs_once(path, migration, script):
    assert migration_path(path) is migration
    assert script_path(path) is script
    assert runs_once(path) is (migration or script)
    assert runs_once(path.replace("/", "\\")) is (migration or script)  # a Windows path alike


def test_workload_rules_are_the_ones_claiming_a_cost_per_run():
    from advisor.cli import main

    listed = json.loads(CliRunner().invoke(main, ["rules", "--format", "json"]).stdout)
    workload = {r["name"] for r in listed if r["workload"]}
    assert workload == {s.name for s in catalogue.catalogue().values() if s.workload}
    assert {"missing-index", "collection-scan", "unbounded-find", "function-on-column"} <= workload
    # a bug or an unsafe statement is one whatever runs it
    assert not workload & {"sql-string-building", "update-without-where", "equals-null", "parse-error"}


def test_a_workload_rule_is_silent_in_a_versioned_update_and_speaks_in_the_service(project):
    from advisor.cli import main

    find = "module.exports = (db) => db.collection('forms').find({ deleted: null, type: 'x' }).limit(10);\n"
    unsafe = "module.exports = (db, name) => db.query(`SELECT id FROM forms WHERE name = '${name}'`);\n"
    bug = "module.exports = (db) => db.query('SELECT id FROM forms WHERE deleted_at = NULL');\n"
    root = project(
        {
            "package.json": "{}",
            "advisor.toml": 'large-tables = ["*"]\n',  # forms grows (unknown-size)
            "src/db/indexes.js": "module.exports = (db) => db.collection('forms').createIndex({ project: 1 });\n",
            "src/db/updates/3.0.1.js": find + unsafe + bug,
            "src/services/forms.js": find + unsafe + bug,
        }
    )
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
    found = {(f["name"], f["path"].rsplit("/", 2)[-2]) for f in json.loads(result.stdout)["findings"] if "/" in f["path"]}
    assert ("collection-scan", "services") in found and ("collection-scan", "updates") not in found
    assert {("equals-null", "services"), ("equals-null", "updates")} <= found  # a bug whatever runs it
    # string building: a caller's value may reach the service's; the update splices the operator's own data
    assert ("sql-string-building", "services") in found and ("sql-string-building", "updates") not in found


@pytest.mark.parametrize(
    "name, expected",
    [
        ("purge_expired_sessions", True),
        ("cleanExpired", True),  # wildduck's audit handler
        ("_purge_history_txn", True),  # synapse
        ("statements_purge", True),  # temboard, a PL/pgSQL function
        ("cull_expired_threepid_validation_tokens_txn", True),
        ("_cleanup_orphaned_versions", True),  # arctic
        ("claimQueuedTurnsForAdmissionReconciliation", True),
        ("cleanUp", True),
        ("reapStaleLocks", True),
        ("HousekeepingJob", True),
        ("recoverAgentTriggerLanePublications", True),  # librechat: a recovery sweep after a lost worker
        ("reclaimInactiveAgentTriggerLanes", True),
        ("recover_offline", True),  # fireworks
        ("repairIndexes", True),
        ("migrateLegacyScheduledFields", True),  # mongodash: a data migration written as a function
        ("quarantineDuplicateAdmissionLanes", True),
        ("_run_db_migrations", True),  # matrix-reminder-bot (holdout 62): its schema's upgrade steps, in a method
        ("applyMigration", True),
        ("isRecovered", False),
        ("getRecoveryCodes", False),  # a request's object, not a recovery pass: the verbs count first only
        ("sendRecoveryEmail", False),
        ("autoMigrate", False),
        ("isExpired", False),  # a question about one token, asked on a request
        ("has_stale_lock", False),
        ("cleanInput", False),
        ("getUserByEmail", False),
        ("expires_at", False),  # a getter: `expires` is not the word
        ("_", False),  # a name of no words (`def _(res)`, a callback): nothing to read, never an error
        ("__", False),
    ],
)
def test_a_function_named_as_maintenance(name, expected):
    assert maintenance((name,)) is expected
    assert maintenance(("run", name)) is expected  # an inner helper of a maintenance routine is one too


def test_name_words_split_at_underscores_and_case_changes():
    assert name_words("getHTTPServerGC") == ["get", "http", "server", "gc"]
    assert name_words("_purge_history_txn") == ["purge", "history", "txn"]


def test_workload_rules_are_silent_in_maintenance_routines_in_every_language(project):
    """The same full-table statement: silent in the routine named as maintenance, a finding in the request
    path; a rule that is not about cost (sql-string-building) speaks in both."""
    from advisor.cli import main

    root = project(
        {
            "advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\nschema = ["schema.sql"]\n',
            "schema.sql": "CREATE TABLE jobs (id bigint PRIMARY KEY, done_at timestamptz, owner text);\n"
            "CREATE FUNCTION purge_done() RETURNS void LANGUAGE sql AS $$ DELETE FROM jobs WHERE done_at < now() $$;\n"
            "CREATE FUNCTION jobs_of(p text) RETURNS SETOF jobs LANGUAGE sql AS $$ SELECT * FROM jobs WHERE owner = p $$;\n",
            "app/store.py": """
            class Store:
                def purge_done(self, cur, name):
                    cur.execute("DELETE FROM jobs WHERE done_at < now() AND owner = %s", (name,))
                    cur.execute(f"SELECT id FROM jobs WHERE owner = '{name}'")

                def by_owner(self, cur, name):
                    cur.execute("SELECT id FROM jobs WHERE owner = %s", (name,))
                    cur.execute(f"SELECT id FROM jobs WHERE owner = '{name}'")
            """,
            "app/store.js": """
            exports.cleanupDone = (db) => db.query('DELETE FROM jobs WHERE done_at < now() AND owner = $1', ['x']);
            exports.byOwner = (db) => db.query('SELECT id FROM jobs WHERE owner = $1', ['x']);
            """,
            "app/sweep.sql": "-- name: purge_done_jobs\nDELETE FROM jobs WHERE owner = $1;\n"
            "-- name: jobs_by_owner\nSELECT id FROM jobs WHERE owner = $1;\n",
        }
    )
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
    found = json.loads(result.stdout)["findings"]
    missing = {(f["path"].rsplit("/", 1)[-1], f["line"]) for f in found if f["name"] == "missing-index"}
    assert missing == {("schema.sql", 3), ("store.py", 7), ("store.py", 8), ("store.js", 2), ("sweep.sql", 4)}
    building = {(f["path"].rsplit("/", 1)[-1], f["line"]) for f in found if f["name"] == "sql-string-building"}
    assert building == {("store.py", 4), ("store.py", 8)}


def test_a_function_only_a_maintenance_routine_calls_is_that_routine(project):
    """alerta's housekeeping: `get_unshelve` is named as a question, but its one caller is the sweep; the same
    statement in `get_open`, which a request handler calls too, stays workload; and one no code calls (an
    entry point: its callers unseen) keeps its own name."""
    from advisor.cli import main

    select = 'cur.execute("SELECT id FROM alerts WHERE status = %s", ("shelved",))'
    root = project(
        {
            "advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\nschema = ["schema.sql"]\n',
            "schema.sql": "CREATE TABLE alerts (id bigint PRIMARY KEY, status text, owner text);\n",
            "app/db.py": f"""
            class Db:
                def get_unshelve(self, cur):
                    {select}

                def get_open(self, cur):
                    {select}

                def get_unused(self, cur):
                    {select}
            """,
            "app/jobs.py": """
            from app.db import Db

            def housekeeping(db, cur):
                db.get_unshelve(cur)
                db.get_open(cur)

            def list_open(db, cur):
                return db.get_open(cur)
            """,
        }
    )
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
    found = json.loads(result.stdout)["findings"]
    missing = {f["line"] for f in found if f["name"] == "missing-index" and f["path"].endswith("db.py")}
    assert missing == {6, 9}  # not 3: get_unshelve runs in the sweep only


def test_a_routine_with_a_long_signature_and_a_function_nested_in_the_one_it_calls(project):
    """A routine whose signature spans lines (its `)` back at the `def`'s indentation, as black writes it) keeps
    its body: the calls in it count (the body was taken to end there); and a statement in a function nested in
    the one the routine calls (synapse's `_txn` functions, handed to `runInteraction`) runs only when that one
    runs: it is the routine's too."""
    from advisor.cli import main

    root = project(
        {
            "advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\nschema = ["schema.sql"]\n',
            "schema.sql": "CREATE TABLE alerts (id bigint PRIMARY KEY, status text);\n",
            "app/db.py": """
            class Db:
                def get_shelved(self, pool):
                    def _txn(cur):
                        cur.execute("SELECT id FROM alerts WHERE status = %s", ("shelved",))
                    return pool.run(_txn)

                def get_open(self, pool):
                    def _txn(cur):
                        cur.execute("SELECT id FROM alerts WHERE status = %s", ("open",))
                    return pool.run(_txn)
            """,
            "app/jobs.py": """
            def purge_shelved(
                db,
                pool,
            ):
                return db.get_shelved(pool)


            def list_open(db, pool):
                return db.get_open(pool)
            """,
        }
    )
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
    found = json.loads(result.stdout)["findings"]
    missing = {f["line"] for f in found if f["name"] == "missing-index" and f["path"].endswith("db.py")}
    assert missing == {9}  # not 4: get_shelved runs in the purge only


def test_a_statement_in_a_function_named_underscore_is_read(project):
    """`def _(a)` (a route or a callback registered by a decorator) names no maintenance: the run goes on and
    the statement is judged (it once stopped the run with an internal error)."""
    from advisor.cli import main

    root = project(
        {
            "advisor.toml": 'large-tables = ["*"]\ndialect = "postgres"\nschema = ["schema.sql"]\n',
            "schema.sql": "CREATE TABLE t (id int PRIMARY KEY, a text);\n",
            "app.py": """
            def register(app, cur):
                @app.route("/x")
                def _(a):
                    cur.execute("SELECT id FROM t WHERE a = %s", (a,))
            """,
        }
    )
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert [f["name"] for f in json.loads(result.stdout)["findings"]] == ["missing-index"]
