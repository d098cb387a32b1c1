"""Schema from DDL: tables, constraints, indexes, ALTER and DROP in order."""

from advisor.schema.ddl import schema_from_queries
from advisor.sources.sql_files import extract_sql

DDL = """
CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, "displayName" varchar(50));
CREATE TABLE messages (
  id bigserial,
  sender_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  receiver_id bigint,
  status varchar(20) DEFAULT 'sent',
  ts timestamptz NOT NULL,
  PRIMARY KEY (id, ts),
  CONSTRAINT uq_sender_ts UNIQUE (sender_id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE messages_2024_01 PARTITION OF messages FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON public.messages USING btree (receiver_id, lower(status) DESC) INCLUDE (ts) WHERE status = 'unread';
CREATE INDEX idx_body ON messages USING gin (status gin_trgm_ops);
ALTER TABLE messages ADD CONSTRAINT fk_receiver FOREIGN KEY (receiver_id) REFERENCES users (id);
ALTER TABLE messages ADD COLUMN body text NOT NULL;
CREATE INDEX idx_tmp ON messages (body);
DROP INDEX IF EXISTS idx_tmp;
"""


def schema():
    return schema_from_queries(extract_sql("s.sql", DDL))


def test_tables_columns_and_constraints():
    s = schema()
    users, messages = s.table("users"), s.table("messages")
    assert users.primary_key == ("id",) and users.columns["email"].not_null
    assert "displayName" in users.columns  # quoted names keep their case
    assert messages.primary_key == ("id", "ts")
    assert messages.partition_by == "RANGE(ts)"
    assert s.table("messages_2024_01").partition_of == "messages"
    assert messages.columns["body"].type == "text" and messages.columns["body"].not_null
    assert {(fk.columns, fk.ref_table) for fk in messages.foreign_keys} == {(("sender_id",), "users"), (("receiver_id",), "users")}


def test_indexes_with_every_feature():
    s = schema()
    by_name = {i.name: i for i in s.indexes}
    assert {"users_pkey", "users_email_key", "messages_pkey", "uq_sender_ts", "idx_a", "idx_body"} <= set(by_name)
    assert "idx_tmp" not in by_name  # dropped
    a = by_name["idx_a"]
    assert a.unique and a.method == "btree" and a.include == ("ts",) and a.where == "status = 'unread'"
    assert [(k.expr, k.is_column, k.desc) for k in a.keys] == [("receiver_id", True, False), ("LOWER(status)", False, True)]
    assert by_name["idx_body"].method == "gin"
    # a partition sees its parent's indexes
    assert {i.name for i in s.indexes_on("messages_2024_01")} >= {"idx_a", "messages_pkey"}
