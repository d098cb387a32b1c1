"""Parse one SQL statement with sqlglot, turning failures into located messages."""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from advisor.ir import Location, SqlQuery

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it warns on every unsupported statement

# PostgreSQL's lexemes whose inside is not SQL: a quoted string or name, a line or block comment, a
# dollar-quoted string (a `$` inside a name opens none: `a$b$c` is one name). One left unclosed runs to the
# end, as the server's scanner reads it: tried to the end again from each opener, thousands of them cost the
# square of the text (red-team pass 8). For re.DOTALL; DOLLAR_QUOTED names its tag `dq`, so a regex holds it once.
QUOTED_TEXT = r"""'(?:[^']|'')*'?|"(?:[^"]|"")*"?|--[^\n]*|/\*.*?(?:\*/|\Z)"""
DOLLAR_QUOTED = r"(?<![\w$])(?P<dq>\$(?:[A-Za-z_]\w*)?\$).*?(?:(?P=dq)|\Z)"
QUOTED = f"{QUOTED_TEXT}|{DOLLAR_QUOTED}"

# Template syntax around SQL: psycopg's %(name)s, str.format's {name} and {}, psql's :var, :'var'
# and :"var", SQLAlchemy's \: escape.  Each is replaced by a placeholder of the same length, so
# every offset sqlglot reports is an offset in the original text.  Quoted strings, quoted names,
# comments and dollar-quoted bodies are kept as written (`'{}'::jsonb` is a value, not a template), and so is
# the rest of a text after a `{{`, `{%` or `{#` that nothing closes (each tried to the end, thousands of them
# cost the square of the text: red-team pass 8).
_TEMPLATE = re.compile(
    rf"""(?P<keep>{QUOTED})
      | (?P<jinja_tag>\{{%.*?(?:(?P<tag_end>%\}})|\Z)|\{{\#.*?(?:(?P<note_end>\#\}})|\Z))
      | (?P<jinja>\{{\{{.*?(?:(?P<jinja_end>\}}\}})|\Z))
      | (?P<dollar_pct>\$%\w+%\$)
      | (?P<pgpromise>\$(?:\{{[^{{}}\n]*\}}|\([^()\n]*\)|<[^<>\n]*>|\[[^\[\]\n]*\]|/[^/\n]*/)|\$\d+(?:[~^#]|:\w+))
      | (?P<pyformat>%\((?P<pyname>\w+)\)s)
      | (?P<format>\{{(?P<fname>[^{{}}'"\n]{{0,60}})\}})
      | (?P<psql_str>:'(?P<sname>\w+)')
      | (?P<psql_ident>:"(?P<iname>\w+)")
      | (?P<escape>\\:(?:\\:)?)
      | (?P<named>(?<![:\w]):(?P<nname>[A-Za-z_]\w*))
      | (?P<percent>%[sd])""",
    re.VERBOSE | re.DOTALL,
)
_HAS_TEMPLATE = re.compile(r"\$%|%\(|\{|(?<![:\w]):['\"A-Za-z_]|\\:|%[sd]|\$[(<\[/]|\$\d+[~^#:][^:]")
# Words after which a template stands for a name (a table, a schema), not a value.
_NAME_BEFORE = re.compile(
    r"(?:\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS|ONLY|INDEX|ON|USING|TRUNCATE|AS|REFERENCES)\s*|\.)$", re.IGNORECASE
)
_CLAUSE_AFTER = re.compile(
    r"\s*(?:(?:ORDER|GROUP|LIMIT|OFFSET|HAVING|WINDOW|UNION|INTERSECT|EXCEPT|RETURNING|FOR|"
    r"ON\s+CONFLICT)\b|[),])",
    re.IGNORECASE,
)
# Words after which a template stands for a value; after any other complete operand it is a
# spliced-in clause (`FROM t {where} ORDER BY`, `ORDER BY x %s`) and reads as nothing.
_VALUE_AFTER = re.compile(
    r"\b(?:SELECT|WHERE|AND|OR|NOT|BY|IN|LIMIT|OFFSET|VALUES|SET|THEN|ELSE|WHEN|CASE|"
    r"RETURNING|IS|LIKE|ILIKE|BETWEEN|HAVING|DISTINCT|ANY|ALL|INTERVAL|DEFAULT|FETCH|"
    r"FIRST|NEXT|RETURN|ARRAY)$",
    re.IGNORECASE,
)


# a directive of PostgreSQL's format() -- and of npm's pg-format, which copies it: %s, %I, %L, %%, numbered `%1$I`
# (group 1 the argument's number, group 2 its kind)
FORMAT_DIRECTIVE = re.compile(r"%(?:(\d+)\$)?([sIL%])")


# where a psql variable can start: not inside a name or a `::` cast, but right after one (`):::APP.job_spec`,
# a cast to a type in the schema a variable names: graphile-worker's migrations)
PSQL_BEFORE = r"(?:(?<![:\w])|(?<=[^:]::))"
# psql's variable naming a schema, `:APP.table`: a name (advisor.seed.load fills it, explain plans it so)
PSQL_SCHEMA = re.compile(PSQL_BEFORE + r":([A-Za-z_]\w*)(?=\s*\.)")


_TEXT_TEMPLATE = re.compile(
    r"(?<![:\w]):[A-Za-z_]\w*\.|\$%\w+%\$|\{[^{}\n]{0,60}\}|\$[({<\[/]|\$\d+[~^#]|:['\"]\w+['\"]"
)


def has_text_template(text: str) -> bool:
    """True when part of the SQL text itself is filled in later ({name}, ${x}, {{ jinja }}, psql :'v'),
    as opposed to bind parameters ($1, %s, :name) that only stand for values."""
    if not ("{" in text or "$" in text or ":" in text) or _TEXT_TEMPLATE.search(text) is None:
        return False  # the `in` tests first: most statements have none of these characters
    return any(
        (kind := _kind(m)) in _TEXT_KINDS or kind == "named" and text.startswith(".", m.end())
        for m in _TEMPLATE.finditer(text)
    )  # outside strings and comments; psql's :SCHEMA.table too


_TEXT_KINDS = {"jinja_tag", "jinja", "pgpromise", "format", "psql_str", "psql_ident", "dollar_pct"}


def named_stand_ins(text: str) -> str | None:
    """The text with each template that is part of a longer name (`FROM {}_messages`, `idx_${prefix}_id`: a prefix
    the run writes) as underscores of its length, the stand-in every reader gives it (`___messages`, as the
    schema's tables are named: advisor.explain plans such a statement on the table the schema made); None when any
    other template is left (a whole name, a value, a clause: what PostgreSQL would be sent is not known)."""
    if not has_text_template(text):
        return text

    def replace(m: re.Match) -> str:
        if _kind(m) in ("format", "pgpromise"):
            before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
            # `{}_messages`, `idx_{}`: a name's part; `FROM job_queue{}` is a clause some runs append, not a suffix
            if before == "_" or after.isalnum() or after == "_":
                return "_" * len(m.group(0))
        return m.group(0)

    out = _TEMPLATE.sub(replace, text)
    return None if has_text_template(out) else out


def _kind(m: re.Match) -> str | None:
    """What one match of _TEMPLATE is: "keep" for text kept as written, an unclosed `{{` to the end too."""
    if m.lastgroup in ("jinja_tag", "jinja") and not (m["tag_end"] or m["note_end"] or m["jinja_end"]):
        return "keep"
    return "keep" if m.lastgroup == "dq" else m.lastgroup


def is_placeholder_name(name: str) -> bool:
    """True for the names advisor puts where a template had an unknown name (never worth a message)."""
    return name.startswith("__advisor") or (bool(name) and set(name) == {"_"})


# a whole name (`__advisor_1`, `____`) or the templated part of one (`location_area_large_{{ p }}` read as
# `location_area_large_____________`, `${prefix}_logs_v3` as `___logs_v3`)
# (and the whole placeholder a template without a name became: `${len(p) + 1}` read as `:p`, printed `%(p)s`)
_STAND_IN = re.compile(
    r"%\(p\d*\)s|(?<![:\w]):p\d*\b|\b__advisor\w*|(?<![\w'])_{2,}(?![\w'])|(?<=[A-Za-z0-9])_{4,}|(?<=[A-Za-z0-9])_{2,}(?=\)s\b)"
    r"|(?<![\w'])__(?=_[A-Za-z0-9])"
)


def without_stand_ins(text: str) -> str:
    """`text` with advisor's stand-ins for template parts written as `…`: never an internal name in a message."""
    return _STAND_IN.sub(lambda m: "_…" if m.start() and text[m.start() - 1].isalnum() else "…", text)


def _typed(text: str, m: re.Match) -> str:
    """The same-length stand-in for one template: a name where a name is expected, else a value."""
    kind, raw = m.lastgroup, m.group(0)
    size = len(raw)
    if kind == "psql_str":
        return "'" + "_" * (size - 2) + "'"
    if kind == "psql_ident":
        return '"' + "_" * (size - 2) + '"'
    if kind == "escape":
        return " :" if size == 2 else "  ::"
    if kind == "dollar_pct":
        return "_" * size  # Synapse's $%AUTO_INCREMENT_PRIMARY_KEY%$: a type or clause filled per database
    if kind == "jinja_tag":
        return re.sub(r"[^\n]", " ", raw)  # control flow of a template: no SQL of its own
    if _column_type(text, m.start()):
        return "_" * size  # `amount {db.big_int} NOT NULL`: a column's type, filled in per database (a name)
    before = text[max(0, m.start() - 12) : m.start()]
    glued = bool(before) and (before[-1].isalnum() or before[-1] == "_")  # idx_${name}: part of a name
    as_name = kind == "pgpromise" and re.search(r"(?:~|:name|:alias)\W?$", raw) is not None  # ${x~}, $1:name
    if glued or as_name or _NAME_BEFORE.search(before) or text.startswith(".", m.end()):
        return "_" * size  # an identifier of underscores: see is_placeholder_name
    if kind == "named":
        return raw
    operand = before.rstrip()
    if operand and (operand[-1].isalnum() or operand[-1] in '_")}') and not _VALUE_AFTER.search(operand):
        if _CLAUSE_AFTER.match(text, m.end()):
            return " " * size  # `FROM t {where} ORDER BY`: a spliced-in clause before known ones
        return ")".ljust(size)  # at the end it may be the WHERE itself: unreadable, so no rule claims it absent
    if kind == "percent":
        return "%s"
    name = m.group("pyname") or re.sub(r"\W", "", m.group("fname") or "") or "p"
    if not name[0].isalpha():
        name = "p" + name
    return (":" + name)[:size].ljust(size) if size >= 2 else "?"


# CREATE [GLOBAL|LOCAL] [TEMP|UNLOGGED] TABLE [IF NOT EXISTS] name: the name as written, when it is a name (not
# a template's `{table}`)
_CREATE_TABLE = re.compile(
    r"\s*CREATE\s+(?:(?:GLOBAL|LOCAL|TEMP|TEMPORARY|UNLOGGED)\s+)*TABLE\b(?:\s+IF\s+NOT\s+EXISTS\b)?"
    r"(?:\s+(?P<name>(?:\"[^\"]+\"|[\w$]+)(?:\s*\.\s*(?:\"[^\"]+\"|[\w$]+))?))?",
    re.IGNORECASE,
)


def creates_table(text: str) -> bool:
    """The statement is a CREATE TABLE (of any kind: temporary, unlogged)."""
    return _CREATE_TABLE.match(text) is not None


def created_table(text: str) -> str | None:
    """The name of the table a CREATE TABLE statement creates, as written (quoted, maybe schema-qualified)."""
    m = _CREATE_TABLE.match(text)
    return m.group("name") if m is not None else None


_AFTER_COLUMN = re.compile(
    r"(?:[(,]|(?P<add>\bADD(?:\s+COLUMN)?(?:\s+IF\s+NOT\s+EXISTS)?))\s*\"?[A-Za-z_]\w*\"?\s+$", re.I
)


def _column_type(text: str, at: int) -> bool:
    """A template where a column definition's type stands: right after the column's name, in a CREATE TABLE's
    list or an ADD COLUMN (the 80 characters before it are read, whatever the text's length)."""
    m = _AFTER_COLUMN.search(text, max(0, at - 80), at)
    return m is not None and (m.group("add") is not None or creates_table(text))


def substitute_templates(text: str) -> str:
    """`text` with template syntax replaced by same-length placeholders (see _TEMPLATE)."""
    if not ("{" in text or "%" in text or ":" in text or "\\" in text or "$" in text) or not _HAS_TEMPLATE.search(text):
        return text

    def replace(m: re.Match) -> str:
        return m.group(0) if _kind(m) == "keep" else _typed(text, m)

    return _TEMPLATE.sub(replace, text)


@dataclass(frozen=True)
class ParseFailure:
    message: str
    offset: int  # in the query's text
    unsupported: bool = False  # valid PostgreSQL that sqlglot does not read: not the user's error
    templated: bool = False  # the text has template syntax: what fails may be the template's doing


def failure_reported(query: SqlQuery, failure: ParseFailure) -> bool:
    """Whether a statement that does not parse is worth a finding: only when advisor has the whole
    statement as it runs.  Never for text completed at run time (built, clauses appended, a Jinja or
    psql template) or a failure the placeholders may cause; in code, only a literal handed straight
    to an execution call, and never the parser's own limit (valid PostgreSQL it does not read)."""
    if query.dynamic or not query.complete or failure.templated:
        return False
    if failure.unsupported and not _ANALYSED_START.match(query.text):
        return False  # DROP FUNCTION f(arg type), GRANT ...: no rule reads it, so skipping it loses nothing
    if query.source in ("sql", "schema"):
        return True
    return query.origin == "execute-call" and not failure.unsupported


# The statements the rules and the schema model read (a function's body is extracted on its own).
_ANALYSED_START = re.compile(
    r"\s*\(*\s*(?:SELECT|WITH|INSERT|UPDATE|DELETE|MERGE|VALUES|TABLE|ALTER\s+TABLE|"
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE|"
    r"CREATE\s+(?:UNIQUE\s+)?INDEX|CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?VIEW)\b",
    re.IGNORECASE,
)


# folders and file names projects name after the database their SQL is for (db/mysql/migrations beside
# db/postgresql/..., get_balance.mysql.sql beside get_balance.pg.sql)
_DATABASE_FOLDERS = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "pg": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "clickhouse": "clickhouse",
    "cassandra": "cql",  # phidata's vectordb/cassandra: CQL through a Cassandra session
    "scylla": "cql",
    "singlestore": "mysql",
    "mssql": "tsql",
    "sqlserver": "tsql",
    "tsql": "tsql",
    "oracle": "oracle",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "duckdb": "duckdb",
}


def database_named(word: str) -> str | None:
    """The dialect a word names (`pg`, `mysql`, `mssql`, `sqlite3`), as folders and files name them; else None."""
    return _DATABASE_FOLDERS.get(word.lower())


def another_database(path: str, dialect: str) -> bool:
    """The file lies in a folder named after another database than the one the config reads, or its name
    says so between dots (`0047_get_balance.mysql.sql`, `mysql.sql`): a statement there that does not parse
    is that database's SQL, not an error in it, and one that parses means what that database reads."""
    parts = re.split(r"[\\/]", path)
    words = [part.lower() for part in parts[:-1]] + parts[-1].lower().split(".")[:-1]
    return any(_DATABASE_FOLDERS.get(w, dialect) != dialect for w in words)


def failure_severity(query: SqlQuery, failure: ParseFailure) -> str | None:
    """`None` (the rule's own severity) for a statement a person wrote in a SQL file; "info" where
    the failure may not be theirs: SQL in code, an incomplete text, a template."""
    if query.source in ("sql", "schema") and query.complete and not failure.templated:
        return None
    return "info"


_CACHE_SIZE = 4096
_parses = 0


@lru_cache(maxsize=_CACHE_SIZE)
def parse_sql(text: str, dialect: str = "postgres"):
    """The sqlglot tree of one statement, or a ParseFailure. Cached: schema files are read twice."""
    return _parse_postgres_aware(text, dialect)


def _parse(text: str, dialect: str):
    from sqlglot.errors import ParseError, TokenError

    _collect_evicted()

    source = substitute_templates(text)
    try:
        tokenizer, parser = _reader(dialect)
        tokens = tokenizer.tokenize(source)
        if dialect in ("postgres", "postgresql"):
            _relation_keywords(tokens)
        trees = parser.parse(tokens, source)  # what sqlglot.parse(source, read=dialect) does
    except ParseError as exc:
        spaced = _unglued(source, dialect)
        if spaced is not None:
            return spaced
        first = exc.errors[0] if exc.errors else {"description": str(exc).splitlines()[0]}
        line, col = first.get("line"), first.get("col")
        return ParseFailure(
            _describe(first),
            _offset_of(source, line if isinstance(line, int) else None, col if isinstance(col, int) else None),
        )
    except TokenError as exc:
        spaced = _unglued(source, dialect)
        if spaced is not None:
            return spaced
        return ParseFailure(f"cannot tokenize: {exc}", 0)
    except RecursionError:  # sqlglot's parser recurses once per nesting level
        return ParseFailure("nested too deeply to analyse", 0)
    except Exception:  # noqa: BLE001 - sqlglot raises assorted errors on odd input; never let one escape
        # its own failure (a TypeError deep in the parser), not the user's: never shown as their error
        return ParseFailure("advisor's parser failed on this statement", 0, unsupported=True)
    trees = [t for t in trees if t is not None]
    if not trees:
        return ParseFailure("empty statement", 0)
    return _check_statement(trees[0])


# `$1,$2`, `id=$1`: sqlglot reads `$1,$` as the opening of a dollar-quoted string tagged `1,` and
# fails, and advisor's own one-character stand-in `?::text` as nothing; PostgreSQL reads parameters.  Tried again with a space after each
# (outside quotes, comments and dollar-quoted bodies), and every offset in the tree mapped back.
_GLUED = re.compile(
    rf"""(?P<keep>{QUOTED})
      | \$\d+(?=[^\s\d]) | \?(?=::)""",
    re.VERBOSE | re.DOTALL,
)


def _unglued(source: str, dialect: str):
    """The tree of `source` with its glued positional parameters spaced, offsets as in `source`; None
    when there are none or it still does not parse."""
    from sqlglot.errors import ParseError, TokenError

    added: list[int] = []  # offsets in the spaced text of the spaces added

    def space(m: re.Match) -> str:
        if m.group("keep") is not None:
            return m.group(0)
        added.append(m.end() + len(added))
        return m.group(0) + " "

    spaced = _GLUED.sub(space, source)
    if not added:
        return None
    try:
        tokenizer, parser = _reader(dialect)
        trees = [t for t in parser.parse(tokenizer.tokenize(spaced), spaced) if t is not None]
    except (ParseError, TokenError, RecursionError):
        return None
    except Exception:  # noqa: BLE001 - sqlglot raises assorted errors on odd input: then the first failure stands
        return None
    if not trees:
        return None
    for node in trees[0].walk():
        meta = node._meta  # noqa: SLF001 (reading .meta would create empty dicts)
        if meta:
            for key in ("start", "end"):
                if isinstance(meta.get(key), int):
                    meta[key] -= bisect.bisect_left(added, meta[key])
    return _check_statement(trees[0])


# `NOT DEFERRABLE` after a constraint (its default, said out loud) stops sqlglot reading the statement
# (`ALTER TABLE t ADD PRIMARY KEY (id) NOT DEFERRABLE` becomes a bare command): blanked, it means the same
_DEFERRABLE = re.compile(r"deferrable", re.IGNORECASE)
_NOT_DEFERRABLE = re.compile(r"'(?:[^']|'')*'?|--[^\n]*|(?P<clause>\bNOT\s+DEFERRABLE\b)", re.IGNORECASE)


# PostgreSQL's prefix `@` (absolute value, `MOD(@hash(x), $2)`), which sqlglot does not read: as a unary `+` (the
# same length, the same columns); never `@>`, `<@`, `@@` or an `@` after an operand
_PREFIX_AT = re.compile(
    r"'(?:[^']|'')*'?|--[^\n]*|(?P<before>(?:[(,=]|\b(?:SELECT|WHERE|AND|OR|THEN|ELSE|WHEN|BY))\s*)@(?=[\w($])",
    re.IGNORECASE,
)


def _postgres_spellings(text: str) -> str:
    """`text` with the PostgreSQL spellings sqlglot does not read rewritten to ones it does, same length."""
    if _DEFERRABLE.search(text):
        text = _NOT_DEFERRABLE.sub(lambda m: " " * len(m.group(0)) if m.group("clause") else m.group(0), text)
    if "@" in text:
        text = _PREFIX_AT.sub(lambda m: m.group("before") + "+" if m.group("before") is not None else m.group(0), text)
    if "ESCAPE" in text.upper():
        text = _ESCAPE_E_STRING.sub(_plain_escape, text)
    return text


# `LIKE $1 ESCAPE E'\\'` (one backslash, as LightRAG writes it): sqlglot's ESCAPE takes a plain string only
_ESCAPE_E_STRING = re.compile(r"(\bESCAPE\s+)[Ee]'((?:[^'\\]|\\[\\'])*)'", re.IGNORECASE)


def _plain_escape(match: re.Match) -> str:
    """The escape character of an E'' string as a plain string, padded to the same length."""
    plain = re.sub(r"\\([\\'])", lambda m: "''" if m.group(1) == "'" else "\\", match.group(2))
    return (match.group(1) + "'" + plain + "'").ljust(len(match.group(0)))


def _parse_postgres_aware(text: str, dialect: str):
    if dialect in ("postgres", "postgresql"):
        text = _postgres_spellings(text)
    tree = _parse(text, dialect)
    if not isinstance(tree, ParseFailure):
        return tree
    if dialect in ("postgres", "postgresql") and _UNSUPPORTED_INSIDE.search(text):
        # `x::regtype[]`, `::my_type[]`: sqlglot reads arrays of built-in types only; text[] reads alike
        retry = _parse(_UNSUPPORTED_INSIDE.sub(lambda m: "::text[]".ljust(len(m.group(0))), text), dialect)
        if not isinstance(retry, ParseFailure):
            return retry
    if dialect in ("postgres", "postgresql") and _valid_postgres(text):
        return ParseFailure(tree.message, tree.offset, unsupported=True)
    if _HAS_TEMPLATE.search(text):
        return ParseFailure(tree.message, tree.offset, templated=True)
    return tree


# Statements PostgreSQL runs whose grammar sqlglot does not know (or reads as a bare alias), and
# constructs inside others: a failure on them is the parser's limit, not the user's error.
_UNSUPPORTED_START = re.compile(
    r"\s*(?:LISTEN|UNLISTEN|NOTIFY|DISCARD|CLUSTER|DEALLOCATE|ANALY[SZ]E|VACUUM|REINDEX|CHECKPOINT|LOAD|"
    r"LOCK|PREPARE|EXECUTE|RESET|SECURITY\s+LABEL|REFRESH|IMPORT|REASSIGN|DO|CALL|COMMENT|GRANT|REVOKE|"
    r"ALTER\s+(?!TABLE\b)|CREATE\s+(?:OR\s+REPLACE\s+)?(?!TABLE\b|(?:UNIQUE\s+)?INDEX\b)|DROP\s+(?!TABLE\b|INDEX\b)|"
    r"SET|SHOW|BEGIN|START|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|ABORT|CLOSE|FETCH|MOVE|DECLARE|"
    r"COPY)\b",
    re.IGNORECASE,
)
_UNSUPPORTED_INSIDE = re.compile(r"::\s*\w+(?:\s*\([\d\s,]*\))?\s*\[\s*\]", re.IGNORECASE)


# PostgreSQL grammar sqlglot does not read, inside otherwise ordinary statements: an operator of an extension
# (pg_trgm's `<%` and `<<->`, PostGIS's `&&&`, pgvector's `<+>`: PostgreSQL lets extensions define any run of
# + - * / < > = ~ ! @ # % ^ & | ` ?; see _extension_operator), a cursor's `WHERE CURRENT OF`, `OVERRIDING ... VALUE`, `ORDER BY ...
# USING <`, `VARIADIC`, Unicode escapes, `IS NORMALIZED`, `NULLS [NOT] DISTINCT`, `SIMILAR ... ESCAPE`, digits
# grouped by underscores, exclusion constraints, virtual generated columns, `ON DELETE SET NULL (col)`,
# `json_serialize`, `bit varying`, a dimensioned array type, several indexes dropped at once, psql commands.
_UNSUPPORTED_SYNTAX = re.compile(
    r"""\bWHERE\s+CURRENT\s+OF\b | \bOVERRIDING\s+(?:SYSTEM|USER)\s+VALUE\b
       | \bUSING\s*(?:[<>]|OPERATOR\s*\() | \bVARIADIC\b | \bUESCAPE\b | \bU&["']
       | \bIS\s+(?:NOT\s+)?(?:NF[CD]|NFK[CD])?\s*NORMALIZED\b | \bNULLS\s+(?:NOT\s+)?DISTINCT\b
       | \bSIMILAR\b[^;]*?\bESCAPE\b | \b\d+(?:_\d+)+ | \bEXCLUDE\s*(?:USING\s+\w+\s*)?\(
       | \bVIRTUAL\b | \bON\s+(?:DELETE|UPDATE)\s+SET\s+(?:NULL|DEFAULT)\s*\( | \bjson_serialize\s*\(
       | \bbit\s+varying\b | \b\w+\s+ARRAY\s*\[\s*\d* | \bDROP\s+INDEX\b[^;]*?, | \bOWNED\s+BY\s+NONE\b
       | (?:^|\n)\s*\\[a-z] | \\g\w*\b""",
    re.IGNORECASE | re.VERBOSE,
)
_OPERATOR = re.compile(r"[-+*/<>=~!@#%^&|`?]{2,}")
# what sqlglot reads (and `=-1`, `<-1`: PostgreSQL ends an operator in + or - only when it has one of ~!@#%^&|`?)
_KNOWN_OPERATORS = {
    "||",
    "->",
    "->>",
    "#>",
    "#>>",
    "@>",
    "<@",
    "&&",
    "?|",
    "?&",
    "<->",
    "<=>",
    "<#>",
    "~~",
    "~*",
    "!~",
    "!~*",
    "~~*",
    "!~~",
    "!~~*",
    "<<",
    ">>",
    "=>",
    "@@",
    "<=",
    ">=",
    "<>",
    "!=",
    "**",
    "#-",
    "@?",
    "-|-",
    "|/",
    "||/",
}


def _extension_operator(text: str) -> bool:
    for m in _OPERATOR.finditer(text):
        op = m.group(0).rstrip("?")  # `=?1`, `??`: a driver's placeholders after an operator, not part of it
        if len(op) < 2 or "/*" in op or "--" in op or op in _KNOWN_OPERATORS:
            continue
        if op[-1] not in "+-" or any(c in op for c in "~!@#%^&|`?"):
            return True
    return False


_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'?|--[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)


def _valid_postgres(text: str) -> bool:
    if _UNSUPPORTED_START.match(text) or _UNSUPPORTED_INSIDE.search(text):
        return True
    bare = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group(0)), text)
    return _UNSUPPORTED_SYNTAX.search(bare) is not None or _extension_operator(bare)


def _collect_evicted() -> None:
    """A syntax tree is cyclic (children point to parents), so one evicted from the cache is freed
    only by the cyclic collector, which engine.check pauses: a file of many statements kept every
    tree it parsed (a 50 MB file peaked at 4 GB). A collection every few cache-fulls of parses
    bounds the memory at a few caches' worth, for a few percent of the time."""
    import gc

    global _parses
    _parses += 1
    if _parses % (4 * _CACHE_SIZE) == 0 and not gc.isenabled():
        gc.collect()


# where PostgreSQL reads a relation's name next: a table named `values` there (konsumation's `CREATE TABLE values`,
# `FROM values WHERE`) is a name, for PostgreSQL's VALUES is a keyword a name may be; sqlglot reads it as the keyword
_BEFORE_RELATION = frozenset(
    {"TABLE", "EXISTS", "FROM", "INTO", "JOIN", "UPDATE", "REFERENCES", "TRUNCATE", "ONLY", "ON", "DOT"}
)


def _relation_keywords(tokens: list) -> None:
    """The `values` where PostgreSQL reads a relation's name, made a name (`FROM (VALUES ...)`: a keyword still)."""
    from sqlglot.tokens import TokenType

    for before, token in zip(tokens, tokens[1:]):
        if token.token_type == TokenType.VALUES and before.token_type.name in _BEFORE_RELATION:
            token.token_type = TokenType.IDENTIFIER  # quoted as written back: `"values"`, the same name


@lru_cache(maxsize=16)
def _reader(name: str):
    """One tokenizer and one parser per dialect, reused: sqlglot.parse builds a dialect, a tokenizer
    and a parser for every statement (both reset their state at the start of each call)."""
    from sqlglot.dialects.dialect import Dialect

    dialect = Dialect.get_or_raise(name)
    return dialect.tokenizer(), dialect.parser()


def _check_statement(tree):
    """sqlglot reads a bare word as a column; a statement must be a statement."""
    from sqlglot import exp

    if isinstance(tree, (exp.Alias, exp.Condition, exp.Identifier)) and not isinstance(tree, exp.Query):
        return ParseFailure("not a SQL statement", 0)
    if isinstance(tree, exp.Update) and not tree.expressions:
        return ParseFailure("UPDATE without SET assignments", 0)
    if isinstance(tree, (exp.Update, exp.Delete, exp.Insert)) and not isinstance(tree.this, exp.Expression):
        return ParseFailure(f"{type(tree).__name__.upper()} without a target table", 0)
    return tree


def _describe(error: dict) -> str:
    """A short message from sqlglot's structured error: its description names a token by the token's
    repr, which the error's `highlight` (the token's text) replaces."""
    description = error.get("description") or "invalid syntax"
    if "TokenType.SENTINEL" in description:  # the parser ran past the last token
        return "unexpected end of statement"
    if "<Token" in description:
        return description[: description.index("<Token")] + repr(error.get("highlight") or "")
    if description.startswith("Required keyword"):
        return "incomplete expression"
    return description


def _offset_of(text: str, line: int | None, col: int | None) -> int:
    if not line:
        return 0
    offset = 0
    for _ in range(line - 1):
        nl = text.find("\n", offset)
        if nl < 0:
            break
        offset = nl + 1
    return max(0, min(len(text), offset + (col or 1) - 1))


def failure_location(query: SqlQuery, failure: ParseFailure) -> Location:
    return query.textmap.locate(failure.offset)
