"""Live MongoDB explain (`--mongo-uri`): each query shape explained on the server with
`executionStats`, its placeholders filled from a sampled document; the plan rules of
advisor/mongo/explain.py run on the result.  pymongo is imported only here, by `explain_live`.

The server is the user's and the shapes are the repository's: a shape with JavaScript (`$where`, `$function`,
`$accumulator`) or a nested write is not sent, every explain has maxTimeMS, sampled values go only where a
field's value is compared, and a failure is reported by the server's error code, never its message.
"""

from __future__ import annotations

from typing import Any

from advisor.checks import Hit
from advisor.mongo.explain import parse_explain, plan_findings


class ExplainError(Exception):
    """Live explain could not run (unreachable server, bad URI, no permission)."""


def _sample_value(doc: dict | None, path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and cur and isinstance(cur[0], dict) and part in cur[0]:
            cur = cur[0][part]
        else:
            return None
    return cur[0] if isinstance(cur, list) and cur else cur


def fill_placeholders(value: Any, sample: dict | None, field: str | None = None) -> Any:
    """Replace Placeholders with values from a sampled document (or a typed default)."""
    import datetime

    from advisor.mongo.shape import Placeholder, Regex

    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                sub_field = field
            elif k.startswith("$"):
                # a sampled value goes only where a value of the field is compared; an operator's own argument
                # ($type, $size, $mod, $regex...) gets a typed default: a production value never reaches an
                # error message the server writes about a misused argument
                sub_field = field if k in _VALUE_OPERATORS else None
            else:
                sub_field = k if field is None else f"{field}.{k}"
            out[k] = fill_placeholders(v, sample, sub_field)
        return out
    if isinstance(value, list):
        return [fill_placeholders(v, sample, field) for v in value]
    if isinstance(value, Regex):
        return {"$regex": value.pattern, "$options": value.flags}
    if isinstance(value, Placeholder):
        got = _sample_value(sample, field) if field else None
        if got is not None:
            return got
        if value.kind == "date":
            return datetime.datetime.now(datetime.UTC)
        if value.kind == "number":
            return 0
        if value.kind == "objectid":
            from bson import ObjectId

            return ObjectId()
        if value.kind == "array":
            return []
        if value.kind == "bool":
            return True
        return ""
    return value


WRITING_STAGES = {"$out", "$merge"}
# the operators whose argument is a value of the field they apply to (or holds conditions on it)
_VALUE_OPERATORS = frozenset(
    {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$all", "$elemMatch", "$not", "$and", "$or", "$nor"}
)
# JavaScript the server would run while explaining with executionStats (it executes the plan)
_CODE = frozenset({"$where", "$function", "$accumulator"})
MAX_DEPTH = 100  # BSON's own nesting limit


def unsendable(value: Any) -> str | None:
    """What makes a shape one advisor does not send to the user's server, or None: JavaScript from the
    repository (explain runs the plan), a writing stage below the pipeline's top level, nesting deeper than
    MongoDB accepts.  Walked without recursion: a shape file may nest without limit."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"it nests deeper than MongoDB's {MAX_DEPTH} levels"
        if isinstance(item, dict):
            for key, sub in item.items():
                if key in _CODE:
                    return f"it holds {key}: JavaScript from the repository, which explain would run on your server"
                if key in WRITING_STAGES:
                    return f"it holds a {key} stage inside another stage: a write"
                stack.append((sub, depth + 1))
        elif isinstance(item, (list, tuple)):
            stack.extend((sub, depth + 1) for sub in item)
    return None


def explain_live(
    queries: list, uri: str, *, database: str | None = None, timeout_ms: int = 5000, collection_filter: Any = None
) -> list[tuple[str, Hit]]:
    """Run explain('executionStats') for each MongoQuery on a live server; plan findings as (rule, hit).

    Placeholders are filled from one document sampled from the collection. Writes are
    explained as the equivalent find (explain never writes, and `$out`/`$merge` stages are
    dropped). Raises ExplainError with a one-line reason when the server cannot be used.
    """
    from advisor.mongo.shape import MongoQuery

    try:
        import pymongo
        from bson.errors import BSONError
        from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError
    except ImportError as exc:  # pragma: no cover
        raise ExplainError(f"pymongo is not installed ({exc})") from None
    from advisor.secrets import mask, remember

    remember(uri)  # its password and secret options, wherever the driver's messages quote them
    try:
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            uri,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=max(timeout_ms * 6, 30000),
            appname="advisor",
        )
    except (InvalidURI, ConfigurationError, ValueError, TypeError) as exc:
        raise ExplainError(f"invalid MongoDB URI: {mask(str(exc))}") from None
    try:
        try:
            client.admin.command("ping")
        except PyMongoError as exc:
            first = str(exc).split(",")[0].split("Timeout:")[0].strip()
            raise ExplainError(f"cannot reach MongoDB at {mask(uri)} within {timeout_ms} ms: {mask(first)}") from None
        try:
            db = client[database] if database else client.get_default_database()
        except ConfigurationError:
            raise ExplainError(
                "the --mongo-uri names no database: add one to the URI path (mongodb://host/dbname)"
            ) from None
        out: list[tuple[str, Hit]] = []
        samples: dict[str, Any] = {}
        for q in queries:
            if not isinstance(q, MongoQuery) or q.sketch:
                continue
            try:
                if q.collection not in samples:
                    samples[q.collection] = db[q.collection].find_one()
                why = unsendable(_sent_part(q))
                if why is not None:
                    out.append(_not_explained(q, f"advisor did not explain this query on the server: {why}"))
                    continue
                sample = samples[q.collection]
                command = _explain_command(q, sample)
                if command is None:
                    continue
                command["maxTimeMS"] = timeout_ms  # the plan runs (executionStats): cut, not waited on
                doc = db.command({"explain": command, "verbosity": "executionStats"})
                tree = parse_explain(doc)
            except PyMongoError as exc:
                # the server's code, not its message: a message may quote the document values it read
                code = getattr(exc, "code", None)
                name = (getattr(exc, "details", None) or {}).get("codeName") or type(exc).__name__
                out.append(
                    _not_explained(q, f"explain failed for this query: {name}" + (f" (code {code})" if code else ""))
                )
                continue
            except (BSONError, OverflowError) as exc:  # a value BSON cannot carry (a YAML date): named by type only
                out.append(_not_explained(q, f"advisor could not send this query to the server ({type(exc).__name__})"))
                continue
            except ValueError:
                continue
            out += plan_findings(tree, q.location, q.text)
        return out
    finally:
        client.close()


def _not_explained(q, message: str) -> tuple[str, Hit]:
    return ("explain-error", Hit(message, q.location, subject=f"explain:{q.collection}", severity="info"))


def _top_stages(pipeline: list) -> list:
    """The pipeline without its top-level $out/$merge: explain never writes."""
    return [s for s in pipeline if not (isinstance(s, dict) and set(s) & WRITING_STAGES)]


def _sent_part(q) -> Any:
    """What of the shape would be sent: the pipeline's stages but its last writes, or the filter and projection."""
    if q.is_aggregate:
        return _top_stages(q.pipeline) if isinstance(q.pipeline, list) else None
    return [q.filter, q.projection, q.sort]


def _explain_command(q, sample: dict | None) -> dict | None:
    if q.is_aggregate:
        if not isinstance(q.pipeline, list):
            return None
        pipeline = _top_stages(q.pipeline)
        return {"aggregate": q.collection, "pipeline": fill_placeholders(pipeline, sample), "cursor": {}}
    flt = fill_placeholders(q.filter if isinstance(q.filter, dict) else {}, sample)
    if q.operation in ("countDocuments", "count", "count_documents"):
        return {"count": q.collection, "query": flt}
    cmd: dict = {"find": q.collection, "filter": flt}
    if isinstance(q.sort, dict) and q.sort:
        cmd["sort"] = q.sort
    if isinstance(q.projection, dict) and q.projection:
        cmd["projection"] = fill_placeholders(q.projection, sample)
    if isinstance(q.limit, int) and not isinstance(q.limit, bool):
        cmd["limit"] = q.limit
    elif q.operation in ("findOne", "find_one", "findById") or q.operation.endswith(("One", "_one")):
        cmd["limit"] = 1
    if isinstance(q.skip, int) and not isinstance(q.skip, bool):
        cmd["skip"] = q.skip
    return cmd
