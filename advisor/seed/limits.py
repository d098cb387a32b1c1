"""Time limits on the statements advisor runs for the repository's schema (no imports: seeding and the
index builds both use it)."""


def statement_timeout(rows: int, floor_s: int = 60) -> str:
    """What one statement over a table of `rows` may take: `floor_s` (a minute for seeding), or 100 µs a row
    for its index builds and VACUUM; a DEFAULT, CHECK or index expression the schema makes slow is cut, not
    waited on."""
    return f"{max(floor_s, rows // 10_000)}s"
