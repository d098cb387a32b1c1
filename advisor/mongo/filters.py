"""What a MongoDB filter asks of an index: each condition classified by the index bounds it gives
(advisor.mongo.planner plans from these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.mongo.patterns import regexp_call, runtime_regex_kind
from advisor.mongo.shape import Placeholder, Regex, is_operator

MAX_EXPLODE = 200  # internalQueryMaxScansToExplode
RANGE_OPS = {"$gt", "$gte", "$lt", "$lte"}
NEGATION_OPS = {"$ne", "$nin", "$not"}
GEO_OPS = {"$near", "$nearSphere", "$geoWithin", "$geoIntersects", "$within"}
SARGABLE = {"eq", "in", "range", "prefix", "elem"}
BOUNDING = {"range", "prefix", "elem", "in", "ne"}  # give index bounds short of one point


@dataclass
class Pred:
    field: str
    kind: str  # eq, in, range, prefix, regex, ne ($ne / $nin: bounds around the values), negation, exists,
    # null, elem ($elemMatch on the values), has ($elemMatch on subdocuments: their fields get their own), geo,
    # text, other
    value: Any
    path: tuple  # where it was written, relative to the query's spans
    n_in: int | None = None  # number of values of an $in, when known

    @property
    def sargable(self) -> bool:
        return self.kind in SARGABLE or self.kind == "null"

    @property
    def negative(self) -> bool:
        return self.kind in ("negation", "ne")

    @property
    def equality(self) -> bool:
        return self.kind in ("eq", "null") or (self.kind == "in" and (self.n_in is None or self.n_in <= MAX_EXPLODE))


@dataclass
class FilterInfo:
    preds: list[Pred] = field(default_factory=list)
    ors: list[list[FilterInfo]] = field(default_factory=list)  # each $or: its clauses
    or_paths: list[tuple] = field(default_factory=list)
    special: list[tuple[str, tuple]] = field(default_factory=list)  # ($where, path), ($text, path), ($expr, path)
    unknown: bool = False  # the filter (or part of it) is not known statically

    @property
    def empty(self) -> bool:
        return not self.preds and not self.ors and not self.special and not self.unknown

    def fields(self) -> list[str]:
        return [p.field for p in self.preds]


def _classify(fieldname: str, value: Any, path: tuple) -> list[Pred]:
    if isinstance(value, Regex):
        kind = "prefix" if value.anchored and not value.case_insensitive else "regex"
        return [Pred(fieldname, kind, value, path)]
    if isinstance(value, dict) and value and all(is_operator(k) for k in value):
        preds: list[Pred] = []
        for op, arg in value.items():
            p = path + (op,)
            if op == "$eq":
                preds.append(Pred(fieldname, "null" if arg is None else "eq", arg, p))
            elif op == "$in":
                n = len(arg) if isinstance(arg, list) else None
                if isinstance(arg, list) and any(isinstance(a, Regex) for a in arg):
                    preds.append(Pred(fieldname, "regex", arg, p))
                else:
                    preds.append(Pred(fieldname, "in", arg, p, n_in=n))
            elif op in RANGE_OPS:
                preds.append(Pred(fieldname, "range", arg, p))
            elif (
                op in ("$ne", "$nin")
                and not isinstance(arg, (dict, Regex))
                and not (isinstance(arg, list) and any(isinstance(a, (dict, Regex)) for a in arg))
            ):
                preds.append(Pred(fieldname, "ne", arg, p))  # the index bounds everything but the values
            elif op in NEGATION_OPS:
                preds.append(Pred(fieldname, "negation", arg, p))
            elif op == "$exists":
                preds.append(Pred(fieldname, "exists" if arg not in (False, 0) else "null", arg, p))
            elif op == "$regex":
                pattern = arg.pattern if isinstance(arg, Regex) else arg
                options = value.get("$options", "")
                flags = (arg.flags if isinstance(arg, Regex) else "") + (options if isinstance(options, str) else "")
                if isinstance(pattern, str):
                    rx = Regex(pattern, flags)
                    kind = "prefix" if rx.anchored and not rx.case_insensitive else "regex"
                    preds.append(Pred(fieldname, kind, rx, p))
                else:
                    preds.append(Pred(fieldname, runtime_regex_kind(pattern, flags, options), pattern, p))
            elif op == "$options":
                continue
            elif op == "$elemMatch" and isinstance(arg, dict) and not all(k in _VALUE_OPERATORS for k in arg):
                # on subdocuments: `{x: 1}`, also as `{$and: [{x: 1}, {y: 2}]}` (bigchaindb's double-spend check)
                preds += _element_preds(fieldname, arg, p)
            elif op == "$elemMatch":
                preds.append(Pred(fieldname, "elem", arg, p))
            elif op == "$all":
                preds.append(Pred(fieldname, "eq" if isinstance(arg, list) and arg else "other", arg, p))
            elif op in GEO_OPS:
                preds.append(Pred(fieldname, "geo", arg, p))
            else:  # $size, $type, $mod, $bits*, $jsonSchema...
                preds.append(Pred(fieldname, "other", arg, p))
        return preds
    if value is None:
        return [Pred(fieldname, "null", value, path)]
    if isinstance(value, Placeholder) and value.kind == "regex":  # new RegExp(...): a pattern, not a value
        source, given = regexp_call(value.text)
        kind = runtime_regex_kind(Placeholder("string", source), given or "", given) if source else "other"
        return [Pred(fieldname, kind, value, path)]
    return [Pred(fieldname, "eq", value, path)]


# what $elemMatch on an array's values holds (`{$gt: 1, $lt: 9}`); a logical operator's clauses name fields
_VALUE_OPERATORS = frozenset(
    "$eq $ne $gt $gte $lt $lte $in $nin $regex $options $exists $type $mod $size $all $not $elemMatch".split()
)


def _element_preds(fieldname: str, arg: dict, path: tuple) -> list[Pred]:
    """`{arr: {$elemMatch: {x: 1, y: {$gt: 2}}}}`: the array has an element (a condition that bounds no index
    key, kind "has"), and each condition on the element's fields holds for `arr.x`, `arr.y`, which an index
    on those paths bounds. Only the and-ed conditions: an $or inside is left to the fetch."""
    inner = analyse_filter(arg, path)
    return [Pred(fieldname, "has", arg, path)] + [
        Pred(f"{fieldname}.{p.field}", p.kind, p.value, p.path, p.n_in)
        for p in inner.preds
        if not p.field.startswith("$")
    ]


def analyse_filter(flt: Any, base: tuple = ("filter",)) -> FilterInfo:
    info = FilterInfo()
    if flt is None:
        return info
    if not isinstance(flt, dict):
        info.unknown = True
        return info
    for key, value in flt.items():
        path = base + (key,)
        if key == "$and" and isinstance(value, list):
            for i, clause in enumerate(value):
                sub = analyse_filter(clause, path + (i,))
                info.preds += sub.preds
                info.ors += sub.ors
                info.or_paths += sub.or_paths
                info.special += sub.special
                info.unknown |= sub.unknown
        elif key == "$or" and isinstance(value, list):
            clauses = [analyse_filter(c, path + (i,)) for i, c in enumerate(value)]
            if len(clauses) == 1:
                c = clauses[0]
                info.preds += c.preds
                info.special += c.special
                info.unknown |= c.unknown
            else:
                info.ors.append(clauses)
                info.or_paths.append(path)
        elif key == "$nor":
            info.preds.append(Pred("$nor", "negation", value, path))
        elif key in ("$where", "$expr", "$text", "$jsonSchema", "$comment", "$function"):
            if key != "$comment":
                info.special.append((key, path))
        elif is_operator(key):
            info.special.append((key, path))
        elif isinstance(key, str):
            info.preds += _classify(key, value, path)
        else:
            info.unknown = True
    return info


def boundable(info: FilterInfo) -> bool:
    """Some index could bound the filter: it has a predicate with index bounds (an unanchored or
    case-insensitive regex, a negation, `$size`... have none), or an $or every clause of which has."""
    if any(p.equality or p.kind in BOUNDING or p.kind in ("null", "exists") for p in info.preds):
        return True
    return any(all(boundable(c) for c in clauses) for clauses in info.ors)
