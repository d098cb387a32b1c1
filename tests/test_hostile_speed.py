"""Crafted files that made a reader superlinear (benchmarks/hostile.py): the work each reader does is
counted here, never timed, and its answers checked against what the old, slower reading found."""

import ast
import hashlib
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import advisor
from advisor import fingerprints
from advisor.cli import main
from advisor.engine import check
from advisor.facts import ast_nodes
from advisor.ir import Finding, Location, TextMap
from advisor.options import Options
from advisor.sources import extract, js_syntax, pymongo_names, python, python_classes, python_reach
from advisor.sources.python import extract_python

N = 400


def _counting(monkeypatch, module, name: str) -> list[int]:
    calls = [0]
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_name_assigned_thousands_of_times_is_resolved_without_rereading_every_assignment(monkeypatch):
    lines = ["from pymongo import MongoClient", "db = MongoClient().app", "def h(req):"]
    for i in range(N):
        lines += [f"    c = db['c{i}']", "    c.find({'a': req.a})"]
    lines += ["def other(req):", "    c = db['elsewhere']", "    return c.find_one({'b': req.b})"]
    tree = ast.parse("\n".join(lines))
    names = pymongo_names.Names(tree)
    calls = _counting(monkeypatch, pymongo_names, "position")
    uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "c" and isinstance(n.ctx, ast.Load)]
    got = [names.resolve(u) for u in uses]
    assert calls[0] < 10 * len(uses)  # was: every assignment of `c` read again for each use (N * N)
    for use, value in zip(uses, got):  # the value last assigned before the use, in the use's own function
        assert isinstance(value, ast.Subscript)
        expected = "elsewhere" if use.lineno > 2 * N + 3 else f"c{(use.lineno - 5) // 2}"
        assert value.slice.value == expected  # type: ignore[attr-defined]


def _unread(code: str) -> list[tuple[int, bool]]:
    return [(q.location.line, q.result_unread) for q in extract_python("m.py", code).queries]


def test_a_cursor_used_thousands_of_times_is_followed_without_a_walk_per_execute(monkeypatch):
    body = "".join(f"    cur.execute('SELECT * FROM t{i} FOR UPDATE')\n" for i in range(N))
    code = f"def h(cur):\n{body}    return cur.fetchall()\n"
    built = _counting(monkeypatch, python, "NameUses")
    walks = [0]
    real = ast.walk

    def walk(node):
        walks[0] += isinstance(node, ast.FunctionDef)
        return real(node)

    monkeypatch.setattr(ast, "walk", walk)
    got = _unread(code)
    monkeypatch.undo()
    assert built[0] == 1 and walks[0] < 20  # was: one walk of the function per execute (N)
    assert [u for _, u in got] == [True] * (N - 1) + [False]  # each result replaced by the next, the last read


def test_the_next_use_of_a_cursor_skips_the_other_branches_of_an_if():
    code = (
        "def h(cur, a):\n"
        "    if a == 1:\n"
        "        cur.execute('SELECT * FROM t WHERE id = 1 FOR UPDATE')\n"
        "    elif a == 2:\n"
        "        cur.execute('SELECT * FROM t WHERE id = 2 FOR UPDATE')\n"
        "        cur.fetchall()\n"
        "    else:\n"
        "        cur.execute('SELECT * FROM t WHERE id = 3 FOR UPDATE')\n"
        "    cur.execute('UPDATE t SET x = 1')\n"
        "def g(cur, a):\n"
        "    if a:\n"
        "        cur.execute('SELECT * FROM u FOR UPDATE')\n"
        "    else:\n"
        "        cur.execute('SELECT * FROM v FOR UPDATE')\n"
        "    return cur.fetchone()\n"
    )
    assert _unread(code) == [(3, True), (5, False), (8, True), (9, False), (12, False), (14, False)]


def test_thousands_of_texts_of_one_name_each_find_their_own_call(monkeypatch):
    functions = "".join(
        f"def f{i}(cur, v):\n    sql = 'SELECT a FROM t{i} WHERE b = %s'\n    cur.execute(sql, (v,))\n"
        for i in range(N)
    )
    calls = _counting(monkeypatch, python_reach, "literal")
    queries = extract_python("m.py", functions).queries
    assert calls[0] < 10 * N  # was: every text of `sql` read again for each of its N calls (N * N)
    assert len(queries) == N
    for q in queries:  # the call that runs each text is the one in its own function
        assert q.scope == (f"f{q.text.split()[3][1:]}",)
        assert q.origin == "constant-reaching-call"


NEST = "{ k: [g(1,\n"
CLOSE = ")] }\n"


def _nested(depth: int, find_every: int = 1) -> str:
    opened = "".join(
        NEST if k % find_every else f"{{ k: [db.collection('c').find({{ a: {k} }}), g(1,\n" for k in range(depth)
    )
    return (
        "const db = require('mongodb').MongoClient.connect(u).db('app');\nexport const x = (\n"
        + opened
        + CLOSE * depth
        + ");\n"
    )


def test_js_parents_are_mapped_once_for_every_named_node():
    text = _nested(150)  # deeper than the cap: what is not read is still mapped (find_schemas walks it)
    tree = js_syntax.parser(".js").parse(text.encode())
    f = js_syntax.JsFile("a.js", text, text.encode(), tree.root_node)
    js_syntax.collect_decls(f)
    assert f.too_deep is not None
    stack, checked = [f.root], 0
    while stack:
        node = stack.pop()
        for child in node.named_children:
            assert f.parents[child.id].id == node.id  # the map agrees with tree-sitter's parent
            checked += 1
        stack.extend(node.named_children)
    assert checked == len(f.parents) > js_syntax.MAX_NESTING


def test_calls_nested_deep_are_not_walked_up_from_each(monkeypatch):
    calls = _counting(monkeypatch, js_syntax.JsFile, "parent")
    extract("a.js", _nested(300, find_every=1000), "postgres")
    nodes = 300 * 6
    assert calls[0] < 5 * nodes  # was: a walk up to the function from every call (300 * 300 levels)


def test_code_nested_past_the_cap_is_noted_and_the_run_completes(tmp_path, monkeypatch):
    shallow = extract("a.js", _nested(80), "postgres")
    assert len(shallow.queries) == 80 and not shallow.errors  # code as deep as real code is read whole
    (tmp_path / "deep.js").write_text(_nested(js_syntax.MAX_NESTING), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "."])
    assert result.exit_code in (0, 1), result.output
    notes = [f for f in json.loads(result.output)["findings"] if f["name"] == "parse-error"]
    assert len(notes) == 1  # said once, where the unread code starts
    assert notes[0]["path"] == "deep.js" and notes[0]["line"] > 3
    assert f"nested more than {js_syntax.MAX_NESTING} levels deep" in notes[0]["message"]
    assert "did not read" in notes[0]["message"]


def test_a_class_family_is_found_without_reading_every_class_per_class(monkeypatch):
    code = "class Base:\n    pass\n" + "".join(f"class C{i}(Base):\n    def m(self):\n        pass\n" for i in range(N))
    classes = python_classes.Classes(ast.parse(code))
    every = [c for cs in classes.named.values() for c in cs]
    old = {c.name: [s for s in every if c.name in python_classes.base_names(s)] for c in every}  # the old pass
    calls = _counting(monkeypatch, python_classes, "base_names")
    families = {c.name: classes.family(c) for c in every}
    assert calls[0] < 5 * N  # was: every class's bases read again for each family (N * N)
    assert families["Base"] == [classes.named["Base"][0], *old["Base"]]  # the class, then its subclasses in order
    assert len(families["Base"]) == N + 1
    assert families["C0"] == [classes.named["C0"][0], classes.named["Base"][0]]  # itself and its base (no subclass)


def test_which_functions_are_methods_or_module_functions():
    code = (
        "class A:\n    def m(self, a, b): pass\n    @staticmethod\n    def s(a): pass\n"
        "    def outer(self):\n        def inner(x): pass\n"
        "def f(a, b): pass\ndef twice(a): pass\ndef twice(b): pass\n"
    )
    tree = ast.parse(code)
    names = pymongo_names.Names(tree)
    functions = {n.name + str(n.lineno): n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}

    def sig(key):
        got = names.signature(functions[key].body[0])
        return None if got is None else (got[0].name, got[1].name if got[1] else None, got[2])

    assert sig("m2") == ("m", "A", ["a", "b"])  # a method: its parameters after self
    assert sig("s4") == ("s", "A", ["a"])  # a static method: all of them
    assert sig("inner6") is None  # nested in a method: no call of the module names it
    assert sig("f7") == ("f", None, ["a", "b"])
    assert sig("twice8") is None and sig("twice9") is None  # defined twice: neither is the module's


def test_what_is_around_a_line_is_what_a_pass_over_every_span_finds():
    import random

    rng = random.Random(7)
    spans = []
    for n in range(300):
        first = rng.randint(1, 400)
        spans.append((first, first + rng.choice([0, 1, 5, 30, 200]), n))
    lines = ast_nodes.LineSpans(spans)
    for line in range(0, 620):
        brute = sorted((s for s in spans if s[0] <= line <= s[1]), key=lambda s: s[1] - s[0])
        assert lines.around(line) == brute


def _advisor_lines(run) -> int:
    """Lines of advisor's own code that run() executes: a count of its work, the same on every machine."""
    root = str(Path(advisor.__file__).parent)
    lines = [0]

    def local(frame, event, arg):
        lines[0] += event == "line"
        return local

    def called(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(root) else None

    previous = sys.gettrace()
    sys.settrace(called)
    try:
        run()
    finally:
        sys.settrace(previous)
    return lines[0]


SCHEMA = "CREATE TABLE t (a int NOT NULL, b int, c text);\nCREATE TABLE u (x int, y int);\n"
SET_SHAPES = {  # one statement of n terms each (red-team pass 6): every one was quadratic or worse in advisor
    "union": lambda n: " UNION ".join(["SELECT 1"] * n),  # facts: a walk up the chain from each SELECT
    "union-in-from": lambda n: (
        "SELECT * FROM ("  # missing-index: every UNION above each branch read whole
        + "\nUNION ALL ".join(f"SELECT a, b FROM t WHERE c = 'x{i}'" for i in range(n))
        + ") s WHERE s.a = 1"
    ),
    "union-in-where": lambda n: (
        "SELECT a FROM t WHERE a IN ("  # facts: what a branch cannot see, per column
        + "\nUNION ".join(f"SELECT x FROM u WHERE b = {i}" for i in range(n))
        + ")"
    ),
    "except": lambda n: "\nEXCEPT ".join(f"SELECT a FROM t WHERE b > {i}" for i in range(n)),
    "cte-chain": lambda n: (
        "WITH a0 AS (SELECT a, b FROM t WHERE b = 1)"  # select-star: every scope per scope
        + "".join(f",\na{i} AS (SELECT * FROM a{i - 1} WHERE a > {i})" for i in range(1, n))
        + f"\nSELECT * FROM a{n - 1}"
    ),
}


JOIN_SHAPES = {  # one statement of n tables (red-team pass 7): each alias read every other's conditions and joins
    "join-chain": lambda n: (
        "SELECT * FROM t t0 " + " ".join(f"JOIN t t{i} ON t{i}.a = t{i - 1}.b" for i in range(1, n)) + " WHERE t0.a = 1"
    ),
    "using-chain": lambda n: "SELECT * FROM t t0 " + " ".join(f"JOIN t t{i} USING (a)" for i in range(1, n)) + " WHERE t0.b = 1",
    "anti-joins": lambda n: (
        "SELECT * FROM t t0 "
        + " ".join(f"LEFT JOIN t t{i} ON t{i}.a = t0.b" for i in range(1, n))
        + " WHERE t0.c = 'x' AND "
        + " AND ".join(f"t{i}.b IS NULL" for i in range(1, n))
    ),
}


def _checked(
    tmp_path, name: str, n: int, schema: str = SCHEMA, query: str | None = None
) -> tuple[int, list[tuple[str, int, int]]]:
    """(lines of advisor run, findings) of `advisor check` with every rule on one statement of n terms."""
    project = tmp_path / f"{name}-{n}"
    project.mkdir()
    (project / "schema.sql").write_text(schema, encoding="utf-8")
    (project / "q.sql").write_text((query or {**SET_SHAPES, **JOIN_SHAPES}[name](n)) + ";\n", encoding="utf-8")
    (project / "advisor.toml").write_text('large-tables = ["*"]\nselect = ["ALL"]\nschema = ["schema.sql"]\n', encoding="utf-8")
    found = []
    lines = _advisor_lines(lambda: found.extend(check([str(project)], Options()).findings))
    return lines, sorted((f.rule, f.location.line, f.location.col) for f in found)


@pytest.mark.parametrize("name", sorted(SET_SHAPES))
def test_a_statement_of_hundreds_of_set_operations_or_ctes_is_read_in_linear_work(tmp_path, name):
    n = 100 if name.startswith("union-in") else 250  # those were cubic: the old code took minutes at 250
    small, found = _checked(tmp_path, name, n)
    large, found_twice = _checked(tmp_path, name, 2 * n)
    assert large < 2.5 * small  # was 2.6x (cte-chain), 2.9x (except), 3.5x (union), 7.8x (union-in-*)
    if name in ("union-in-from", "except"):  # each branch's own missing index (the outer a = 1 pushed into each)
        assert [f[0] for f in found_twice] == ["IDX001"] * (2 * n)
        assert found == found_twice[:n]


@pytest.mark.parametrize("name", sorted(JOIN_SHAPES))
def test_a_statement_of_hundreds_of_joins_is_read_in_linear_work(tmp_path, name):
    """Red-team pass 7: 4,000 self-joins took 36-62 s (each alias's own conditions, LEFT JOIN side, USING
    columns and pushed conditions found by reading every other's); the findings are the same at n and 2n."""
    small, found = _checked(tmp_path, name, 100)
    large, found_twice = _checked(tmp_path, name, 200)
    assert large < 2.5 * small, (small, large)
    rules = sorted({f[0] for f in found_twice})
    assert rules == sorted({f[0] for f in found})
    # t0's own filter (a = 1, b = 1, c = 'x') has no index: one missing-index on it, none on the joined copies
    assert [f for f in found_twice if f[0] == "IDX001"] and len([f for f in found_twice if f[0] == "IDX001"]) == 1


def _chain(n: int, partitioned: bool) -> str:
    """n tables in one tree: each inherits from the one before, or (partitioned) is a sub-partitioned partition
    of it beside a leaf partition; a foreign key on the root."""
    lines = ["CREATE TABLE r (id int PRIMARY KEY);"]
    if partitioned:
        lines.append("CREATE TABLE p0 (id int, a int REFERENCES r (id)) PARTITION BY LIST (id);")
        for i in range(1, n):
            lines.append(f"CREATE TABLE p{i} PARTITION OF p{i - 1} FOR VALUES IN ({i}) PARTITION BY LIST (a);")
            lines.append(f"CREATE TABLE leaf{i} PARTITION OF p{i - 1} FOR VALUES IN ({-i});")
    else:
        lines.append("CREATE TABLE p0 (id int PRIMARY KEY, a int);")
        lines += [f"CREATE TABLE p{i} (b int REFERENCES r (id)) INHERITS (p{i - 1});" for i in range(1, n)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("partitioned", [False, True], ids=["inherits", "partitions"])
def test_a_tree_of_hundreds_of_tables_is_read_in_linear_work(tmp_path, partitioned):
    """Red-team pass 7: 16,000 tables in one INHERITS chain took 115 s (the foreign-key rule walked the tree below
    every table), and each partition of a deep tree looked up its indexes by walking up to the root."""
    name = "partitions" if partitioned else "inherits"
    query = "SELECT * FROM p0 WHERE a = 1"
    small, found = _checked(tmp_path, name, 100, _chain(100, partitioned), query)
    large, found_twice = _checked(tmp_path, name, 200, _chain(200, partitioned), query)
    assert large < 2.5 * small, (small, large)
    assert sorted({f[0] for f in found}) == sorted({f[0] for f in found_twice})
    # the root's key, checked on each leaf; or the last child's own (a parent's children hold the rows)
    assert len([f for f in found_twice if f[0] == "SCH003"]) == 1


def test_a_statement_s_findings_read_its_text_once(monkeypatch):
    text = "\nUNION ALL ".join(f"SELECT a FROM t WHERE b = {i}" for i in range(2000))
    sliced = [0]

    class Counted(str):  # what the old count of newlines sliced off the text, once per position asked
        def __getitem__(self, key):
            sliced[0] += len(range(*key.indices(len(self)))) if isinstance(key, slice) else 1
            return str.__getitem__(self, key)

    where = TextMap("q.sql", Counted(text), ((0, 1, 1),))
    starts = [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    assert [where.locate(s).line for s in starts] == list(range(2, 2001))
    assert where.locate(starts[-1] + 3).col == 4
    assert sliced[0] < 2 * len(text)  # was: the text up to each position (2000 * 2000 / 2 lines)
    normalised = _counting(monkeypatch, fingerprints, "_normalise_query")
    found = [Finding("IDX001", "m", Location("q.sql", line, 1), subject="t.b", query=text) for line in range(1, 2001)]
    fingerprints.assign_fingerprints(found)
    assert normalised[0] == 1  # was: once per finding, the whole statement each time
    base = "\x1f".join(("IDX001", "q.sql", fingerprints._normalise_query(text), "t.b"))  # noqa: SLF001
    digest = hashlib.sha256(base.encode("utf-8")).hexdigest()[:32]
    assert [f.fingerprint for f in found] == [f"{digest}:{k}" for k in range(1, 2001)]  # as before


def test_many_index_declarations_on_one_collection_are_compared_in_linear_work(monkeypatch):
    """Red-team pass 7: each declaration was looked for in the list of those found (dataclass equality), per
    query: 1,000 declarations on one collection took 78 s.  Compared now only with those of its name and table,
    the comparisons grow with n, not n squared; equal declarations (one declared twice) are still one."""
    from advisor.ir import IndexDef, IndexKey
    from advisor.mongo import indexes

    def declared(n: int) -> list[IndexDef]:
        return [IndexDef(f"f{k}_1", "users", (IndexKey(f"f{k}"),), method="mongo") for k in range(n)]

    compared = _counting(monkeypatch, IndexDef, "__eq__")
    found, _ = indexes._named(declared(N), "users", None)
    at_n = compared[0]
    found_2n, _ = indexes._named(declared(2 * N), "users", None)
    at_2n = compared[0] - at_n
    assert len(found) == N and len(found_2n) == 2 * N
    assert at_2n < 2.5 * max(at_n, 1) and at_2n < 10 * N, (at_n, at_2n)
    twice, _ = indexes._named(declared(3) + declared(3), "users", None)
    assert len(twice) == 3


OLD_DB_NAME = r"(?i)^_*(db|database|mongo_?db|.*_db|.*db|.*_database)$"  # quadratic in a long name's length
OLD_CALLED = r"(\w+)\s*\("  # tried at every letter of a long word


@given(st.text(alphabet="_dDbBaAtseomngx", max_size=14))
def test_a_database_name_is_what_the_old_pattern_said(name):
    """Red-team pass 8: a receiver named with 32,000 characters took 19 s in the pattern; string tests now."""
    import re

    from advisor.sources.mongo_names import db_name

    assert db_name(name) == bool(re.match(OLD_DB_NAME, name))


@given(st.text(alphabet="ab_1 (.\t", max_size=40))
def test_the_names_called_on_a_line_are_what_the_old_pattern_found(line):
    """Red-team pass 8: a 64 kB line in a purge_* function took 50 s; the names found are the same."""
    import re

    from advisor.sources.maintenance_callers import _CALLED

    assert _CALLED.findall(line) == re.findall(OLD_CALLED, line)


def test_a_parameter_past_postgresql_s_limit_is_not_counted_out():
    """Red-team pass 8: `$100000000` made --explain build lists of 10^8 entries (24 GB, killed), and 5,000 digits
    stopped the run (int() refuses them): a `$n` past 65,535 counts as one past it."""
    from advisor.explain.params import MAX_PARAMS, normalise

    assert normalise("SELECT 1 WHERE a = $100000000")[1] == MAX_PARAMS + 1
    assert normalise("SELECT 1 WHERE a = $" + "9" * 5000)[1] == MAX_PARAMS + 1
    assert normalise("SELECT 1 WHERE a = $3 AND b = $65535")[1] == 65535


def _linked_tree(root: Path, depth: int) -> str:
    (root / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    for name in ("l1", "l2", "l3"):
        (root / name).symlink_to(".")
    return "*/" * depth + "schema.sql"


def test_a_schema_glob_over_links_to_the_root_enters_each_directory_once(tmp_path, monkeypatch):
    """Red-team pass 8: three links to `.` and ten `*/` levels were 3^10 matches through pathlib's glob (44 s);
    each directory is entered once per pattern level now: the directories listed grow with the depth, and the one
    file is matched once, under one name."""
    from advisor import files

    counted = _counting(monkeypatch, files, "_names")
    found = {}
    for depth in (4, 8):
        root = tmp_path / f"d{depth}"
        root.mkdir()
        before = counted[0]
        found[depth] = files.glob_once(root, _linked_tree(root, depth))
        counted.append(counted[0] - before)
    assert counted[2] <= 2 * counted[1] + 2, counted  # linear in the depth, not 3^depth
    assert [p.name for p in found[8]] == ["schema.sql"] and len(found[4]) == 1


def test_the_schema_glob_matches_what_pathlib_matches_in_a_plain_tree(tmp_path):
    from advisor.files import glob_once

    for name in ("a.sql", "b.sql", ".hidden.sql", "db/x.sql", "db/m/0001/up.sql", "db/m/0002/up.sql",
                 "db/m/0002/down.sql", "db/.h/y.sql", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("-- x\n")
    for pattern in ("*.sql", "db/**/*.sql", "**/*.sql", "db/m/0*/up.sql", "[ab].sql", "db/m/*/*", "db", "db/x.sql",
                    "missing/*.sql", "**"):
        assert sorted(glob_once(tmp_path, pattern)) == sorted(tmp_path.glob(pattern)), pattern


OLD_PROTECTED = r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\$(?P<dtag>(?:[A-Za-z_]\w*)?)\$[\s\S]*?\$(?P=dtag)\$"
_TAGS = st.sampled_from(["", "a", "q", "body", "_x1"])


@st.composite
def _closed_sql(draw):
    """PL/pgSQL-ish text whose every quote and dollar quote is closed (what PostgreSQL accepts)."""
    plain = st.text(alphabet="ab ;\n=:(", max_size=6)
    inner = st.text(alphabet="ab $'\"-\n", max_size=8)
    tokens = []
    for kind in draw(st.lists(st.sampled_from(["plain", "str", "name", "comment", "dollar"]), max_size=8)):
        if kind == "plain":
            tokens.append(draw(plain))
        elif kind == "str":
            tokens.append("'" + draw(inner).replace("'", "''") + "'")
        elif kind == "name":
            tokens.append('"' + draw(inner).replace('"', '""') + '"')
        elif kind == "comment":
            tokens.append("--" + draw(inner).replace("\n", " ") + "\n")
        else:
            tag = draw(_TAGS)
            body = draw(inner).replace(f"${tag}$", "")
            tokens.append(f" ${tag}${body}${tag}$")  # never glued to a name: `a$b$` is one name
    return "".join(tokens)


@given(_closed_sql())
def test_a_body_s_quoted_text_is_what_the_old_pattern_found_where_every_quote_closes(text):
    """Red-team pass 8: a body of 8,000 unclosed `$aN$` took 26 s (each tried to the end); an unclosed one now
    runs to the end, as PostgreSQL reads it. Where each closes, the same text is blanked as before."""
    import re

    from advisor.sources.function_bodies import _blank

    assert _blank(text) == re.sub(OLD_PROTECTED, lambda m: " " * len(m.group(0)), text)


def test_an_unclosed_dollar_quote_blanks_the_rest_of_the_body_and_a_dollar_in_a_name_opens_none():
    from advisor.sources.function_bodies import _blank

    assert _blank("SELECT 1; $a$ x; $b$ SELECT 2") == "SELECT 1; " + " " * 19
    assert _blank("SELECT a$b$c FROM t WHERE d$b$ = 1") == "SELECT a$b$c FROM t WHERE d$b$ = 1"
    assert _blank("x := 'it''s") == "x := " + " " * 6


OLD_DECLARE = r"\bDECLARE\b(.*?)\bBEGIN\b"
OLD_DECLARATION = (
    r"\s*([A-Za-z_]\w*)\s+(?:CONSTANT\s+)?(.*?)\s*(?:\bCOLLATE\b.*|\bNOT\s+NULL\b.*|(?::=|=|\bDEFAULT\b).*)?$"
)
_DECLARATION_WORDS = st.sampled_from(
    ["x", "n", "int", "varchar", "(10)", "CONSTANT", "COLLATE", "NOT", "NULL", "DEFAULT", ":=", "=", "1", "c", ""]
)


@given(st.lists(st.tuples(_DECLARATION_WORDS, st.sampled_from([" ", "\n", "", "  \n\n"])), max_size=8))
def test_a_declaration_reads_as_the_old_pattern_read_it(parts):
    """Red-team pass 8: a declaration split by 40,000 blank lines took 153 s (the lazy type, then `\\s*`)."""
    import re

    from advisor.sources.function_bodies import _declaration, _type_text

    decl = "".join(w + s for w, s in parts)
    old = re.match(OLD_DECLARATION, decl, re.IGNORECASE | re.DOTALL)
    new = _declaration(decl)
    assert (new is None) == (old is None)
    if old is not None and new is not None:
        assert (new[0], _type_text(new[1])) == (old.group(1), _type_text(old.group(2)))


@given(
    st.lists(
        st.sampled_from(["DECLARE", "BEGIN", "begin", "x int;", "y CONSTANT text := 1;", "\n", "xBEGIN", "DECLAREd"]),
        max_size=8,
    )
)
def test_the_declare_section_is_what_the_old_pattern_found(words):
    """Red-team pass 8: 8,000 DECLARE with no BEGIN after took 24 s (each searched to the end)."""
    import re

    from advisor.sources.function_bodies import _NOT_NAMES, _declared, _type_text

    body = " ".join(words)
    old, section = {}, re.search(OLD_DECLARE, body, re.IGNORECASE | re.DOTALL)
    for decl in section.group(1).split(";") if section else []:
        if m := re.match(OLD_DECLARATION, decl, re.IGNORECASE | re.DOTALL):
            old[m.group(1).lower()] = _type_text(m.group(2))
    assert _declared(body) == {n: t for n, t in old.items() if n not in _NOT_NAMES}


def _old_template():
    import re

    from advisor import parse

    new = parse._TEMPLATE.pattern
    for now, then in (
        (r"\{%.*?(?:(?P<tag_end>%\})|\Z)|\{\#.*?(?:(?P<note_end>\#\})|\Z)", r"\{%.*?%\}|\{\#.*?\#\}"),
        (r"\{\{.*?(?:(?P<jinja_end>\}\})|\Z)", r"\{\{.*?\}\}"),
    ):
        assert now in new
        new = new.replace(now, then)
    return re.compile(new, parse._TEMPLATE.flags)


_JINJA_PIECES = ["{{ x }}", "{% if a %}", "{% endif %}", "{# n #}", "SELECT ", "a = ", "%(v)s", ":name", "'{{'", "{", "}", "\n"]


@given(st.lists(st.sampled_from(_JINJA_PIECES), max_size=10))
def test_templates_are_substituted_as_before_where_each_jinja_opener_closes(pieces):
    """Red-team pass 8: 16,000 unclosed `{{` took 32 s (each tried to the end); now the rest of the text after one
    is kept as written. Where each closes (strings keep theirs), the text reads as before."""
    from hypothesis import assume

    from advisor import parse

    text, old = "".join(pieces), _old_template()
    for opener, closer in (("{{", "}}"), ("{%", "%}"), ("{#", "#}")):
        assume(text.rfind(opener) < 0 or text.rfind(closer) > text.rfind(opener) + 1)
    expected = old.sub(lambda m: m.group(0) if m.lastgroup in ("keep", "dq") else parse._typed(text, m), text)
    assert parse.substitute_templates(text) == expected


@given(st.lists(st.sampled_from(["{% if a %}", "{% endif %}", "{% if", "%}", "{%", "x", "{%- IF b -%}", "\n"]), max_size=10))
def test_template_branches_are_counted_as_the_old_pattern_counted(pieces):
    import re

    from advisor.schema.templates import _net

    text = "".join(pieces)
    old = re.finditer(r"\{%-?\s*(if|endif)\b.*?%\}", text, re.IGNORECASE | re.DOTALL)
    assert _net(text) == sum(1 if m.group(1).lower() == "if" else -1 for m in old)


def test_an_unclosed_jinja_opener_keeps_the_rest_as_written():
    from advisor.parse import has_text_template, substitute_templates

    text = "SELECT a FROM t WHERE b = %(b)s {{ AND c = %(c)s"
    assert substitute_templates(text) == "SELECT a FROM t WHERE b = :b    {{ AND c = %(c)s"
    assert not has_text_template("SELECT a FROM t {{")


OLD_HOLDS_COLLECTION = r"self\.\w+\s*=\s*[\w.]*(?:db|database|client|mongo)\w*\s*[\[.]"


@given(st.lists(st.sampled_from(["self.", "x", " = ", "=", "db", "Mongo", "client", ".", "[", " ", "_", "\n"]), max_size=12))
def test_a_class_holding_a_collection_is_what_the_old_pattern_found(pieces):
    """Red-team pass 8: `self.x = dbdb...` over a 64 kB line took 37 s in the pattern."""
    import re

    text = "".join(pieces)
    assert python_classes.holds_collection(text) == bool(re.search(OLD_HOLDS_COLLECTION, text, re.IGNORECASE))


OLD_SKIP = r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|(?P<dq>\$[A-Za-z_]*\$).*?(?P=dq)|::"""


@given(st.lists(st.sampled_from(["SELECT ", "a = ", "%s", "%(x)s", ":n", "?", "$2", "'a''b'", '"q"', "-- c\n",
                                 "/* c */", " $f$ :z $f$ ", " $$ ? $$ ", "::text", ",", "\n"]), max_size=10))
def test_placeholders_are_numbered_as_before_where_every_quote_closes(pieces):
    """An unclosed quote, comment or dollar quote now runs to the end (each tried to the end was quadratic)."""
    import re

    from advisor.explain import params

    sql = "".join(pieces)
    old = re.compile(params._TOKEN.pattern.replace(params._TOKEN.pattern.split("\n")[0], '(?P<skip>' + OLD_SKIP + ')'),
                     params._TOKEN.flags)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(params, "_TOKEN", old)
        expected = params.normalise(sql)
    assert params.normalise(sql) == expected


def test_a_dollar_quote_tagged_with_digits_hides_its_placeholders():
    from advisor.explain.params import normalise

    assert normalise("SELECT $a1$ ? $2 $a1$, a FROM t WHERE b = ?") == ("SELECT $a1$ ? $2 $a1$, a FROM t WHERE b = $1", 1)
    assert normalise("SELECT a FROM t WHERE b = ? /* ? unclosed") == ("SELECT a FROM t WHERE b = $1 /* ? unclosed", 1)


def _old_sql_name_pattern(name: str) -> str | None:
    import re

    from advisor.sources.sql_file_use import _HOLE

    if name.lower().startswith(".sql"):
        return ".*"
    if not _HOLE.search(name):
        return None
    return ".*".join(re.escape(p) for p in _HOLE.split(name)) + "$"


@given(st.text(alphabet="aAb*?{}%s.-", max_size=10), st.text(alphabet="aAb.-", max_size=10))
def test_a_sql_name_with_holes_fits_the_files_the_old_pattern_matched(stem, file_stem):
    """Holes were joined into `.*` regexes, exponential in their number on a long file name."""
    import re

    from advisor.sources import sql_file_use

    name, file_name = stem + ".sql", file_stem + ".sql"
    old = _old_sql_name_pattern(name)
    new = sql_file_use._pattern(name)
    assert (old is None) == (new is None)
    if old is not None and new is not None:
        said = sql_file_use.left_over(["d/" + file_name, "d/named.sql"], [((), (new,), ()), (("named.sql",), (), ())])
        assert ("d/" + file_name not in said) == bool(re.match(old, file_name, re.IGNORECASE))


def test_a_name_of_many_holes_against_a_long_file_name_is_matched_left_to_right(monkeypatch):
    from advisor.sources import sql_file_use

    comment = "-- loaded by load(\"" + "*a" * 30 + "*b.sql\")\n"
    long_name = "a" * 200 + ".sql"
    said = [sql_file_use.mentions(comment), sql_file_use.mentions('load("x.sql")')]
    calls = _counting(monkeypatch, sql_file_use, "holes")
    # the old `.*a.*a...b\.sql$` took 45 s with 4 holes on this name, and each hole more multiplied it by ~200
    assert sql_file_use.left_over(["sql/x.sql", f"sql/{long_name}", "sql/y.sql"], said) == {f"sql/{long_name}", "sql/y.sql"}
    assert calls[0] == 1  # one pattern, compiled once


OLD_KEEP = r"""'(?:[^']|'')*'?|"(?:[^"]|"")*"?|--[^\n]*|/\*.*?(?:\*/|\Z)|(?P<dq>\$(?:[A-Za-z_]\w*)?\$).*?(?:(?P=dq)|\Z)"""


@given(st.lists(st.sampled_from(["SELECT ", "a = ", "%(x)s", ":n", "{}", "{v}", "$1,$2", "'a''b'", '"q"', "-- c\n",
                                 "/* c */", " $f$ :z $f$ ", " $$ ? $$ ", "::text", ",", "\n", "'", "/*", " $q$"]),
                max_size=10))
def test_one_reading_of_quoted_text_keeps_what_each_old_copy_kept_where_no_dollar_follows_a_name(pieces):
    """parse._TEMPLATE and parse._GLUED had their own copy of PostgreSQL's quoted lexemes, without its rule that a
    `$` inside a name opens no dollar quote; now all readers share parse.QUOTED."""
    import re

    from advisor import parse

    sql = "".join(pieces)
    for name in ("_TEMPLATE", "_GLUED"):
        new = getattr(parse, name)
        old = re.compile(new.pattern.replace(parse.QUOTED, OLD_KEEP, 1), new.flags)
        assert old.pattern != new.pattern
        assert [m.group(0) for m in old.finditer(sql)] == [m.group(0) for m in new.finditer(sql)]


def test_a_dollar_inside_a_name_opens_no_quote_for_templates():
    from advisor.parse import substitute_templates

    assert substitute_templates("SELECT a$b$c FROM t WHERE d = %(x)s") == "SELECT a$b$c FROM t WHERE d = :x   "


def test_a_deep_tree_is_walked_without_looking_every_folder_above_up_again(tmp_path, monkeypatch):
    """Red-team pass 10: a chain of 400 folders took 53 s: each entry looked up every folder above it for its
    ignore file (and `inside` for each, itself linear), and each folder searched every folder above it for a config."""
    from advisor import discovery, files

    depth = 120
    here = tmp_path / "repo"
    (here / ".git").mkdir(parents=True)
    (here / ".gitignore").write_text("skip.sql\n")
    deep = here.joinpath(*["a"] * depth)
    deep.mkdir(parents=True)
    middle = here.joinpath(*["a"] * (depth // 2))
    (middle / ".gitignore").write_text("gone.sql\n")
    for name in ("q.sql", "skip.sql", "gone.sql"):
        (deep / name).write_text("SELECT id FROM t ORDER BY random();\n")
    monkeypatch.chdir(here)
    specs = _counting(monkeypatch, files.Ignores, "_spec")
    configs = _counting(monkeypatch, discovery, "find_config")
    (project,) = discovery.collect(["."], Options())
    assert [p.name for p in project.files] == ["q.sql"]  # both ignore files read, at their depths
    assert configs[0] == 1  # the top's; every folder below shares it
    assert specs[0] <= depth + 2  # each folder's ignore file looked up once
