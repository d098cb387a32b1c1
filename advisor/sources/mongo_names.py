"""Collections whose name is known only at run time, in every language's extractor.

`db.collection(this.options.collection)`, `db[datasource]`: the call reaches the driver, so its
shape is extracted, under the expression the name is read from in angle brackets
(`<this.options.collection>`), never under a guessed name.
"""

from __future__ import annotations

import ast
import re

from advisor.mongo.shape import RUN_TIME_NAME

UNKNOWN = RUN_TIME_NAME
# a mongoose schema under a generic name: its collection, known once the project is read (advisor.sources.links)
MODULE_SCHEMA = "<the schema of this module>"


def db_name(name: str) -> bool:
    """A name for a database: `db`, `database`, `mongodb`, `users_db`, `_database`... (string tests: the pattern
    `^_*(.*db|...)$` they replace backtracked over every split of a long name, quadratic in its length)."""
    low = name.lower()
    return low.endswith("db") or low == "database" or low.endswith("_database")


def run_time_name(expression: str) -> str:
    """The name of a collection opened with this expression: `<expression>`."""
    return "<" + " ".join(expression.split())[:80] + ">"


def run_time(collection: str) -> bool:
    """The collection is named at run time: the same expression may name a different collection at each
    call (`db.collection(name)` in a helper, `db.collection(nanoid())`), so what is declared on it is
    compared with nothing else declared under that text."""
    return bool(UNKNOWN.fullmatch(collection))


# `MongoJobs.jobs`: the collection a class is given, unnamed (not a GridFS bucket's own `Photos.files`)
HELD = re.compile(r"(?:this|self|[A-Z]\w*)\.(?!(?:files|chunks)$)\w+")
# `@mastra/core/storage:TABLE_MESSAGES`: the collection a constant another package exports names, text unread
IMPORTED = re.compile(r"[^\s<>:]+:[A-Za-z_$][\w$]*")


def unnamed(collection: str) -> bool:
    """advisor could not name this collection: named at run time, the one a class keeps from its caller
    (`Class.member`, `this.col`), or the one a constant of another package names, which queries and declarations
    elsewhere may call by its real name."""
    return run_time(collection) or bool(HELD.fullmatch(collection)) or bool(IMPORTED.fullmatch(collection))


def package_constant(module: str, export: str) -> str:
    """The name of the collection a constant another package exports names (`import { TABLE_MESSAGES } from
    "@mastra/core/storage"`): one collection wherever the project names it so, whatever its text, so the queries and
    the index declarations written with it meet on it."""
    return f"{module}:{export}"


# a function named as giving a database: `get_db()`, `foo.get_db_conn()`, `get_async_db_conn()` (fiftyone's
# odm), `_get_db()`, `get_mongo_database()`; not `to_db_dict()`
_HOLDER_NAME = re.compile(r"_*(\w*?)_?(collection|coll|col)s?", re.IGNORECASE)


def named_for_collection(name: str) -> bool:
    """A member or variable named for the collection it holds (`collection`, `_coll`, `jobs_col`, `jobsCollection`,
    `cols`): the word stands apart, at the start, after `_` or capitalised, never the end of another word
    (`protocol`, cowrie's `self.protocol.cmdstack.remove(x)`, a list's)."""
    m = _HOLDER_NAME.fullmatch(name)
    if m is None:
        return False
    at = m.start(2)
    return not m.group(1) or name[at - 1] == "_" or name[at].isupper()


_DB_GETTER = re.compile(r"_*get_(async_)?(mongo_?)?(db|database)(_conn(ection)?)?", re.IGNORECASE)


def is_database(node: ast.AST) -> bool:
    """Whether an expression is a pymongo Database by its name: `db`, `self.mongo_db`, `client[name]`,
    `client.get_database()`, `get_db_conn()` (its attributes and items are collections)."""
    if isinstance(node, ast.Name):
        return db_name(node.id)
    if isinstance(node, ast.Attribute):  # a client's attribute is a database; a database's (`db.fs`) a collection
        return db_name(node.attr) or _is_client(node) or (_is_client(node.value) and not is_database(node.value))
    if isinstance(node, ast.Subscript):
        return _is_client(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "get_default_database" or bool(_DB_GETTER.fullmatch(node.func.attr))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return bool(_DB_GETTER.fullmatch(node.func.id))
    return False


def _is_client(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return "client" in name.lower() or "mongo" in name.lower() or db_name(name)
