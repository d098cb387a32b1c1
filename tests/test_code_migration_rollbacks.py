"""A migration module the config names as schema holds each step's undoing beside it (holdout 32's
@axiom-lattice/pg-stores: `{ version: 3, up: async (client) => { CREATE TABLE lattice_assistants ... }, down: async
(client) => { DROP TABLE IF EXISTS lattice_assistants } }`). Read in file order, every step's own `down` dropped what
its `up` made, and 39 tables were left with the columns later steps add. The code that undoes a step is no part of
the schema a database has, as a .sql file's rollback section is not: knex's and node-pg-migrate's `exports.down`,
a step object's `down:`, TypeORM's `async down()`, alembic's `def downgrade()`."""

import pytest

from advisor.loader import load_project
from advisor.options import Options

STEP_OBJECTS = """\
export const createAssistants = {
  version: 3,
  up: async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS assistants (id text NOT NULL, tenant_id text NOT NULL, name text,
      PRIMARY KEY (tenant_id, id))`);
    await client.query(`CREATE INDEX IF NOT EXISTS idx_assistants_name ON assistants(name)`);
  },
  down: async (client) => {
    await client.query("DROP INDEX IF EXISTS idx_assistants_name");
    await client.query("DROP TABLE IF EXISTS assistants");
  },
};
export const addOwner = {
  version: 4,
  up: async (client) => { await client.query("ALTER TABLE assistants ADD COLUMN owner text"); },
  down: async (client) => { await client.query("ALTER TABLE assistants DROP COLUMN owner"); },
};
"""

KNEX = """\
exports.up = function (knex) {
  return knex.raw('CREATE TABLE assistants (id text PRIMARY KEY, tenant_id text NOT NULL, name text, owner text)');
};
exports.down = function (knex) {
  return knex.raw('DROP TABLE assistants');
};
"""

TYPEORM = """\
export class CreateAssistants1700000000000 {
  async up(queryRunner) {
    await queryRunner.query(`CREATE TABLE assistants (id text PRIMARY KEY, tenant_id text NOT NULL, name text, owner text)`);
  }
  async down(queryRunner) {
    await queryRunner.query(`DROP TABLE assistants`);
  }
}
"""

ALEMBIC = """\
from alembic import op


def upgrade():
    op.execute("CREATE TABLE assistants (id text PRIMARY KEY, tenant_id text NOT NULL, name text, owner text)")


def downgrade():
    op.execute("DROP TABLE assistants")
"""

# yoyo: a step is given the code that applies it and the code that undoes it (holdout 47's ffun: 28 tables dropped
# by their own `rollback_step`)
YOYO_FUNCTIONS = """\
from yoyo import step


def apply_step(conn):
    conn.cursor().execute("CREATE TABLE assistants (id text PRIMARY KEY, tenant_id text NOT NULL, name text, owner text)")


def rollback_step(conn):
    conn.cursor().execute("DROP TABLE assistants")


steps = [step(apply_step, rollback_step)]
"""

YOYO_TEXTS = """\
from yoyo import step

steps = [
    step("CREATE TABLE assistants (id text PRIMARY KEY, tenant_id text NOT NULL, name text, owner text)",
         "DROP TABLE assistants"),
    step("CREATE INDEX assistants_name ON assistants (name)", rollback="DROP INDEX assistants_name"),
]
"""


@pytest.mark.parametrize(
    "name, text",
    [
        ("migrations/steps.ts", STEP_OBJECTS),
        ("migrations/001_init.js", KNEX),
        ("migrations/1700000000000-init.ts", TYPEORM),
        ("migrations/versions/001_init.py", ALEMBIC),
        ("app/migrations/0001_init.py", YOYO_FUNCTIONS),
        ("app/migrations/0001_init.py", YOYO_TEXTS),
    ],
)
def test_a_steps_undoing_is_not_schema(project, name, text):
    project({name: text, "advisor.toml": f'dialect = "postgres"\nschema = ["{name}"]\n'})
    schema = load_project(["."], Options()).schema
    assert list(schema.tables["assistants"].columns) == ["id", "tenant_id", "name", "owner"]
    assert schema.complete("assistants")


def test_an_up_named_down_elsewhere_is_still_read(project):
    """Only the undoing function's strings are left out: a table a module creates in another function stays."""
    text = STEP_OBJECTS + "export async function seed(client) { await client.query('CREATE TABLE extra (id int)'); }\n"
    project({"migrations/steps.ts": text, "advisor.toml": 'dialect = "postgres"\nschema = ["migrations/steps.ts"]\n'})
    assert "extra" in load_project(["."], Options()).schema.tables
