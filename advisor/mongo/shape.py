"""The Mongo query IR: a `MongoQuery` per call found in code or in a shape file.

Filters, projections, sorts and pipelines are plain Python values (dicts keep the
order keys were written in).  What cannot be read statically (a variable, a call,
a template string) becomes a typed `Placeholder`; regular expression literals
become `Regex`.  `spans` maps a path inside the query to the place in the file
it was written, so findings point at the offending key.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from advisor.ir import Location

WRITE_OPS = {
    "updateOne",
    "update_one",
    "updateMany",
    "update_many",
    "replaceOne",
    "replace_one",
    "deleteOne",
    "delete_one",
    "deleteMany",
    "delete_many",
    "update",
    "remove",
    "findOneAndUpdate",
    "find_one_and_update",
    "findOneAndDelete",
    "find_one_and_delete",
    "findOneAndReplace",
    "find_one_and_replace",
    "findByIdAndUpdate",
    "findByIdAndDelete",
    "findByIdAndRemove",  # mongoose before 7
    "findOneAndRemove",
}
# operations that take a filter: the reads, and the writes (which find what they change)
FIND_OPS = {
    "find",
    "findOne",
    "find_one",
    "findById",
    "countDocuments",
    "count_documents",
    "count",
    "distinct",
    "exists",
} | WRITE_OPS
AGGREGATE_OPS = {"aggregate"}
MULTI_READ_OPS = {"find"}  # return a cursor of many documents
SINGLE_READ_OPS = {"findOne", "find_one", "findById"}
COUNT_OPS = {"countDocuments", "count_documents", "count", "exists", "distinct"}
# operations that stop at the first document they match
ONE_DOCUMENT_OPS = SINGLE_READ_OPS | {"exists"} | {op for op in WRITE_OPS if "One" in op or "_one" in op}


@dataclass(frozen=True)
class Placeholder:
    """A value known only at run time: `kind` is its likely type, `text` what was written."""

    kind: str  # string, number, date, objectid, bool, array, object, regex, unknown
    text: str = ""

    def __repr__(self) -> str:
        return f"<{self.kind}:{self.text}>" if self.text else f"<{self.kind}>"


@dataclass(frozen=True)
class Regex:
    pattern: str
    flags: str = ""

    @property
    def anchored(self) -> bool:
        return self.pattern.startswith("^") or self.pattern.startswith("\\A")

    @property
    def case_insensitive(self) -> bool:
        return "i" in self.flags

    def __str__(self) -> str:
        return f"/{self.pattern}/{self.flags}"


# a collection named only at run time, shown as the expression it is read from: `<this.options.collection>`
RUN_TIME_NAME = re.compile(r"<.*>", re.DOTALL)


@dataclass
class MongoQuery:
    collection: str
    operation: str
    filter: Any = None  # dict, Placeholder (unknown), or None (no filter argument)
    projection: Any = None
    sort: Any = None  # dict field -> 1/-1 in order, or Placeholder
    skip: Any = None
    limit: Any = None
    pipeline: Any = None  # list of stages, or Placeholder
    hint: Any = None  # the index the call forces: its name, its key pattern, or a Placeholder
    location: Location = field(default_factory=lambda: Location("<unknown>", 1, 1))
    source: str = "js"  # js, python, shape
    model: str | None = None  # the mongoose model the call was made on
    driver: bool = False  # native driver / mongosh (no mongoose defaults)
    lean: bool = False
    explained: bool = False  # the call is wrapped in .explain(): a diagnostic, not an application read
    upsert: bool = False  # a write that inserts the document when its filter matches none (`upsert: true`)
    partial: bool = False  # spread or computed keys: the filter is a sketch
    streamed: bool = False  # read a batch at a time (a cursor iterated, .cursor(), .stream(), batchSize)
    whole: bool = False  # the documents leave as they are (returned, sent, written elsewhere)
    conditional: tuple = ()  # filter keys the code sets only under a condition (`if (x) query.k = ...`)
    # the other filters the code may pass instead (`if (a) query = {...} else query = {...}`): a claim holds on each
    variants: tuple = ()
    used: tuple = ()  # the only fields the code reads from the result, when it visibly reads only some
    params: tuple = ()  # the parameter names of the function the call is in
    scope: tuple[str, ...] = ()  # the names of the functions (and classes) the call is in, innermost first
    text: str = ""  # the call as written (first lines)
    spans: dict[tuple, Location] = field(default_factory=dict)

    def at(self, *path: Any) -> Location:
        """The location of `path` (or its nearest recorded ancestor)."""
        path = tuple(path)
        while path:
            loc = self.spans.get(path)
            if loc is not None:
                return loc
            path = path[:-1]
        return self.location

    @property
    def sketch(self) -> bool:
        """The claims that rest on the collection or on the whole filter stay silent: the filter is partial, or the
        collection is named only at run time (`<expression>`), so neither it nor its indexes (nor its unique keys)
        are known; the rules on the filter alone still speak. Derived, so a name the project settles later ends
        the second reason without touching the first."""
        return self.partial or bool(RUN_TIME_NAME.fullmatch(self.collection))

    @property
    def is_aggregate(self) -> bool:
        return self.operation in AGGREGATE_OPS


def is_operator(key: Any) -> bool:
    return isinstance(key, str) and key.startswith("$")


def mongo_default_index_name(keys: list[tuple[str, Any]]) -> str:
    return "_".join(f"{k}_{v}" for k, v in keys)


# mongoose's pluralize (lib/helpers/pluralize.js): the first rule that matches, on the lower-cased name
_PLURAL_RULES = [
    (r"(m)an$", r"\1en"),
    (r"(pe)rson$", r"\1ople"),
    (r"(child)$", r"\1ren"),
    (r"^(ox)$", r"\1en"),
    (r"(ax|test)is$", r"\1es"),
    (r"(octop|vir)us$", r"\1i"),
    (r"(alias|status)$", r"\1es"),
    (r"(bu)s$", r"\1ses"),
    (r"(buffal|tomat|potat)o$", r"\1oes"),
    (r"([ti])um$", r"\1a"),
    (r"sis$", "ses"),
    (r"(?:([^f])fe|([lr])f)$", r"\1\2ves"),
    (r"(hive)$", r"\1s"),
    (r"([^aeiouy]|qu)y$", r"\1ies"),
    (r"(x|ch|ss|sh)$", r"\1es"),
    (r"(matr|vert|ind)ix|ex$", r"\1ices"),
    (r"([m|l])ouse$", r"\1ice"),
    (r"(kn|w|l)ife$", r"\1ives"),
    (r"(quiz)$", r"\1zes"),
    (r"s$", "s"),
    (r"([^a-z])$", r"\1"),
    (r"$", "s"),
]
_UNCOUNTABLE = {
    "advice",
    "energy",
    "excretion",
    "digestion",
    "cooperation",
    "health",
    "justice",
    "labour",
    "machinery",
    "equipment",
    "information",
    "pollution",
    "sewage",
    "paper",
    "money",
    "species",
    "series",
    "rain",
    "rice",
    "fish",
    "sheep",
    "moose",
    "deer",
    "news",
    "expertise",
    "status",
    "media",
}


def pluralize(model: str) -> str:
    """Mongoose's default collection name for a model (Person -> people, Address -> addresses)."""
    import re

    name = model.lower()
    if name in _UNCOUNTABLE:
        return name
    for pattern, repl in _PLURAL_RULES:
        if re.search(pattern, name):
            return re.sub(pattern, functools.partial(_expand, repl=repl), name, count=1)
    return name


def _expand(match, repl: str) -> str:
    """A JS replacement string: a group that did not take part is empty."""
    for i in range(1, match.re.groups + 1):
        repl = repl.replace(f"\\{i}", match.group(i) or "")
    return repl


def normalise_collection(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def format_value(value: Any) -> str:
    """A value in mongosh syntax, for messages and fixes."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)}: {format_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, Placeholder):
        return value.text or f"<{value.kind}>"
    if isinstance(value, Regex):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return js_string(value)
    return str(value)


def js_string(text: str) -> str:
    """A string literal of the shell, single-quoted: every quote, backslash and line break escaped, so text
    from the repository stays one string."""
    import json

    return "'" + json.dumps(text)[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"


_SHELL_NAME = re.compile(r"[A-Za-z_$][\w$]*")  # a name the shell reads bare: a key, a collection after `db.`


def _key(key: Any) -> str:
    """A field name as a key of a shell object: bare when it is an identifier, else a string (`js_string`)."""
    key = str(key)
    return key if _SHELL_NAME.fullmatch(key) else js_string(key)


def shell_collection(name: str) -> str:
    """`db.name` in the shell, or `db.getCollection("...")` when the name is not an identifier: a collection
    named `users; db.dropDatabase(); db.users` stays a name."""
    return f"db.{name}" if _SHELL_NAME.fullmatch(name) else f"db.getCollection({js_string(name)})"


def drop_index_command(collection: str, name: str) -> str:
    return f"{shell_collection(collection)}.dropIndex({js_string(name)})"


def create_index_spec(collection: str, keys: list[tuple[str, int]], present: str | None = None) -> str:
    """The shell command creating an index on `keys`; with `present`, one that holds only the documents
    that have that field."""
    body = ", ".join(f"{_key(k)}: {d}" for k, d in keys)
    options = f", {{ partialFilterExpression: {{ {_key(present)}: {{ $exists: true }} }} }}" if present else ""
    return f"{shell_collection(collection)}.createIndex({{ {body} }}{options})"
