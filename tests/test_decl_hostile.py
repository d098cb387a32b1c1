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
