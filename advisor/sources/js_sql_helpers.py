"""Functions and methods that run the SQL text their caller hands them (helpers), in JavaScript / TypeScript.

    class Driver {
      queryRun(query, { params = {} } = {}) {
        const { query: newQuery, params: newParams } = this.translateQuery(query, params);
        return this.query(async () => (this.client ?? this.link).query(newQuery, newParams), query);
      }
      async createTables() { await this.queryRun(`CREATE INDEX "data_name" ON "data" ("name");`); }
    }

A function of the module (declared, a class method called as `this.name(...)`, or stored in a variable, key
or field) is a helper when one of its parameters reaches an execution call written in its body (a callback
inside it too) as the text that call runs: an execution call is one of the SQL sinks or another helper, so a
method reaching the client through a private helper of its class is one too. The text run may be the
parameter itself or a text the body makes from it, step by step:

- a function applied to it, the parameter its first argument: a string method that keeps the text
  (`sql.trim()`, `sql.replace(...)`), a function the module does not declare (`format(sql, values)`), or a
  function of the module every return of which is such a text of its own first parameter -- of the key a
  destructuring names, for a returned object (`const { query: q } = this.translateQuery(query, params)`);
- a template or a concatenation that begins with it (`${sql} RETURNING *`, `sql + ';'`): what the caller
  hands is the start of the statement run.

A name reassigned other than from its own text (`sql = 'SELECT 1'`, a destructuring assignment, a loop
variable) is not followed. Not a helper: a function that logs, returns or builds the text without running it,
or one that runs another text (a constant, a text the parameter is only a piece of: `SELECT * FROM ${table}`).

Its call sites are execution calls: advisor.sources.javascript reads the text handed at the helper's position
there, where it is written, and advisor.sources.js_sql_builders follows a builder's call handed to it.
"""

from __future__ import annotations

from advisor.facts.js_scope import scopes_of
from advisor.sources.js_flow import function_name
from advisor.sources.js_mongo_factories import returns
from advisor.sources.js_sql_text import flatten_plus
from advisor.sources.js_syntax import (
    FUNCTIONS,
    JsFile,
    arg_list,
    callee_name,
    is_this,
    key_name,
    member_parts,
    parameter_list,
    run_text,
    unwrap,
)

HELPER_ROUNDS = 3  # helpers of helpers: a method over a method over the client
MAX_STEPS = 16  # names and calls followed back from one execution call's argument
MAX_DEPTH = 2  # functions of the module looked into to tell whether they keep the text
# string methods whose result is the text they are called on, changed but still the same statement
TEXT_METHODS = frozenset(
    {"trim", "trimStart", "trimEnd", "replace", "replaceAll", "concat", "toString", "valueOf", "normalize"}
)
_NAMES = ("identifier", "shorthand_property_identifier")


def sql_helpers(f: JsFile, calls: list, sinks) -> dict[str, int]:
    """The module's helpers: name -> the position of the parameter whose text they run (`executeQuery(sql,
    params) { return this.pool.query(sql, params) }`: 0), or one statement of a list parameter each
    (`runAll(list, i) { this.run(list[i], ...) }`)."""
    helpers: dict[str, int] = {}
    for _ in range(HELPER_ROUNDS):
        grew = False
        for call in calls:
            name, _ = callee_name(f, call)
            index = 0 if name in sinks else helpers.get(name)
            arglist = arg_list(call.child_by_field_name("arguments"))
            arg = run_text(f, arglist[index]) if index is not None and index < len(arglist) else None
            if arg is not None and arg.type == "subscript_expression":
                arg = unwrap(arg.child_by_field_name("object"))
            found = forwarded_parameter(f, arg) if arg is not None else None
            helper = function_name(f, found[0]) if found is not None else None
            if found is not None and helper and helper not in helpers and helper not in sinks:
                helpers[helper] = found[1]
                grew = True
        if not grew:
            break
    return helpers


def forwarded_parameter(f: JsFile, expr, depth: int = 0) -> tuple | None:
    """(function, position) of the parameter whose text `expr` is, made from it in the function's body as the
    module docstring says; None for anything else."""
    node, key = _made_from(f, expr, None, depth), None
    for _ in range(MAX_STEPS):
        if node is None or node.type not in _NAMES:
            return None
        binding = scopes_of(f).binding(node)
        if binding is None or len(binding.sites) != 1 or not _unchanged(f, binding, depth):
            return None
        ident, path, _ = binding.sites[0]
        if binding.kind == "parameter":
            fn = binding.scope
            at = [i for i, p in enumerate(parameter_list(fn)) if p.start_byte <= ident.start_byte < p.end_byte]
            return (fn, at[0]) if not path and at else None
        if binding.kind not in ("const", "let", "var") or len(path) > 1 or path and path[0][0] != "prop":
            return None
        declarator = ident.parent
        while declarator is not None and declarator.type != "variable_declarator":
            declarator = declarator.parent
        value = declarator.child_by_field_name("value") if declarator is not None else None
        key = path[0][1] if path else None
        node = _made_from(f, value, key, depth)
    return None


def _made_from(f: JsFile, expr, key: str | None, depth: int):
    """The name whose text `expr` (or its property `key`, destructured) is, one step back: itself, the start
    of a template or concatenation, what a string method is called on, a function's first argument."""
    expr = unwrap(expr)
    if expr is None:
        return None
    if key is None and expr.type in _NAMES:
        return expr
    if key is None and expr.type == "template_string":
        for child in expr.named_children:
            if child.type == "template_substitution":
                return unwrap(child.named_children[0]) if child.named_children else None
            if f.src(child).strip():
                return None
        return None
    if key is None and expr.type == "binary_expression":
        parts = flatten_plus(expr)
        return parts[0] if len(parts) > 1 else None
    if expr.type != "call_expression":
        return None
    fn = unwrap(expr.child_by_field_name("function"))
    obj, prop = member_parts(f, fn) if fn is not None else (None, None)
    if key is None and prop in TEXT_METHODS and obj is not None:
        return unwrap(obj)
    args = arg_list(expr.child_by_field_name("arguments"))
    own = _own_function(f, fn)
    if not args or own is not None and not _keeps_first_parameter(f, own, key, depth):
        return None
    return unwrap(args[0])


def _own_function(f: JsFile, fn):
    """The function of the module a callee names (`this.translate`, `translate`); None when the module does not
    declare it (a library's function, an import)."""
    if fn is None:
        return None
    obj, prop = member_parts(f, fn)
    if fn.type == "member_expression" and obj is not None and is_this(f, unwrap(obj)):
        return f.methods.get(prop) if prop else None
    if fn.type == "identifier":
        value = unwrap(f.binding(f.src(fn), fn.start_byte))
        return value if value is not None and value.type in FUNCTIONS else None
    return None


def _keeps_first_parameter(f: JsFile, fn, key: str | None, depth: int) -> bool:
    """Every value the function returns is a text made from its first parameter (for `key`: every returned
    object holds one there)."""
    if depth >= MAX_DEPTH:
        return False
    values = [unwrap(v) for v in returns(fn)]
    if not values:
        return False
    for value in values:
        if key is not None:
            value = _property(f, value, key)
        found = forwarded_parameter(f, value, depth + 1) if value is not None else None
        if found is None or found[0] != fn or found[1] != 0:
            return False
    return True


def _property(f: JsFile, obj, key: str):
    """What an object literal holds under `key` (`{ query }`, `{ query: q }`); None when it is not one or does
    not say."""
    if obj is None or obj.type != "object":
        return None
    for child in obj.named_children:
        if child.type == "shorthand_property_identifier" and f.src(child) == key:
            return child
        if child.type == "pair" and key_name(f, child.child_by_field_name("key")) == key:
            return child.child_by_field_name("value")
    return None


def _unchanged(f: JsFile, binding, depth: int) -> bool:
    """Nothing gives the variable another text: every assignment to it is made from its own text
    (`sql = sql.trim()`, `sql += ';'`), and it is no target of a destructuring assignment or a loop."""
    scopes = scopes_of(f)
    for ref in scopes.references(binding):
        parent = ref.parent
        if parent is None or ref.type == "shorthand_property_identifier_pattern" or parent.type.endswith("pattern"):
            return False
        if parent.type == "for_in_statement" and parent.child_by_field_name("left") == ref:
            return False
        if parent.type == "augmented_assignment_expression" and parent.child_by_field_name("left") == ref:
            if f.src(parent.child_by_field_name("operator")) != "+=":
                return False
        if parent.type == "assignment_expression" and parent.child_by_field_name("left") == ref:
            source = _made_from(f, parent.child_by_field_name("right"), None, depth)
            if source is None or source.type not in _NAMES or scopes.binding(source) is not binding:
                return False
    return True
