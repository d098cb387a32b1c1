"""Which JS/TS names a TypeScript compiler holds to a number or a boolean: values that carry no SQL.

A `${name}` in a template literal is text a caller chooses, unless the code fixes what `name` can
hold.  TypeScript fixes it for a function's parameter: declared (`limit: number`, `on?: boolean`,
`n: 1 | 2`) or inferred from its default (`lockValue = PG_MIGRATE_LOCK_ID`, with the module's
`const PG_MIGRATE_LOCK_ID = 7241865325823964`, is a `number` parameter), and the compiler rejects
every caller in the project that passes anything else.  A number or a boolean written into SQL
cannot change the statement's shape, so such a parameter is the code's own value, not an
injection vector.

Where that holds, strictly:
- a TypeScript source (`.ts`, `.tsx`, `.mts`, `.cts`; a `.d.ts` holds no code): annotations and
  defaults both count;
- JavaScript that a TypeScript compiler emitted, known by the declaration file emitted beside it
  (`runner.js` + `runner.d.ts`, `.mjs` + `.d.mts`, `.cjs` + `.d.cts`): the annotations moved to
  that file (a module-level function's or a module-level class's public method's one signature
  there, matched by name), the defaults are still in the code, and the compiler that wrote both
  checked the callers;
- never plain JavaScript: there a default is only what an omitted argument becomes, and nothing
  stops a caller from passing a request's string (`lock(db, req.query.id)`).  A `"types"` entry in
  package.json is not evidence either: hand-written declarations describe plain JS as well.

The parameter must be the only binding of its name in its function (no inner `let` or nested
parameter shadows it), and a default counts only when it is a number or boolean literal, or a
module-level `const` that is one and is assigned nowhere else.  Destructured parameters never count.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePath
from typing import Any

from advisor.sources.js_syntax import FUNCTIONS, JsFile, parameter_list, parsed

TS_SOURCES = (".ts", ".tsx", ".mts", ".cts")
DECLARATIONS = (".d.ts", ".d.mts", ".d.cts")
_EMITTED = {".js": ".d.ts", ".jsx": ".d.ts", ".mjs": ".d.mts", ".cjs": ".d.cts"}  # compiled file -> its declarations
_SCALAR_TYPES = {"number", "bigint", "boolean"}
_EMPTY_TYPES = {"undefined", "null"}  # `n?: number`, `number | null`: nothing a caller can write into SQL
_BINDING_PARENTS = {  # where an identifier declares a name rather than uses it
    "variable_declarator",
    "formal_parameters",
    "assignment_pattern",
    "required_parameter",
    "optional_parameter",
    "catch_clause",
    "arrow_function",
    "object_pattern",
    "array_pattern",
    "pair_pattern",
    "object_assignment_pattern",
    "rest_pattern",
    "for_in_statement",
    "function_declaration",
    "function_expression",
    "generator_function_declaration",
    "class_declaration",
    "class",
}


def typescript_checked(path: str, files: Mapping[str, str]) -> bool:
    """A TypeScript compiler checked this file's code: a TS source, or JS emitted with its declarations beside
    it among the files the run loaded (`files`: display path -> text; never a file opened anew)."""
    name = path.lower()
    if name.endswith(DECLARATIONS):
        return False
    suffix = PurePath(name).suffix
    if suffix in TS_SOURCES:
        return True
    return _declarations(path) in files


def _declarations(path: str) -> str:
    """The declaration file a compiler emits beside `path` (`runner.js` -> `runner.d.ts`), or ""."""
    suffix = PurePath(path).suffix
    emitted = _EMITTED.get(suffix.lower())
    return path[: -len(suffix)] + emitted if emitted else ""


def scalar_parameter(path: str, text: str, offset: int, name: str, files: Mapping[str, str]) -> bool:
    """`name`, used in the code at character `offset`, is a parameter of an enclosing function whose
    type a TypeScript compiler fixes as number, bigint or boolean (see the module's docstring)."""
    if not typescript_checked(path, files):
        return False
    f = _parsed(path, text)
    at = len(text[:offset].encode("utf-8", "surrogatepass"))
    node = f.root.descendant_for_byte_range(at, at)
    while node is not None:
        if node.type in FUNCTIONS:
            parameter = _parameter(f, node, name)
            if parameter is not None:
                return _only_binding(f, node, name) and (
                    _scalar_parameter(f, parameter) or _declared_scalar(path, f, node, name, files)
                )
        node = node.parent
    return False


@lru_cache(maxsize=2)
def _parsed(path: str, text: str) -> JsFile:
    """The file's syntax tree and declarations, once per file however many of its strings are asked about."""
    f = parsed(path, text)
    return f


def _parameter(f: JsFile, function, name: str):
    """The parameter node of `function` that binds `name` as a plain identifier, or None."""
    for param in parameter_list(function):
        target = param.child_by_field_name("pattern") or param.child_by_field_name("left")
        target = param if target is None else target
        if target.type == "identifier" and f.src(target) == name:
            return param
    return None


def _declared_scalar(path: str, f: JsFile, function, name: str, files: Mapping[str, str]) -> bool:
    """Emitted JS: the declaration file emitted beside it types `name` as a scalar in the one signature of
    this function (a module-level function, or a method of a module-level class), which the compiler held
    every caller in the project to. A private method's declaration carries no types; overloads never count."""
    declarations = _declarations(path)
    if PurePath(path).suffix.lower() in TS_SOURCES or declarations not in files:
        return False
    owner, member = _declared_name(f, function)
    if member is None:
        return False
    d = _parsed(declarations, files[declarations])
    signatures = [s for s in _signatures(d, owner) if s[0] == member]
    if len(signatures) != 1:
        return False
    param = _parameter(d, signatures[0][1], name)
    annotation = param.child_by_field_name("type") if param is not None else None
    return annotation is not None and _scalar_type(d, annotation)


def _declared_name(f: JsFile, function) -> tuple[str | None, str | None]:
    """(class, method) of a method of a module-level class, (None, name) of a module-level function."""
    if function.type == "method_definition":
        name = function.child_by_field_name("name")
        body = function.parent
        cls = body.parent if body is not None else None
        if name is None or cls is None or cls.type != "class_declaration" or not _module_level(cls):
            return None, None
        cls_name = cls.child_by_field_name("name")
        return (f.src(cls_name) if cls_name is not None else None), f.src(name)
    if function.type == "function_declaration" and _module_level(function):
        name = function.child_by_field_name("name")
        return None, f.src(name) if name is not None else None
    return None, None


def private_method(path: str, f: JsFile, function, files: Mapping[str, str]) -> bool:
    """A method TypeScript lets only its own class's body call: `private` in a TS source, or in the declaration
    file emitted beside compiled JS (`private migrate;`: the compiler that wrote both checked every caller)."""
    if function.type != "method_definition":
        return False
    if PurePath(path).suffix.lower() in TS_SOURCES:
        return any(c.type == "accessibility_modifier" and f.src(c) == "private" for c in function.children)
    declarations = _declarations(path)
    owner, member = _declared_name(f, function)
    if declarations not in files or owner is None or member is None:
        return False
    d = _parsed(declarations, files[declarations])
    declared = [node for name, node in _class_members(d, owner) if name == member]
    return bool(declared) and all(
        any(c.type == "accessibility_modifier" and d.src(c) == "private" for c in node.children) for node in declared
    )


def _class_members(d: JsFile, owner: str) -> list[tuple[str, Any]]:
    """(name, node) of every member the declaration file declares for class `owner`."""
    out = []
    for top in d.root.named_children:
        node = top.named_children[0] if top.type == "export_statement" and top.named_children else top
        node = node.named_children[0] if node.type == "ambient_declaration" and node.named_children else node
        if node.type not in ("class_declaration", "abstract_class_declaration"):
            continue
        name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
        if name is None or d.src(name) != owner or body is None:
            continue
        for member in body.named_children:
            key = member.child_by_field_name("name")
            out.append((d.src(key) if key is not None else "", member))
    return out


def _signatures(d: JsFile, owner: str | None) -> list[tuple[str, object]]:
    """(name, signature node) of the declaration file's module-level functions, or of class `owner`'s methods."""
    if owner is not None:
        return [
            (n, m) for n, m in _class_members(d, owner) if m.type in ("method_signature", "abstract_method_signature")
        ]
    out = []
    for top in d.root.named_children:
        node = top.named_children[0] if top.type == "export_statement" and top.named_children else top
        node = node.named_children[0] if node.type == "ambient_declaration" and node.named_children else node
        if node.type == "function_signature":
            name = node.child_by_field_name("name")
            out.append((d.src(name) if name is not None else "", node))
    return out


def _only_binding(f: JsFile, function, name: str) -> bool:
    """No declaration in the function but its parameter binds `name`: an inner `let` or a nested
    parameter of that name would be another value."""
    count, stack = 0, [function]
    while stack:
        node = stack.pop()
        if (
            node.type in ("identifier", "shorthand_property_identifier_pattern")
            and node.parent is not None
            and node.parent.type in _BINDING_PARENTS
            and f.src(node) == name
            and _binds(node)
        ):
            count += 1
        stack.extend(node.named_children)
    return count == 1


def _binds(identifier) -> bool:
    """The identifier is the declared name of its parent, not a default value or an initialiser."""
    parent = identifier.parent
    if parent.type == "pair_pattern":  # { key: name }
        return parent.child_by_field_name("value") == identifier
    return all(parent.child_by_field_name(field) != identifier for field in ("value", "right", "body"))


def _scalar_parameter(f: JsFile, param) -> bool:
    annotation = param.child_by_field_name("type")
    if annotation is not None:
        return _scalar_type(f, annotation)  # declared: the default must agree with it
    default = param.child_by_field_name("value") or param.child_by_field_name("right")
    return default is not None and _scalar_value(f, default, 0)


def _scalar_type(f: JsFile, node) -> bool:
    """A type whose every value is a number, bigint, boolean, undefined or null (and at least one is not empty)."""
    parts = _type_parts(f, node)
    return parts is not None and any(p not in _EMPTY_TYPES for p in parts)


def _type_parts(f: JsFile, node) -> list[str] | None:
    if node.type in ("type_annotation", "parenthesized_type"):
        inner = node.named_children
        return _type_parts(f, inner[0]) if len(inner) == 1 else None
    if node.type == "union_type":
        parts = [_type_parts(f, c) for c in node.named_children]
        return None if any(p is None for p in parts) else [x for p in parts for x in p or ()]
    if node.type in ("predefined_type", "type_identifier"):  # `bigint` parses as a type identifier
        written = f.src(node)
        return [written] if written in _SCALAR_TYPES | _EMPTY_TYPES else None
    if node.type == "literal_type":
        value = node.named_children[0] if node.named_children else None
        if value is not None and (value.type in ("undefined", "null") or _literal(f, value)):
            return [value.type if value.type in ("undefined", "null") else "literal"]
    return None


def _scalar_value(f: JsFile, node, depth: int) -> bool:
    """A default TypeScript types as number/bigint/boolean: a literal, or a module `const` holding one.
    Nothing unwrapped: `5 as any` is typed `any`."""
    if _literal(f, node):
        return True
    if node.type != "identifier" or depth > 3:
        return False
    bound = f.decls.get(f.src(node), [])
    if len(bound) != 1:
        return False  # assigned more than once, or not declared in this module (an import, a global)
    value = bound[0][1]
    declarator = value.parent
    if (
        declarator is None
        or declarator.type != "variable_declarator"
        or declarator.parent.type != "lexical_declaration"
    ):
        return False  # `var`, an assignment, or a value collect_decls unwrapped (`5 as any`)
    declared = declarator.child_by_field_name("type")  # `const X: any = 5` is `any`
    return (
        declarator.parent.child(0).type == "const"
        and _module_level(declarator.parent)
        and (declared is None or _scalar_type(f, declared))
        and _scalar_value(f, value, depth + 1)
    )


def _literal(f: JsFile, node) -> bool:
    if node.type in ("number", "true", "false"):
        return True
    operand = node.child_by_field_name("argument") if node.type == "unary_expression" else None
    operator = node.child_by_field_name("operator") if operand is not None else None
    return operand is not None and operator is not None and f.src(operator) in ("-", "+") and operand.type == "number"


def _module_level(declaration) -> bool:
    parent = declaration.parent
    if parent is not None and parent.type == "export_statement":
        parent = parent.parent
    return parent is not None and parent.type == "program"
