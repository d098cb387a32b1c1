"""The SQL statements inside `CREATE FUNCTION ... LANGUAGE sql | plpgsql` bodies and `DO` blocks.

Queue and worker libraries keep their hottest queries there; a DO block's CREATE / ALTER / DROP of a
table or an index is schema (it runs as the file is loaded).  Every statement becomes a query
whose positions are in the file.  In PL/pgSQL only the SQL statements count (SELECT, INSERT,
UPDATE, DELETE, WITH, `RETURN QUERY`, `PERFORM` read as SELECT, `FOR x IN <query> LOOP`), not the
control flow; arguments and variables become parameters.  Every rewrite keeps the text's length,
so an offset in the rewritten statement is an offset in the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from advisor.ir import SqlQuery, TextMap
from advisor.parse import QUOTED
from advisor.sources.plpgsql_exec import Executed, executed
from advisor.sources.sql_shape import ROUTINE, uncommented

_BODY = re.compile(
    r"\bAS\s+(\$(?:[A-Za-z_]\w*)?\$)|^\s*DO\s+(?:LANGUAGE\s+\w+\s+)?(\$(?:[A-Za-z_]\w*)?\$)", re.IGNORECASE
)
_ROUTINE_NAME = re.compile(r"(?:FUNCTION|PROCEDURE)\s+(?:[\w\":]+\.)*\"?(\w+)\"?\s*\(", re.IGNORECASE)
_LANGUAGE = re.compile(r"\bLANGUAGE\s+'?(\w+)", re.IGNORECASE)
_TRIGGER = re.compile(r"\bRETURNS\s+TRIGGER\b", re.IGNORECASE)
_ROW_RESULT = re.compile(r"\bRETURNS\s+(?:SETOF\b|TABLE\s*\()", re.IGNORECASE)
_RETURN_QUERY = re.compile(r"\bRETURN\s+QUERY\s*$", re.IGNORECASE)
_DDL_START = re.compile(r"\b(CREATE|ALTER|DROP)\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\b", re.IGNORECASE)
_START = re.compile(r"\b(?:RETURN\s+QUERY\s+)?(SELECT|WITH|INSERT|UPDATE|DELETE|PERFORM)\b", re.IGNORECASE)
# Where a statement inside PL/pgSQL can start: the start of the piece or after a block keyword; each piece is
# scanned once for these places (a search back from every keyword was quadratic on hostile pieces)
_AFTER_CONTROL = re.compile(
    r"(?:^|\b(?:THEN|ELSE|LOOP|BEGIN|DECLARE|END(?:\s+(?:IF|LOOP|CASE))?)|>>)\s*", re.IGNORECASE
)
_FOR_IN = re.compile(r"\bFOR\s+\w+(?:\s*,\s*\w+){0,31}\s+IN\b\s*", re.IGNORECASE)  # a bounded list: linear
_LOOP = re.compile(r"\bLOOP\b", re.IGNORECASE)
_DECLARE = re.compile(r"\bDECLARE\b", re.IGNORECASE)
_BEGIN = re.compile(r"\bBEGIN\b", re.IGNORECASE)
_FOR_VAR = re.compile(r"\bFOR\s+(\w+)\s+IN\b", re.IGNORECASE)
_POSITIONAL = re.compile(r"(?<![\w$])\$\d+(?!\w)")
_MODES = {"in", "out", "inout", "variadic"}
_NOT_NAMES = {"begin", "declare", "end", "return", "returns", "record", "setof", "table", "new", "old"}

Splitter = Callable[[str, int, int], "list[tuple[int, int]]"]


def _routine(query: SqlQuery) -> tuple[str, re.Match, int, str, str] | None:
    """(text, the match of its body's opening, the body's end, language, the text outside the body) of one CREATE
    FUNCTION / DO statement in SQL or PL/pgSQL, its text's leading comments blanked; None for anything else."""
    lead = len(query.text) - len(uncommented(query.text))  # a `-- name: x` header of a statement in code
    text = re.sub(r"[^\n]", " ", query.text[:lead]) + query.text[lead:]  # blanked: every offset kept
    if not ROUTINE.match(text):
        return None
    body = _BODY.search(text)
    if body is None:
        return None
    tag = body.group(1) or body.group(2)
    end = text.find(tag, body.end())
    if end < 0:
        return None
    outside = text[: body.start()] + " " + text[end + len(tag) :]
    language_match = _LANGUAGE.search(outside)
    language = (
        language_match.group(1).lower() if language_match else ("plpgsql" if text.lstrip()[:2].upper() == "DO" else "")
    )
    return (text, body, end, language, outside) if language in ("sql", "plpgsql") else None


# what a function's body creates, written out: a table, an index, a table's new column or key (not what it drops)
_CREATES = re.compile(r"(?:CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)|ALTER\s+TABLE)\b", re.IGNORECASE)
_DROPS = re.compile(r"\bDROP\b", re.IGNORECASE)


def routine_ddl(query: SqlQuery, split: Splitter) -> list[SqlQuery]:
    """The tables and indexes a PL/pgSQL function creates in its body, written out (fetchq's `fetchq.init()`:
    `CREATE TABLE IF NOT EXISTS fetchq.queues (...)`): the schema once the code calls it (advisor.schema.assemble
    asks). Not what it drops (a teardown's), nor what it EXECUTEs (names the run fills in); a DO block's DDL is
    read with its other statements (body_queries)."""
    found = _routine(query)
    if found is None or found[3] != "plpgsql" or found[0].lstrip()[:2].upper() == "DO":
        return []
    text, body, end, _, _ = found
    out = []
    for span in split(text, body.end(), end):
        piece = _plpgsql_statement(text, *span, ddl=True)
        if piece is None or not _CREATES.match(text, piece[0]) or _DROPS.search(_blank(text[piece[0] : piece[1]])):
            continue
        sql = text[piece[0] : piece[1]]
        anchor = query.textmap.locate(piece[0])
        textmap = TextMap(query.textmap.path, sql, ((0, anchor.line, anchor.col),))
        out.append(
            SqlQuery(
                sql, textmap.locate(0, len(sql) - 1), textmap, query.source, dialect=query.dialect, origin="routine-ddl"
            )
        )
    return out


def body_queries(query: SqlQuery, split: Splitter) -> list[SqlQuery]:
    """The statements inside one CREATE FUNCTION / DO statement (empty for anything else)."""
    found = _routine(query)
    if found is None:
        return []
    text, body, end, language, outside = found
    start = body.end()
    routine = _ROUTINE_NAME.search(text[: body.start()])
    names, positional = _variables(text, body.start(), (start, end), language, outside)
    qualifier = routine.group(1).lower() if names and routine else None  # add_job.queue_name: an argument
    spans = split(text, start, end)
    once = text.lstrip()[:2].upper() == "DO"  # runs as it is read: its DDL changes the schema then and there
    pieces = spans if language == "sql" else _plpgsql_pieces(text, spans, once)
    row_type = _ROW_RESULT.search(outside) is not None
    out = []
    for n, (s, e) in enumerate(pieces):
        sql, types = _as_query(text[s:e], names, qualifier, plpgsql=language == "plpgsql")
        types = types or (positional if _POSITIONAL.search(sql) else ())
        last = n == len(pieces) - 1
        returned = row_type and (last if language == "sql" else _RETURN_QUERY.search(text[max(0, s - 40) : s]))
        anchor = query.textmap.locate(s)
        textmap = TextMap(query.textmap.path, sql, ((0, anchor.line, anchor.col),))
        out.append(
            SqlQuery(
                sql,
                textmap.locate(0, len(sql) - 1),
                textmap,
                query.source,
                dialect=query.dialect,
                origin="function-body",
                complete=query.complete,
                returned=bool(returned),
                scope=((routine.group(1),) if routine else ()) + query.scope,
                param_types=types,
            )
        )
    if language == "plpgsql":
        bare = text[:start] + _blank(text[start:end]) + text[end:]
        run = executed(text, bare, spans)
        out += _executed_queries(query, run, row_type, routine.group(1) if routine else None, once)
    return out


def _variables(
    text: str, head_end: int, body: tuple[int, int], language: str, outside: str
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The names a routine's body reads as values, each with the type it is declared with, and the types of
    `$1, $2...` where a SQL body names its arguments so (an OUT argument takes no number)."""
    arguments = _arguments(text[:head_end])
    if language == "sql" and _POSITIONAL.search(text, *body):
        # the body names its arguments $1, $2: a bare name there that is also an argument's is the column (in
        # a SQL function a column of that name takes precedence: `WHERE name_ = $1`, with an argument `name_`)
        return {}, tuple(typ for _, typ, mode in arguments if mode != "out")
    names = {name: typ for name, typ, _ in arguments if name}
    if language == "plpgsql":
        names |= _declared(text[body[0] : body[1]])
        if _TRIGGER.search(outside):  # NEW.col and OLD.col: the row the trigger fires for, of its table's types
            names |= {"new": "", "old": ""}
    return names, ()


def _plpgsql_pieces(text: str, spans: list[tuple[int, int]], once: bool) -> list[tuple[int, int]]:
    """A PL/pgSQL body's SQL statements, and the queries its assignments hold (`x := (SELECT ...)`), in order."""
    pieces = [p for span in spans if (p := _plpgsql_statement(text, *span, once))]
    pieces += [p for span in spans if not _plpgsql_statement(text, *span, once) for p in _assigned_queries(text, *span)]
    return sorted(pieces)


def _executed_queries(
    query: SqlQuery, found: list[Executed], row_type: bool, routine: str | None, once: bool = False
) -> list[SqlQuery]:
    """The statements EXECUTE runs, where the code says them: each variant of the text, its literal parts where
    they are written, a value advisor does not know as a placeholder (the statement then incomplete). A DO block
    (`once`) runs as the file is read, so its EXECUTEd DDL is the schema a fresh database gets, as its plain DDL is
    (`EXECUTE format('CREATE TABLE memories (... embedding vector(%s) ...)', dim)`)."""
    out, seen = [], set()
    for each in found:
        parts = _trimmed(each.parts)
        text, anchors = "", []
        for written, at in parts:
            anchor = query.textmap.locate(at)
            anchors.append((len(text), anchor.line, anchor.col))
            text += _PLACEHOLDER if written is None else written
        if text in seen or not parts or parts[0][0] is None:
            continue
        if not _EXECUTED_DML.match(text) and not (once and EXECUTED_DDL.match(text) and _named_whole(parts)):
            continue  # DDL a function EXECUTEs changes the schema when it is called, not as the file is read
        seen.add(text)
        known = all(written is not None for written, _ in parts)
        textmap = TextMap(query.textmap.path, text, tuple(dict((a[0], a) for a in anchors).values()))
        out.append(
            SqlQuery(
                text,
                textmap.locate(0, len(text) - 1),
                textmap,
                query.source,
                dynamic=not known,
                dialect=query.dialect,
                origin="function-body",
                complete=query.complete and known,
                returned=row_type and each.returned,
                scope=((routine,) if routine else ()) + query.scope,
            )
        )
    return out


def _named_whole(parts: list) -> bool:
    """DDL whose head, up to its first parenthesis, is written out: the object it makes is named (a value filled in
    later, as a column's `vector(%s)`, leaves it the same table; `CREATE INDEX ON %I` in a loop names none)."""
    for written, _ in parts:
        if written is None:
            return False
        if "(" in written:
            return True
    return True


def _trimmed(parts: tuple) -> list:
    """The parts without the blanks the text starts and ends with (a literal opening on a new line)."""
    out = [p for p in parts if p[0] != ""]
    while out and out[0][0] is not None and not out[0][0].strip():
        out.pop(0)
    while out and out[-1][0] is not None and not out[-1][0].strip():
        out.pop()
    if out and out[0][0] is not None:
        written, at = out[0]
        lead = len(written) - len(written.lstrip())
        out[0] = (written[lead:], at + lead)
    if out and out[-1][0] is not None:
        out[-1] = (out[-1][0].rstrip(), out[-1][1])
    return out


def _arguments(head: str) -> list[tuple[str | None, str, str]]:
    """A routine's arguments in order, each (name or None, declared type, mode): `(p_id bigint, OUT total int,
    queue text = 'x', jsonb)`."""
    open_at = head.find("(")
    if open_at < 0:
        return []
    depth, args, current = 0, [], ""
    for ch in head[open_at + 1 :]:
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            args.append(current)
            current = ""
        else:
            current += ch
    args.append(current)
    out: list[tuple[str | None, str, str]] = []
    for arg in args:
        words = re.split(r"\s+", re.split(r"\bDEFAULT\b|=", arg, maxsplit=1, flags=re.IGNORECASE)[0].strip())
        mode = words.pop(0).lower() if words and words[0].lower() in _MODES else "in"
        if not words or not words[0]:
            continue
        if len(words) >= 2 and re.fullmatch(r"[A-Za-z_]\w*", words[0]) and words[0].lower() not in _NOT_NAMES:
            out.append((words[0].lower(), _type_text(" ".join(words[1:])), mode))
        else:
            out.append((None, _type_text(" ".join(words)), mode))
    return out


def _type_text(written: str) -> str:
    """A declared type as one lower-case text (`character varying(20)`); what the explain stage sends is checked
    there (advisor.explain.params)."""
    return " ".join(written.lower().split())


# `name [CONSTANT] type [COLLATE c] [NOT NULL] [{DEFAULT | := | =} expr]`, `name ALIAS FOR $1`, `name CURSOR ...`:
# the name, then the type up to the first of what may follow it (searched for, not matched lazily with `\s*`
# before it: quadratic over a run of blank lines)
_DECLARED_NAME = re.compile(r"\s*([A-Za-z_]\w*)\s+(?:CONSTANT\s+)?", re.IGNORECASE)
_AFTER_TYPE = re.compile(r"\bCOLLATE\b|\bNOT\s+NULL\b|:=|=|\bDEFAULT\b", re.IGNORECASE)


def _declaration(decl: str) -> tuple[str, str] | None:
    """One declaration's name and its type as written, or None where it names no variable."""
    m = _DECLARED_NAME.match(decl)
    if m is None:
        return None
    after = _AFTER_TYPE.search(decl, m.end())
    return m.group(1), decl[m.end() : after.start() if after else len(decl)]


def _declared(body: str) -> dict[str, str]:
    """A PL/pgSQL body's variables and the type each is declared with ("" where it names none: a loop's record,
    an alias, a cursor)."""
    # not in strings: `format($q$ ... FOR VALUES IN (%L) ... $q$)` declares no variable `values`
    body = _blank(body)
    out = {m.group(1).lower(): "" for m in _FOR_VAR.finditer(body)}
    declare = _DECLARE.search(body)
    begin = _BEGIN.search(body, declare.end()) if declare else None  # the first DECLARE then BEGIN: linear
    if declare is not None and begin is not None:
        for decl in body[declare.end() : begin.start()].split(";"):
            if found := _declaration(decl):
                written = _type_text(found[1])
                out[found[0].lower()] = "" if re.match(r"(?:alias|cursor|refcursor\b)", written) else written
    return {n: t for n, t in out.items() if n not in _NOT_NAMES}


def _plpgsql_statement(text: str, start: int, end: int, ddl: bool = False) -> tuple[int, int] | None:
    """The SQL statement within one `;`-terminated piece of PL/pgSQL, or None for control flow. With `ddl`
    (a DO block, which runs when the file is loaded), CREATE / ALTER / DROP statements too: the schema a
    fresh database gets (`DO $$ BEGIN ALTER TABLE users ADD COLUMN login text UNIQUE; EXCEPTION ... END $$`)."""
    piece = _blank(text[start:end])  # no keywords in strings
    after_control = {m.end() for m in _AFTER_CONTROL.finditer(piece)}
    if ddl:
        for m in _DDL_START.finditer(piece):
            if m.start() in after_control:
                return start + m.start(1), end
    for_in = {m.end() for m in _FOR_IN.finditer(piece)}
    for m in _START.finditer(piece):
        if m.start() in for_in:
            loop = _LOOP.search(piece, m.end())
            return (start + m.start(1), start + loop.start()) if loop else None
        if m.start() in after_control:
            if m.group(1).upper() == "WITH" and re.match(r"\s*(?:HOLD|TIME)\b", piece[m.end() :], re.IGNORECASE):
                continue
            return start + m.start(1), end
    return None


# quoted text, comments and dollar-quoted strings (`_sql := $def$ ... insert into ... $def$`: a value, not a statement)
_BLANKED = re.compile(QUOTED, re.DOTALL)


def _blank(text: str) -> str:
    """`text` with its quoted text, comments and dollar-quoted strings as spaces, every offset kept."""
    return _BLANKED.sub(lambda m: " " * len(m.group(0)), text)


# PL/pgSQL takes any INTO not after INSERT or MERGE, wherever it stands, as the statement's targets: one or
# more variables, record fields or `NEW.col` (make_execsql_stmt / read_into_target in pl_gram.y)
_TARGET = r'(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*))*'
_PLPGSQL_INTO = re.compile(
    rf"{QUOTED}|(?<![\w$])(?P<into>INTO\s+(?:STRICT\s+)?{_TARGET}(?:\s*,\s*{_TARGET})*)(?![\w$])",
    re.IGNORECASE | re.DOTALL,
)


def _as_query(
    sql: str, names: dict[str, str], qualifier: str | None = None, plpgsql: bool = False
) -> tuple[str, tuple[str, ...]]:
    """PERFORM as SELECT, `INTO variables` removed, variables as parameters, the same length throughout; and the
    declared type of each parameter ("" where unknown).  One variable is one parameter, `$1`, `$2`... (the
    shortest names get the smallest numbers, so each fits in the name's width), so PostgreSQL can infer each
    one's type apart; a one-letter variable, too narrow for any, becomes `?`."""
    if sql[:7].upper() == "PERFORM":
        sql = "SELECT " + sql[7:]
    if not names and not plpgsql:
        return sql, ()
    known = [*names, *([qualifier] if qualifier else [])]
    alternatives = "|".join(sorted((re.escape(n) for n in known), key=len, reverse=True))
    # in a LANGUAGE sql body, SELECT ... INTO t creates a table: only an argument's name is a target there
    into = (
        _PLPGSQL_INTO
        if plpgsql
        else re.compile(
            rf"{QUOTED}|(?<!\w)(?P<into>INTO\s+(?:STRICT\s+)?(?:{alternatives})(?:\s*\.\s*\w+)?"
            rf"(?:\s*,\s*(?:{alternatives})(?:\s*\.\s*\w+)?)*)(?!\w)",
            re.IGNORECASE | re.DOTALL,
        )
    )
    sql = into.sub(
        lambda m: " " * len(m.group(0)) if m.group("into") and not _insert_before(sql, m.start()) else m.group(0), sql
    )
    if not known:
        return sql, ()
    variable = re.compile(
        rf"{QUOTED}|(?<![\w.$\"])(?P<var>(?:{alternatives})(?:\s*\.\s*\w+)?)(?![\w\"(.])",
        re.IGNORECASE | re.DOTALL,
    )
    uses = [m for m in variable.finditer(sql) if m.group("var") and _is_value(sql, m)]
    keys = list(dict.fromkeys(re.sub(r"\s+", "", m.group("var")).lower() for m in uses))
    keys.sort(key=len)  # stable: the shortest first, each in the order it first appears
    number = {key: n for n, key in enumerate(keys, 1)}
    types = [""] * len(keys)
    for key, n in number.items():
        base, _, field = key.partition(".")
        types[n - 1] = names.get(field, "") if base == qualifier and field else ("" if field else names.get(base, ""))
    out, at = [], 0
    for m in uses:
        key = re.sub(r"\s+", "", m.group("var")).lower()
        size, mark = len(m.group(0)), f"${number[key]}"
        out += [sql[at : m.start()], mark.ljust(size) if len(mark) <= size else "?".ljust(size)]
        at = m.end()
    return "".join(out) + sql[at:], tuple(types) if any(types) else ()


def _insert_before(sql: str, at: int) -> bool:
    return re.search(r"\b(?:INSERT|MERGE)\s*$", sql[:at], re.IGNORECASE) is not None


def _is_value(sql: str, m: re.Match) -> bool:
    """A variable stands where a value can: not where only a column can (`UPDATE ... SET name =`, an INSERT's
    column list, `AS name`) nor as a named argument (`f(name => value)`)."""
    before, after = sql[: m.start()], sql[m.end() :]
    if re.search(r"(?:\bSET\s+|,\s*)$", before, re.IGNORECASE) and re.match(r"\s*=(?!=)", after):
        return False  # UPDATE ... SET name = ...: the column of that name
    if re.search(r"\bAS\s*$", before, re.IGNORECASE) or _in_insert_columns(before):
        return False
    return not (re.match(r"\s*(?:=>|:=)", after) and re.search(r"[(,]\s*$", before))


def _in_insert_columns(before: str) -> bool:
    """Inside the column list of `INSERT INTO t (a, b`."""
    matches = list(re.finditer(r"\bINSERT\s+INTO\s+[\w.\":]+(?:\s+AS\s+\w+)?\s*\(", before, re.IGNORECASE))
    m = matches[-1] if matches else None
    return m is not None and ")" not in before[m.end() :]


_PLACEHOLDER = "{}"  # read by advisor.parse as a typed placeholder: a name, a value or a spliced clause
_EXECUTED_DML = re.compile(r"\(*\s*(?:SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
EXECUTED_DDL = re.compile(r"\s*(?:CREATE|ALTER|DROP|COMMENT)\b", re.IGNORECASE)
# `x := (SELECT ...)`, `row.col = coalesce((SELECT ...), 0)`: PL/pgSQL runs the expression's subqueries;
# the target stands where a statement can start (tried there only: linear)
_ASSIGNMENT = re.compile(rf"(?<![\w$]){_TARGET}\s*:?=(?!=)", re.IGNORECASE)
# `RETURN (SELECT id FROM keys WHERE key = new_key)`, `RETURN NEXT coalesce((SELECT ...), 0)`: the value returned is
# an expression too (a `RETURN QUERY` is a statement, read as one)
_RETURN = re.compile(r"RETURN\b(?!\s+QUERY\b)(?:\s+NEXT\b)?", re.IGNORECASE)
_SUBQUERY = re.compile(r"\(\s*(SELECT|WITH)\b", re.IGNORECASE)


def _assigned_queries(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The subqueries of a PL/pgSQL assignment's expression, or of a RETURN's (the statement of the piece [start,
    end))."""
    piece = _blank(text[start:end])
    starts = (m.end() for m in _AFTER_CONTROL.finditer(piece))
    target = next((m for at in starts if (m := _ASSIGNMENT.match(piece, at) or _RETURN.match(piece, at))), None)
    out: list[tuple[int, int]] = []
    at = len(piece) if target is None else target.end()
    while (m := _SUBQUERY.search(piece, at)) is not None:
        depth, at = 0, len(piece)
        for k in range(m.start(), len(piece)):
            depth += {"(": 1, ")": -1}.get(piece[k], 0)
            if depth == 0:  # a subquery's own subqueries are its part: the search goes on after it
                inner = text[start + m.start(1) : start + k].rstrip()
                out.append((start + m.start(1), start + m.start(1) + len(inner)))
                at = k + 1
                break
    return out
