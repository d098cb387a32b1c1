"""Index declarations in hostile shapes: many of them in one function or one class chain (each read in
linear time: these assert the results, the timings are in the helper's report), and the fields, comments
and stray reads that must not be taken for what they are not.

Every snippet is written here; none is copied from a project."""

from advisor.sources import extract


def _python_options(text: str) -> list[dict]:
    return [i.options for i in extract("m.py", text).indexes]


def test_many_declarations_after_one_drop_are_each_fresh_and_the_ones_before_are_not():
    n = 3000
    before = "\n".join(f"    db.c.create_index([('b{i}', 1)])" for i in range(n))
    after = "\n".join(f"    db.c.create_index([('a{i}', 1)])" for i in range(n))
    text = f"def setup(db):\n{before}\n    db.other.drop()\n    db.c.drop()\n{after}\n    if db:\n        db.c.create_index([('z', 1)])\n"
    options = _python_options(text)
    assert len(options) == 2 * n + 1
    assert all("fresh" not in o for o in options[:n])
    drop_line = n + 3
    assert all(o.get("fresh") == f"m.py:{drop_line}" for o in options[n:])  # the nested one too


def test_the_nearest_drop_before_a_declaration_is_its_place():
    text = "def setup(db):\n    db.c.drop()\n    db.c.create_index('a')\n    db.c.drop_indexes()\n    db.c.create_index('a')\n"
    assert [o.get("fresh") for o in _python_options(text)] == ["m.py:2", "m.py:4"]


def test_a_long_inheritance_chain_gives_each_override_its_variant():
    n = 150
    parts = ["class C0:\n    def ensure(self):\n        self.db.c.create_index('a')\n"]
    for i in range(1, n):
        calls = "        super().ensure()\n" if i % 2 else ""
        parts.append(f"class C{i}(C{i - 1}):\n    def ensure(self):\n{calls}        self.db.c.create_index('a')\n")
    options = _python_options("".join(parts))
    assert len(options) == n
    assert {o["variant"] for o in options} == {"m.py:C0.ensure"}
    assert [o["class"] for o in options] == [f"C{i}" for i in range(n)]
    # C3 calls C2's, which does not call C1's: C3 runs with C2 (and C2 with C3), never with C1
    assert options[3]["runs_with"] == "C2,C3"
    assert options[2]["runs_with"] == "C2,C3"


LISTED_JS = """\
const indexes = [
  { name: 'users', key: { email: 1 } },
  { name: 'posts', key: { author: 1 }, unique: true, sparse: true },
];
async function ensure(db) {
  for (const idx of indexes) {
    log(idx.unique);
    await db.collection(idx.name).createIndex(idx.key, { background: true, sparse: idx.sparse });
  }
}
"""


def test_a_listed_declaration_takes_only_the_options_the_create_call_reads_and_never_its_collection_field():
    got = {(i.table, i.columns): i for i in extract("t.js", LISTED_JS).indexes}
    assert set(got) == {("users", ("email",)), ("posts", ("author",))}
    users, posts = got[("users", ("email",))], got[("posts", ("author",))]
    # `name` names the collection: no index is named after it
    assert (users.name, posts.name) == ("email_1", "author_1")
    assert "name" not in users.options and "name" not in posts.options
    # `log(idx.unique)` is no option given to createIndex; `sparse: idx.sparse` is
    assert not posts.unique
    assert posts.options.get("sparse") is True


def test_a_listed_declaration_passed_whole_takes_its_options_but_not_its_collection_field():
    text = LISTED_JS.replace("{ background: true, sparse: idx.sparse }", "idx")
    got = {i.table: i for i in extract("t.js", text).indexes}
    assert got["posts"].unique and got["posts"].options.get("sparse") is True
    assert got["users"].name == "email_1"


def _keys(path: str, text: str) -> set[tuple[str, tuple[str, ...]]]:
    from advisor.ir import SourceFile
    from advisor.schema.code_keys import code_keys

    return {(i.table, i.columns) for i in code_keys([SourceFile(path=path, text=text)], known=set())}


def test_a_create_table_in_a_comment_is_no_key_and_one_in_a_string_is():
    py = "# CREATE TABLE users (email text PRIMARY KEY)\nx = 1  # CREATE TABLE posts (id int PRIMARY KEY)\n"
    assert _keys("db.py", py) == set()
    assert _keys("db.py", py + "db.execute('CREATE TABLE tags (name text PRIMARY KEY)')\n") == {("tags", ("name",))}
    js = (
        "// CREATE TABLE users (email text PRIMARY KEY)\n"
        "/* CREATE TABLE posts (id int PRIMARY KEY) */\n"
        "db.exec(`CREATE TABLE tags (name text PRIMARY KEY)`); // CREATE TABLE notes (id int PRIMARY KEY)\n"
    )
    assert _keys("db.js", js) == {("tags", ("name",))}
    yml = "# CREATE TABLE users (email text PRIMARY KEY)\nsql: 'CREATE TABLE tags (name text PRIMARY KEY)'\n/* CREATE TABLE posts (id int PRIMARY KEY)"
    assert _keys("q.yml", yml) == {("tags", ("name",))}
    assert _keys("schema.sql", "CREATE TABLE tags (name text PRIMARY KEY);") == set()  # a schema file: not code


def test_a_definition_advisor_cannot_read_vetoes_its_tables_keys():
    good = "db.execute('CREATE TABLE main (id text PRIMARY KEY)')\n"
    assert _keys("db.py", good) == {("main", ("id",))}
    too_long = "db.execute('CREATE TABLE main (id text PRIMARY KEY, " + "c int, " * 700 + "d int)')\n"
    assert _keys("db.py", good + too_long) == set()
    unclosed = "db.execute('CREATE TABLE main (id text PRIMARY KEY' + rest)\n"
    assert _keys("db.py", good + unclosed) == set()
    unparsed = "db.execute('CREATE TABLE main (id text PRIMARY KEY, CHECK (a >)')\n"
    assert _keys("db.py", good + unparsed) == set()


def test_many_definitions_on_one_line_and_many_lines_are_each_placed():
    from advisor.ir import SourceFile
    from advisor.schema.code_keys import code_keys

    n = 2000
    one_line = "sql = [" + ", ".join(f"'CREATE TABLE t{i} (id int PRIMARY KEY)'" for i in range(n)) + "]\n"
    lines = "".join(f"db.execute('CREATE TABLE u{i} (id int PRIMARY KEY)')\n" for i in range(n))
    found = code_keys([SourceFile(path="db.py", text=one_line + lines)], known=set())
    where = {i.table: (i.location.line, i.location.col) for i in found}
    assert len(where) == 2 * n
    assert where["t0"] == (1, 9) and where["t1"] == (1, 9 + len("'CREATE TABLE t0 (id int PRIMARY KEY)', "))
    assert where["u0"] == (2, 13) and where[f"u{n - 1}"] == (n + 1, 13)
    # `(` without end: every match is read once, and none gives a key
    assert _keys("db.py", "x = '" + "CREATE TABLE a (" * 3000 + "'\n") == set()
    assert _keys("q.yml", "/* " * 5000 + "CREATE TABLE a (id int PRIMARY KEY)") == set()


def test_options_built_by_name_count_but_a_stray_read_beside_them_does_not():
    text = LISTED_JS.replace(
        "    await db.collection(idx.name).createIndex(idx.key, { background: true, sparse: idx.sparse });",
        "    const o = { background: true }\n    if (idx.sparse) { o.sparse = true }\n"
        "    await db.collection(idx.name).createIndex(idx.key, o);",
    )
    posts = next(i for i in extract("t.js", text).indexes if i.table == "posts")
    assert posts.options.get("sparse") is True and not posts.unique  # `log(idx.unique)` builds nothing
