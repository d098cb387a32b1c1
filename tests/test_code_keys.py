"""The primary keys of tables a project creates from code (CREATE TABLE strings, one per back end, as
MeshCentral's db.js has): a lookup by one finds one row, so limit-without-order-by has nothing to order.

The snippet is written here in the style of the code it stands for; none is copied from it."""

from advisor import engine
from advisor.ir import SourceFile
from advisor.schema.code_keys import code_keys

DB_JS = """\
function exec(query, args, done) { pool.query(query, args, done); }
function createTables(done) {
    batch([
        'CREATE TABLE IF NOT EXISTS main (id VARCHAR(256) NOT NULL, type CHAR(32), extra CHAR(255), PRIMARY KEY(id))',
        'CREATE TABLE IF NOT EXISTS stats (time TIMESTAMP PRIMARY KEY, doc JSON)',
    ], done);
}
function createLiteTables(db) {
    db.exec(`
        CREATE TABLE main (id VARCHAR(256) PRIMARY KEY NOT NULL, type CHAR(32), extra CHAR(255));
        CREATE TABLE stats (time TIMESTAMP, seq INTEGER PRIMARY KEY, doc JSON);
    `);
}
function devices(id, type, limit, skip, done) {
    if (id) {
        exec('SELECT doc FROM main WHERE (id = $1) AND (type = $2) LIMIT $3 OFFSET $4', [id, type, limit, skip], done);
    } else {
        exec('SELECT doc FROM main WHERE (type = $1) LIMIT $2 OFFSET $3', [type, limit, skip], done);
    }
}
function stats(time, limit, skip, done) {
    exec('SELECT doc FROM stats WHERE time = $1 LIMIT $2 OFFSET $3', [time, limit, skip], done);
}
"""


def test_a_lookup_by_the_primary_key_the_code_declares_needs_no_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    (tmp_path / "db.js").write_text(DB_JS)
    lines = sorted(f.location.line for f in engine.check(["db.js"]).active if f.rule == "SQL010")
    # the key lookup (line 16) is one row; the page over a type (18) is a page; stats' two definitions
    # disagree on its key (time, seq), so time is no key of every back end (22)
    assert lines == [18, 22]


def test_only_keys_every_definition_declares_and_never_for_a_table_the_schema_defines():
    source = SourceFile(path="db.js", text=DB_JS)
    keys = {(i.table, i.columns) for i in code_keys([source], known=set())}
    assert keys == {("main", ("id",))}
    assert code_keys([source], known={"main"}) == []
    # a definition whose name or body is built at run time says nothing
    built = SourceFile(path="b.js", text="exec('CREATE TABLE ' + name + ' (id INT PRIMARY KEY)'); exec(`CREATE TABLE ${t} (id INT PRIMARY KEY)`)")
    assert code_keys([built], known=set()) == []
