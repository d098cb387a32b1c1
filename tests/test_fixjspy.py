"""Untrusted input must not stop a run nor cost more than about linear time: JavaScript SQL builders read
once per function however often they are run, a concatenation of thousands of terms, a Python module
of many queries on a parameter, a chain of thousands of functions handing a collection on, and a file
whose lines end in CR alone (old Mac editors) read like the same file with LF."""

from advisor.files import minified
from advisor.ir import SqlQuery
from advisor.mongo.shape import MongoQuery
from advisor.sources import extract
from advisor.sources.links import link

# --- JavaScript SQL builders ------------------------------------------------------------------------


def _sql(src):
    return [q for q in src.queries if isinstance(q, SqlQuery)]


def test_a_builder_is_read_once_however_often_its_result_is_run(monkeypatch):
    import advisor.sources.js_sql_builders as builders

    read = []
    real = builders.returns
    monkeypatch.setattr(builders, "returns", lambda fn: read.append(fn.id) or real(fn))
    body = "".join(f"  x.y{k} = x.z{k} + 1;\n" for k in range(50))
    code = f"function b(x) {{ let q = 'SELECT a FROM t WHERE id = 1';\n{body}  return q; }}\n"
    code += "".join(f"db.query(b({k}));\n" for k in range(200))
    queries = _sql(extract("a.js", code))
    assert [(q.location.line, q.text) for q in queries] == [(1, "SELECT a FROM t WHERE id = 1")]
    assert len(read) == len(set(read)) == 1  # one function, read once (was: once per call, 200 times)


def test_every_builder_run_is_read_once_and_a_string_read_there_is_not_read_again():
    n = 300
    code = "".join(
        f"function b{k}() {{ return 'SELECT a FROM t{k} WHERE id = ' + k; }}\n"
        f"function c{k}() {{ db.query(b{k}()); db.query(b{k}()); }}\n"
        for k in range(n)
    )
    code += "function d() { return 'SELECT b FROM u WHERE id = 2'; }\ndb.query(d());\n"
    code += "db.query('SELECT c FROM v WHERE id = 3');\n"
    queries = _sql(extract("a.js", code))
    places = [(q.location.line, q.location.col) for q in queries]
    assert len(places) == len(set(places)) == n + 2
    assert {q.text.split(" FROM ")[1].split()[0] for q in queries} == {f"t{k}" for k in range(n)} | {"u", "v"}


def test_a_name_given_a_builder_run_many_times_is_followed_once(monkeypatch):
    """`q = b(x); db.query(q)` a thousand times in one function: the calls `q` is given are looked up
    once, not once per run (was: every run went over every assignment, twice)."""
    import advisor.sources.js_sql_builders as builders

    looked = []
    real = builders.enclosing
    monkeypatch.setattr(builders, "enclosing", lambda node: looked.append(1) or real(node))
    n = 1000
    code = "".join(f"function b{k}(x) {{ return 'SELECT a FROM t WHERE id = {k}'; }}\n" for k in range(3))
    code += "function main(x) { let q;\n" + "".join(f"  q = b{k % 3}(x);\n  db.query(q);\n" for k in range(n)) + "}\n"
    queries = _sql(extract("a.js", code))
    assert [q.text for q in queries] == [f"SELECT a FROM t WHERE id = {k}" for k in range(3)]
    assert len(looked) < 2 * n  # was: n * n


def test_a_concatenation_of_thousands_of_terms_is_read_whole():
    terms = "".join(f" + ' AND c{i} = 1'" for i in range(5000))
    code = f"function b() {{ return 'SELECT a FROM t WHERE id = 1'{terms}; }}\nfunction c(db) {{ return db.query(b()); }}\n"
    code += f"function e(db) {{ return db.query('SELECT b FROM u WHERE id = 1'{terms}); }}\n"
    queries = _sql(extract("a.js", code))  # was: RecursionError, the file unread
    assert [q.location.line for q in queries] == [1, 3]
    assert all(q.text.endswith("AND c4998 = 1 AND c4999 = 1") for q in queries)
    assert all(q.text.count(" AND ") == 5000 for q in queries)


# --- pymongo: collections passed as parameters -------------------------------------------------------

CALLER = "from pymongo import MongoClient\n{imports}\ndb = MongoClient().app\ndb.other.find_one({{'x': 1}})\n{calls}"


def _linked(files):
    srcs = [extract(path, text) for path, text in files.items()]
    link(srcs)
    return {s.path: [q for q in s.queries if isinstance(q, MongoQuery)] for s in srcs}


def test_a_module_is_gone_over_once_for_the_scopes_of_its_queries_on_a_parameter(monkeypatch):
    import advisor.sources.pymongo_params as params

    def walks(n):
        seen = []
        real = params.walk
        monkeypatch.setattr(params, "walk", lambda tree: seen.append(1) or real(tree))
        finds = "".join(f"            c.find({{'a{k}': x}})\n" for k in range(n))
        code = f"class Outer:\n    class Store:\n        def method(self, c, x):\n{finds}"
        code += "    def other(self, c):\n        c.find({'b': 1})\n"
        calls = "s = Outer.Store()\ns.method(db['things'], 1)\nOuter().other(db['things'])\n"
        queries = _linked({"a.py": code, "b.py": CALLER.format(imports="from a import Outer", calls=calls)})["a.py"]
        monkeypatch.setattr(params, "walk", real)
        return len(seen), queries

    few, _ = walks(3)
    many, queries = walks(300)
    assert few == many  # was: once more per query
    assert [q.scope for q in queries] == [("method", "Store", "Outer")] * 300 + [("other", "Outer")]


def test_a_chain_of_thousands_of_functions_handing_a_collection_on_names_it_in_each():
    n = 1500
    code = "def f0(c):\n    c.find({'a0': 1})\n"
    code += "".join(f"def f{k}(c):\n    c.find({{'a{k}': 1}})\n    f{k - 1}(c)\n" for k in range(1, n))
    caller = CALLER.format(imports=f"from a import f{n - 1}", calls=f"f{n - 1}(db['things'])\n")
    queries = _linked({"a.py": code, "b.py": caller})["a.py"]  # was: RecursionError, no file joined
    assert len(queries) == n
    assert {(q.collection, q.partial) for q in queries} == {("things", False)}


def test_functions_handing_a_collection_to_each_other_get_what_all_their_callers_pass():
    """A cycle: what reaches one of its functions reaches all of them; two collections, a run-time name."""
    code = "def f(c):\n    c.find({'a': 1})\n    g(c)\ndef g(c):\n    c.find({'b': 1})\n    f(c)\n"
    code += "def h(c):\n    c.find({'c': 1})\n    g(c)\n"
    one = _linked({"a.py": code, "b.py": CALLER.format(imports="from a import f", calls="f(db['things'])\n")})
    assert [q.collection for q in one["a.py"]] == ["things", "things"]  # h: nothing passes it a collection
    calls = "f(db['things'])\nh(db['others'])\n"
    two = _linked({"a.py": code, "b.py": CALLER.format(imports="from a import f, h", calls=calls)})
    assert [q.collection for q in two["a.py"]] == ["<c>", "<c>", "others"]


# --- CR-only line ends -----------------------------------------------------------------------------

WRITTEN = "".join(
    f"function g{k}(db) {{ return db.query('SELECT * FROM t{k} WHERE a = NULL'); }}\n" for k in range(200)
)


def test_a_file_whose_lines_end_in_cr_alone_is_not_minified():
    assert len(WRITTEN) > 10_000
    assert not minified(WRITTEN.replace("\n", "\r"))  # was: one line of 14 KB, skipped as minified
    assert not minified(WRITTEN.replace("\n", "\r\n"))
    assert minified(WRITTEN.replace("\n", ";"))
    assert not minified(WRITTEN.replace("\n", "\r") + "//# sourceMappingURL=data:," + "A" * 50_000 + "\r")


def test_a_file_whose_lines_end_in_cr_alone_is_read_at_the_same_places():
    def places(text):
        return [(q.location.line, q.location.col, q.text) for q in _sql(extract("a.js", text))]

    assert places(WRITTEN.replace("\n", "\r")) == places(WRITTEN) == places(WRITTEN.replace("\n", "\r\n"))
    assert [line for line, _, _ in places(WRITTEN)] == list(range(1, 201))


def test_a_module_opening_as_only_a_minifier_writes_is_minified():
    # fiftyone's bundled web app: chunks of normal line length, even short ones, opening `import{...}from"`
    chunk = 'import{o as e}from"./rolldown-runtime-DAXXjFlN.js";import{t}from"./react-BS-zz9y.js";\n'
    assert minified(chunk + "var a=1;\n" * 10)
    assert minified("/*! three.js */\n" + chunk)
    assert not minified("import { o as e } from './runtime.js';\n" + WRITTEN)  # as people, tsc and tsup write
    assert not minified(WRITTEN)

