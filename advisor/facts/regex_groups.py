"""Whether a Python expression reads a regular-expression group that can hold only word characters.

`m.group("x")`, `m["x"]`, `m.groupdict()["x"]`, `m.groups()[0]`, where `m` is only ever assigned a match
of a literal pattern (`re.search(r"...", s)`, `PATTERN.match(s)` of `PATTERN = re.compile(r"...")`, a `for`
over `re.finditer(...)`) whose group admits only letters, digits and `_`: what it holds can never carry a
quote, a space or a semicolon into SQL text. The pattern is read by Python's own regular-expression parser
(`re._parser`, private: when it is missing or refuses the pattern, the group is not known to be safe).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import TypeGuard

Assigned = Mapping[str, list[ast.expr]]  # a name -> the values assigned to it (or iterated, for loops)

_WORD_CATEGORIES = {"CATEGORY_WORD", "CATEGORY_DIGIT"}  # \w, \d
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_ZERO_WIDTH = {"AT", "ASSERT", "ASSERT_NOT"}  # anchors and lookarounds capture nothing
_LONGEST_PATTERN = 4000  # a pattern written in code is short; a longer one is not read
_WIDEST_RANGE = 0x3000  # [a-z] is checked character by character; a wider range is not


_MATCHES = {"search", "match", "fullmatch"}  # re.search(p, s), compiled.search(s): one match
_FLAGS = {name: int(flag) for name, flag in re.RegexFlag.__members__.items()}


def word_group(node: ast.expr, assigned: Assigned, loops: Assigned) -> bool:
    """The expression reads a group of word characters from a match of a literal pattern."""
    found = _group_of(node)
    if found is None:
        return False
    receiver, group = found
    matches = [(v, False) for v in assigned.get(receiver, [])] + [(v, True) for v in loops.get(receiver, [])]
    return bool(matches) and all(_matched(v, looped, assigned, group) for v, looped in matches)


def _group_of(node: ast.expr) -> tuple[str, str | int] | None:
    """(the match's name, the group) the expression reads."""
    if isinstance(node, ast.Call):
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "group" and isinstance(func.value, ast.Name)):
            return None
        if node.keywords or len(node.args) > 1:
            return None
        if not node.args:
            return func.value.id, 0  # the whole match
        key = node.args[0].value if isinstance(node.args[0], ast.Constant) else None
        return (func.value.id, key) if _key(key) else None
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Constant):
        return None
    key = node.slice.value
    if not _key(key):
        return None
    if isinstance(node.value, ast.Name):
        return node.value.id, key  # m["x"], m[1]
    call = node.value
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
        if call.func.attr == "groupdict" and isinstance(key, str):
            return call.func.value.id, key
        if call.func.attr == "groups" and isinstance(key, int) and key >= 0:
            return call.func.value.id, key + 1
    return None


def _key(key: object) -> TypeGuard[str | int]:
    return isinstance(key, (str, int)) and not isinstance(key, bool)


def _matched(value: ast.expr, looped: bool, assigned: Assigned, group: str | int) -> bool:
    """The value is a match of a literal pattern whose `group` holds only word characters; or None."""
    if not looped and isinstance(value, ast.Constant) and value.value is None:
        return True  # m = None: no group to read
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
        return False
    func = value.func
    if func.attr not in ({"finditer"} if looped else _MATCHES):
        return False
    if _is_re(func.value):
        return _word_pattern(_argument(value, 0, "pattern"), _argument(value, 2, "flags"), assigned, group)
    compiled = assigned.get(func.value.id, []) if isinstance(func.value, ast.Name) else []
    return bool(compiled) and all(
        isinstance(c, ast.Call)
        and isinstance(c.func, ast.Attribute)
        and c.func.attr == "compile"
        and _is_re(c.func.value)
        and _word_pattern(_argument(c, 0, "pattern"), _argument(c, 1, "flags"), assigned, group)
        for c in compiled
    )


def _is_re(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "re"


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _word_pattern(pattern: ast.expr | None, flags: ast.expr | None, assigned: Assigned, group: str | int) -> bool:
    """A literal pattern (or a name only ever assigned literals) whose group holds only word characters."""
    texts = assigned.get(pattern.id, []) if isinstance(pattern, ast.Name) else [pattern] if pattern else []
    number = _flags(flags)
    literals = [t.value for t in texts if isinstance(t, ast.Constant) and isinstance(t.value, str)]
    return (
        number is not None
        and bool(literals)
        and len(literals) == len(texts)
        and all(word_only(t, number, group) for t in literals)
    )


def _flags(node: ast.expr | None) -> int | None:
    """`re.I | re.X` as a number (None: not known)."""
    if node is None:
        return 0
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Attribute) and _is_re(node.value):
        return _FLAGS.get(node.attr)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _flags(node.left), _flags(node.right)
        return None if left is None or right is None else left | right
    return None


def word_only(pattern: str, flags: int, group: str | int, also: str = "") -> bool:
    """The group (a name, a number; 0: the whole match) of `pattern` compiled with `flags` matches only
    word characters (and the characters of `also`: `"."` for a dotted name)."""
    try:
        from re import _parser  # type: ignore[attr-defined]  # noqa: PLC2701  the standard library's own reading
    except ImportError:
        return False
    if len(pattern) > _LONGEST_PATTERN:
        return False
    try:
        parsed = _parser.parse(pattern, flags)
    except Exception:  # noqa: BLE001  re.error, RecursionError, OverflowError: not known, so not safe
        return False
    index = parsed.state.groupdict.get(group) if isinstance(group, str) else group
    if not isinstance(index, int) or index < 0 or index >= parsed.state.groups:
        return False
    content = list(parsed) if index == 0 else _group(list(parsed), index)
    return content is not None and _words(content, also)


def _name(op: object) -> str:
    return str(getattr(op, "name", ""))


def _children(op: str, av) -> list[list]:
    """The sub-patterns of one parsed item."""
    if op in _REPEATS:
        return [list(av[2])]
    if op == "SUBPATTERN":
        return [list(av[3])]
    if op == "ATOMIC_GROUP":
        return [list(av)]
    if op == "BRANCH":
        return [list(b) for b in av[1]]
    if op in ("ASSERT", "ASSERT_NOT"):
        return [list(av[1])]
    if op == "GROUPREF_EXISTS":
        return [list(b) for b in av[1:] if b is not None]
    return []


def _group(items: list, index: int) -> list | None:
    """The content of capturing group `index`."""
    for op, av in items:
        name = _name(op)
        if name == "SUBPATTERN" and av[0] == index:
            return list(av[3])
        for child in _children(name, av):
            found = _group(child, index)
            if found is not None:
                return found
    return None


def _words(items: list, also: str = "") -> bool:
    for op, av in items:
        name = _name(op)
        if name == "LITERAL":
            ok = _word_char(av, also)
        elif name == "IN":
            ok = all(_word_set_item(_name(kind), value, also) for kind, value in av)
        elif name in _ZERO_WIDTH:
            ok = True
        elif name in _REPEATS or name in ("SUBPATTERN", "ATOMIC_GROUP", "BRANCH", "GROUPREF_EXISTS"):
            ok = all(_words(child, also) for child in _children(name, av))
        else:  # ANY, NOT_LITERAL, a back-reference, a negated class, \s, \W ...
            ok = False
        if not ok:
            return False
    return True


def _word_set_item(kind: str, value, also: str = "") -> bool:
    """One member of a character class `[...]`."""
    if kind == "LITERAL":
        return _word_char(value, also)
    if kind == "CATEGORY":
        return _name(value) in _WORD_CATEGORIES
    if kind == "RANGE":
        low, high = value
        return high - low <= _WIDEST_RANGE and all(_word_char(c, also) for c in range(low, high + 1))
    return False  # NEGATE ([^...]) and anything else


def _word_char(code: int, also: str = "") -> bool:
    return chr(code) in also or re.fullmatch(r"\w", chr(code)) is not None
