"""A collection named by a field of the project's settings object: the field's default.

`config = Config()` with `class Config(BaseSettings): mongo_jobs_collection: str = "jobs"` (pydantic-settings), then
`db.get_collection(config.mongo_jobs_collection)` in another module: the operator may set another name in the
environment, as with `os.getenv("JOBS", "jobs")` (advisor.facts.safe_text.setting_read), and every use of the field
gives the same one, so the collection's queries and its indexes meet under the default. A file names such a
collection `<config.mongo_jobs_collection>` (advisor.sources.mongo_names.run_time_name); this module settles it once
every file is read, through the importing module's `from ... import config`. The same for a parameter annotated with
the class (`def install(db, config: Config): db[config.jobs_collection]`, named `<Config.jobs_collection>`): whatever
instance the caller passes, its field's default. Only a class deriving `BaseSettings`, a field with a literal text
default, and a module-level instance made with no arguments (which could set the field).
"""

from __future__ import annotations

import ast
import re

from advisor.ir import SourceFile
from advisor.sources.python_modules import imports, module_name, same_module, tree_of

SETTING_NAME = re.compile(r"<(\w+)\.(\w+)>")  # `<config.mongo_jobs_collection>`


def settings_defaults(sources: list[SourceFile]) -> dict[tuple[str, str], dict[str, str]]:
    """(module, instance name) -> {field: its default}, for the project's settings instances, and (module, class
    name) -> the same for its settings classes (a field read through a parameter annotated with the class)."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for source in sources:
        tree = tree_of(source) if "BaseSettings" in source.text else None
        if tree is None:
            continue
        classes = {node.name: _fields(node) for node in tree.body if isinstance(node, ast.ClassDef) and _settings(node)}
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
                and node.value.func.id in classes
                and not node.value.args
                and not node.value.keywords
            ):
                out[(module_name(source.path), node.targets[0].id)] = classes[node.value.func.id]
        for name, fields in classes.items():  # `config: Settings`, a parameter: whatever instance, the same defaults
            out[(module_name(source.path), name)] = fields
    return out


def settled_name(
    collection: str, source: SourceFile, defaults: dict[tuple[str, str], dict[str, str]], imported: dict | None = None
) -> str | None:
    """The default of the settings field a file's `<instance.field>` collection names, when it is one (`imported`:
    the file's `imports`, when the caller has read them once for all its names)."""
    m = SETTING_NAME.fullmatch(collection)
    if m is None or not defaults:
        return None
    instance, field = m.groups()
    here = module_name(source.path)
    brought = (imports(source) if imported is None else imported).get(instance)
    for module, name in [(here, instance), *([brought] if brought else [])]:
        for (defined, made), fields in defaults.items():
            if made == name and same_module(defined, module) and field in fields:
                return fields[field]
    return None


def _settings(cls: ast.ClassDef) -> bool:
    return any(
        (b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "") == "BaseSettings"
        for b in cls.bases
    )


def _fields(cls: ast.ClassDef) -> dict[str, str]:
    out = {}
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        if isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            out[stmt.target.id] = stmt.value.value
    return out
