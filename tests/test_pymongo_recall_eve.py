"""Index declarations in framework settings: Eve's `mongo_indexes` on a resource class (superdesk-core
apps/desks.py, apps/usage_metrics.py, content_api/users/resource.py; benchmarks/realworld/recall.md,
holdout 5), on the resource's datasource collection: `datasource["source"]`, else the name the project
registers the resource under, in whichever file it does."""

from advisor.ir import IndexDef
from advisor.sources import extract
from advisor.sources.links import link

RESOURCES = """\
class DesksResource(Resource):
    datasource = {"default_sort": [("name", 1)]}
    mongo_indexes = {
        "name_1": ([("name", 1)], {"unique": True}),
    }


class MetricsResource(Resource):
    mongo_indexes: MongoIndexes = {"item_1": [("item", 1), ("date", -1)]}


class UsersResource(Resource):
    datasource = {"source": "users", "projection": {"password": 0}}
    mongo_indexes = {"email": ([("email", 1)], {"unique": True})}


class HiddenResource(Resource):
    datasource = {"source": SOURCE_NAME}
    mongo_indexes = {"a": [("a", 1)]}
"""

REGISTERED = """\
def init_app(app):
    endpoint_name = "desks"
    service = DesksService(endpoint_name, backend=get_backend())
    DesksResource(endpoint_name, app=app, service=service)
    endpoint_name = "user_desks"
    UserDesksResource(endpoint_name, app=app, service=service)
    register_resource("usage_metrics", MetricsResource, MetricsService)
    raise ValueError("desks")
"""


def declared(files):
    sources = [extract(path, text) for path, text in files.items()]
    link(sources)
    return sorted(
        (ix.table, tuple(k.expr for k in ix.keys), bool(ix.options.get("unique")))
        for s in sources
        for ix in s.indexes
        if isinstance(ix, IndexDef)
    )


def test_a_resource_class_declares_its_indexes_on_the_name_it_is_registered_under_in_another_file():
    assert declared({"apps/resources.py": RESOURCES, "apps/__init__.py": REGISTERED}) == [
        ("desks", ("name",), True),
        ("usage_metrics", ("item", "date"), False),
        ("users", ("email",), True),  # its datasource's source; SOURCE_NAME, unknown: not kept
    ]


def test_a_resource_registered_under_no_name_or_two_names_keeps_only_its_datasource_collection():
    assert declared({"apps/resources.py": RESOURCES}) == [("users", ("email",), True)]
    twice = REGISTERED + "\n\ndef other(app):\n    DesksResource('archived_desks', app=app)\n"
    assert [t for t, _, _ in declared({"apps/resources.py": RESOURCES, "apps/__init__.py": twice})] == [
        "usage_metrics",
        "users",
    ]


def test_the_declared_unique_index_serves_the_query_on_that_collection(tmp_path, monkeypatch):
    from advisor import engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')  # collections that grow (unknown-size)
    (tmp_path / "resources.py").write_text(RESOURCES)
    (tmp_path / "__init__.py").write_text(REGISTERED)
    (tmp_path / "sets.py").write_text(
        "def names(app):\n"
        "    desks = app.data.mongo.pymongo('desks').db['desks']\n"
        "    return desks.find_one({'name': 'x'}), desks.find({'members.user': 1})\n"
    )
    found = [(f.rule, f.location.path, f.location.line, f.message) for f in engine.check(["."]).active]
    rules = sorted((r, line) for r, path, line, _ in found if path.endswith("sets.py"))
    assert ("MGO015", 3) not in rules  # desks has declarations now: no "no index declarations" note
    assert [m for r, _, _, m in found if r == "MGO001"] == [
        next(m for r, _, _, m in found if r == "MGO001" and "members.user" in m and "name_1" in m)
    ]  # the lookup by name is served by the unique index; the one by member scans


HISTORY = '''
def get_name(friendly=False):
    if friendly:
        return "Events log"
    return "history"


def get_schema():
    return {
        "schema": {"host_name": {"type": "string"}, "service_name": {"type": "string"}},
        "mongo_indexes": {
            "index_host_name": [("host_name", 1)],
            "index_host_service_name": [("host_name", 1), ("service_name", 1)],
        },
    }
'''


def test_resource_settings_under_no_key_declare_their_indexes_on_a_collection_the_run_names():
    # Alignak registers each model module's settings as `domain[mod.get_name()] = mod.get_schema()`: read, the
    # indexes stand on a collection only the run names (never compared with another module's), not on none
    indexes = [i for i in extract("models/history.py", HISTORY).indexes if isinstance(i, IndexDef)]
    assert sorted(i.columns for i in indexes) == [("host_name",), ("host_name", "service_name")]
    assert {i.table for i in indexes} == {"<the resource of the settings at models/history.py:9>"}
    keyed = "DOMAIN = {'history': " + HISTORY.split("return ", 3)[3].strip() + "}\n"
    assert {i.table for i in extract("settings.py", keyed).indexes} == {"history"}  # under its DOMAIN key


def test_one_resource_s_settings_are_one_collection_s_indexes_whatever_its_name(tmp_path, monkeypatch):
    # Alignak's history settings declare (host_name) beside (host_name, service_name): one resource, so the first is
    # redundant though the run names the collection; another module's settings are another resource's
    from advisor import catalogue, engine

    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "history.py").write_text(HISTORY)
    (tmp_path / "advisor.toml").write_text('large-tables = ["*"]\n')
    (tmp_path / "models" / "log.py").write_text(HISTORY.replace('[("host_name", 1), ("service_name", 1)]', '[("x", 1)]'))
    found = [(catalogue.lookup(f.rule).name, f.location.path, f.message) for f in engine.check(["."]).active]
    assert [(name, path) for name, path, _ in found if name == "redundant-index"] == [
        ("redundant-index", "models/history.py")
    ]
