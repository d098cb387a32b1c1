"""`coll.bulkWrite([...])` in JavaScript / TypeScript: one MongoDB shape per operation that has a filter,
from the list written there or built with `ops.push({...})` in the function that declares it."""

from __future__ import annotations

from advisor.mongo.shape import MongoQuery, Placeholder
from advisor.sources.js_flow import parameters, pushed, scope_names, scope_of
from advisor.sources.js_names import returned
from advisor.sources.js_receivers import resolve_receiver
from advisor.sources.js_syntax import JsFile, arg_list, prop_loc, read_value, unchain, unwrap

BULK_OPS = ("updateOne", "updateMany", "replaceOne", "deleteOne", "deleteMany")  # bulkWrite's operations


def bulk_write(f: JsFile, call, base, chain: list, i: int) -> list[MongoQuery]:
    """`coll.bulkWrite([{ updateOne: { filter, update } }, ...])`, the list written there or built with
    `ops.push({...})` in the function that declares it: one shape per operation that has a filter."""
    receiver = resolve_receiver(f, base, chain[:i])
    args = arg_list(chain[i][1])
    if receiver is None or not args:
        return []
    collection, model, driver = receiver
    node = unwrap(args[0])
    items = _items(f, node)
    loc = prop_loc(f, chain[i][2])
    if node.type == "identifier":  # the list as declared (not as emptied again after a batch), and its pushes
        declared = next(
            (
                v
                for _, v in f.decls.get(f.src(node), ())
                if v.type in ("array", "call_expression") and _encloses(v, node)
            ),
            None,
        )
        if declared is None and f.src(node) in parameters(f, call):  # the caller's operations: a sketch
            return [_unseen(f, call, node, loc, receiver)]
        if declared is not None:
            items = _items(f, declared)
            items += pushed(f, f.src(node), declared) if declared.type == "array" else []
    out = []
    for item in items:
        state: dict = {"partial": False}
        spans: dict = {(): loc}
        op = read_value(f, item, ("op",), spans, state)
        if not isinstance(op, dict) or len(op) != 1:
            continue
        ((name, spec),) = op.items()
        if name not in BULK_OPS or not isinstance(spec, dict) or "filter" not in spec:
            continue
        spans = {("filter",) + k[3:]: v for k, v in spans.items() if k[:3] == ("op", name, "filter")} | {(): loc}
        out.append(
            MongoQuery(
                collection=collection,
                operation=name,
                filter=spec["filter"],
                location=loc,
                source="js",
                model=model,
                driver=driver,
                text=f.src(item)[:2000],
                spans=spans,
                params=parameters(f, call),
                scope=scope_names(f, call),
                partial=state["partial"],
                upsert=spec.get("upsert") is True,
            )
        )
    if not out and items and not any(_written(f, item) for item in items):  # `ops.push(op)` of ops made elsewhere
        return [_unseen(f, call, node, loc, receiver)]
    return out


def _written(f: JsFile, item) -> bool:
    """An operation written as an object literal (read above, or not one with a filter)."""
    return unwrap(item) is not None and unwrap(item).type == "object"


def _items(f: JsFile, node) -> list:
    """The operations a list holds: written there, or what `xs.map(x => ({ updateOne: ... }))` makes of
    each element (the callback's returned object)."""
    if node.type == "array":
        return [c for c in node.named_children if c.type != "comment"]
    if node.type != "call_expression":
        return []
    _, calls = unchain(f, node)
    args = arg_list(calls[-1][1]) if calls and calls[-1][0] == "map" else []
    made = unwrap(returned(args[0])) if len(args) == 1 else None
    return [made] if made is not None else []


def _encloses(declared, use) -> bool:
    """The function that declares a variable holds this use of it."""
    scope = scope_of(declared)
    return scope is not None and scope.start_byte <= use.start_byte < scope.end_byte


def _unseen(f: JsFile, call, node, loc, receiver: tuple) -> MongoQuery:
    """`coll.bulkWrite(operations)` with the caller's operations: writes on the collection, filters unknown."""
    collection, model, driver = receiver
    return MongoQuery(
        collection=collection,
        operation="bulkWrite",
        filter=Placeholder("object", f.src(node)),
        location=loc,
        source="js",
        model=model,
        driver=driver,
        text=f.src(call)[:2000],
        spans={(): loc},
        params=parameters(f, call),
        scope=scope_names(f, call),
        partial=True,
    )
