"""The migration `advisor indexes` writes: the chosen indexes with the queries each serves, its
benefit against its bar and its size; then the indexes left out and why (advisor/indexes/select.py)."""

from __future__ import annotations

import re

from advisor.indexes.select import Choice, Served, Summary
from advisor.indexes.timing import Timing
from advisor.units import human_size


def ms(value: float | None, timeout_ms: float) -> str:
    if value is None:
        return f">= {timeout_ms:,.0f} ms"
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def measured_change(summary: Summary) -> str:
    """The timed queries' total time without the set -> with it ("at least" when one was cut)."""
    timeout = summary.timeout_ms
    before = sum(t.cut_ms or timeout if t.before_ms is None else t.before_ms for t in summary.timings)
    after = sum(timeout if t.after_ms is None else t.after_ms for t in summary.timings)
    more = "at least " if any(t.before_ms is None for t in summary.timings) else ""
    return f"{more}{ms(before, timeout).removesuffix(' ms')} -> {ms(after, timeout)}"


def time_change(t: Timing, timeout_ms: float) -> str:
    """A query's time without the set -> with it (without it cut at t.cut_ms, when it was)."""
    return f"{ms(t.before_ms, t.cut_ms or timeout_ms).removesuffix(' ms')} -> {ms(t.after_ms, timeout_ms)}"


def _where(run) -> str:
    return f"{run.query.location.path}:{run.query.location.line}"


def _measured_lines(choices: list[Choice], summary: Summary) -> list[str]:
    """The header lines of step 6-7: total measured time, regressions kept, queries served by none."""
    timings = summary.timings
    if not timings:
        return []
    timeout = summary.timeout_ms
    how = (
        f"once each, best of {summary.repeat} where the set was slower"
        if summary.quick
        else f"best of {summary.repeat}"
    )
    lines = [
        f"-- measured (EXPLAIN ANALYZE, rolled back; planning + execution, {how}): "
        f"the {len(timings)} queries the set changes take {measured_change(summary)}"
    ]
    served = {id(s.run) for ch in choices for s in ch.served}
    for t in timings:
        if id(t.run) not in served:
            lines.append(
                f"--   also changed, served by none of these indexes: {_where(t.run)} {time_change(t, timeout)}"
            )
    for t in summary.warnings:
        uses = summary.uses.get(id(t.run))
        lines.append(
            f"-- WARNING: {_where(t.run)} measured {time_change(t, timeout)} with this set"
            + (
                f" (its plan uses {', '.join(uses)}: kept, as without it this query stays slow "
                "or others lose measured wins)"
                if uses
                else " (its plan uses none of these indexes)"
            )
        )
    return lines


def index_names(choices: list[Choice], taken=()) -> list[tuple[str, list[str]]]:
    """A name per index, and per index it builds on each partition of a partitioned table, none repeated nor
    already taken (two indexes on the same keys with other INCLUDE columns or predicates share a base name:
    the second CREATE would fail as printed)."""
    seen = {t.lower() for t in taken}

    def free(base: str) -> str:
        name, n = base, 2
        while name.lower() in seen:
            name = f"{base[: 60 - len(str(n))]}_{n}"
            n += 1
        seen.add(name.lower())
        return name

    return [(free(ch.candidate.name), [free(p) for p in ch.candidate.partition_names()]) for ch in choices]


def _existing_lines(summary: Summary) -> list[str]:
    """Indexes the database has that the workload, with the set, can do without: commented out, kept
    apart from the creates (a drop is a decision: writes, foreign-key checks and queries outside
    this workload may need them)."""
    total = sum(e.size_bytes for e in summary.existing)
    lines = [
        f"-- existing indexes this workload can do without ({human_size(total)}): suggestions, not run by this "
        "file; check writes,",
        "-- foreign-key checks and queries outside the workload first",
    ]
    for e in summary.existing:
        why = (
            f"redundant: {e.by} leads with its keys"
            if e.reason == "redundant"
            else "no plan of the workload uses it once the set is built"
        )
        lines.append(f"--   {e.table}: {why} ({human_size(e.size_bytes)})")
        lines.append(f"-- {e.drop_sql()}")
    return lines + [""]


def _budget_lines(summary: Summary) -> list[str]:
    """The storage budget: its size, where it comes from, how to lift it, and the set it cut."""
    size = summary.max_size
    share = f", {size.text} of the tables the workload reads" if size is not None and size.fraction is not None else ""
    if summary.floored and size is not None:  # the default's floor (budget.Fit.narrowest): more than the share
        share = f", the narrowest form of each index of the set ({size.text} of the tables the workload reads is less)"
    origin = "the default" if size is not None and size.default else "--max-size, [indexes] max_size"
    lines = [f"-- storage budget: {human_size(summary.max_bytes)}{share} ({origin}; --max-size none lifts it)"]
    if summary.unbudgeted_bytes is not None:
        lines.append(
            f"-- the set chosen without it, {human_size(summary.unbudgeted_bytes)}, was chosen again under it (below)"
        )
    return lines


def migration(choices: list[Choice], summary: Summary, taken=()) -> str:
    """The migration text; `taken`: names of indexes the schema already has."""
    timeout = summary.timeout_ms
    if summary.unchosen:
        return f"-- advisor: no index set chosen and none verified: {summary.unchosen}\n"
    lines = [
        "-- advisor: indexes verified on seeded data for the whole workload",
        f"-- workload cost {summary.cost_before:,.1f} -> {summary.cost_after:,.1f} "
        f"with {summary.indexes} index(es), {human_size(summary.size_bytes)} on the seeded data",
        "-- each index is kept because, without it, the queries it serves would lose together at least "
        f"{summary.threshold:.0%}",
        "-- of their cost (each query counted relative to its own cost), more for a larger index: "
        f"{summary.threshold:.2f} x (1 + index size / table size)",
        "-- CREATE INDEX CONCURRENTLY cannot run inside a transaction block: run this file without one.",
    ]
    lines[2:2] = _measured_lines(choices, summary)
    if summary.max_bytes is not None:
        lines[2:2] = _budget_lines(summary)
    lines.append("")
    if any(c.candidate.opclass == "gin_trgm_ops" for c in choices):
        lines += ["CREATE EXTENSION IF NOT EXISTS pg_trgm;", ""]
    for ch, (name, partition_names) in zip(choices, index_names(choices, taken), strict=True):
        lines.append(
            f"-- {ch.candidate.describe()}: size {human_size(ch.size_bytes)} "
            f"({ch.size_ratio:.0%} of {ch.candidate.table})"
            + (f", built in {ch.build_ms:,.0f} ms" if ch.build_ms is not None else "")
            + f"; benefit {ch.benefit:.2f} >= {ch.bar:.2f} needed"
        )
        served = ch.served or [
            Served(r, rec.cost_before, rec.cost_after, rec.cost_before)
            for r in ch.queries
            for rec in [r.recommendation()]
        ]
        for s in served:
            lines.append(
                f"--   serves {_where(s.run)}: cost {s.cost_before:,.1f} -> {s.cost_after:,.1f}"
                + (
                    f" ({s.cost_without:,.1f} without this index: the others take over part)"
                    if abs(s.cost_without - s.cost_before) > 0.05 * max(s.cost_before, 1)
                    else ""
                )
                + (f", time {time_change(s.timing, timeout)}" if s.timing is not None else "")
            )
        if ch.candidate.partitions:
            lines += [
                "-- a partitioned table: PostgreSQL builds no index on it CONCURRENTLY, so an index ON ONLY it, then",
                "-- one built CONCURRENTLY on each partition and attached (the table's index is valid once all are)",
            ]
        elif ch.candidate.partitions is not None:
            lines += [
                "-- a partitioned table whose partitions advisor does not all know: PostgreSQL builds no index on it",
                "-- CONCURRENTLY, and this one holds writes to every partition while it builds",
            ]
        lines += ch.candidate.ddl(concurrently=True, name=name, partition_names=partition_names, sep="\n").split("\n")
        lines.append("")
    dropped = summary.dropped
    if dropped:
        lines.append("-- verified for a query but left out: with the set above they save too little for their size")
        for ch in dropped:
            lines.append(
                f"--   {ch.candidate.describe()} ({human_size(ch.size_bytes)}, "
                f"for {', '.join(_where(r) for r in ch.queries)}): "
                f"benefit {ch.benefit:.2f} < {ch.bar:.2f} needed"
            )
        lines.append("")
    if summary.narrowed or summary.merged or summary.standing or summary.over_budget:
        lines.append(
            "-- over the storage budget: chosen again by planned cost saved per byte (advisor/indexes/budget.py)"
        )
        for ch, v in summary.narrowed:
            lines.append(
                f"--   {ch.candidate.describe()} ({human_size(ch.size_bytes)}) narrowed to "
                f"{v.candidate.describe()} ({human_size(v.size_bytes)})"
            )
        for ch, v in summary.merged:
            lines.append(
                f"--   {ch.candidate.describe()} ({human_size(ch.size_bytes)}) merged into "
                f"{v.candidate.describe()} ({human_size(v.size_bytes)}) with another index of the set"
            )
        for ch, v in summary.standing:
            lines.append(
                f"--   {ch.candidate.describe()} ({human_size(ch.size_bytes)}) left out; its queries have "
                f"{v.candidate.describe()} ({human_size(v.size_bytes)}), which leads with its narrowest form"
            )
        room = (summary.max_bytes or 0) - summary.size_bytes
        for ch in summary.over_budget:
            lines.append(
                f"--   {ch.candidate.describe()} ({human_size(ch.size_bytes)}, "
                f"for {', '.join(_where(r) for r in ch.queries)}): left out, "
                + (
                    f"larger than the {human_size(room)} the budget leaves"
                    if (ch.size_bytes or 0) > room
                    else "it saves less per byte than the set"
                )
            )
        lines.append("")
    if summary.existing:
        lines += _existing_lines(summary)
    slower = [d for d in summary.time_dropped if not d.idle]
    if slower:
        lines.append(
            "-- left out after measuring: a query ran measurably slower with it, and without it no other "
            "query measured slower than with the set"
        )
        for d in slower:
            lines.append(
                f"--   {d.choice.candidate.describe()} ({human_size(d.choice.size_bytes)}): {_where(d.timing.run)} "
                f"{time_change(d.timing, timeout)} with it, {ms(d.without_ms, timeout)} without"
            )
        lines.append("")
    idle = [d for d in summary.time_dropped if d.idle]
    if idle:
        lines.append(
            "-- left out after measuring: its cost said it helps, but no query it serves ran measurably faster"
        )
        for d in idle:
            lines.append(
                f"--   {d.choice.candidate.describe()} ({human_size(d.choice.size_bytes)}): "
                f"{_where(d.timing.run)} {time_change(d.timing, timeout)} with the set"
            )
        lines.append("")
    return "\n".join(commented(line) for line in lines)


def commented(line: str) -> str:
    """A comment line with the repository's names in it written on one line: a table, column or file name
    carrying a line break would otherwise end the comment and leave what follows to run when the migration
    is run (`-- evil\nDROP TABLE victim; --`). Statements keep their quoted identifiers as they are."""
    from advisor.reporters import printable

    return printable(line) if line.startswith("--") else line


_CREATE = re.compile(
    r"^\s*CREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?:(?!ON\b)(?:\"(?:[^\"]|\"\")+\"|[\w$.])+\s+)?ON\s+(?:ONLY\s+)?(?P<table>\"(?:[^\"]|\"\")+\"|[\w$.]+)\s*"
    r"(?:USING\s+(?P<method>\w+)\s*)?\((?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def _split(inner: str) -> list[str]:
    """A parenthesised list's items, split at its top-level commas."""
    items, depth, cur = [], 0, ""
    for ch in inner:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    return [" ".join(i.split()).lower().removesuffix(" asc") for i in items + [cur] if i.strip()]


def _shape(statement: str):
    """(unique, table, method, keys, include, where) of a CREATE INDEX, or None."""
    m = _CREATE.match(statement)
    if m is None:
        return None
    rest, depth, end = m.group("rest"), 1, None
    for i, ch in enumerate(rest):
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            end = i  # the parenthesis that closes the key list
            break
    if end is None:
        return None
    keys, tail = _split(rest[:end]), rest[end + 1 :].strip().rstrip(";").strip()
    include: list[str] = []
    inc = re.match(r"INCLUDE\s*\((.*?)\)\s*", tail, re.IGNORECASE | re.DOTALL)
    if inc:
        include, tail = _split(inc.group(1)), tail[inc.end() :]
    where = re.sub(r"^WHERE\s+", "", tail, flags=re.IGNORECASE).strip().lower() or None
    return (
        bool(m.group("unique")),
        m.group("table").lower(),
        (m.group("method") or "btree").lower(),
        tuple(keys),
        frozenset(include),
        where,
    )


def distinct_indexes(text: str) -> tuple[str, int]:
    """A migration without the CREATE INDEX another of its statements already serves: the same index
    under another name (the first kept), or one whose keys lead another's (same table, method and
    predicate, its INCLUDE carried, not UNIQUE) -- each block (its comments and statement, blocks
    separated by a blank line) left out whole.  Returns the text and how many were left out."""
    blocks = text.split("\n\n")
    shapes = [
        next((_shape(line) for line in b.splitlines() if line.lstrip().upper().startswith("CREATE")), None)
        for b in blocks
    ]

    def served(i: int) -> bool:
        a = shapes[i]
        for j, b in enumerate(shapes):
            if a is None or b is None or j == i or a[0] or a[1:3] != b[1:3] or a[5] != b[5]:
                continue
            longer = len(b[3]) > len(a[3]) or (b[3] == a[3] and (j < i or b[4] > a[4]))
            if longer and b[3][: len(a[3])] == a[3] and a[4] <= set(b[3]) | b[4]:
                return True
        return False

    left_out = [i for i in range(len(blocks)) if served(i)]
    return "\n\n".join(b for i, b in enumerate(blocks) if i not in left_out), len(left_out)
