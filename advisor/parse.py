"""Parse one SQL statement with sqlglot, turning failures into located messages."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from advisor.ir import Location, SqlQuery

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it warns on every unsupported statement

# psycopg's %(name)s becomes :name padded with spaces, so every offset stays put.
_PYFORMAT = re.compile(r"%\((\w+)\)s")


def _normalise_placeholders(text: str) -> str:
    if "%(" not in text:
        return text
    return _PYFORMAT.sub(lambda m: (":" + m.group(1)).ljust(len(m.group(0))), text)


@dataclass(frozen=True)
class ParseFailure:
    message: str
    offset: int  # in the query's text


_CACHE_SIZE = 4096
_parses = 0


@lru_cache(maxsize=_CACHE_SIZE)
def parse_sql(text: str, dialect: str = "postgres"):
    """The sqlglot tree of one statement, or a ParseFailure. Cached: schema files are read twice."""
    from sqlglot.errors import ParseError, TokenError

    _collect_evicted()

    source = _normalise_placeholders(text)
    try:
        tokenizer, parser = _reader(dialect)
        trees = parser.parse(tokenizer.tokenize(source), source)  # what sqlglot.parse(source, read=dialect) does
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        description = first.get("description") or str(exc).splitlines()[0]
        return ParseFailure(_describe(description), _offset_of(source, first.get("line"), first.get("col")))
    except TokenError as exc:
        return ParseFailure(f"cannot tokenize: {exc}", 0)
    except RecursionError:  # sqlglot's parser recurses once per nesting level
        return ParseFailure("nested too deeply to analyse", 0)
    except Exception as exc:  # sqlglot raises assorted errors on odd input; never let one escape
        return ParseFailure(f"{type(exc).__name__}: {exc}", 0)
    trees = [t for t in trees if t is not None]
    if not trees:
        return ParseFailure("empty statement", 0)
    return _check_statement(trees[0])


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


_TOKEN = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, comments: \[.*?\]>")


def _describe(message: str) -> str:
    if "SENTINEL" in message:
        return "unexpected end of statement"
    message = _TOKEN.sub(lambda m: repr(m.group(1)), message)
    if message.startswith("Required keyword"):
        return "incomplete expression"
    return message


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
