"""A source file is read as its runtime reads it (advisor.files.decode).

Node decodes JS/TS as UTF-8 and turns a byte that is not into U+FFFD: a file with a cp1252 apostrophe in a
comment runs, so advisor reads it (meshcentral 1.1's amt/amt.js and amt/amt-setupbin.js were reported as
"not UTF-8" and their code was never read).  Python honours a PEP 263 coding declaration and, without one,
refuses an undecodable byte (a SyntaxError: a finding, with its line).  SQL files must be UTF-8."""

from advisor import catalogue, engine
from advisor.files import decode


def findings(tmp_path, monkeypatch, files: dict[str, bytes]):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('dialect = "postgres"\n')
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return sorted(
        (f.location.path, f.location.line, catalogue.lookup(f.rule).name, f.message) for f in engine.check(["."]).active
    )


JS = b"// it\x92s the user\x92s id\nasync function f(c, id) { return c.query(`SELECT a FROM t WHERE id = ${id}`); }\n"


def test_js_with_a_cp1252_byte_is_read_as_node_reads_it(tmp_path, monkeypatch):
    got = findings(tmp_path, monkeypatch, {"a.js": JS, "b.ts": JS})
    assert [(path, line, rule) for path, line, rule, _ in got] == [
        ("a.js", 2, "sql-string-building"),
        ("b.ts", 2, "sql-string-building"),
    ]
    text, error = decode(JS, ".js")
    assert error is None and text.startswith("// it\ufffds")


PY = b'def f(cur, x):\n    # caf\xe9\n    cur.execute("SELECT a FROM t WHERE b = %s" % x)\n'


def test_python_follows_its_coding_declaration(tmp_path, monkeypatch):
    declared = b"# -*- coding: latin-1 -*-\n" + PY
    got = findings(tmp_path, monkeypatch, {"declared.py": declared, "undeclared.py": PY})
    assert [(path, line, rule) for path, line, rule, _ in got] == [
        ("declared.py", 4, "sql-string-building"),
        ("undeclared.py", 1, "parse-error"),
    ]
    assert got[1][3] == "file is not UTF-8 text (line 2)"  # where Python's own SyntaxError would point


def test_other_files_must_be_utf8(tmp_path, monkeypatch):
    got = findings(tmp_path, monkeypatch, {"q.sql": b"SELECT 1;\n-- caf\xe9\nSELECT 2;\n"})
    assert [(path, rule, message) for path, _, rule, message in got] == [
        ("q.sql", "parse-error", "file is not UTF-8 text (line 2)")
    ]
    assert decode(b"\xef\xbb\xbfSELECT 1;", ".sql") == ("SELECT 1;", None)  # a BOM is dropped
    text, error = decode(b"# coding: no-such-codec\nx = 1\n", ".py")
    assert text is None and "encoding" in error


def test_a_utf16_file_is_named_as_such_whatever_its_language(tmp_path, monkeypatch):
    """A file saved as UTF-16 (a Windows editor's "Unicode") is read by no runtime here: psql, Node and Python
    take UTF-8. It is skipped, saying what it is, not as "not UTF-8" at line 1 (nor read as Node's replacement
    characters, one per other byte)."""
    text = "SELECT a FROM t WHERE b = 1;\n"
    big_endian = ("\ufeff" + text).encode("utf-16-be")
    got = findings(tmp_path, monkeypatch, {"q.sql": text.encode("utf-16"), "a.js": big_endian})
    assert [(path, rule) for path, _, rule, _ in got] == [("a.js", "parse-error"), ("q.sql", "parse-error")]
    assert all(message.startswith("file is UTF-16 text") for *_, message in got)
    assert decode(text.encode("utf-8"), ".sql") == (text, None)
