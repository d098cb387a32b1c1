"""A package that ships only its build (holdout 87's @prefabs.tech/fastify-user: `dist/*.js` and nothing else): the
default `exclude` skips `dist/`, so nothing is checked; the run says so once, naming the folder and the line that
checks it, instead of passing for a run that found nothing. A package with its sources beside the build says
nothing of it, nor does one whose config re-includes the folder."""

from advisor import catalogue, engine

BUNDLE = (
    "async function users(pool, email) {\n  return pool.query('SELECT id FROM users WHERE email = $1', [email]);\n}\n"
)


def _notes(project, files: dict[str, str]) -> list[str]:
    project({"package.json": '{"name": "pkg"}\n', **files})
    return [
        f"{f.location.path}: {f.message}"
        for f in engine.check(["."]).active
        if catalogue.lookup(f.rule).name == "parse-error" and f.message.startswith("skipped:")
    ]


def test_a_package_of_its_build_only_is_said_once(project):
    notes = _notes(project, {"dist/index.js": BUNDLE, "dist/index.d.ts": "export {};\n", "dist/esm/index.js": BUNDLE})
    assert notes == [
        "dist/index.js: skipped: the package's code is in dist/, a build's output advisor skips by default "
        '(exclude = ["!dist/"] in advisor.toml checks a package that ships only its build)'
    ]


def test_sources_beside_the_build_or_the_build_re_included_say_nothing(project):
    assert _notes(project, {"src/index.js": BUNDLE, "dist/index.js": BUNDLE}) == []


def test_a_build_re_included_is_read(project):
    project({"package.json": '{"name": "pkg"}\n', "dist/index.js": BUNDLE, "advisor.toml": 'exclude = ["!dist/"]\n'})
    report = engine.check(["."])
    assert report.queries == 1
    assert not [f for f in report.active if f.message.startswith("skipped:")]
