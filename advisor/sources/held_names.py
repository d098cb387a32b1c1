"""The text a member of a JavaScript / TypeScript class holds, where the module sets it once to a string or template:

    this.logsTable = `${tablePrefix}_logs_v3`;          // errsole-postgres's ErrsolePostgres constructor
    ...
    `SELECT ... FROM ${this.logsTable} WHERE ...`        // the table `{}_logs_v3` in every statement

Each part only the run knows is `{}` (advisor.sources.sql_shape.DYNAMIC_PLACEHOLDER): the statements of the module
that name the member name one table, whose known part messages show (`…_logs_v3`); the same when the module quotes
the name as it sets it (`this.logsTable = pg.escapeIdentifier(`${prefix}_logs`)`). Read from the module's text, so
that the SQL of its statements (advisor.sources.js_sql_text) and of its strings read as a schema file
(advisor.schema.code_keys) name the table alike. A member set twice, or to anything else, holds no known text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from advisor.sources.sql_shape import DYNAMIC_PLACEHOLDER

_ASSIGNED = re.compile(r"\bthis\.(#?[A-Za-z_$][\w$]*)\s*=(?![=>])\s*")  # `this.#table`: a private field too
# `options.tableName ?? "fedify_kv_v2"`: a caller's option, else the default
_OPTION_OR = re.compile(r"[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)+\s*(?:\?\?|\|\|)\s*")
_LITERAL = re.compile(r"'([^'\\\n]{1,200})'|\"([^\"\\\n]{1,200})\"|`([^`\\]{1,200})`")
_FIELD = re.compile(r"\$\{[^{}`]{0,200}\}")
_NAME = re.compile(r"(?:[\w$.]|\{\})+")  # a name: what else a member holds (a clause, a list) is not one
# a driver's function that quotes an identifier (`pg.escapeIdentifier(...)`, `client.escapeIdentifier`, pg-format's
# `format.ident`): the name it quotes is the table's, as the statement writes it
QUOTING = re.compile(r"(?:[A-Za-z_$][\w$]*\.)*(?:escapeIdentifier|quoteIdentifier|quoteIdent|escapeId|ident)")
_QUOTED = re.compile(QUOTING.pattern + r"\s*\(\s*")


@lru_cache(maxsize=16)
def _members(text: str) -> dict[str, list[int]]:
    """Where each `this.<member> = ` of the module's text assigns, by member."""
    out: dict[str, list[int]] = {}
    if "this." in text:
        for m in _ASSIGNED.finditer(text):
            out.setdefault(m.group(1), []).append(m.end())
    return out


def _once(text: str, member: str) -> int | None:
    """Where the module's one assignment to `this.<member>` gives its value; None when it assigns it twice or never."""
    at = _members(text).get(member, [])
    return at[0] if len(at) == 1 else None


def held_text(text: str, member: str) -> str | None:
    """The name `this.<member>` holds in the module whose text is `text`, `{}` for each part the run fills in;
    None unless the module assigns it once, a literal or a template of a name with some part known."""
    at = _once(text, member)
    quoted = _QUOTED.match(text, at) if at is not None else None  # `this.t = pg.escapeIdentifier(`${p}_runs`)`
    m = _LITERAL.match(text, quoted.end() if quoted else at) if at is not None else None
    if m is None or (quoted and not re.match(r"\s*\)", text[m.end() : m.end() + 40])):
        return None
    value = _FIELD.sub(DYNAMIC_PLACEHOLDER, m.group(1) or m.group(2) or m.group(3) or "")
    return value if is_name(value) else None


def is_name(value: str) -> bool:
    """A name (`{}` for each part the run fills in) with some part known: `{}_logs_v3`, `jobs`; not `{}` alone."""
    return _NAME.fullmatch(value) is not None and value.replace(DYNAMIC_PLACEHOLDER, "").strip("_.") != ""


def held_default(text: str, member: str) -> str | None:
    """The name `this.<member>` holds by default, where the module sets it once to a caller's option or a literal
    (`this.#tableName = options.tableName ?? "fedify_kv_v2"`): the table its statements name unless a caller says
    otherwise, as advisor.sources.js_sql_text reads `{table: "keyv", ...options}`. Only a name written whole (a tag's
    quoting call) takes it: a prefix's default inside a longer name would not fit where the schema's text writes it."""
    at = _once(text, member)
    option = _OPTION_OR.match(text, at) if at is not None else None
    m = _LITERAL.match(text, option.end()) if option is not None else None
    value = (m.group(1) or m.group(2) or m.group(3) or "") if m is not None else ""
    return value if is_name(value) and "${" not in value else None
