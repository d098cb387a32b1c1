"""Every rule page's examples are its test cases: bad ones fire the rule, good ones don't."""

import pytest

from advisor import catalogue, engine

SUFFIX = {"sql": ".sql", "python": ".py", "js": ".js", "javascript": ".js", "ts": ".ts", "typescript": ".ts",
          "json": ".json", "yaml": ".yaml"}


def _cases():
    for spec in catalogue.catalogue().values():
        if "explain" in spec.needs:
            continue  # plan rules need a database: tests/test_plan_rules.py proves each plan rule on real plans
        for n, example in enumerate(spec.examples):
            if example.kind in ("bad", "good"):
                yield pytest.param(spec, example, id=f"{spec.name}-{example.kind}-{n}")


def run_example(spec, example, root):
    schema = [e for e in spec.examples if e.kind == "schema"]
    config = 'dialect = "postgres"\n'
    if not spec.default:  # an opt-in rule's examples run as a team that turned it on
        config += f'select = ["DEFAULT", "{spec.name}"]\n'
    if spec.sized:  # a claim that only matters on a large table: its examples are on tables the team says grow
        config += 'large-tables = ["*"]\n'
    for i, block in enumerate(schema):
        path = root / "schema" / f"{i:02d}{SUFFIX[block.lang]}"
        path.parent.mkdir(exist_ok=True)
        path.write_text(block.code, encoding="utf-8")
    if any(b.lang == "sql" for b in schema):
        config += 'schema = ["schema/*.sql"]\n'
    (root / "advisor.toml").write_text(config, encoding="utf-8")
    target = root / f"example{SUFFIX[example.lang]}"
    target.write_text(example.code, encoding="utf-8")
    paths = [str(target)] + [str(p) for p in sorted((root / "schema").glob("*")) if p.suffix != ".sql"] \
        if (root / "schema").exists() else [str(target)]
    return engine.check(paths).active


@pytest.mark.parametrize("spec,example", list(_cases()))
def test_example(spec, example, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = {f.rule for f in run_example(spec, example, tmp_path)}
    where = f"{spec.path}:{example.line}"
    if example.kind == "bad":
        assert spec.id in found, f"{where}: bad example did not fire {spec.name}"
    else:
        assert spec.id not in found, f"{where}: good example fired {spec.name}"


# no code makes a rule fail on purpose: tests/test_rule_registry.py makes one fail instead
NO_BAD_EXAMPLE = {"rule-failed"}


def test_every_rule_has_bad_and_good_examples():
    for spec in catalogue.catalogue().values():
        kinds = {e.kind for e in spec.examples} | ({"bad", "good"} if any(e.kind == "example" for e in spec.examples) else set())
        if spec.name in NO_BAD_EXAMPLE:
            kinds.add("bad")
        assert {"bad", "good"} <= kinds or "explain" in spec.needs, f"{spec.path} lacks bad or good examples"
        for title in ("Why", "How to fix"):
            assert spec.section(title), f"{spec.path} lacks a '## {title}' section"


def test_ids_and_names_are_unique_and_well_formed():
    import re

    specs = list(catalogue.catalogue().values())
    assert len({s.id for s in specs}) == len(specs)
    assert len({s.name for s in specs}) == len(specs)
    for s in specs:
        assert re.fullmatch(r"(SQL|MGO|PLN|IDX|SCH|ADV)\d{3}", s.id), s.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s.name), s.name


def test_every_registered_rule_has_a_page_and_every_page_a_rule():
    import advisor.checks.plans  # noqa: F401  the plan rules register on import
    import advisor.mongo.explain  # noqa: F401
    from advisor.checks import RULES, load_checks

    load_checks()
    for name in RULES:
        assert catalogue.lookup(name) is not None, f"rule {name} has no rules/{name}.md"
    # the pages of what the run itself reports (parse errors, suppressions, plans it could not make, advice)
    reported_by_the_run = {"parse-error", "unused-suppression", "rule-failed", "explain-error", "schema-rejected",
                           "incomplete-schema", "unread-statement", "unknown-size"}
    for spec in catalogue.catalogue().values():
        assert spec.name in RULES or spec.name in reported_by_the_run, f"{spec.path}: no rule registered as {spec.name}"


def test_lookup_by_id_name_alias_and_prefix():
    assert catalogue.lookup("sql001").name == "select-star"
    assert catalogue.lookup("select-star").id == "SQL001"
    assert catalogue.lookup("non-sargable").name == "function-on-column"
    assert "SQL001" in catalogue.select(["SQL"]) and "SCH001" not in catalogue.select(["SQL"])
    with pytest.raises(catalogue.CatalogueError):
        catalogue.select(["nope-rule"])
