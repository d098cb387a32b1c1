"""A plan finding's help names the findings of its statement that explain it ("explained by IDX001 missing-index
at line 5"): only findings that are reported. The static guess a measured outcome answers (here the index is
verified below the configured threshold, so no advice is given and the guess goes) is not one to name (holdout
35's abstract-chatshare: a scan's help named a missing-index the run did not report)."""

import re

from advisor import engine
from tests.conftest_db import pg_server  # noqa: F401

SCHEMA = """\
CREATE TABLE chat_rooms (id bigserial PRIMARY KEY, archived_at timestamptz);
CREATE TABLE chat_members (
    room_id bigint REFERENCES chat_rooms(id) ON DELETE CASCADE,
    user_id bigint NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
"""

QUERIES = """\
SELECT 1
  FROM chat_members a
  JOIN chat_members b ON a.room_id = b.room_id
  JOIN chat_rooms r ON r.id = a.room_id AND r.archived_at IS NULL
 WHERE a.user_id = $1 AND b.user_id = $2 LIMIT 1;
"""


def _run(project, pg_server, threshold: float) -> list:  # noqa: F811
    config = f'dialect = "postgres"\nschema = ["schema.sql"]\nlarge-tables = ["*"]\n[explain]\nthreshold = {threshold}\n'
    project({"schema.sql": SCHEMA, "queries.sql": QUERIES, "advisor.toml": config})
    return engine.check(["."], engine.Options(explain=True, dsn=pg_server.conninfo())).active


def test_a_plan_finding_names_only_reported_findings(project, pg_server):  # noqa: F811
    findings = _run(project, pg_server, 0.99)  # the verified index gains ~90 %: below it, no advice
    reported = {(f.rule, f.location.line) for f in findings}
    scans = [f for f in findings if f.rule == "PLN001"]
    assert scans, "the scan of chat_members is a plan finding"
    for f in findings:
        for rule, line in re.findall(r"(\w+\d+) [\w-]+ at line (\d+)", f.help or ""):
            assert (rule, int(line)) in reported, f.help


def test_the_verified_fix_is_named_when_reported(project, pg_server):  # noqa: F811
    findings = _run(project, pg_server, 0.3)
    assert [f.rule for f in findings] == ["IDX001"]  # the scan is the evidence of the verified index, folded in
