"""Placeholders of every driver style normalised to PostgreSQL's `$n`.

`$1` stays; `%s`, `%(name)s`, `:name` and `?` become `$1, $2, ...` (a named
placeholder used twice gets one number; `?` only where it is the statement's one style: beside another, it is
jsonb's operator); psql's `:SCHEMA.table` is a name, `schema.table`.  String literals, quoted identifiers,
comments, dollar-quoted bodies and `::` casts are left alone.  `sample_params` picks a
value for each `$n` from the seeded data, and `substitute` puts the values in.
"""

from __future__ import annotations

import re

from advisor.parse import PSQL_BEFORE, QUOTED

_TOKEN = re.compile(
    rf"""(?P<skip>{QUOTED}|::)
      |(?P<dollar>\$\d+)
      |(?P<pyfmt>%\((?P<pyname>[A-Za-z_]\w*)\)s)
      |(?P<percent>%s)
      |(?P<colon>"""
    + PSQL_BEFORE
    + r""":(?P<cname>[A-Za-z_]\w*))
      |(?P<qmark>\?(?![|&-]))""",
    re.VERBOSE | re.DOTALL,
)


MAX_PARAMS = 65535  # PostgreSQL's limit: a `$n` past it names no parameter a statement can have


_DOT = re.compile(r"\s*\.")


def normalise(sql: str) -> tuple[str, int]:
    """The statement with `$n` placeholders, and how many distinct parameters it has (at most MAX_PARAMS + 1:
    a `$n` past the limit counts as one past it, however many digits it has)."""
    names: dict[str, int] = {}
    count = 0
    highest = 0
    # beside `$1`, `%s` or `:name`, a `?` after an operand is jsonb's key-exists operator (`config ? $1`), which
    # PostgreSQL has to see as written; in a statement of `?` placeholders, every `?` is one
    styled = any(m.group("skip") is None and not m.group("qmark") for m in _TOKEN.finditer(sql))

    def repl(m: re.Match) -> str:
        nonlocal count, highest
        if m.group("skip") is not None or (m.group("qmark") and styled and _after_operand(sql, m.start())):
            return m.group(0)
        if m.group("dollar"):
            digits = m.group("dollar")[1:]
            highest = max(highest, min(int(digits), MAX_PARAMS + 1) if len(digits) <= 6 else MAX_PARAMS + 1)
            return m.group(0)
        if m.group("cname") and _DOT.match(m.string, m.end()):
            return m.group(
                "cname"
            ).lower()  # psql's :SCHEMA.table names a schema: the one advisor.seed.load.filled makes
        name = m.group("pyname") or m.group("cname")
        if name:
            if name not in names:
                count += 1
                names[name] = count
            return f"${names[name]}"
        count += 1
        return f"${count}"

    out = _TOKEN.sub(repl, sql)
    return out, max(count, highest)


def _after_operand(sql: str, at: int) -> bool:
    """What stands left of `at` ends an operand (`config ?`, `(tags) ?`), as left of jsonb's `?`; not `= ?`."""
    i = at - 1
    while i >= 0 and sql[i].isspace():
        i -= 1
    return i >= 0 and (sql[i].isalnum() or sql[i] in "_)]'\"")


def strip_statement(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sample_params(conn, sql: str, nparams: int, tables: list[str]) -> list[str]:
    """A value for each $n, sampled from the seeded data where the column it meets is known."""
    values = []
    for n in range(1, nparams + 1):
        value = None
        if re.search(rf"\b(LIMIT)\s+\${n}\b", sql, re.IGNORECASE):
            value = "20"
        elif re.search(rf"\bOFFSET\s+\${n}\b", sql, re.IGNORECASE):
            value = "0"
        else:
            m = re.search(
                rf'"?(\w+)"?\s*(?:=|<>|!=|<=|>=|<|>|\bI?LIKE\b)\s*(?:ANY\s*\()?\${n}\b', sql, re.IGNORECASE
            ) or re.search(rf'\${n}\s*(?:=|<>|!=|<=|>=|<|>)\s*(?:\w+\.)?"?(\w+)"?', sql)
            if m:
                column = m.group(1)
                for table in tables:
                    try:
                        with conn.transaction():
                            row = conn.execute(
                                f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL '
                                f"OFFSET (SELECT greatest(0, (reltuples / 3)::int8) FROM pg_class "
                                f"WHERE oid = %s::regclass) LIMIT 1",
                                (f'"{table}"',),
                            ).fetchone()
                    except Exception:  # noqa: BLE001
                        continue
                    if row is not None:
                        value = row[0]
                        if re.search(rf"I?LIKE\s*\${n}\b", sql, re.IGNORECASE):
                            value = value[:3] + "%"
                        break
        values.append(_literal(value if value is not None else "1"))
    return values


def substitute(sql: str, params: list[str]) -> str:
    """`$n` replaced by its value in one pass: not inside literals, comments or values already put in."""

    def repl(m: re.Match) -> str:
        n = int(m.group("dollar")[1:]) if m.group("dollar") else 0
        return params[n - 1] if 0 < n <= len(params) else m.group(0)

    return _TOKEN.sub(repl, sql)


def param_types(facts, schema, nparams: int, declared: tuple[str, ...] = ()) -> list[str]:
    """A type for each `$n` of a statement whose placeholders are `$n` already: the one the code declares
    (`declared`: a PL/pgSQL variable's, a function argument's), else the type of the column it is compared with
    (`col = $1`, `$2 < col`), where the schema knows it and every use agrees; else `unknown`, which lets the
    server infer it from the context as EXPLAIN (GENERIC_PLAN) does.  A declared type is the repository's text:
    only a plain type name (`names.plain_type`) is ever put in a PREPARE."""
    from sqlglot import exp

    from advisor.names import plain_type

    seen: dict[int, set[str]] = {}
    for scope in facts.scopes if facts is not None else ():
        for p in scope.predicates:
            value = p.value
            if (
                not isinstance(value, exp.Parameter)
                or p.wrapped
                or p.table is None
                or p.op not in ("eq", "neq", "range", "like")
            ):
                continue
            try:
                n = int(value.name)
            except ValueError:
                continue
            typ = plain_type(schema.column_type(p.table, p.column) or "")
            if 0 < n <= nparams and typ:
                seen.setdefault(n, set()).add(typ)
    out = [next(iter(seen[n])) if len(seen.get(n, ())) == 1 else "unknown" for n in range(1, nparams + 1)]
    for n, written in enumerate(declared[:nparams]):
        if typ := plain_type(written):
            out[n] = typ
    return out
