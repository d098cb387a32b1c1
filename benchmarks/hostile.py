r"""Time `advisor check` on source files crafted to be slow: the repository advisor checks is untrusted
input (a stranger's pull request in CI), so no file of normal-looking code may stall a run.

Each input is one file of ~100 kB, 300 kB and 1 MB (normal line lengths: never minified, so every
reader reads it), written into a temp directory (never the repository) and checked in a child process
(`advisor check --no-cache --format json`) with a wall-clock timeout. Each shape repeats one unit
built to stress one reader: many assignments to one variable, many collections held in one function,
long SQL concatenations, deep nesting, call chains, same-named methods, collections on `this`/`self`
under many names, PL/pgSQL with many branches and EXECUTEs, thousands of statements. Time should grow
linearly with the size (3x and 10x the 100 kB time, give or take the start-up).

Usage: python benchmarks/hostile.py [--sizes 100,300,1000] [--timeout 300] [--only NAME...]

Measured 2026-12-02, 2 cores shared with other runs (so +-30%), `advisor check` wall seconds at
100 kB / 300 kB / 1 MB; before = main at 42ae232, after = branch hostile14 (timeout 60 s):

    input                 before                after            what was superlinear
    py-fstring-sql        40 (unloaded) / >60 / >60  0.7 / 1.8 / 5.2   python._unread_calls walked the function
                                                                   per execute; every text of `sql` paired with
                                                                   every call of it (python_sinks.Reached)
    py-assign-one-var     2.5 / 29.9 / >60     0.7 / 1.8 / 5.5   pymongo Names.resolve read every assignment
    py-const-collection   2.0 / 14.9 / >60     0.8 / 2.4 / 7.6   of the name per use
    py-same-methods       1.2 / 3.4 / 22.4     0.7 / 1.5 / 5.1   class families, innermost class, query scope,
    py-call-chain         1.2 / 3.8 / 31.4     1.0 / 1.8 / 5.0   method look-ups: a pass over every class or
                                                                   function per query (ast_nodes.LineSpans...)
    js-deep-nesting       34.7 / >60 / >60     0.4 / 0.5 / 0.9   walks up through tree-sitter's parent (d*d);
                                                                   code nested past 500 levels is not read, noted

Every other input was linear before and after (1 MB: 1.6 to 8.3 s; sql-plpgsql-branches 0.6 / 1.3 / 6.7,
sql-many-statements 0.8 / 1.7 / 6.0, py-sql-call-chain 1.6 / 3.6 / 12.5, the slowest: each caller
followed re-reads the module's top level, python_scope.Scope). The findings are the same before and after.

2026-12-04: py-maintenance-callees (a query in each of thousands of functions, each called by a `purge_*`):
advisor.sources.maintenance_callers, as first written, searched every file's text for each function's name
and walked the tree from the top per query (the pass alone: 0.84 s at 117 kB, 4.4 s at 357 kB); with the
callers' word index built once many names are asked about (facts.callers.Callers._naming) and the innermost
function looked up by line (ast_nodes.function_at), whole runs 0.8 / 1.8 / 5.3 s, the same findings (none).

2026-12-04 (red-team pass 6): one statement of N set-operation terms, a left-deep tree N levels deep. Old = main
at e65ce3c, new = branch rt6-union, back to back on the same 2 shared cores (timeout 60 s), 100 kB / 300 kB / 1 MB:

    sql-union-chain       4.5 / 36.4 / >60     1.1 / 1.6 / 4.1   facts: a walk from every SELECT to the root
    sql-union-all-where   1.4 / 5.1 / 48.5     1.2 / 1.9 / 4.2   (the same walk; the statement's schema is not
    sql-union-in-from     1.5 / 5.3 / 48.2     0.9 / 1.5 / 3.7   complete here, so missing-index stays silent)

`advisor check --no-cache` on `SELECT 1 UNION SELECT 1 ...` of 10k / 20k / 40k terms: 9.8 / 41.5 / 145.1 s
before, 1.3 / 2.2 / 2.6 s after. With a schema, the same shapes were worse in rules the runs above leave silent
(tests/test_hostile_speed.py counts them): missing-index's push-down into a UNION in a FROM subquery was cubic
(500 branches, 20 kB: 368 s), and a finding per branch normalised and hashed the whole statement and counted
its newlines (fingerprints, TextMap); select-star read every scope per CTE of a chain.

2026-12-04 (red-team pass 8, the openers nothing closes): old = main at 8eb3b7a, new = this commit, back to back
(timeout 60 s), 16 kB / 32 kB / 64 kB; each run now from inside its project (its advisor.toml read: before, a run
from the repository's directory read none, and these inputs went unread):

    sql-unclosed-dollar-tags  2.4 / 7.8 / 33.2     0.4 / 0.4 / 0.5   a body's quoted text: each `$aN$` tried to the end
    sql-declare-no-begin      1.3 / 3.4 / 7.6      0.5 / 0.5 / 0.4   each DECLARE searched to the end for its BEGIN
    sql-declaration-blanks    28.5 / >60 / >60     0.4 / 0.4 / 0.5   the lazy type then `\s*` over a run of blank lines
    sql-unclosed-jinja        1.3 / 3.2 / 10.1     0.4 / 0.5 / 0.6   each `{{` tried to the end (parse._TEMPLATE)
    sql-unclosed-if-tag       1.3 / 4.3 / 10.9     0.5 / 0.5 / 0.5   each `{% if` (schema.templates)
    py-long-assigned-name     3.2 / 12.0 / 44.2    0.4 / 0.4 / 0.4   `self.x = dbdb...`: backtracking over the name

New at 100 kB / 300 kB / 1 MB: 0.5 to 1.0 / 0.5 to 1.2 / 0.6 to 2.7 s. An opener nothing closes now runs to the end,
as PostgreSQL's scanner reads it (tests/test_hostile_speed.py: where each closes, the same text as before).

2026-12-04 (red-team pass 9, globs): old = main at 90a2991, new = this commit (timeout 60 s), 1 kB / 16 kB / 64 kB / 1 MB:

    sql-name-many-holes       >60 / - / - / -      0.6 / 0.6 / 0.7 / 0.8   `load("*a*a...*b.sql")` as `.*a.*a...b\.sql$`
                                                                        against a 204-character file name
    gitignore-double-stars    >60 / >60 / - / -    - / 1.0 / 1.6 / 10.2    pathspec's `a(?:/.+)?` per `**`, each
                                                                        line of eight on a path 40 folders deep

Both now go through advisor/wildmatch.py (a star's run lazy inside an atomic group); a real project's
.gitignore (180 lines) over 20,000 paths: 1.0-1.6 s with pathspec, 1.7 s now, every answer the same.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Shape:
    name: str
    filename: str
    head: str
    unit: Callable[[int], str]
    tail: str = ""
    config: str = ""  # advisor.toml, where one is needed to read the file as its project would
    others: tuple[tuple[str, str], ...] = ()  # files beside it (name, text) that the input works on


def _js_assign(i: int) -> str:
    return (
        f"  c = db.collection('c{i % 7}');\n"
        f"  await c.find({{ a: req.a{i % 5}, b: {{ $gt: {i} }} }}).sort({{ t: -1 }});\n"
        f"  if (req.x{i % 3}) c = other;\n"
        f"  await c.updateOne({{ _id: req.id }}, {{ $set: {{ v{i}: 1 }} }});\n"
    )


def _js_const(i: int) -> str:
    return (
        "  {\n"
        f"    const c = db.collection('c{i % 9}');\n"
        f"    await c.find({{ f{i % 11}: req.q, n: {{ $in: [1, 2, {i}] }} }}).limit(10);\n"
        "  }\n"
    )


def _js_concat(i: int) -> str:
    return f"  if (a.x{i % 7}) q += ' AND col{i % 13} = ' + a.v{i % 5};\n  q += ' OR x{i} > 0';\n"


def _js_nest(i: int) -> str:
    depth = 400
    opened = "".join(f"{'  ' * (k % 20)}{{ k{k}: [f({i},\n" for k in range(depth))
    closed = "".join(f"{'  ' * (k % 20)})] }}\n" for k in reversed(range(depth)))
    return f"await db.collection('n{i % 5}').find(\n{opened}{closed});\n"


def _js_chain(i: int) -> str:
    if i == 0:
        return "function f0(db, q) {\n  return db.collection('users').find({ email: q });\n}\n"
    return f"function f{i}(db, q) {{\n  const r = f{i - 1}(db, q);\n  return r;\n}}\nf{i}(client.db(), 'x{i}');\n"


def _js_sql_chain(i: int) -> str:
    if i == 0:
        return "function f0(q) {\n  return pool.query(`SELECT * FROM t WHERE a = '${q}'`);\n}\n"
    return f"function f{i}(q) {{\n  return f{i - 1}(q + '{i}');\n}}\nf{i}(req.query.x{i % 9});\n"


def _js_methods(i: int) -> str:
    return (
        f"class Repo{i} {{\n  constructor(db) {{ this.col = db.collection('c{i % 17}'); }}\n"
        f"  find(q) {{ return this.col.find({{ k{i % 7}: q }}); }}\n}}\n"
        f"new Repo{i}(db).find('a');\nrepo.find({{ z: {i} }});\n"
    )


def _js_this(i: int) -> str:
    return f"    this.c{i} = db.collection('c{i}');\n" + f"    this.c{i}.find({{ a{i % 9}: 1 }});\n"


def _js_sql_const(i: int) -> str:
    prev = f"S{i - 1}" if i else "'SELECT id FROM t WHERE true'"
    return f"const S{i} = {prev} + ' AND c{i % 13} = $1';\npool.query(S{i}, [x]);\n"


def _js_map(i: int) -> str:
    return f"  c{i}: db.collection('c{i}'),\n"


def _py_assign(i: int) -> str:
    return (
        f"    c = db['c{i % 7}']\n"
        f"    c.find({{'a': req.a{i % 5}, 'b': {{'$gt': {i}}}}}).sort('t', -1)\n"
        f"    if req.x{i % 3}:\n        c = other\n"
        f"    c.update_one({{'_id': req.id}}, {{'$set': {{'v{i}': 1}}}})\n"
    )


def _py_const(i: int) -> str:
    return f"    c = db.get_collection('c{i % 9}')\n    c.find({{'f{i % 11}': q, 'n': {{'$in': [1, 2, {i}]}}}}).limit(10)\n"


def _py_concat(i: int) -> str:
    return f"    sql = sql + ' AND col{i % 13} = %s'\n    sql += ' OR x{i} > 0'\n"


def _py_nest(i: int) -> str:
    depth = 60  # three parentheses a level: CPython's parser stops at 200
    opened = "".join(f"{'  ' * (k % 20)}{{'k{k}': [f({i},\n" for k in range(depth))
    closed = "".join(f"{'  ' * (k % 20)})]}}\n" for k in reversed(range(depth)))
    return f"db.n{i % 5}.find(\n{opened}{closed})\n"


def _py_chain(i: int) -> str:
    if i == 0:
        return "def f0(db, q):\n    return db.users.find({'email': q})\n\n\n"
    return f"def f{i}(db, q):\n    r = f{i - 1}(db, q)\n    return r\n\n\nf{i}(client.app, 'x{i}')\n"


def _py_sql_chain(i: int) -> str:
    if i == 0:
        return "def f0(cur, q):\n    cur.execute(f\"SELECT * FROM t WHERE a = '{q}'\")\n\n\n"
    return f"def f{i}(cur, q):\n    return f{i - 1}(cur, q + '{i}')\n\n\nf{i}(cur, request.args['x{i % 9}'])\n"


def _py_methods(i: int) -> str:
    return (
        f"class Repo{i}:\n    def __init__(self, db):\n        self.col = db['c{i % 17}']\n\n"
        f"    def find_one(self, q):\n        return self.col.find_one({{'k{i % 7}': q}})\n\n\n"
        f"Repo{i}(db).find_one('a')\nrepo.find_one({{'z': {i}}})\n"
    )


def _py_self(i: int) -> str:
    return f"        self.c{i} = db['c{i}']\n        self.c{i}.find({{'a{i % 9}': 1}})\n"


def _py_fstring(i: int) -> str:
    return f'    sql = f"{{sql}} AND c{i % 13} = {{v{i % 5}}}"\n    cur.execute(sql)\n'


def _py_purged(i: int) -> str:
    return (
        f"def get_x{i}(cur):\n    cur.execute('SELECT id FROM t WHERE a = %s', ('x',))\n\n\n"
        f"def purge_x{i}(cur):\n    get_x{i}(cur)\n\n\n"
    )


def _plpgsql(i: int) -> str:
    return (
        f"  ELSIF kind = 'k{i}' THEN\n"
        f"    q := q || ' AND c{i % 13} = ' || quote_literal(v);\n"
        f"    EXECUTE 'SELECT count(*) FROM t{i % 7} WHERE a = ' || quote_literal(v) || q INTO n;\n"
    )


def _statements(i: int) -> str:
    return (
        f"SELECT id, name FROM t{i % 50} WHERE status = {i} AND created_at > now() - interval '1 day' "
        "ORDER BY created_at DESC LIMIT 10;\n"
        f"UPDATE t{i % 50} SET status = {i} WHERE id = {i};\n"
    )


@functools.cache
def _four_columns() -> list[tuple[str, ...]]:
    return list(itertools.permutations("abcdefghijklmnopqrstuvwxyz", 4))  # 358,800: more than 1 MB needs


def _indexes(i: int) -> str:
    """Distinct 4-column indexes on one table (red-team pass 4: redundant-index compared every pair)."""
    return f"CREATE INDEX ON t ({', '.join(_four_columns()[i])});\n"


def _union(i: int) -> str:
    return "\nUNION SELECT 1"


def _union_all(i: int) -> str:
    return f"\nUNION ALL SELECT a, b FROM t WHERE c = 'x{i}'"


_T = "CREATE TABLE t (a int, b int, c text);\n"
_PG = 'dialect = "postgres"\n'
_PLPGSQL_HEAD = (
    "CREATE FUNCTION f() RETURNS bigint LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN (SELECT count(*) FROM t WHERE a = 1);\n"
    "END;\n"
)
_JS_FN = "const db = require('mongodb').MongoClient.connect(u).db('app');\nasync function h(req, other) {\n  let c;\n"
_JS_PG = "const { Pool } = require('pg');\nconst pool = new Pool();\n"
_TS_PG = "import { Pool } from 'pg';\nconst pool = new Pool();\n"
_PY_FN = "from pymongo import MongoClient\n\ndb = MongoClient().app\n\n\ndef h(req, other, q):\n"
SHAPES = [
    Shape("js-assign-one-var", "a.js", _JS_FN, _js_assign, "}\n"),
    Shape("js-const-collection", "a.js", _JS_FN, _js_const, "}\n"),
    Shape(
        "ts-sql-builder",
        "a.ts",
        _TS_PG + "function build(a: any) {\n  let q = 'SELECT * FROM t WHERE 1=1';\n",
        _js_concat,
        "  return q;\n}\nexport async function h(a: any) {\n  return pool.query(build(a));\n}\n",
    ),
    Shape("js-deep-nesting", "a.js", "const db = require('mongodb').MongoClient.connect(u).db('app');\n", _js_nest),
    Shape("js-call-chain", "a.js", "", _js_chain),
    Shape("js-sql-call-chain", "a.js", _JS_PG, _js_sql_chain),
    Shape("js-same-methods", "a.js", "", _js_methods),
    Shape("ts-this-members", "a.ts", "class Store {\n  constructor(db: any) {\n", _js_this, "  }\n}\n"),
    Shape("js-sql-constants", "a.js", _JS_PG, _js_sql_const),
    Shape(
        "js-collection-map", "a.js", "const cols = {\n", _js_map, "};\nfor (const k of ks) cols.c1.find({ a: k });\n"
    ),
    Shape("py-assign-one-var", "a.py", _PY_FN, _py_assign),
    Shape("py-const-collection", "a.py", _PY_FN, _py_const),
    Shape(
        "py-sql-concat",
        "a.py",
        "def h(cur):\n    sql = 'SELECT * FROM t WHERE true'\n",
        _py_concat,
        "    cur.execute(sql)\n",
    ),
    Shape("py-deep-nesting", "a.py", "from pymongo import MongoClient\n\ndb = MongoClient().app\n", _py_nest),
    Shape("py-call-chain", "a.py", "", _py_chain),
    Shape("py-sql-call-chain", "a.py", "", _py_sql_chain),
    Shape("py-same-methods", "a.py", "from pymongo import MongoClient\n\ndb = MongoClient().app\n", _py_methods),
    Shape("py-self-members", "a.py", "class Store:\n    def __init__(self, db):\n", _py_self),
    Shape(
        "py-fstring-sql",
        "a.py",
        "def h(cur, v0, v1, v2, v3, v4):\n    sql = 'SELECT * FROM t WHERE true'\n",
        _py_fstring,
    ),
    Shape("py-maintenance-callees", "a.py", "", _py_purged),
    Shape(
        "sql-plpgsql-branches",
        "a.sql",
        "CREATE FUNCTION f(kind text, v text) RETURNS bigint LANGUAGE plpgsql AS $$\n"
        "DECLARE q text := ''; n bigint;\nBEGIN\n  IF kind = 'none' THEN\n    RETURN 0;\n",
        _plpgsql,
        "  END IF;\n  RETURN n;\nEND;\n$$;\n",
    ),
    Shape("sql-many-statements", "a.sql", "", _statements),
    Shape("sql-union-chain", "a.sql", "SELECT 1", _union, ";\n"),
    Shape("sql-union-all-where", "a.sql", _T + "SELECT a, b FROM t WHERE c = 'x'", _union_all, ";\n"),
    Shape(
        "sql-union-in-from",
        "a.sql",
        _T + "SELECT * FROM (SELECT a, b FROM t WHERE c = 'x'",
        _union_all,
        ") s WHERE s.a = 1;\n",
    ),
    # red-team pass 8: an opener nothing closes, tried to the end from each (each unit one line)
    Shape("sql-unclosed-dollar-tags", "a.sql", _PLPGSQL_HEAD, lambda i: f"$a{i}$\n", "$$;\n", _PG),
    Shape("sql-declare-no-begin", "a.sql", _PLPGSQL_HEAD, lambda i: "declare\n", "$$;\n", _PG),
    Shape(
        "sql-declaration-blanks",
        "a.sql",
        "CREATE FUNCTION f() RETURNS bigint LANGUAGE plpgsql AS $$\nDECLARE\n  x varchar",
        lambda i: "\n",
        "  (10);\nBEGIN\n  RETURN (SELECT count(*) FROM t WHERE a = 1);\nEND;\n$$;\n",
        _PG,
    ),
    Shape("sql-unclosed-jinja", "a.sql", "SELECT id FROM t WHERE a = 1\n", lambda i: "{{\n", ";\n", _PG),
    Shape("sql-unclosed-if-tag", "a.sql", _T, lambda i: "{% if\n", "CREATE INDEX t_a ON t (a);\n", _PG),
    Shape("py-long-assigned-name", "a.py", "class A:\n    def f(self):\n        self.x = ", lambda i: "db", "\n", _PG),
    Shape(
        "sql-many-indexes",
        "a.sql",
        "CREATE TABLE t (" + ", ".join(f"{c} int" for c in "abcdefghijklmnopqrstuvwxyz") + ");\n",
        _indexes,
    ),
    Shape(  # a name built around many holes, against a long file name of its folder
        "sql-name-many-holes",
        "sql/y.sql",
        '-- load("x.sql")\n-- load("',
        lambda i: "*a",
        '*b.sql")\n',
        others=(("sql/x.sql", "SELECT 1;\n"), ("sql/" + "a" * 200 + ".sql", "SELECT 1;\n")),
    ),
    Shape(  # lines of eight `a/**/` in a .gitignore, over a path 40 directories deep
        "gitignore-double-stars",
        ".gitignore",
        "",
        lambda i: "a/**/" * 8 + f"b{i}/**/c\n",
        "",
        others=(("a/" * 40 + "q.sql", "SELECT 1;\n"),),
    ),
]


def build(shape: Shape, kilobytes: int) -> str:
    """The shape's text, units repeated until it is `kilobytes` long."""
    parts, size, i = [shape.head], len(shape.head), 0
    while size < kilobytes * 1000:
        unit = shape.unit(i)
        parts.append(unit)
        size += len(unit)
        i += 1
    parts.append(shape.tail)
    return "".join(parts)


def measure(directory: Path, timeout: float) -> tuple[float, str]:
    """(wall seconds, findings or why none) of `advisor check` on the directory."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-c",
        "import sys; from advisor.cli import main; sys.exit(main())",
        "check",
        "--no-cache",
        "--format",
        "json",
        ".",
    ]
    start = time.perf_counter()
    try:
        # from inside the project, as its user runs it: the project's advisor.toml is the one read
        done = subprocess.run(
            command, env=env, cwd=directory, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, f"timeout ({timeout:.0f} s)"
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        return seconds, f"exit {done.returncode}: {(done.stderr.strip().splitlines() or [''])[-1][:60]}"
    summary = json.loads(done.stdout)["summary"]
    return seconds, f"{summary['findings']} ({summary['queries']} queries)"


def main() -> None:
    args = sys.argv[1:]
    sizes = [int(s) for s in args[args.index("--sizes") + 1].split(",")] if "--sizes" in args else [100, 300, 1000]
    timeout = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 300.0
    only = args[args.index("--only") + 1 :] if "--only" in args else []
    print(f"{'input':<22} {'size':>8} {'seconds':>8}  findings", flush=True)
    for shape in SHAPES:
        if only and shape.name not in only:
            continue
        for kilobytes in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                directory = Path(tmp)
                text = build(shape, kilobytes)
                for name, content in ((shape.filename, text), *shape.others):
                    (directory / name).parent.mkdir(parents=True, exist_ok=True)
                    (directory / name).write_text(content, encoding="utf-8")
                if shape.config:
                    (directory / "advisor.toml").write_text(shape.config, encoding="utf-8")
                seconds, findings = measure(directory, timeout)
                print(f"{shape.name:<22} {len(text) / 1000:>6.0f}kB {seconds:>8.1f}  {findings}", flush=True)


if __name__ == "__main__":
    main()
