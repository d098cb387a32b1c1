"""Constant SQL fragments that sql-string-building follows to where they are made (issue 10 point 6).

JS/TS (advisor.facts.js_exports, js_args, js_narrowing): a constant object of status strings, exported by
tsc's CommonJS and re-exported by a barrel through a getter (`Object.defineProperty(exports, "S",
{ get: function () { return m.S; } })`), and a private method (`#m`) whose every call the class body holds.
The shapes are dbos-sdk's dist/src/system_database.js (`'${workflow_1.StatusString.PENDING}'`, the
`#renameSource` / `#renameRowsInBatches` pair), cut down.

Python (advisor.facts.objects): a method or property of a class the project defines, called on an object
whose class is known (a parameter annotated with it, an import of a module-level instance, an attribute
assigned one), judged by what it returns.  The shape is lnbits' `db.timestamp_placeholder("now")` and
`db.timestamp_now` (lnbits/db.py), cut down.

Each dangerous shape differs from a safe one by one step."""

import pytest

from advisor import catalogue, engine


def found(project, files: dict[str, str]) -> list[tuple[str, int]]:
    project(files)
    hits = [f for f in engine.check(["."]).active if catalogue.lookup(f.rule).name == "sql-string-building"]
    return sorted((f.location.path, f.location.line) for f in hits)


def query_line(code: str) -> int:
    """The line of the file's `.query(` (the file is written without its first newline)."""
    return next(i for i, line in enumerate(code.lstrip("\n").split("\n"), 1) if ".query(" in line)


# --- JS: a constant object re-exported through a getter ---------------------------------

STATUS = """
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.StatusString = void 0;
exports.StatusString = {
    PENDING: 'PENDING',
    ENQUEUED: 'ENQUEUED',
};
"""

BARREL = """
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.StatusString = void 0;
var workflow_1 = require("./workflow");
Object.defineProperty(exports, "StatusString", { enumerable: true, get: function () { return workflow_1.StatusString; } });
"""

STORE = """
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Store = void 0;
const workflow_1 = require("./workflow");
class Store {
    async pending(pool, ids) {
        const { rows } = await pool.query(`SELECT id FROM workflow_status WHERE id = ANY($1) AND status NOT IN ('${workflow_1.StatusString.PENDING}', '${workflow_1.StatusString.ENQUEUED}')`, [ids]);
        return rows;
    }
}
exports.Store = Store;
"""

STATUS_FILES = {"src/workflow.js": STATUS, "src/index.js": BARREL, "src/store.js": STORE}


def test_a_constant_object_re_exported_by_a_getter_is_the_codes_own(project):
    assert found(project, STATUS_FILES) == []


@pytest.mark.parametrize(
    "changed",
    [
        # an importer of the barrel changes the constant
        {"src/cli.js": "const { StatusString } = require('./index');\nStatusString.PENDING = process.argv[2];\n"},
        # the defining module lets a caller change it
        {
            "src/workflow.js": STATUS
            + "function setPending(s) { exports.StatusString.PENDING = s; }\nexports.setPending = setPending;\n"
        },
        # the barrel's property has a setter: whoever sets it replaces the object
        {
            "src/index.js": BARREL.replace(
                "get: function () { return workflow_1.StatusString; } }",
                "get: function () { return workflow_1.StatusString; }, set: function (v) { workflow_1.StatusString = v; } }",
            )
        },
    ],
)
def test_a_constant_object_someone_can_change_is_reported(project, changed):
    assert found(project, {**STATUS_FILES, **changed}) == [("src/store.js", query_line(STORE))]


# --- JS: a private method's parameters and its returned clause ---------------------------

RENAME = """
class Renamer {
    #source(oldName, params) {
        const clauses = [];
        if (oldName !== undefined) {
            params.push(oldName);
            clauses.push(`application_name = $${params.length}`);
        }
        clauses.push('application_name IS NULL');
        return `(${clauses.join(' OR ')})`;
    }
    async #move(pool, table, key, oldName, newName, watermark) {
        const params = [newName];
        let scope = this.#source(oldName, params);
        if (watermark !== undefined) {
            params.push(watermark);
            scope = `${scope} AND ${key} > $${params.length}`;
        }
        return pool.query(`UPDATE ${table} SET application_name = $1 WHERE ${scope}`, params);
    }
    async rename(pool, oldName, newName, watermark) {
        await this.#move(pool, 'workflow_status', 'workflow_uuid', oldName, newName, watermark);
        await this.#move(pool, 'operation_outputs', 'workflow_uuid', oldName, newName, watermark);
    }
}
module.exports = { Renamer };
"""


def test_a_private_methods_placeholder_clause_and_literal_arguments_are_the_codes_own(project):
    assert found(project, {"src/renamer.js": RENAME}) == []


@pytest.mark.parametrize(
    "old, new",
    [
        # a raw value pushed into the clause
        ("clauses.push(`application_name = $${params.length}`);", "clauses.push(`application_name = '${oldName}'`);"),
        # a caller's value reaches the key through the private method's parameter
        ("'operation_outputs', 'workflow_uuid', oldName", "'operation_outputs', watermark, oldName"),
        # the private method handed around as a value: its calls are not all seen
        ("    async rename(pool,", "    moves() { return [this.#move]; }\n    async rename(pool,"),
    ],
)
def test_a_private_method_given_or_building_an_outside_value_is_reported(project, old, new):
    assert old in RENAME
    code = RENAME.replace(old, new)
    assert found(project, {"src/renamer.js": code}) == [("src/renamer.js", query_line(code))]
