"""Markdown: a summary for the GitHub job page (GITHUB_STEP_SUMMARY) and pull-request comments.

Counts by severity, a table of findings (most severe first) with links to the rule
pages, and the recommended migration: the index statements the findings propose,
deduplicated. A pull-request comment holds at most 65,536 characters, so when the
full text would be longer the findings table is cut (most severe rows kept) and a
per-rule table summarises everything; the migration is cut the same way.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from advisor import catalogue
from advisor.ir import severity_rank

COMMENT_LIMIT = 65_536  # characters GitHub accepts in an issue or pull-request comment
BUDGET = COMMENT_LIMIT - 1_536  # room for whatever a workflow wraps around it
ICONS = {"error": "🔴", "warning": "🟠", "info": "🔵"}
ORDER = ("error", "warning", "info")

_INDEX_SQL = re.compile(r"^\s*(CREATE\s+(UNIQUE\s+)?INDEX|DROP\s+INDEX|CREATE\s+EXTENSION)\b", re.IGNORECASE)
_CREATE = re.compile(
    r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(CONCURRENTLY\s+)?(IF\s+NOT\s+EXISTS\s+)?(?P<name>\S+\s+)?ON\s+"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def _cell(text: str, limit: int = 300) -> str:
    """Table-cell safe: one line, pipes escaped, HTML neutralised, long text shortened."""
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = re.sub(r"([\\`*_\[\]~|])", r"\\\1", text)  # no accidental emphasis, links or cell breaks
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    """A code span: its fence one backtick longer than the longest run inside (CommonMark), so no name can
    close it early and write a link after it; padded with spaces when the text starts or ends with one."""
    text = re.sub(r"\s+", " ", text).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _rule_link(rule: str) -> str:
    spec = catalogue.lookup(rule)
    if spec is None:
        return rule
    return f"[{rule} {spec.name}]({spec.help_uri})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 or word == 'info' else 's'}"


def _ordered(findings) -> list:
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), f.sort_key()))


def _statements(fix: str) -> list[str]:
    """The statements of a fix, split as PostgreSQL reads them: a `;` inside a quoted name or a string
    ends nothing (a column named `x; DROP INDEX ...` stays one statement)."""
    from advisor.sources.sql_files import split_statements

    return [fix[start:end].strip() + ";" for start, end in split_statements(fix) if fix[start:end].strip()]


def migration(findings) -> tuple[list[str], list[str]]:
    """(SQL statements, MongoDB createIndex calls) the findings propose, deduplicated, in order.

    Two CREATE INDEX statements that differ only in the index name are one index:
    the named form is kept.
    """
    sql: dict[str, str] = {}
    mongo: dict[str, str] = {}
    for finding in _ordered(findings):
        fix = (finding.fix or "").strip()
        if not fix:
            continue
        if "createIndex" in fix:
            mongo.setdefault(re.sub(r"\s+", " ", fix), fix)
            continue
        for statement in _statements(fix):
            if not _INDEX_SQL.match(statement):
                continue
            m = _CREATE.match(statement)
            key = ("create", m.group("rest").lower()) if m else ("other", re.sub(r"\s+", " ", statement).lower())
            key_text = "\x1f".join(key)
            kept = _CREATE.match(sql.get(key_text, ""))  # a create key holds a statement _CREATE matched
            if key_text not in sql or (m and m.group("name") and kept and not kept.group("name")):
                sql[key_text] = statement
    statements = list(sql.values())
    if any("gin_trgm_ops" in s for s in statements) and not any(
        "pg_trgm" in s and "EXTENSION" in s.upper() for s in statements
    ):
        statements.insert(0, "CREATE EXTENSION IF NOT EXISTS pg_trgm;")
    # extensions first, then drops (they free write cost), then creates
    rank = {"CREATE EXTENSION": 0, "DROP": 1}
    statements.sort(key=lambda s: next((v for k, v in rank.items() if s.upper().startswith(k)), 2))
    return statements, list(mongo.values())


def _fits(parts: list[str], extra: str, budget: int) -> bool:
    return sum(len(p) for p in parts) + len(extra) <= budget


def summary(report, budget: int = BUDGET) -> str:
    """The whole Markdown summary, at most `budget` characters."""
    active = _ordered(report.active)
    hidden = len(report.findings) - len(active)
    failing = len(report.failing())
    head: list[str] = ["## advisor\n\n"]
    files = len(report.files)
    scanned = f"{_plural(files, 'file')} and {_plural(report.queries, 'query').replace('querys', 'queries')} checked"
    if not active:
        head.append(f"✅ **No findings.** {scanned}" + (f"; {hidden} suppressed" if hidden else "") + ".\n")
        return "".join(head)[:budget]
    counts = Counter(f.severity for f in active)
    where = len({f.location.path for f in active})
    verdict = "❌" if failing else "⚠️"
    head.append(
        f"{verdict} **{_plural(len(active), 'finding')}** in {_plural(where, 'file')} ({scanned}"
        + (f"; {hidden} suppressed" if hidden else "")
        + ")"
        + (f"; {failing} at or above the fail-on level" if failing else "; none fails the check")
        + ".\n\n"
    )
    head.append("| Severity | Findings |\n|---|---:|\n")
    for severity in ORDER:
        if counts[severity]:
            head.append(f"| {ICONS[severity]} {severity} | {counts[severity]} |\n")
    head.append("\n")

    sql, mongo = migration(active)
    tail = _migration_block(sql, mongo, budget // 4)

    rows = [
        f"| {ICONS[f.severity]} {f.severity} | {_rule_link(f.rule)} | {_code(str(f.location))} | "
        f"{_cell(f.message)}{'<br>help: ' + _cell(f.help, 200) if f.help else ''} |\n"
        for f in active
    ]
    table_head = "### Findings\n\n| Severity | Rule | Location | Message |\n|---|---|---|---|\n"
    full = "".join(head) + table_head + "".join(rows) + "\n" + tail
    if len(full) <= budget:
        return full

    # too long: a per-rule summary, then as many of the most severe rows as fit
    by_rule: dict[str, list] = defaultdict(list)
    for f in active:
        by_rule[f.rule].append(f)
    rule_rows = ["### By rule\n\n| Rule | Severity | Findings | Files |\n|---|---|---:|---:|\n"]
    for rule, group in sorted(
        by_rule.items(), key=lambda kv: (-max(severity_rank(f.severity) for f in kv[1]), -len(kv[1]), kv[0])
    ):
        severities = "/".join(s for s in ORDER if any(f.severity == s for f in group))
        rule_rows.append(
            f"| {_rule_link(rule)} | {severities} | {len(group)} | {len({f.location.path for f in group})} |\n"
        )
    rule_rows.append("\n")
    parts = head + rule_rows
    note_room = 400
    shown: list[str] = []
    for row in rows:
        if not _fits(parts + [table_head, tail] + shown, row, budget - note_room):
            break
        shown.append(row)
    note = (
        f"_Summarised: the full list is longer than a pull-request comment allows. Showing the "
        f"{len(shown)} most severe of {len(active)} findings; the job log, `--format json` or `--format sarif` "
        "have all of them._\n\n"
    )
    parts.append(note)
    if shown:
        parts += [table_head, *shown, "\n"]
    parts.append(tail)
    return "".join(parts)[:budget]


def _migration_block(sql: list[str], mongo: list[str], budget: int) -> str:
    if not sql and not mongo:
        return ""
    out = ["### Recommended migration\n\n"]
    total = len(sql) + len(mongo)
    kept = 0
    for lang, statements in (("sql", sql), ("js", mongo)):
        if not statements:
            continue
        # a fence longer than any run of backticks inside: a quoted name holding ``` and a line break
        # would otherwise close the block and write a heading or a link into the pull request
        fence = "`" * max(3, 1 + max((len(run) for s in statements for run in re.findall(r"`+", s)), default=0))
        block = [f"{fence}{lang}\n"]
        for statement in statements:
            if sum(map(len, out + block)) + len(statement) + 200 > budget:
                break
            block.append(statement + "\n")
            kept += 1
        block.append(f"{fence}\n\n")
        if len(block) > 2:
            out += block
    if kept < total:
        out.append(f"_{total - kept} more statement(s) left out to keep this summary short._\n\n")
    out.append(
        "Build indexes on a busy table with `CREATE INDEX CONCURRENTLY` outside a transaction, and check "
        "each one against your workload before merging.\n"
    )
    return "".join(out)


def render(report, out) -> None:
    from advisor.reporters import printable

    out.write(printable(summary(report), newlines=True))  # a job log may show it: no control characters
