"""Holdout 37's gene-normalizer keeps its statements as bytes class attributes (`_get_record_query =
b"SELECT ..."`, which psycopg runs as it runs a str) and picks five of them from a table by the kind of
reference asked for (`self._ref_types_query.get(ref_type)`): each is a query, read with its position. A bytes
literal that is not text stays bytes; a table's entry named by a constant key is that entry alone."""

from advisor.loader import load_project
from advisor.options import Options

STORE = """\
from enum import Enum
from typing import ClassVar


class RefType(str, Enum):
    SYMBOL = "symbol"
    ALIASES = "aliases"


QUERIES = {"count": "SELECT count(*) FROM gene_symbols", "all": "SELECT symbol FROM gene_symbols"}


class Store:
    _get_record_query = (
        b"SELECT * FROM gene_concepts WHERE lower(concept_id) = %s;"
    )
    _magic = b"\\x89PNG\\r\\n"
    _ref_types_query: ClassVar[dict] = {
        RefType.SYMBOL: b"SELECT concept_id FROM gene_symbols WHERE lower(symbol) = %s;",
        RefType.ALIASES: b"SELECT concept_id FROM gene_aliases WHERE lower(alias) = %s;",
    }

    def __init__(self, conn):
        self.conn = conn

    def record(self, concept_id):
        with self.conn.cursor() as cur:
            cur.execute(self._get_record_query, [concept_id.lower()])
            return cur.fetchone()

    def refs(self, term, ref_type):
        query = self._ref_types_query.get(ref_type)
        with self.conn.cursor() as cur:
            cur.execute(query, (term.lower(),))
            return cur.fetchall()

    def count(self):
        return self.conn.execute(QUERIES["count"]).fetchone()
"""


def test_bytes_statements_and_a_table_of_statements_are_queries(project):
    project({"advisor.toml": 'dialect = "postgres"\n', "gene/store.py": STORE})
    loaded = load_project(["."], Options())
    queries = sorted(
        (q.location.line, q.location.col, " ".join(q.text.split())) for s in loaded.sources for q in s.queries
    )
    assert queries == [
        (10, 21, "SELECT count(*) FROM gene_symbols"),
        (15, 9, "SELECT * FROM gene_concepts WHERE lower(concept_id) = %s;"),
        (19, 25, "SELECT concept_id FROM gene_symbols WHERE lower(symbol) = %s;"),
        (20, 26, "SELECT concept_id FROM gene_aliases WHERE lower(alias) = %s;"),
    ]
