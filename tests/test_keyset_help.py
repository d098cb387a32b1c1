"""Issue 12, item 7: the offset-pagination help states the seek predicate that matches the ORDER BY
(direction included) and the index with the query's equality columns first."""

from __future__ import annotations

import pytest

from advisor.checks.sql import keyset_help
from advisor.facts.sql import build_facts
from advisor.parse import parse_sql


def _help(sql: str) -> str:
    return keyset_help(build_facts(parse_sql(sql), None).scopes[0])


@pytest.mark.parametrize("sql, seek, index", [
    ("SELECT id FROM messages WHERE room_id = 5 ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET 100",
     "WHERE (created_at, id) < (:last_created_at, :last_id) ORDER BY created_at DESC, id DESC",
     "(room_id, created_at DESC, id DESC)"),
    ("SELECT id FROM messages WHERE room_id = $1 AND kind IN (1, 2) ORDER BY created_at, id LIMIT 50 OFFSET $2",
     "WHERE (created_at, id) > (:last_created_at, :last_id) ORDER BY created_at, id", "(room_id, created_at, id)"),
    ("SELECT id FROM messages WHERE room_id = $1 ORDER BY created_at DESC, id LIMIT 50 OFFSET $2",
     "WHERE ((created_at < :last_created_at) OR (created_at = :last_created_at AND id > :last_id)) "
     "ORDER BY created_at DESC, id", "(room_id, created_at DESC, id)"),
    ("SELECT id FROM messages ORDER BY id DESC LIMIT 50 OFFSET 10", "WHERE id < :last_id ORDER BY id DESC", "(id DESC)"),
])
def testkeyset_help_matches_the_order_and_puts_equality_first(sql, seek, index):
    text = _help(sql)
    assert seek in text and f"backed by an index on {index}" in text, text


def test_keyset_help_asks_for_a_tie_breaker_when_the_keys_can_repeat():
    assert "end the keys with a unique column (id)" in _help(
        "SELECT id FROM messages WHERE receiver_id = $1 ORDER BY timestamp DESC LIMIT 50 OFFSET $2")
    assert "unique column" not in _help("SELECT id FROM messages ORDER BY created_at, id LIMIT 5 OFFSET 5")
