"""A JS method another module of the project defines as a SQL helper is an execution call wherever the
project calls it (issue 10, holdout 23: autumndb's modules run their statements through Context's
`runQuery(query, parameters) { await this.query(query, parameters) }`, defined in context.js; pg-boss and
node-pg-migrate run theirs through their own db wrappers the same way)."""

from advisor import engine
from advisor.loader import load_project
from advisor.options import Options

CONTEXT_JS = """
class Context {
  constructor(connection) {
    this.connection = connection;
  }
  async runQuery(query, parameters) {
    await this.query(query, parameters);
  }
  async query(text, parameters) {
    return this.connection.query(text, parameters);
  }
}
module.exports = { Context };
"""

JOBS_JS = """
const releaseQuery = 'UPDATE jobs SET state = $1 WHERE owner = $2';
async function release(context, owner) {
  await context.runQuery(releaseQuery, ['free', owner]);
  await context.runQuery(`DELETE FROM jobs WHERE owner = $1`, [owner]);
  context.logger.info('SELECT * FROM jobs WHERE owner = $1', owner);
}
module.exports = { release };
"""

SCHEMA = "CREATE TABLE jobs (id bigint PRIMARY KEY, owner bigint, state text);\n"
CONFIG = 'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["jobs"]\n'


def _files(project):
    return project({"advisor.toml": CONFIG, "schema.sql": SCHEMA, "context.js": CONTEXT_JS, "jobs.js": JOBS_JS})


def test_a_helper_of_another_module_runs_the_text_it_is_handed(project):
    loaded = load_project([str(_files(project))], Options())
    found = sorted(
        (q.location.line, q.origin, q.text) for q in loaded.sql_queries if q.location.path.endswith("jobs.js")
    )
    assert found == [
        (1, "constant-reaching-call", "UPDATE jobs SET state = $1 WHERE owner = $2"),  # once, where it is written
        (4, "execute-call", "DELETE FROM jobs WHERE owner = $1"),
    ]  # the logged text reaches no execution call: no project helper is named info


def test_its_statements_are_checked(project):
    _files(project)
    lines = sorted(f.location.line for f in engine.check(["."]).active if f.rule == "IDX001")
    assert lines == [1, 4]  # no index on jobs.owner, for the UPDATE and the DELETE
