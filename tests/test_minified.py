"""Minified JavaScript (a bundle, a vendored library) is built code: advisor reads the source it was
built from, not the build. Compiled code of ordinary lines is read, a trailing source map included."""

import json

from click.testing import CliRunner

from advisor.cli import main
from advisor.files import minified

QUERY = "async function f(db){return db.collection('events').find({kind:'x'}).toArray();}"
SQUEEZED = ";".join(f"var a{i}=function(b){{return b+{i}}}" for i in range(400)) + ";" + QUERY + "\n"
WRITTEN = "\n".join(f"var a{i} = function (b) {{ return b + {i}; }};" for i in range(400)) + "\n" + QUERY + "\n"
SOURCE_MAP = "//# sourceMappingURL=data:application/json;base64," + "A" * 50_000 + "\n"


def test_what_counts_as_minified():
    assert minified(SQUEEZED)
    assert not minified(WRITTEN)
    assert not minified(WRITTEN + SOURCE_MAP)  # one long comment line at the end of compiled code
    assert minified(SQUEEZED + SOURCE_MAP)
    assert not minified(QUERY * 3)  # a short file of long lines is read (a few long statements)
    assert not minified("x" * 50_000 + "\n" + WRITTEN + SOURCE_MAP[:-1])  # a long line that is not the map


def _rules(tmp_path, monkeypatch, files: dict[str, str]) -> set[tuple[str, str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", "."])
    assert result.exit_code in (0, 1), result.output
    return {(f["path"], f["name"]) for f in json.loads(result.output)["findings"]}


def test_a_bundle_is_not_read_its_source_is(tmp_path, monkeypatch):
    opt_in = 'large-tables = ["*"]\nselect = ["DEFAULT", "unbounded-find"]\n'  # a finding the query has whether a collection is indexed
    found = _rules(tmp_path, monkeypatch, {"bundle.min.js": SQUEEZED, "app.js": WRITTEN + SOURCE_MAP, "advisor.toml": opt_in})
    assert ("app.js", "unbounded-find") in found
    assert not {f for f in found if f[0] == "bundle.min.js"}
