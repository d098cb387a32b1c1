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

TYPES = """
import { StatusString } from './workflow';
export declare function setStatus(status: (typeof StatusString)[keyof typeof StatusString]): void;
"""

API = """
import { StatusString } from './workflow';
export type Status = (typeof StatusString)[keyof typeof StatusString];
export const isPending = (s: Status): boolean => s === StatusString.PENDING;
"""

STATUS_FILES = {
    "src/workflow.js": STATUS,
    "src/index.js": BARREL,
    "src/store.js": STORE,
    "src/workflow.d.ts": TYPES,  # `typeof StatusString` in a type: nothing that runs
    "src/api.ts": API,
}


def test_a_constant_object_re_exported_by_a_getter_is_the_codes_own(project):
    assert found(project, STATUS_FILES) == []


@pytest.mark.parametrize(
    "changed",
    [
        # an importer of the barrel changes the constant
        {"src/cli.js": "const { StatusString } = require('./index');\nStatusString.PENDING = process.argv[2];\n"},
        # a TypeScript importer that names it in a type, and changes it
        {"src/api.ts": API + "export function override(s: string) { StatusString.PENDING = s; }\n"},
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


# --- Python: a method or property of an object whose class the project defines --------------

DB = """
DB_TYPE = "POSTGRES"


def compat_timestamp_placeholder(key: str):
    if DB_TYPE == "POSTGRES":
        return f"to_timestamp(:{key})"
    return f":{key}"


class Compat:
    type = "POSTGRES"

    @property
    def timestamp_now(self) -> str:
        if self.type == "POSTGRES":
            return "now()"
        return "(strftime('%s', 'now'))"

    def timestamp_placeholder(self, key: str) -> str:
        return compat_timestamp_placeholder(key)


class Connection(Compat):
    def __init__(self, conn):
        self.conn = conn

    async def execute(self, query, values=None):
        return await self.conn.execute(query, values)


class Database(Compat):
    def __init__(self, name: str):
        self.name = name

    async def execute(self, query, values=None):
        return query, values
"""

CORE_DB = """
from app.db import Database

db = Database("database")
"""

CRUD = """
from app.core_db import db
from app.db import Connection, Database


async def purge(conn: Connection | None = None):
    await (conn or db).execute(f"DELETE FROM audit WHERE delete_at < {db.timestamp_now}")


async def delete_wallet(wallet_id: str, now: int, conn: Connection | None = None):
    database = conn or db
    await database.execute(
        f"UPDATE wallets SET deleted = true, updated_at = {database.timestamp_placeholder('now')} WHERE id = :id",
        {"id": wallet_id, "now": now},
    )


async def migrate(conn: "Connection"):
    tsph = conn.timestamp_placeholder("created_at")
    await conn.execute(f"UPDATE payments SET created_at = {tsph}, updated_at = {tsph}")


class Service:
    def __init__(self):
        self.db = Database("service")

    async def touch(self, key):
        await self.db.execute(f"UPDATE keys SET seen = {self.db.timestamp_placeholder('now')} WHERE key = :key", {"key": key})
"""

DB_FILES = {"app/__init__.py": "", "app/db.py": DB, "app/core_db.py": CORE_DB, "app/crud.py": CRUD}


def test_methods_and_properties_returning_fixed_dialect_text_are_the_codes_own(project):
    assert found(project, DB_FILES) == []


def crud_lines(code: str, marker: str) -> list[tuple[str, int]]:
    return [("app/crud.py", i) for i, line in enumerate(code.lstrip("\n").split("\n"), 1) if marker in line]


@pytest.mark.parametrize(
    "where, old, new, marker",
    [
        # the method returns what its parameter is given, and a caller passes its own value
        (
            "crud",
            "database.timestamp_placeholder('now')",
            "database.timestamp_placeholder(wallet_id)",
            "UPDATE wallets",
        ),
        # the property returns an attribute a caller sets
        ("db", 'return "now()"', "return self.now_text", "DELETE FROM audit"),
        # an untyped parameter: its class is not known
        ("crud", 'async def migrate(conn: "Connection"):', "async def migrate(conn):", "UPDATE payments"),
        # the attribute is given another object elsewhere, one whose class is not known
        (
            "crud",
            "    async def touch(self, key):",
            "    def swap(self, other):\n        self.db = other\n\n    async def touch(self, key):",
            "UPDATE keys",
        ),
        # code elsewhere gives the attribute another object
        ("crud", "class Service:", "def rewire(svc, other):\n    svc.db = other\n\n\nclass Service:", "UPDATE keys"),
        # a decorator that may change what the method returns
        (
            "db",
            "    def timestamp_placeholder(self, key: str) -> str:",
            "    @traced\n    def timestamp_placeholder(self, key: str) -> str:",
            "UPDATE wallets|UPDATE payments|UPDATE keys",  # every call of the method
        ),
    ],
)
def test_a_member_that_can_return_an_outside_value_is_reported(project, where, old, new, marker):
    files = dict(DB_FILES)
    path = f"app/{where}.py"
    assert old in files[path]
    files[path] = files[path].replace(old, new)
    assert found(project, files) == sorted(
        hit for m in marker.split("|") for hit in crud_lines(files["app/crud.py"], m)
    )


def test_a_subclass_elsewhere_that_overrides_the_property_is_followed_too(project):
    unsafe = """
    from app.db import Database


    class Remote(Database):
        def __init__(self, name, request):
            super().__init__(name)
            self.request = request

        @property
        def timestamp_now(self) -> str:
            return self.request.args["now"]
    """
    assert found(project, {**DB_FILES, "app/remote.py": unsafe}) == crud_lines(CRUD, "DELETE FROM audit")


def test_a_member_a_base_outside_the_project_may_define_is_unknown(project):
    files = {
        **DB_FILES,
        "app/db.py": DB.replace("class Compat:", "class Compat(LibraryBase):").replace(
            "    def timestamp_placeholder(self, key: str) -> str:\n        return compat_timestamp_placeholder(key)\n",
            "",
        ),
    }
    assert found(project, files) == sorted(
        hit for m in ("UPDATE wallets", "UPDATE payments", "UPDATE keys") for hit in crud_lines(CRUD, m)
    )


# --- Python: a clause a private method is handed by every call, one of them unpacking the rest -----------

ENTITIES = """
class Session:
    async def _select_entity(self, constraint, *args):
        q = f"SELECT id, hash FROM telethon_entities WHERE session_id=$1 AND {constraint}"
        return await self.db.fetchrow(q, self.session_id, *args)

    async def by_phone(self, key):
        return await self._select_entity("phone=$2", str(key))

    async def by_ids(self, ids):
        return await self._select_entity(f"id IN ($2, $3, $4)", *ids)
"""


def test_an_argument_before_a_starred_one_binds_as_written(project):
    """holdout 29's mautrix-telegram: `self._select_entity(f"id IN ($2, $3, $4)", *ids)` still hands the method a
    clause the code writes; what `*ids` unpacks goes to `*args` (a bound value), not to `constraint`."""
    assert found(project, {"app/session.py": ENTITIES}) == []
    spliced = ENTITIES.replace('_select_entity(f"id IN ($2, $3, $4)", *ids)', "_select_entity(*ids)")
    assert found(project, {"app/session.py": spliced}) == [("app/session.py", 3)]  # the star may fill the clause
