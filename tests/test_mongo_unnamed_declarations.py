"""Holdout 34 (nmdc-runtime): `db[collection_name].create_index("id", unique=True)` in a loop over names only the
run knows. That declaration may be on any collection, so a claim that no index serves a lookup by `id` is not
certain on a collection whose other indexes advisor read: it is kept back and the incomplete-schema note names the
declaration once. A query no such declaration would serve is still claimed."""

from advisor import catalogue, engine

APP = """\
from pymongo import MongoClient

db = MongoClient()["app"]


def boot(names):
    db.objects.create_index("name")
{loop}

def by_id(i):
    return list(db.objects.find({{"id": i}}).skip(20).limit(10))


def by_type(t):
    return list(db.objects.find({{"types": t}}).skip(20).limit(10))
"""
LOOP = '    for collection_name in names:\n        db[collection_name].create_index("id", unique=True)\n'


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def named(found) -> list[tuple[str, int]]:
    return sorted((catalogue.lookup(f.rule).name, f.location.line) for f in found)


def test_every_declaration_named_every_scan_claimed(project):
    text = APP.format(loop="")
    project({"app.py": text})
    found = engine.check(["."]).active
    assert ("collection-scan", line_of(text, '"id": i')) in named(found)
    assert ("collection-scan", line_of(text, '"types": t')) in named(found)
    assert "incomplete-schema" not in [name for name, _ in named(found)]


def test_a_run_time_collections_declaration_keeps_back_the_claims_it_would_answer(project):
    text = APP.format(loop=LOOP)
    project({"app.py": text})
    found = engine.check(["."]).active
    claims = named(found)
    assert ("collection-scan", line_of(text, '"id": i')) not in claims  # the run-time collection's id may be objects'
    assert ("collection-scan", line_of(text, '"types": t')) in claims  # no declaration anywhere would serve it
    notes = [f for f in found if catalogue.lookup(f.rule).name == "incomplete-schema"]
    assert len(notes) == 1
    at = line_of(text, "db[collection_name]")
    assert notes[0].location.line == at
    assert f"could not name the collection of the index declaration at app.py:{at}, which may be objects," in (
        notes[0].message
    )
    assert "collection-scan" in notes[0].message
