"""SQL a JavaScript function returns, read where its result reaches an execution call (issue 10).

Shaped like iobroker-sql 4.1.5 (benchmarks/realworld/holdout12.md): build/lib/postgresql.js returns the
statements, build/main.js picks one module per database at run time and runs what it returns; plus the
near-misses that must stay unread (a result never run, a module named for another database)."""

from advisor.ir import SqlQuery
from advisor.parse import another_database
from advisor.sources import extract
from advisor.sources.links import link

BUILDERS = """\
"use strict";
exports.getIdSelect = getIdSelect;
exports.retention = retention;
exports.getCounterDiff = getCounterDiff;
exports.describe = describe;
exports.insert = insert;
function getIdSelect(_dbName, name) {
    if (!name) {
        return 'SELECT id, type, name FROM datapoints;';
    }
    return `SELECT id, type, name FROM datapoints WHERE name='${name}';`;
}
function retention(_dbName, index, table, ms) {
    let query = `DELETE FROM ${table} WHERE`;
    query += ` id=${index}`;
    if (ms) {
        query += ` AND ts < ${ms}`;
    }
    query += ';';
    return query;
}
function getCounterDiff(dbName, options) {
    const first = `SELECT ts, val FROM ts_number WHERE id=${options.index} ORDER BY ts DESC LIMIT 1`;
    return (`SELECT a.ts, a.val FROM ((${first})\\n` +
        `UNION ALL \\n(SELECT ts, val FROM ts_counter WHERE id=${options.index})) a;`);
}
function describe(table) {
    return `SELECT * FROM ${table} is what the export tool shows`;
}
function insert(_dbName, index, values) {
    const query = [];
    for (const v of values) {
        query.push(`INSERT INTO ts_number (id, ts, val) VALUES (${index}, ${v.ts}, ${v.val});`);
    }
    return query;
}
"""

MAIN = """\
"use strict";
const MySQL = __importStar(require("./lib/mysql"));
const PostgreSQL = __importStar(require("./lib/postgresql"));
const SQLFuncs = {
    mysql: { getIdSelect: MySQL.getIdSelect, retention: MySQL.retention },
    postgresql: { getIdSelect: PostgreSQL.getIdSelect, retention: PostgreSQL.retention },
};
class Adapter {
    getId(id, cb) {
        const query = this.sqlFuncs.getIdSelect(this.config.dbname, id);
        this.borrowClientFromPool((err, client) => {
            client.execute(query, (err, rows) => cb(err, rows));
        });
    }
    checkRetention(id) {
        const query = this.sqlFuncs.retention(this.config.dbname, id, 'ts_number', 3600);
        this._executeQuery(query, id);
    }
    _executeQuery(query, id) {
        this.client.execute(query, (err) => this.log.error(`${id}: ${err}`));
    }
    show(table) {
        this.log.info(this.sqlFuncs.describe(table));
    }
    onReady(config) {
        this.sqlFuncs = SQLFuncs[config.dbtype];
    }
}
"""


def _project(files: dict[str, str]) -> dict[str, list[tuple[int, int, str]]]:
    """Every file extracted and linked as a run does: (line, col, text) of its SQL statements, by path."""
    sources = [extract(path, text, "postgres") for path, text in files.items()]
    link(sources)
    return {
        s.path: [(q.location.line, q.location.col, q.text) for q in s.queries if isinstance(q, SqlQuery)]
        for s in sources
    }


def _queries(files: dict[str, str], path: str) -> list[SqlQuery]:
    sources = [extract(p, text, "postgres") for p, text in files.items()]
    link(sources)
    return [q for s in sources if s.path == path for q in s.queries if isinstance(q, SqlQuery)]


def test_a_builders_statements_are_read_where_written_when_another_module_runs_them():
    read = _project({"build/lib/postgresql.js": BUILDERS, "build/main.js": MAIN})
    assert read["build/lib/postgresql.js"] == [
        (9, 16, "SELECT id, type, name FROM datapoints;"),
        (11, 12, "SELECT id, type, name FROM datapoints WHERE name='{}';"),
        # the appends every run makes are written in; the one only some runs make is a placeholder
        (14, 17, "DELETE FROM {} WHERE id={}{};"),
    ]
    assert read["build/main.js"] == []  # the calls are not statements of their own


def test_the_text_is_mapped_back_to_the_string_it_came_from():
    query = next(
        q
        for q in _queries({"build/lib/postgresql.js": BUILDERS, "build/main.js": MAIN}, "build/lib/postgresql.js")
        if q.text.startswith("DELETE")
    )
    assert query.origin == "constant-reaching-call" and query.dynamic and not query.complete
    at = query.text.index("id=")
    where = query.textmap.locate(at)
    assert (where.line, where.col) == (15, 16)  # in the ` id=${index}` appended on the next line


def test_a_builder_whose_result_is_never_run_is_not_read():
    # describe() is exported and called, but its text goes to a log; getCounterDiff and insert are never called
    read = _project({"build/lib/postgresql.js": BUILDERS, "build/main.js": MAIN})
    texts = " ".join(t for _, _, t in read["build/lib/postgresql.js"])
    assert "export tool" not in texts and "UNION ALL" not in texts and "INSERT" not in texts
    alone = _project({"build/lib/postgresql.js": BUILDERS})
    assert alone["build/lib/postgresql.js"] == []  # exported, and no module runs it


def test_a_module_named_for_another_database_is_not_read_as_the_configured_one():
    mysql = BUILDERS.replace("FROM datapoints", "FROM iobroker.datapoints")
    read = _project({"build/lib/mysql.js": mysql, "build/lib/postgresql.js": BUILDERS, "build/main.js": MAIN})
    assert read["build/lib/mysql.js"] == []
    assert len(read["build/lib/postgresql.js"]) == 3
    assert another_database("build/lib/mysql.js", "postgres") and not another_database("build/lib/mysql.js", "mysql")
    as_mysql = [extract(p, t, "mysql") for p, t in {"build/lib/mysql.js": mysql, "build/main.js": MAIN}.items()]
    link(as_mysql)
    assert [q.text for q in as_mysql[0].queries][0] == "SELECT id, type, name FROM iobroker.datapoints;"


def test_a_called_import_a_concatenation_of_templates_and_a_list_run_one_by_one():
    runner = """\
"use strict";
const queries_1 = require("./postgresql");
async function counters(pool, options) {
    return pool.query((0, queries_1.getCounterDiff)("db", options));
}
function store(id, values) {
    const queries = (0, queries_1.insert)("db", id, values);
    runAll(queries, 0);
}
function runAll(list, i) {
    client.query(list[i]);
}
"""
    read = _project({"lib/postgresql.js": BUILDERS, "lib/main.js": runner})["lib/postgresql.js"]
    union = next(t for _, _, t in read if "UNION" in t)
    assert union == ("SELECT a.ts, a.val FROM (({})\nUNION ALL \n(SELECT ts, val FROM ts_counter WHERE id={})) a;")
    assert (33, 20, "INSERT INTO ts_number (id, ts, val) VALUES ({}, {}, {});") in read


def test_a_builder_of_the_same_module_and_one_that_is_no_builder():
    src = """\
const limit = 10;
function recent(table) {
    return 'SELECT id FROM ' + table + ` ORDER BY created DESC LIMIT ${limit}`;
}
function maybe(table) {
    if (!table) return null;
    return `SELECT id FROM ${table}`;
}
async function run(pool, t) {
    await pool.query(recent(t));
    await pool.query(maybe(t));
}
"""
    read = _project({"src/jobs.js": src})["src/jobs.js"]
    # a number is no text the module fixes; maybe() may return null: no builder
    assert read == [(3, 12, "SELECT id FROM {} ORDER BY created DESC LIMIT {}")]


LISTED = """\
export function getCreateIndexesSQL(tableName) {
    return [
        `CREATE INDEX IF NOT EXISTS "${tableName}_find_idx" ON "${tableName}" (name, next_run_at)`,
        `CREATE INDEX IF NOT EXISTS "${tableName}_locked_idx" ON "${tableName}" (locked_at)`,
    ];
}
"""


def test_a_builders_list_run_item_by_item_in_a_loop():
    """agenda's postgres backend: `for (const sql of getCreateIndexesSQL(t)) await client.query(sql)`. Each item
    the loop runs is one statement; a loop over something else, or a name the loop does not give, runs none."""
    run = """\
import { getCreateIndexesSQL } from './schema.js';
export async function connect(client, table) {
    for (const sql of getCreateIndexesSQL(table)) {
        await client.query(sql);
    }
}
"""
    read = _project({"dist/schema.js": LISTED, "dist/repo.js": run})["dist/schema.js"]
    assert [(line, text.split(" ON ")[0]) for line, _, text in read] == [
        (3, 'CREATE INDEX IF NOT EXISTS "{}_find_idx"'),
        (4, 'CREATE INDEX IF NOT EXISTS "{}_locked_idx"'),
    ]
    for other in ("for (const sql in getCreateIndexesSQL(table)) {", "for (const other of getCreateIndexesSQL(table)) {"):
        assert _project({"dist/schema.js": LISTED, "dist/repo.js": run.replace(run.splitlines()[2], other)})[
            "dist/schema.js"] == []
