"""Fuzzing: generated and mutated SQL, Python, JS/TS, shape files and configs. No input may end
a run, findings lie inside their file, and what the extractors take from a file is the file's
own text at the place they say. ADVISOR_FUZZ_EXAMPLES raises the example count
(benchmarks/fuzz.py runs it long)."""

import os
import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from advisor import engine
from advisor.cli import main
from advisor.ir import Location, SqlQuery
from advisor.mongo.shape import MongoQuery
from advisor.sources import extract

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("ADVISOR_FUZZ_EXAMPLES", "30"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SCHEMA = """CREATE TABLE users (id bigint PRIMARY KEY, name text, email text, status int, created_at timestamptz);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), total numeric, status int);
CREATE INDEX users_email ON users (email);
"""

# --- SQL: a small grammar, and mutated statements from the fixtures -----------------------

COLUMN = st.sampled_from(["id", "name", "email", "status", "created_at", "user_id", "total", "u.id", "o.status"])
TABLE = st.sampled_from(["users", "orders", "users u", "orders o", "missing"])
VALUE = st.one_of(st.integers(-3, 10**6).map(str),
                  st.sampled_from(["'x'", "'%a%'", "NULL", "$1", ":name", "?", "now()", "TRUE", "'it''s'"]))
COMPARISON = st.one_of(
    st.tuples(COLUMN, st.sampled_from(["=", "<>", "<", ">=", "!="]), VALUE).map(" ".join),
    st.tuples(COLUMN, st.lists(VALUE, min_size=1, max_size=4)).map(lambda t: f"{t[0]} IN ({', '.join(t[1])})"),
    st.tuples(COLUMN, VALUE, VALUE).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"),
    st.tuples(COLUMN, st.sampled_from(["LIKE '%x'", "ILIKE 'x%'", "IS NULL", "IS NOT NULL", "= ANY($1)"])).map(" ".join),
    COLUMN.map(lambda c: f"lower({c}) = 'x'"),
    COLUMN.map(lambda c: f"{c} NOT IN (SELECT user_id FROM orders)"),
)
CONDITION = st.recursive(COMPARISON, lambda inner: st.one_of(
    st.tuples(inner, inner).map(lambda t: f"{t[0]} AND {t[1]}"),
    st.tuples(inner, inner).map(lambda t: f"{t[0]} OR {t[1]}"),
    inner.map(lambda c: f"NOT ({c})"),
    inner.map(lambda c: f"({c})"),
), max_leaves=10)
SELECT = st.builds(
    lambda cols, table, join, where, order, limit: (
        f"SELECT {cols} FROM {table}{join}" + (f" WHERE {where}" if where else "")
        + (f" ORDER BY {order}" if order else "") + limit),
    st.one_of(st.just("*"), st.lists(COLUMN, min_size=1, max_size=3).map(", ".join), st.just("count(*)")),
    TABLE, st.sampled_from(["", " JOIN orders o ON o.user_id = u.id", " LEFT JOIN users u2 ON true", ", orders"]),
    st.one_of(st.none(), CONDITION), st.one_of(st.none(), COLUMN, st.just("random()")),
    st.sampled_from(["", " LIMIT 10", " LIMIT 10 OFFSET 500", " OFFSET 5"]))
STATEMENT = st.one_of(
    SELECT,
    st.tuples(TABLE, COLUMN, VALUE, st.one_of(st.none(), CONDITION)).map(
        lambda t: f"UPDATE {t[0]} SET {t[1]} = {t[2]}" + (f" WHERE {t[3]}" if t[3] else "")),
    st.tuples(TABLE, st.one_of(st.none(), CONDITION)).map(
        lambda t: f"DELETE FROM {t[0]}" + (f" WHERE {t[1]}" if t[1] else "")),
    st.tuples(TABLE, st.lists(VALUE, min_size=1, max_size=3)).map(
        lambda t: f"INSERT INTO {t[0]} VALUES ({', '.join(t[1])})"),
    st.tuples(st.sampled_from(["users", "orders", "t"]), st.lists(COLUMN, min_size=1, max_size=3, unique=True)).map(
        lambda t: f"CREATE INDEX ON {t[0]} ({', '.join(c.split('.')[-1] for c in t[1])})"),
    st.sampled_from(["CREATE TABLE t (id int PRIMARY KEY, a text)", "WITH x AS (SELECT 1) SELECT * FROM x",
                     "SELECT 1 UNION SELECT 2", "BEGIN", "COMMIT", "SET search_path = app"]),
)


def _fixture_statements() -> list[str]:
    statements = []
    for path in sorted((ROOT / "fixtures").glob("*/*/*.sql")):
        statements += [s.strip() for s in path.read_text(encoding="utf-8").split(";") if s.strip()]
    return statements


FIXTURE_STATEMENTS = _fixture_statements()
TOKENS = ["(", ")", ",", "'", "OR", "AND", "SELECT", "--", "/*", "$1", ";", "\n", "\"", "::", "[", "\\", "é", "\x00"]


@st.composite
def mutated(draw):
    """A fixture statement with a few slices deleted, duplicated or replaced by stray tokens."""
    text = draw(st.sampled_from(FIXTURE_STATEMENTS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 20)))
        edit = draw(st.sampled_from(["delete", "duplicate", "insert"]))
        if edit == "delete":
            text = text[:i] + text[j:]
        elif edit == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
    return text


SQL_FILE = st.lists(st.one_of(STATEMENT, mutated()), min_size=1, max_size=6).map(lambda s: ";\n".join(s) + ";\n")


def position(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    assert 1 <= line <= len(lines), (line, len(lines))
    assert 1 <= col <= len(lines[line - 1]) + 1, (line, col, lines[line - 1])
    return sum(len(x) + 1 for x in lines[:line - 1]) + col - 1


def assert_inside(location: Location, text: str) -> None:
    """The location starts inside the file and does not end before it starts. (Its end column is
    not checked: in SQL built at run time it is measured on advisor's sketch of the text.)"""
    position(text, location.line, location.col)
    if location.end_line is not None:
        assert location.line <= location.end_line <= text.count("\n") + 1, location


def assert_round_trip(query: SqlQuery, text: str) -> None:
    """Each verbatim piece of the query's text is the file's text at the position its anchor gives."""
    anchors = list(query.textmap.anchors)
    for n, (offset, line, col) in enumerate(anchors):
        end = anchors[n + 1][0] if n + 1 < len(anchors) else len(query.text)
        piece = query.text[offset:end]
        at = position(text, line, col)
        assert text[at:at + len(piece)] == piece, (query.location, piece)


def check_findings(report, files: dict[str, str]) -> None:
    from advisor import catalogue

    for finding in report.findings:
        if "failed on this input" in finding.message:  # a rule-failed finding: the run went on
            rule = catalogue.lookup(str(finding.metrics.get("rule", "")))
            assert rule is not None and rule.family == "MGO", finding.message  # the SQL rules hold
            event(f"MongoDB rule {rule.name} failed (reported as a finding, the run went on)")
        if finding.location.path in files:
            assert_inside(finding.location, files[finding.location.path])


def check_project(project, files: dict[str, str]):
    project({"advisor.toml": 'schema = ["schema.sql"]\n', "schema.sql": SCHEMA, **files})
    on_disk = {name: (Path.cwd() / name).read_text(encoding="utf-8") for name in files}
    report = engine.check(["."])
    check_findings(report, on_disk)
    return on_disk


@FUZZ
@given(SQL_FILE)
def test_generated_and_mutated_sql(project, sql):
    text = check_project(project, {"q.sql": sql})["q.sql"]
    for query in extract("q.sql", text).queries:
        assert_round_trip(query, text)


# --- Python ------------------------------------------------------------------------------

PY_STRING = st.one_of(
    STATEMENT.map(lambda s: f'"{s}"'.replace("\\", "")),
    STATEMENT.map(lambda s: f'"""\n    {s}\n"""'.replace("\\", "")),
    STATEMENT.map(lambda s: f"f\"{s} {{x}}\"".replace("\\", "")),
    STATEMENT.map(lambda s: f"'{s}'".replace("'", "")),
)
PY_CALL = st.tuples(st.sampled_from(["cur.execute", "cursor.execute", "conn.execute", "session.execute", "db.query",
                                     "pd.read_sql", "text"]), PY_STRING).map(lambda t: f"{t[0]}({t[1]})")
PYTHON = st.lists(st.one_of(PY_CALL, st.sampled_from(["import os", "x = 1", "def f(cur):", "    pass", "class A:",
                                                      "s = 'SELECT ' + x", "q = f'SELECT {a} FROM t'", "))(",
                                                      "'''unterminated",
                                                      # what provenance follows: calls of the function in the
                                                      # project, regular-expression groups, recursion
                                                      "def g(v, n=3):", "def h(self, v):",
                                                      "    cur.execute(f\"SELECT a FROM t WHERE b = '{v}'\")",
                                                      "    return g(v)", "g(x)", "g(req.args['q'], n=v)", "g(*a)",
                                                      "self.h(self.name)", "cb = g", "m = re.search(r'(?P<v>\\w+)', s)",
                                                      "m = re.match(x, s)", "    g(m.group('v'))", "g(m['v'])",
                                                      "for m in re.finditer(r'(\\w+)', s): g(m.group(1))",
                                                      "@decorator"])), min_size=1, max_size=8).map("\n".join)


@FUZZ
@given(PYTHON)
def test_generated_python(project, source):
    text = check_project(project, {"app.py": source + "\n"})["app.py"]
    for query in extract("app.py", text).queries:
        assert_inside(query.location, text)
        if isinstance(query, SqlQuery) and not query.dynamic and "\\" not in text:
            assert_round_trip(query, text)


# --- JS / TS -------------------------------------------------------------------------------

KEY = st.sampled_from(["a", "b", "status", "userId", "createdAt", "_id", "'quoted'", "$or", "$and", "$in", "$gt"])
MONGO_VALUE = st.recursive(
    st.one_of(st.integers(-5, 5).map(str), st.sampled_from(["'x'", "id", "/^ab/i", "/x/", "new Date()", "null",
                                                            "req.query.q", "true"])),
    lambda inner: st.one_of(
        st.lists(st.tuples(KEY, inner), max_size=3).map(lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
        st.lists(inner, max_size=3).map(lambda v: "[" + ", ".join(v) + "]")),
    max_leaves=8)
JS_LINE = st.one_of(
    st.tuples(st.sampled_from(["users", "jobs", "events"]), st.sampled_from(["find", "findOne", "updateMany",
                                                                            "deleteOne", "countDocuments"]),
              MONGO_VALUE, st.sampled_from(["", ".sort({a: 1})", ".limit(10)", ".skip(100).limit(5)"])).map(
        lambda t: f"await db.collection('{t[0]}').{t[1]}({t[2]}){t[3]};"),
    st.tuples(MONGO_VALUE, MONGO_VALUE).map(lambda t: f"await User.find({t[0]}).sort({t[1]});"),
    MONGO_VALUE.map(lambda v: f"schema.index({v});"),
    STATEMENT.map(lambda s: f"await pool.query(`{s}`);".replace("\\", "")),
    st.sampled_from(["const mongoose = require('mongoose');", "const User = mongoose.model('User', schema);",
                     "let q = {}; q.a = 1; await db.collection('x').find(q);", "function f(x) {", "}", "})(",
                     "const t = `SELECT ${x}", "db.users.find({$or: [{$or: [{a: 1}, {b: 2}]}, {c: 3}]})",
                     # typed parameters (advisor.facts.js_types), collections behind helpers and callbacks
                     "const LOCK = 42;", "async function lock(db, v = LOCK, n: number = 1, s: string) {",
                     "  await db.query(`SELECT pg_advisory_lock(${v}, ${n}) WHERE a = '${s}'`);",
                     "function g(x: 1 | 2 | null, { y } = {}) { return pool.query(`SELECT ${x} ${y}`); }",
                     "const c = getCollection('jobs'); await c.find({a: 1}).sort({b: 1});",
                     "coll.then(collection => collection.find({status: 'x'}));", "await req.collection.find({});",
                     "(0, m.getCollection)('locks').createIndex({a: 1});"]),
)
JS = st.lists(JS_LINE, min_size=1, max_size=8).map("\n".join)


@FUZZ
@given(JS, st.sampled_from(["app.js", "app.ts"]))
def test_generated_js_and_ts(project, source, name):
    text = check_project(project, {name: source + "\n"})[name]
    for query in extract(name, text).queries:
        assert_inside(query.location, text)
        if isinstance(query, MongoQuery):
            for location in query.spans.values():
                assert_inside(location, text)
        elif not query.dynamic:
            assert_round_trip(query, text)


# --- shape files -----------------------------------------------------------------------------

JSON_VALUE = st.recursive(
    st.one_of(st.integers(-5, 5), st.text("abc$", max_size=4), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b", "$gt", "$in", "$or", "$date", "$match",
                                                             "collection", "filter", "pipeline", "sort"]),
                                            inner, max_size=3)),
    max_leaves=12)
SHAPES = st.one_of(
    JSON_VALUE,
    st.lists(st.fixed_dictionaries({"collection": st.sampled_from(["users", "jobs"]), "filter": JSON_VALUE}),
             max_size=4).map(lambda shapes: {"queries": shapes}),
)


@FUZZ
@given(SHAPES, st.booleans())
def test_generated_shape_files(project, value, as_yaml):
    import json

    import yaml

    name, text = ("shapes.yaml", yaml.safe_dump(value)) if as_yaml else ("shapes.json", json.dumps(value, indent=1))
    text = check_project(project, {name: text})[name]
    result = extract(name, text)
    assert not result.errors
    for query in result.queries:
        for path, location in query.spans.items():
            assert_inside(location, text)
            if path and isinstance(path[-1], str) and len(path) > 1:  # an entry spans from its key
                at = text[position(text, location.line, location.col):]
                assert at.lstrip("\"'").startswith(path[-1]), (path, at[:20])


# --- configs -------------------------------------------------------------------------------

SCALAR = st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                   st.text("ab./*?[]", max_size=6), st.lists(st.text("ab./*", max_size=4), max_size=2))
TOP_KEYS = ["dialect", "paths", "exclude", "schema", "select", "ignore", "fail-on", "baseline", "max-file-size",
            "test-paths", "severity", "colour"]
TABLE_KEYS = {"explain": ["threshold", "statement_timeout_ms", "large_table_rows", "cache", "min_cost",
                          "misestimate_factor", "rescan_loops", "bogus"],
              "seed": ["rows", "seed", "stats", "bogus"], "mongo": ["uri"], "seed.csv": ["users"]}


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


CONFIG = st.tuples(
    st.dictionaries(st.sampled_from(TOP_KEYS), SCALAR, max_size=3),
    st.dictionaries(st.sampled_from(sorted(TABLE_KEYS)), st.dictionaries(st.text("a", max_size=1), SCALAR, max_size=0),
                    max_size=2),
    st.data(),
)


@FUZZ
@given(CONFIG)
def test_generated_configs_end_in_a_report_or_a_clear_message(project, config):
    top, tables, data = config
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items() if k != "severity"]
    for table in tables:
        lines.append(f"[{table}]")
        for key in data.draw(st.lists(st.sampled_from(TABLE_KEYS[table]), max_size=3, unique=True)):
            lines.append(f"{key} = {toml_value(data.draw(SCALAR))}")
    project({"advisor.toml": "\n".join(lines) + "\n", "q.sql": "SELECT * FROM users;\n", "schema.sql": SCHEMA})
    result = CliRunner().invoke(main, ["check", "--no-cache", "."])
    assert result.exit_code in (0, 1, 2), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    if result.exit_code == 2:
        assert re.search(r"advisor\.toml|no such file", result.output), result.output
