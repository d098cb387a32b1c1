"""Python values spliced into SQL text that no one outside the deployment chooses, or that cannot end the
literal they stand in: what advisor.facts.provenance counts as the code's own besides constants.

- A literal with its quotes doubled, inside single quotes: `'{name.replace("'", "''")}'`, or a function
  returning `"'" + s.replace("'", "''") + "'"`. PostgreSQL reads `''` inside a literal as one quote, so the
  value cannot close the literal (backslashes are plain characters there: `standard_conforming_strings` is
  on by default since 9.1; an `E'...'` literal, where they escape, does not count).
- A setting the code names, read from the configuration the framework loads from the operator's files or
  environment: `current_app.config["HISTORY_LIMIT"]` (Flask), `config.get("ckan.site_id")` (CKAN),
  `os.environ["SCHEMA"]`, `os.getenv("SCHEMA")`. The operator who writes them owns the database anyway;
  a request cannot reach them. Known configuration objects only, resolved through the module's imports: a
  local `config` dict built from a request is not one.
- A text every character of which is a word character: `re.sub(r"[^a-zA-Z0-9_]", "_", name)`, the removal or
  replacement of whatever is not one (a name made fit to be an identifier). No quote, space, dash or semicolon is
  left to end a literal or a name, or to start a comment.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from advisor.facts.ast_nodes import dotted

# configuration objects, by the dotted name the module imports them under
SETTINGS = frozenset(
    {
        "flask.current_app.config",
        "ckan.common.config",
        "ckan.plugins.toolkit.config",
        "django.conf.settings",
        "os.environ",
    }
)
SETTING_CALLS = frozenset({"os.getenv", "os.environ.get"})  # a call naming one setting


# a negated class of word characters (`[^a-zA-Z0-9_]`, `[^\w]`) or `\W`, once or repeated
_NOT_WORD = re.compile(r"(?:\[\^(?:a-z|A-Z|0-9|_|\\w|\\d)+\]|\\W)[+*]?")
_WORD = re.compile(r"\w*")


def leaves_words(pattern: str, replacement: str) -> bool:
    """Replacing every match of `pattern` by `replacement` leaves word characters only (Python's and JavaScript's)."""
    return _NOT_WORD.fullmatch(pattern) is not None and _WORD.fullmatch(replacement) is not None


def word_characters_only(node: ast.expr) -> bool:
    """`re.sub(P, R, s)` where P matches every character that is not a word character and R is word characters
    (or nothing): what is left of `s` is word characters only."""
    if not (isinstance(node, ast.Call) and dotted(node.func) == "re.sub" and len(node.args) == 3):
        return False  # a fourth argument, or `count=`, leaves the rest of the text as it was
    pattern, repl = node.args[0], node.args[1]
    return (
        isinstance(pattern, ast.Constant)
        and isinstance(pattern.value, str)
        and isinstance(repl, ast.Constant)
        and isinstance(repl.value, str)
        and leaves_words(pattern.value, repl.value)
        and all(k.arg == "flags" for k in node.keywords)
    )


def escaped_literal(before: str, value: ast.expr) -> bool:
    """`value`, after the SQL text `before`, sits inside a single-quoted literal and doubles every quote
    (other values in `before` add no quote: escaped like this one, or reported themselves)."""
    if before.count("'") % 2 == 0:
        return False
    opening = before.rfind("'")
    if before[opening - 1 : opening].lower() == "e":
        return False  # E'...': a backslash escapes the quote that follows it
    return doubles_quotes(value)


def doubles_quotes(node: ast.expr) -> bool:
    """`x.replace("'", "''")`, maybe among other replaces, none after it touching a quote."""
    quote_touched_after = False
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace":
        texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if len(texts) != 2 or len(node.args) != 2 or node.keywords:
            return False
        if texts == ["'", "''"]:
            return not quote_touched_after
        quote_touched_after |= "'" in texts[0] or "'" in texts[1]
        node = node.func.value
    return False


def quoted_literal(built: list[str | ast.expr] | None) -> bool:
    """A whole literal: `"'" + escaped + "'"` (what a quoting helper returns)."""
    if built is None or len(built) < 3 or not isinstance(built[0], str) or not isinstance(built[-1], str):
        return False
    values = [p for p in built if isinstance(p, ast.expr)]
    text = "".join(p for p in built if isinstance(p, str))
    return len(values) == 1 and text == "''" and escaped_literal(built[0], values[0])


def setting_read(node: ast.expr, tree: ast.Module) -> ast.expr | None:
    """For a read of one named setting (`cfg["K"]`, `cfg.get("K", default)`, `os.getenv("K", default)`, the name
    also a text constant of the module's, `os.environ.get(ENV_TIMEOUT)`), the default it may return instead (an
    ast.Constant None when it has none); None when it is not such a read."""
    if isinstance(node, ast.Subscript):
        key = node.slice
        if _text(key, tree) and _dotted(node.value, tree) in SETTINGS:
            return ast.Constant(None)
        return None
    if not isinstance(node, ast.Call) or not node.args or not _text(node.args[0], tree) or node.keywords:
        return None
    func = node.func
    named = _dotted(func, tree) in SETTING_CALLS
    if not named and not (
        isinstance(func, ast.Attribute) and func.attr == "get" and _dotted(func.value, tree) in SETTINGS
    ):
        return None
    return node.args[1] if len(node.args) == 2 else ast.Constant(None) if len(node.args) == 1 else None


def _text(node: ast.expr, tree: ast.Module | None = None) -> bool:
    """A text literal, or a name the module binds once, at its top level, to one."""
    if isinstance(node, ast.Name) and tree is not None:
        return node.id in module_text_names(tree)
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


@lru_cache(maxsize=32)
def module_text_names(tree: ast.Module) -> dict[str, str]:
    """name -> text, for the names a module binds exactly once at its top level, to a text literal."""
    bound: dict[str, list[ast.expr | None]] = {}
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for t in targets:
            if isinstance(t, ast.Name):
                bound.setdefault(t.id, []).append(getattr(node, "value", None))
    return {
        name: values[0].value
        for name, values in bound.items()
        if len(values) == 1 and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str)
    }


def _dotted(node: ast.expr, tree: ast.Module) -> str | None:
    """`current_app.config` as `flask.current_app.config` when the module imports current_app from flask."""
    name = dotted(node)
    root = _imports(tree).get(name.split(".")[0]) if name else None
    return None if root is None else ".".join([root, *name.split(".")[1:]])


@lru_cache(maxsize=32)
def _imports(tree: ast.Module) -> dict[str, str]:
    """The module-level imports: bound name -> dotted name. A name the module also assigns is not the import."""
    out: dict[str, str] = {}
    assigned: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    out[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                out[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            assigned |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return {k: v for k, v in out.items() if k not in assigned}
