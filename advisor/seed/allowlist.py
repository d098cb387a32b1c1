"""Which schema statements advisor sends to PostgreSQL: an allow-list by statement kind.

The repository is untrusted. A schema file may describe the schema (tables, types, sequences,
indexes, views, constraints, comments on them, functions in sql/plpgsql, a few trusted
extensions, harmless session settings) and put data in it; anything at the level of the
database, the roles or the server (ALTER DATABASE/ROLE/SYSTEM, CREATE DATABASE/ROLE,
COPY to a program or a file, untrusted languages, DO blocks that build SQL, SET ROLE,
LOAD, foreign servers, subscriptions, granting roles...) is refused with its reason and
never sent.  Deny by default: a statement kind not named here is refused.

The kind comes from sqlglot's parse tree where sqlglot recognises the statement and from its
leading keywords (sqlglot's tokenizer, so comments and string literals never count) where it
falls back to `Command`.  This is the first line; the second is that the statements that pass
run as a role without privileges (advisor/seed/server.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Extensions advisor creates itself, as the server's administrator, before any statement of
# the repository runs: PostgreSQL's trusted contrib modules (and pgvector).  Nothing else.
TRUSTED_EXTENSIONS = frozenset(
    {
        "btree_gin",
        "btree_gist",
        "citext",
        "cube",
        "fuzzystrmatch",
        "hstore",
        "intarray",
        "isn",
        "ltree",
        "pg_trgm",
        "pgcrypto",
        "seg",
        "tablefunc",
        "tsm_system_rows",
        "tsm_system_time",
        "unaccent",
        "uuid-ossp",
        "vector",
        "plpgsql",
    }
)

# Session settings a schema file may change (pg_dump's header sets most of them).
SAFE_SETTINGS = frozenset(
    {
        "search_path",
        "timezone",
        "time",
        "client_encoding",
        "names",
        "standard_conforming_strings",
        "check_function_bodies",
        "client_min_messages",
        "xmloption",
        "row_security",
        "default_tablespace",
        "default_table_access_method",
        "default_with_oids",
        "datestyle",
        "intervalstyle",
        "extra_float_digits",
        "bytea_output",
        "constraints",
        "transaction",
        "escape_string_warning",
        "default_toast_compression",
        "application_name",
        "work_mem",
        "maintenance_work_mem",
        "synchronous_commit",
        "lc_monetary",
        "lc_numeric",
        "lc_time",
        "plpgsql.variable_conflict",
        "max_parallel_maintenance_workers",
    }
)
# Settings advisor keeps to itself: a schema file's value is not sent, and that is not a finding.
OWN_SETTINGS = frozenset(
    {
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "idle_session_timeout",
        "transaction_timeout",
    }
)

# Objects a schema file may create, alter, drop or comment on.
SCHEMA_OBJECTS = frozenset(
    {
        "TABLE",
        "VIEW",
        "MATERIALIZED VIEW",
        "INDEX",
        "SEQUENCE",
        "TYPE",
        "DOMAIN",
        "SCHEMA",
        "FUNCTION",
        "PROCEDURE",
        "ROUTINE",
        "TRIGGER",
        "AGGREGATE",
        "OPERATOR",
        "COLLATION",
        "TEXT SEARCH",
        "STATISTICS",
        "POLICY",
        "RULE",
        "CAST",
        "COLUMN",
        "CONSTRAINT",
    }
)
DATA_STATEMENTS = frozenset(
    {
        "SELECT",
        "WITH",
        "VALUES",
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "TRUNCATE",
        "ANALYZE",
        "VACUUM",
        "REFRESH",
        "CLUSTER",
        "LOCK",
        "CALL",
        "TABLE",
    }
)
SAFE_LANGUAGES = frozenset({"sql", "plpgsql"})

# Functions that reach files, programs, other servers or other sessions.
DENIED_FUNCTIONS = frozenset(
    {
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_ls_archive_statusdir",
        "pg_ls_logicalsnapdir",
        "pg_ls_logicalmapdir",
        "pg_ls_replslotdir",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "pg_file_write",
        "pg_file_rename",
        "pg_file_unlink",
        "pg_file_sync",
        "pg_logdir_ls",
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "dblink_connect_u",
        "dblink_send_query",
        "dblink_open",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_signal_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_create_logical_replication_slot",
        "pg_create_physical_replication_slot",
        "pg_drop_replication_slot",
        "pg_log_backend_memory_contexts",
        "pg_import_system_collations",
    }
)

# Cluster-wide objects and server-side code: no schema file may create, change or drop them.
_CLUSTER = {"DATABASE", "ROLE", "USER", "GROUP", "SERVER", "SUBSCRIPTION", "PUBLICATION", "TABLESPACE", "LANGUAGE"}

# Leading keywords that are never allowed inside a function or DO body either.
_BODY_DENIED = {
    "ALTER": _CLUSTER | {"SYSTEM", "EXTENSION", "FOREIGN", "EVENT", "LARGE"},
    "CREATE": _CLUSTER | {"EVENT", "FOREIGN", "EXTENSION", "TRANSFORM", "ACCESS"},
    "DROP": _CLUSTER | {"OWNED", "EXTENSION", "EVENT"},
    "COMMENT": {"DATABASE", "ROLE", "TABLESPACE", "SERVER", "SUBSCRIPTION", "PUBLICATION", "EXTENSION"},
    "SET": {"ROLE", "SESSION"},
    "RESET": {"ROLE", "SESSION", "ALL"},
    "COPY": None,
    "LOAD": None,
    "REASSIGN": None,
    "CHECKPOINT": None,
    "IMPORT": None,
    "SECURITY": None,
}

_MODIFIERS = frozenset(
    {
        "OR",
        "REPLACE",
        "GLOBAL",
        "LOCAL",
        "TEMP",
        "TEMPORARY",
        "UNLOGGED",
        "UNIQUE",
        "RECURSIVE",
        "CONSTRAINT",
        "TRUSTED",
        "PROCEDURAL",
        "IF",
        "NOT",
        "EXISTS",
        "ONLY",
        "CONCURRENTLY",
    }
)
_TRANSACTION = frozenset({"BEGIN", "COMMIT", "START", "ROLLBACK", "END", "SAVEPOINT", "RELEASE", "ABORT"})
_TWO_WORD_KINDS = frozenset(
    {
        "MATERIALIZED VIEW",
        "TEXT SEARCH",
        "FOREIGN TABLE",
        "EVENT TRIGGER",
        "FOREIGN DATA",
        "DEFAULT PRIVILEGES",
        "USER MAPPING",
        "LARGE OBJECT",
        "ACCESS METHOD",
        "OPERATOR CLASS",
        "OPERATOR FAMILY",
    }
)
# the statement classes of sqlglot's tree and the keyword each one starts with
_TREE_HEADS = {
    "Create": "CREATE",
    "Drop": "DROP",
    "Comment": "COMMENT",
    "Alter": "ALTER",
    "Copy": "COPY",
    "Grant": "GRANT",
    "Revoke": "REVOKE",
    "Select": "SELECT",
    "Union": "SELECT",
    "Except": "SELECT",
    "Intersect": "SELECT",
    "Insert": "INSERT",
    "Update": "UPDATE",
    "Delete": "DELETE",
    "Merge": "MERGE",
    "Values": "VALUES",
    "TruncateTable": "TRUNCATE",
    "Analyze": "ANALYZE",
}


@dataclass(frozen=True)
class Verdict:
    """What to do with one statement: send it, leave it out quietly, create an extension, or refuse."""

    action: str  # "send" | "ignore" | "extension" | "refuse"
    reason: str = ""
    extension: str = ""


SEND = Verdict("send")
IGNORE = Verdict("ignore")


@lru_cache(maxsize=1)
def _tokenizer():
    from sqlglot.dialects.postgres import Postgres

    return Postgres().tokenizer()


def _tokens(text: str):
    """sqlglot's tokens; a `Command` keyword's tail (sqlglot keeps it as one string) is tokenized too."""
    from sqlglot.tokens import TokenType

    tokens = _tokenizer().tokenize(text)
    if len(tokens) == 2 and tokens[0].token_type == TokenType.COMMAND and tokens[1].token_type == TokenType.STRING:
        return [tokens[0], *_tokenizer().tokenize(tokens[1].text)]
    return tokens


def _word(token) -> str:
    """The token as a keyword; '' for a literal (STRING, HEREDOC_STRING, BIT_STRING...), whose text is data."""
    if token.token_type.name.endswith("STRING"):
        return ""
    return token.text.upper()


def _leading(tokens) -> tuple[str, str]:
    """(first keyword, object kind) from the keywords, modifiers (OR REPLACE, TEMP, UNIQUE...) left out."""
    words = [_word(t) for t in tokens[:10]]
    head, rest = (words[0] if words else ""), [w for w in words[1:] if w not in _MODIFIERS]
    if head == "COMMENT" and rest[:1] == ["ON"]:
        rest = rest[1:]
    if " ".join(rest[:2]) in _TWO_WORD_KINDS:
        return head, " ".join(rest[:2])
    return head, (rest[0] if rest else "")


def _from_tree(text: str) -> tuple[str, str] | None:
    """(first keyword, object kind) from sqlglot's tree, or None where it falls back to Command."""
    from advisor.parse import parse_sql

    tree = parse_sql(text)
    head = _TREE_HEADS.get(type(tree).__name__)
    if head is None:
        return None
    kind = tree.args.get("kind") if head in ("CREATE", "DROP", "COMMENT", "ALTER") else ""
    if head != "COPY" and kind is not None and not isinstance(kind, str):
        return None
    return head, (kind or "").upper()


def _after(tokens, i: int) -> str:
    return _word(tokens[i]) if i < len(tokens) else ""


def _body_refusal(tokens, *, dynamic_sql: bool) -> str:
    """Why a function or DO body may not run ('' when it may): a denied statement or function in it."""
    from sqlglot.tokens import TokenType

    for i, token in enumerate(tokens):
        word, following = _word(token), _after(tokens, i + 1)
        if word == "CREATE" and following == "EXTENSION" and _extension(tokens[i:]).action == "extension":
            continue  # a trusted one: PostgreSQL lets the database's owner create it
        if word in _BODY_DENIED and following != ".":
            then = _after(tokens, i + 2) if word == "COMMENT" else following
            denied_after = _BODY_DENIED[word]
            if denied_after is None or then in denied_after:
                return f"its body runs {word} {then}".rstrip()
        if dynamic_sql and word == "EXECUTE" and following not in ("FUNCTION", "PROCEDURE"):
            return "it builds SQL at run time (EXECUTE)"
        if dynamic_sql and token.token_type == TokenType.PARAMETER and _after(tokens, i + 1).isdigit():
            # a DO block takes no parameters: `$1` stands for a value the code writes in where it runs
            return "part of its body is filled in where the code runs it (a template)"
        if (
            token.text.lower() in DENIED_FUNCTIONS
            and i + 1 < len(tokens)
            and tokens[i + 1].token_type == TokenType.L_PAREN
        ):
            return f"its body calls {token.text.lower()}()"
    return ""


def _function(tokens, what: str, default_language: str) -> Verdict:
    from sqlglot.tokens import TokenType

    language = default_language
    for i, token in enumerate(tokens[:-1]):
        if _word(token) == "LANGUAGE":
            language = tokens[i + 1].text.strip("'\"").lower()
    if language not in SAFE_LANGUAGES:
        return Verdict("refuse", f"{what} in language {language}: only sql and plpgsql code is loaded")
    from advisor.parse import has_text_template

    for token in tokens:
        if token.token_type not in (TokenType.HEREDOC_STRING, TokenType.STRING):
            continue
        if token.token_type == TokenType.HEREDOC_STRING and has_text_template(token.text):
            # `${pg.escapeLiteral(...)}` in a dollar-quoted body the code writes in (holdout 54); a quoted value such
            # as a parameter's default `'{}'` is no body
            return Verdict("refuse", f"{what}: part of its body is filled in where the code runs it (a template)")
        try:
            inner = _tokens(token.text)
        except Exception:  # noqa: BLE001 -- deny by default
            return Verdict("refuse", f"{what}: advisor cannot tokenize its body, so it does not send it")
        why = _body_refusal(inner, dynamic_sql=what == "DO block")
        if why:
            return Verdict("refuse", f"{what}: {why}")
    return SEND


def _setting(tokens) -> Verdict:
    words = [_word(t) for t in tokens]
    verb, rest = words[0], tokens[1:]
    if words[1:3] == ["SESSION", "AUTHORIZATION"]:
        return Verdict("refuse", f"{verb} SESSION AUTHORIZATION changes who runs the statements")
    if words[1:2] in (["SESSION"], ["LOCAL"]):
        rest = rest[1:]
    if not rest:
        return Verdict("refuse", f"{verb}: no setting named")
    name = rest[0].text.lower()
    if len(rest) >= 3 and rest[1].text == ".":
        return SEND  # a custom setting (myapp.tenant_id) is the application's own
    if name in ("role", "session_authorization"):
        return Verdict("refuse", f"{verb} {name.upper()} changes who runs the statements")
    if name in OWN_SETTINGS:
        return IGNORE  # advisor keeps its own timeouts; not the schema's concern
    if name in SAFE_SETTINGS:
        return SEND
    return Verdict(
        "refuse",
        f"{verb} {name}: only harmless session settings are loaded (search_path, time zone, client_encoding, ...)",
    )


def _calls(tokens) -> Verdict:
    """Refused when the statement calls a function that reaches outside the database."""
    from sqlglot.tokens import TokenType

    for i, token in enumerate(tokens):
        name = token.text.lower()
        called = i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.L_PAREN
        named = i > 0 and tokens[i - 1].token_type == TokenType.EQ  # CREATE AGGREGATE ... (SFUNC = lo_export)
        if not (called or named) or _word(token) == "":
            continue
        if name in DENIED_FUNCTIONS:
            return Verdict("refuse", f"it calls {name}(), which reaches files, programs or other sessions")
        if name == "set_config" and i + 2 < len(tokens):
            setting = tokens[i + 2].text.lower()
            if tokens[i + 2].token_type != TokenType.STRING or (
                setting not in SAFE_SETTINGS | OWN_SETTINGS and "." not in setting
            ):
                return Verdict("refuse", f"set_config('{setting}'): only harmless session settings are loaded")
    return SEND


def _extension(tokens) -> Verdict:
    names = [t.text for t in tokens[2:] if _word(t) not in _MODIFIERS]
    name = names[0].lower() if names else ""
    if name in TRUSTED_EXTENSIONS:
        return Verdict("extension", extension=name)
    return Verdict(
        "refuse",
        f"extension {name or '?'} is not one advisor creates "
        f"(trusted ones only: {', '.join(sorted(TRUSTED_EXTENSIONS - {'plpgsql'}))})",
    )


def _grant(verb: str, tokens) -> Verdict:
    on = next((i for i, t in enumerate(tokens) if _word(t) == "ON"), None)
    if on is None:
        return Verdict("refuse", f"{verb} of a role: role membership is not part of a schema")
    target = [_word(t) for t in tokens[on + 1 : on + 3]]
    if target[0] in ("DATABASE", "TABLESPACE", "LANGUAGE", "PARAMETER", "SERVER") or target in (
        ["FOREIGN", "DATA"],
        ["FOREIGN", "SERVER"],
        ["LARGE", "OBJECT"],
    ):
        return Verdict("refuse", f"{verb} ON {target[0]}: privileges beyond the schema")
    return IGNORE  # who may read or write a table changes no plan (and names roles advisor's database lacks)


def _owner_to(tokens) -> bool:
    words = [_word(t) for t in tokens]
    return any(words[i : i + 2] == ["OWNER", "TO"] for i in range(len(words) - 1))


def _by_kind(head: str, kind: str, tokens) -> Verdict:
    if head == "LOCK":
        return IGNORE  # guards a migration against writers; a fresh database has none (and it needs a transaction)
    if head in DATA_STATEMENTS:
        return SEND
    if head in _TRANSACTION:
        return IGNORE  # each statement runs in its own transaction
    if head in ("SET", "RESET"):
        return _setting(tokens)
    if head == "DO":
        return _function(tokens, "DO block", "plpgsql")
    if head in ("GRANT", "REVOKE"):
        return _grant(head, tokens)
    if head == "COPY":
        return Verdict(
            "refuse", "COPY reads or writes files and programs on the server; seed data comes from [seed] instead"
        )
    if head == "CREATE" and kind == "EXTENSION":
        return _extension(tokens)
    if head == "COMMENT" and kind == "EXTENSION":
        return IGNORE  # pg_dump writes one for each extension; advisor made them
    if head == "ALTER" and (kind == "DEFAULT PRIVILEGES" or _owner_to(tokens)):
        return IGNORE  # who owns what and its default grants do not change a plan (pg_dump writes them)
    if head not in ("CREATE", "ALTER", "DROP", "COMMENT"):
        return Verdict("refuse", f"{head or '?'}: not a schema statement advisor loads")
    if kind not in SCHEMA_OBJECTS:
        what = f"{head}{' ON' if head == 'COMMENT' else ''} {kind or '?'}"
        return Verdict(
            "refuse",
            f"{what} reaches beyond the schema; advisor loads tables, types, indexes, views, "
            "functions and comments on them",
        )
    if head == "CREATE" and kind in ("FUNCTION", "PROCEDURE"):
        return _function(tokens, kind.lower(), "sql")
    return SEND


def check(text: str) -> Verdict:
    """The verdict on one schema statement."""
    from advisor.parse import has_text_template

    if has_text_template(text):  # `INTEGER PRIMARY KEY {gen}`, `${this.schemaName}.jobs`: what the code fills in
        return Verdict("refuse", "part of its text is filled in where the code runs it (a template), so it is not sent")
    try:
        tokens = _tokens(text)
    except Exception:  # noqa: BLE001 -- deny by default
        return Verdict("refuse", "advisor cannot tokenize it (a template placeholder?), so it does not send it")
    while tokens and tokens[0].text == "(":  # (SELECT ...) UNION ...
        tokens = tokens[1:]
    if not tokens or all(t.text == ";" for t in tokens):
        return IGNORE
    if any(t.text == ";" for t in tokens[:-1]):
        return Verdict("refuse", "more than one statement in one")
    head, kind = _leading(tokens)
    tree = _from_tree(text) if head not in ("SET", "RESET", "DO", "GRANT", "REVOKE") else None
    if tree is not None and tree[0] == head and tree[1]:
        kind = tree[1] if not (tree[1] == "VIEW" and kind == "MATERIALIZED VIEW") else kind
    verdict = _by_kind(head, kind, tokens)
    return _calls(tokens) if verdict.action == "send" else verdict


def describe(verdict: Verdict) -> str:
    return f"advisor does not run this statement: {verdict.reason}"
