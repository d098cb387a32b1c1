"""sql-string-building follows a JS/TS import to the project module that defines the value
(advisor.facts.js_imports, js_exports): a constant another module exports is the code's own text; a
value that module, or any module importing it, can change is not, nor is anything from a package or
from outside the project.

The safe shape is unleash-server 8.2.0's (dist/lib/db/access-store.js:597 interpolates
`ROOT_ROLE_TYPES.map((type) => `'${type}'`).join(',')`, exported by dist/lib/util/constants.js:13 as
`[ROOT_ROLE_TYPE, CUSTOM_ROOT_ROLE_TYPE]`, and passed to knex's `whereIn` elsewhere), cut down, in its
ES module form, in CommonJS (by hand and as tsc and Babel emit it) and in TypeScript; each dangerous
one differs from a safe one by one step."""

import os

import pytest

from advisor import catalogue, engine

CONSTANTS = """
export const ROOT_ROLE_TYPE = 'root';
export const CUSTOM_ROOT_ROLE_TYPE = 'root-custom';
export const ROOT_ROLE_TYPES = [ROOT_ROLE_TYPE, CUSTOM_ROOT_ROLE_TYPE];
"""

STORE = """
import { ROOT_ROLE_TYPES } from '../util/constants.js';

export class AccessStore {
  constructor(db) {
    this.db = db;
  }

  async getRootRoles() {
    return this.db('roles').whereIn('type', ROOT_ROLE_TYPES);
  }

  async getUserAccessOverview() {
    const result = await this.db.raw(`SELECT u.id, r.name FROM users u JOIN role_user ru ON ru.user_id = u.id
      JOIN roles r ON r.id = ru.role_id
      WHERE r.type IN (${ROOT_ROLE_TYPES.map((type) => `'${type}'`).join(',')})`);
    return result.rows;
  }
}
"""

CJS_CONSTANTS = """
const ROOT_ROLE_TYPE = 'root';
const ROOT_ROLE_TYPES = [ROOT_ROLE_TYPE, 'root-custom'];
module.exports = { ROOT_ROLE_TYPE, ROOT_ROLE_TYPES };
"""

CJS_STORE = """
const { ROOT_ROLE_TYPES } = require('../util/constants');

class AccessStore {
  constructor(db) {
    this.db = db;
  }

  async getUserAccessOverview() {
    const result = await this.db.raw(`SELECT u.id FROM users u JOIN roles r ON r.id = u.role_id
      WHERE r.type IN (${ROOT_ROLE_TYPES.map((type) => `'${type}'`).join(',')})`);
    return result.rows;
  }
}
module.exports = AccessStore;
"""

TSC_CONSTANTS = """
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ROOT_ROLE_TYPES = exports.CUSTOM_ROOT_ROLE_TYPE = exports.ROOT_ROLE_TYPE = void 0;
exports.ROOT_ROLE_TYPE = 'root';
exports.CUSTOM_ROOT_ROLE_TYPE = 'root-custom';
exports.ROOT_ROLE_TYPES = [exports.ROOT_ROLE_TYPE, exports.CUSTOM_ROOT_ROLE_TYPE];
"""

TSC_STORE = """
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.AccessStore = void 0;
const constants_1 = require("../util/constants");
class AccessStore {
    constructor(db) {
        this.db = db;
    }
    async getUserAccessOverview() {
        const result = await this.db.raw(`SELECT u.id FROM users u JOIN roles r ON r.id = u.role_id
          WHERE r.type IN (${constants_1.ROOT_ROLE_TYPES.map((type) => `'${type}'`).join(',')})`);
        return result.rows;
    }
}
exports.AccessStore = AccessStore;
"""

TS_ROLES = """
export const ADMIN_ROLES = ['admin', 'owner'] as const;
export const roles = Object.freeze({ admin: 'admin', owner: 'owner' });
"""

TS_STORE = """
import { Knex } from 'knex';
import { ADMIN_ROLES, roles } from './roles.js';

export async function admins(db: Knex, owners: boolean): Promise<unknown> {
  const role = owners ? roles.owner : roles.admin;
  return db.raw(`SELECT id FROM users WHERE role IN (${ADMIN_ROLES.map((r) => `'${r}'`).join(', ')}) OR role = '${role}'`);
}
"""


def raw(path: str, text: str) -> tuple[str, int]:
    """Where the file's SQL is built: the line of its `db.raw(`."""
    return path, next(i for i, line in enumerate(text.lstrip("\n").split("\n"), 1) if "db.raw(" in line)


def found(project, files: dict[str, str]) -> list[tuple[str, int]]:
    project(files)
    hits = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    return sorted((f.location.path, f.location.line) for f in hits)


SAFE = {
    "an ES module's constant array of constants": {"src/util/constants.js": CONSTANTS, "src/db/access-store.js": STORE},
    "through a barrel's export *": {
        "src/util/constants.js": CONSTANTS,
        "src/util/index.js": "export * from './constants.js';\nexport { default as x } from './x.js';\n",
        "src/db/access-store.js": STORE.replace("../util/constants.js", "../util/index.js"),
    },
    "a constant built of another module's": {
        "src/util/base.js": "export const ROOT_ROLE_TYPE = 'root';\n",
        "src/util/constants.js": (
            "import { ROOT_ROLE_TYPE } from './base';\n"
            "const CUSTOM = `${ROOT_ROLE_TYPE}-custom`;\n"
            "export const ROOT_ROLE_TYPES = Object.freeze([ROOT_ROLE_TYPE, CUSTOM]);\n"
        ),
        "src/db/access-store.js": STORE,
    },
    "CommonJS module.exports = { ... } and a destructured require": {
        "src/util/constants.js": CJS_CONSTANTS,
        "src/db/access-store.js": CJS_STORE,
    },
    "CommonJS exports.X as tsc emits it": {
        "src/util/constants.js": TSC_CONSTANTS,
        "src/db/access-store.js": TSC_STORE,
    },
    "TypeScript: ./roles.js names roles.ts": {"src/roles.ts": TS_ROLES, "src/store.ts": TS_STORE},
    "a directory's index": {
        "src/util/constants/index.js": CONSTANTS,
        "src/db/access-store.js": STORE.replace("'../util/constants.js'", "'../util/constants'"),
    },
}


@pytest.mark.parametrize("files", SAFE.values(), ids=SAFE.keys())
def test_constants_another_module_exports_are_no_injection(project, files):
    assert found(project, files) == []
    store = next(path for path, text in files.items() if "db.raw(" in text)
    emptied = {path: "" if path != store else text for path, text in files.items()}
    assert found(project, emptied) == [raw(store, files[store])]  # silent above because the import was followed


PUSHED = "\nexport function addRootType(req) {\n  ROOT_ROLE_TYPES.push(req.query.type);\n}\n"
DANGEROUS = {
    "an exported let the module reassigns": {
        "src/util/constants.js": CONSTANTS.replace("export const ROOT_ROLE_TYPES", "export let ROOT_ROLE_TYPES")
        + "export function setRootTypes(types) {\n  ROOT_ROLE_TYPES = types;\n}\n",
        "src/db/access-store.js": STORE,
    },
    "an array the module pushes request data onto": {
        "src/util/constants.js": CONSTANTS + PUSHED,
        "src/db/access-store.js": STORE,
    },
    "an array another importer pushes onto": {
        "src/util/constants.js": CONSTANTS,
        "src/db/access-store.js": STORE,
        "src/routes/admin.js": (
            "import { ROOT_ROLE_TYPES } from '../util/constants.js';\n"
            "export const addType = (req, res) => {\n  ROOT_ROLE_TYPES.push(req.body.type);\n  res.end();\n};\n"
        ),
    },
    "an array pushed onto through a barrel's namespace": {
        "src/util/constants.js": CONSTANTS,
        "src/util/index.js": "export * from './constants.js';\n",
        "src/db/access-store.js": STORE,
        "src/routes/admin.js": (
            "import * as util from '../util/index.js';\n"
            "export const addType = (req) => util.ROOT_ROLE_TYPES.push(req.body.type);\n"
        ),
    },
    "an alias another importer changes": {
        "src/util/constants.js": CONSTANTS,
        "src/db/access-store.js": STORE,
        "src/routes/admin.js": (
            "import { ROOT_ROLE_TYPES } from '../util/constants.js';\n"
            "const types = ROOT_ROLE_TYPES;\nexport const addType = (req) => types.push(req.body.type);\n"
        ),
    },
    "a CommonJS export another importer assigns": {
        "src/util/constants.js": CJS_CONSTANTS,
        "src/db/access-store.js": CJS_STORE,
        "src/config.js": "const constants = require('./util/constants');\nconstants.ROOT_ROLE_TYPES = process.argv.slice(2);\n",
    },
    "a CommonJS export the module assigns again": {
        "src/util/constants.js": CJS_CONSTANTS
        + "module.exports.ROOT_ROLE_TYPES = process.env.ROOT_TYPES.split(',');\n",
        "src/db/access-store.js": CJS_STORE,
    },
    "Object.assign into an export": {
        "src/util/constants.js": CONSTANTS,
        "src/db/access-store.js": STORE,
        "src/routes/admin.js": (
            "import { ROOT_ROLE_TYPES } from '../util/constants.js';\n"
            "export const setTypes = (req) => Object.assign(ROOT_ROLE_TYPES, req.body.types);\n"
        ),
    },
    "a dynamic import of the module": {
        "src/util/constants.js": CONSTANTS,
        "src/db/access-store.js": STORE,
        "src/plugins.js": "export async function load(req) {\n  const c = await import('./util/constants.js');\n  c.ROOT_ROLE_TYPES.push(req.body.type);\n}\n",
    },
    "an imported function's result": {
        "src/util/constants.js": "export const rootRoleTypes = (req) => req.query.types.split(',');\n",
        "src/db/access-store.js": STORE.replace("import { ROOT_ROLE_TYPES }", "import { rootRoleTypes }").replace(
            "${ROOT_ROLE_TYPES.map", "${rootRoleTypes(this.req).map"
        ),
    },
    "an import from a package": {
        "node_modules/role-constants/index.js": CONSTANTS,
        "src/db/access-store.js": STORE.replace("'../util/constants.js'", "'role-constants'"),
    },
    "a package's file named by a relative path": {
        "node_modules/role-constants/index.js": CONSTANTS,
        "src/db/access-store.js": STORE.replace(
            "'../util/constants.js'", "'../../node_modules/role-constants/index.js'"
        ),
    },
}


@pytest.mark.parametrize("files", DANGEROUS.values(), ids=DANGEROUS.keys())
def test_values_that_can_change_are_still_reported(project, files):
    assert found(project, files) == [raw("src/db/access-store.js", files["src/db/access-store.js"])]


def test_a_path_that_resolves_outside_the_project_is_not_followed(project, tmp_path, monkeypatch):
    """`../../../sibling/util/constants.js` leaves the checked project (a sibling directory, and a symlink to it)."""
    project(
        {
            "sibling/util/constants.js": CONSTANTS,
            "app/advisor.toml": 'dialect = "postgres"\n',
            "app/src/db/access-store.js": STORE.replace(
                "'../util/constants.js'", "'../../../sibling/util/constants.js'"
            ),
            "app/src/db/other-store.js": STORE.replace("'../util/constants.js'", "'../linked/constants.js'"),
        }
    )
    os.symlink(tmp_path / "sibling" / "util", tmp_path / "app" / "src" / "linked")
    monkeypatch.chdir(tmp_path / "app")
    hits = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    assert sorted((f.location.path, f.location.line) for f in hits) == [
        raw("src/db/access-store.js", STORE),
        raw("src/db/other-store.js", STORE),
    ]


def test_a_cycle_of_re_exports_ends(project):
    files = {
        "src/a.js": "export * from './b.js';\nexport const ROOT_ROLE_TYPES = ['root'];\n",
        "src/b.js": "export * from './a.js';\n",
        "src/db/access-store.js": STORE.replace("'../util/constants.js'", "'../b.js'"),
    }
    assert found(project, files) == []
    files["src/c.js"] = (
        "import { ROOT_ROLE_TYPES } from './b.js';\nexport const f = (req) => ROOT_ROLE_TYPES.push(req.body.t);\n"
    )
    assert found(project, files) == [raw("src/db/access-store.js", STORE)]


def test_an_export_of_the_checked_file_that_an_importer_changes(project):
    """In-file, an exported array is now asked about in the modules importing it too, and in its own
    module's uses of its exports; `module.exports = { KINDS }` exports it (no longer a value let out of
    sight)."""
    store = (
        "const KINDS = ['admin', 'owner'];\n"
        "async function list(db) {\n"
        "  return db.raw(`SELECT id FROM users WHERE kind IN (${KINDS.map((k) => `'${k}'`).join(', ')})`);\n}\n"
        "module.exports = { KINDS, list };\n"
    )
    assert found(project, {"src/store.js": store}) == []
    changer = "const { KINDS } = require('./store');\nmodule.exports = (req) => KINDS.push(req.query.kind);\n"
    assert found(project, {"src/store.js": store, "src/admin.js": changer}) == [raw("src/store.js", store)]
    itself = store + "module.exports.addKind = (req) => module.exports.KINDS.push(req.query.kind);\n"
    assert found(project, {"src/store.js": itself, "src/admin.js": ""}) == [raw("src/store.js", store)]


def test_cached_results_follow_the_imported_module(project):
    """A file's findings depend on the modules it imports: the results cache keys them by their text."""
    from advisor.options import Options

    files = {"src/util/constants.js": CONSTANTS, "src/db/access-store.js": STORE}
    changed = {**files, "src/util/constants.js": CONSTANTS + PUSHED}
    seen = []
    for version in (files, changed, files, changed):
        project(version)
        report = engine.check(["."], Options(cache=True))
        seen.append([f.location.line for f in report.active if catalogue.lookup(f.rule).name == "sql-string-building"])
    line = raw("src/db/access-store.js", STORE)[1]
    assert seen == [[], [line], [], [line]]
