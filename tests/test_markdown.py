"""The Markdown summary: renders, links rule pages, proposes the migration, fits in a comment."""

from __future__ import annotations

import io

from advisor.engine import Report
from advisor.ir import Finding, Location
from advisor.reporters import get
from advisor.reporters.markdown import COMMENT_LIMIT, migration, summary


def report(findings: list[Finding], files: int = 1) -> Report:
    paths = sorted({f.location.path for f in findings}) or [f"f{i}.sql" for i in range(files)]
    return Report(findings, paths, queries=len(findings), fail_on={p: "warning" for p in paths})


def render(rep: Report) -> str:
    out = io.StringIO()
    get("markdown")(rep, out)
    return out.getvalue()


def test_counts_table_links_and_migration():
    findings = [
        Finding("IDX001", "no index on users serves this query's access (name)", Location("q/users.sql", 3, 7),
                "warning", help="add an index", fix="CREATE INDEX CONCURRENTLY idx_users_name ON users (name);"),
        Finding("SQL003", "users.name is wrapped in LOWER()", Location("q/users.sql", 5, 7), "warning",
                fix="CREATE INDEX CONCURRENTLY ON users (name);"),  # the same index, unnamed
        Finding("SCH001", "index idx_a duplicates idx_b", Location("m/001.sql", 9, 1), "warning",
                fix="DROP INDEX CONCURRENTLY idx_a;"),
        Finding("SQL012", "DELETE FROM t has no WHERE | clause", Location("q/t.sql", 1, 1), "error"),
        Finding("SQL001", "SELECT * reads every column", Location("q/t.sql", 2, 8), "warning",
                suppressed="comment"),
    ]
    text = render(report(findings))
    assert text.startswith("## advisor")
    assert "**4 findings** in 3 files" in text and "1 suppressed" in text
    assert "| 🔴 error | 1 |" in text and "| 🟠 warning | 3 |" in text
    assert "[SQL012 delete-without-where](https://" in text and "delete-without-where.md)" in text
    assert "has no WHERE \\| clause" in text  # a pipe cannot break the table
    rows = [line for line in text.splitlines() if line.startswith("| 🔴") or line.startswith("| 🟠")]
    assert "SQL012" in rows[2]  # after the two count rows: most severe first
    assert text.count("ON users (name);") == 1
    sql = text.split("```sql\n", 1)[1].split("```", 1)[0].splitlines()
    assert sql == ["DROP INDEX CONCURRENTLY idx_a;", "CREATE INDEX CONCURRENTLY idx_users_name ON users (name);"]
    assert "Summarised" not in text


def test_clean_report():
    text = render(report([], files=2))
    assert "No findings" in text and "2 files" in text


def test_mongo_and_trigram_statements():
    findings = [
        Finding("SQL002", "LIKE '%x'", Location("a.sql", 1, 1), fix="CREATE INDEX ON t USING gin (c gin_trgm_ops);"),
        Finding("IDX001", "m", Location("a.js", 1, 1), fix='db.orders.createIndex({ "user": 1, "at": -1 })'),
    ]
    sql, mongo = migration(findings)
    assert sql == ["CREATE EXTENSION IF NOT EXISTS pg_trgm;", "CREATE INDEX ON t USING gin (c gin_trgm_ops);"]
    assert mongo == ['db.orders.createIndex({ "user": 1, "at": -1 })']
    assert "```js\n" in render(report(findings))


def test_thousands_of_findings_are_summarised_under_the_comment_limit():
    severities = ("error", "warning", "info")
    findings = [
        Finding(("SQL001", "IDX001", "SQL012")[i % 3], f"problem number {i} " + "x" * 80,
                Location(f"app/module_{i % 400}.py", i + 1, 5), severities[i % 3], help="do the thing " * 8,
                fix=f"CREATE INDEX CONCURRENTLY idx_t_{i} ON t{i} (c{i});" if i % 3 == 1 else None)
        for i in range(5000)
    ]
    text = render(report(findings))
    assert len(text) < COMMENT_LIMIT
    assert "**5000 findings**" in text
    assert "Summarised" in text and "### By rule" in text
    assert "| [SQL012 delete-without-where]" in text and "| 1667 |" in text  # per-rule counts cover everything
    assert "more statement(s) left out" in text
    # shown rows are the most severe ones
    shown = [line for line in text.split("### Findings", 1)[1].splitlines() if line.startswith("| 🔴")]
    assert shown and not any(line.startswith("| 🔵") for line in text.split("### Findings", 1)[1].splitlines())
    assert text.count("```") % 2 == 0  # every code fence is closed


def test_summary_respects_a_smaller_budget():
    findings = [Finding("SQL001", "m" * 100, Location(f"f{i}.sql", 1, 1)) for i in range(300)]
    text = summary(report(findings), budget=10_000)
    assert len(text) <= 10_000 and "Summarised" in text


def test_a_name_holding_a_fence_and_a_line_break_stays_inside_the_migration_block():
    """A quoted table name may hold ``` and line breaks (63 bytes: enough for a heading and a link)."""
    name = '"evil```\n\n## INJECTED\n[click](https://attacker.example)"'
    fix = f"CREATE INDEX CONCURRENTLY idx_evil ON {name} (owner_id);"
    text = render(report([Finding("IDX001", "no index serves this query", Location("q.sql", 1, 1), "warning", fix=fix)]))
    block = text[text.index("### Recommended migration") :]
    fence = block.split("\n")[2]
    assert fence.startswith("````") and fence.rstrip("sql") == "`" * len(fence.rstrip("sql"))
    inside, lines = False, []
    for line in block.split("\n")[2:]:
        if line.startswith("`" * len(fence.rstrip("sql"))) and line.strip("`") in ("", "sql"):
            inside = not inside
            continue
        lines.append((inside, line))
    assert (True, "## INJECTED") in lines and (False, "## INJECTED") not in lines
    assert fix in block  # the statement as PostgreSQL reads it, line breaks and all
