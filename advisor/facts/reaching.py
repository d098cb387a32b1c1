"""Which assignments of a Python function reach each place it reads a local name: the value a name holds
there is one of theirs, not whatever else the function assigns it elsewhere (`values = [":" + p for p in
names]` in one branch, `values = {**used, **unique}` in another, in a loop).

Reaching definitions over the function's own statements, as Python runs them: a plain assignment replaces
what reached it, `x += v` adds to it, branches meet with what each brings, a loop's body sees what its end
and its `continue`s bring back, a handler or `finally` whatever its `try` body may have left at any point.
A parameter's own value is the definition PARAMETER.  Only names every binding of which is an assignment or
a `for` target are followed (not `with ... as`, `except ... as`, `:=`, imports, `global`); only reads in the
function's own statements (not in nested functions, lambdas or comprehensions, which run elsewhere or bind
their own names).  Plain `ast`.
"""

from __future__ import annotations

import ast
from functools import lru_cache

PARAMETER = -1  # the value the caller passed
State = dict[str, frozenset[int]]
_OPAQUE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


@lru_cache(maxsize=64)
def reaching(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[int, frozenset[int]]:
    """id(ast.Name read) -> ids of the statements (Assign, AugAssign, AnnAssign, For) whose assignment of it
    can reach there, PARAMETER for the parameter's own value.  Reads of names not followed are absent."""
    walker = _Walker(_followed(function))
    args = function.args
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a]
    walker.block(function.body, {n: frozenset({PARAMETER}) for n in names if n in walker.names})
    return walker.uses


def _followed(function: ast.AST) -> frozenset[str]:
    """Local names bound only by assignments and `for` targets."""
    bound, other = set(), set()
    for node in own_nodes(function):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                bound |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            pass  # counted with its statement, or below when it is a target of something else
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            other |= set(node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not function:
            other.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            other |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            other.add(node.name)
        elif isinstance(node, (ast.withitem, ast.NamedExpr, ast.Delete)):
            other |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            other.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            other.add(node.rest)
    other |= {name for n in ast.walk(function) if isinstance(n, ast.Nonlocal) for name in n.names}  # a closure's
    return frozenset(bound - other)


def bound_values(nodes: list[ast.AST], name: str) -> list[ast.expr] | None:
    """The values of the plain `name = value` assignments among `nodes`; None when something else binds the name
    there too (a `for`, `+=`, a tuple target, a `with ... as`)."""
    values = [
        n.value
        for n in nodes
        if isinstance(n, ast.Assign)
        and len(n.targets) == 1
        and isinstance(n.targets[0], ast.Name)
        and n.targets[0].id == name
    ]
    stores = sum(1 for n in nodes if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store))
    return values if len(values) == stores else None


def own_nodes(owner: ast.AST):
    """The nodes of a module or function, not those of the functions and classes nested in it (their names, yes)."""
    stack = list(ast.iter_child_nodes(owner))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _join(*states: State | None) -> State | None:
    present = [s for s in states if s is not None]
    if not present:
        return None
    out: dict[str, frozenset[int]] = {}
    for s in present:
        for name, sites in s.items():
            out[name] = out.get(name, frozenset()) | sites
    return out


class _Walker:
    def __init__(self, names: frozenset[str]):
        self.names = names
        self.uses: dict[int, frozenset[int]] = {}
        self.loops: list[tuple[list, list]] = []  # per enclosing loop: states at its breaks, at its continues
        self.seen: list[list] = []  # per enclosing try: every state inside its body

    def block(self, body: list[ast.stmt], state: State | None) -> State | None:
        for stmt in body:
            if state is None:
                return None  # unreachable after a return, raise, break or continue
            for seen in self.seen:
                seen.append(state)
            state = self.statement(stmt, state)
        return state

    def read(self, node: ast.AST | None, state: State) -> None:
        stack = [node] if node is not None else []
        while stack:
            n = stack.pop()
            if isinstance(n, _OPAQUE) or isinstance(n, ast.GeneratorExp):
                continue  # runs elsewhere, or binds its own names
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in self.names:
                self.uses[id(n)] = state.get(n.id, frozenset())
            stack.extend(ast.iter_child_nodes(n))

    def assign(self, targets: list[ast.expr], site: ast.stmt, state: State, add: bool = False) -> State:
        out = dict(state)
        for target in targets:
            if not isinstance(target, ast.Name):
                self.read(target, state)  # `a[i] = v`, `a.b = v`: reads a
            for n in ast.walk(target):
                if isinstance(n, ast.Name) and n.id in self.names and not isinstance(n.ctx, ast.Load):
                    out[n.id] = (out.get(n.id, frozenset()) if add else frozenset()) | {id(site)}
        return out

    def statement(self, stmt: ast.stmt, state: State) -> State | None:
        if isinstance(stmt, ast.Assign):
            self.read(stmt.value, state)
            return self.assign(stmt.targets, stmt, state)
        if isinstance(stmt, ast.AnnAssign):
            self.read(stmt.value, state)
            return self.assign([stmt.target], stmt, state) if stmt.value is not None else state
        if isinstance(stmt, ast.AugAssign):
            self.read(stmt.value, state)
            return self.assign([stmt.target], stmt, state, add=True)  # the old value stays in the new
        if isinstance(stmt, ast.If):
            self.read(stmt.test, state)
            return _join(self.block(stmt.body, state), self.block(stmt.orelse, state))
        if isinstance(stmt, _LOOPS):
            return self.loop(stmt, state)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            return self.attempt(stmt, state)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self.read(item.context_expr, state)
            return self.block(stmt.body, state)
        if isinstance(stmt, ast.Match):
            self.read(stmt.subject, state)
            return _join(state, *(self.block(case.body, state) for case in stmt.cases))
        if isinstance(stmt, (ast.Return, ast.Raise)):
            self.read(stmt, state)
            return None
        if isinstance(stmt, (ast.Break, ast.Continue)) and self.loops:
            self.loops[-1][0 if isinstance(stmt, ast.Break) else 1].append(state)
            return None
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.read(stmt, state)
        return state

    def loop(self, stmt: ast.For | ast.AsyncFor | ast.While, state: State) -> State | None:
        if isinstance(stmt, ast.While):
            head: State | None = state
        else:
            self.read(stmt.iter, state)
            head = state
        for _ in range(20):  # to a fixed point: each round can only add definitions
            assert head is not None
            if isinstance(stmt, ast.While):
                self.read(stmt.test, head)
                entry = head
            else:
                entry = self.assign([stmt.target], stmt, head)
            self.loops.append(([], []))
            end = self.block(stmt.body, entry)
            breaks, continues = self.loops.pop()
            after = _join(head, end, *continues)
            if after == head:
                break
            head = after
        done = self.block(stmt.orelse, head)
        return _join(done, *breaks)

    def attempt(self, stmt: ast.stmt, state: State) -> State | None:
        self.seen.append([state])
        body = self.block(stmt.body, state)  # type: ignore[attr-defined]
        inside = self.seen.pop()
        anywhere = _join(*inside, body)
        assert anywhere is not None
        handlers = [self.block(h.body, anywhere) for h in stmt.handlers]  # type: ignore[attr-defined]
        normal = _join(self.block(stmt.orelse, body) if body is not None else None, *handlers)  # type: ignore[attr-defined]
        final = stmt.finalbody  # type: ignore[attr-defined]
        if not final:
            return normal
        return self.block(final, _join(normal, anywhere, *handlers))


def formatted_statement(function: ast.FunctionDef | ast.AsyncFunctionDef, node: ast.expr) -> ast.BinOp | None:
    """`sql % (gi, accession)` read in `function`: the literal `sql` holds there formatted as that read formats it
    (`"SELECT ... '%s'" % (gi, accession)`), located where the literal is written; None when it is not one literal."""
    text = _formatted_literal(function, node)
    if text is None:
        return None
    return ast.copy_location(ast.BinOp(left=text, op=ast.Mod(), right=node.right), text)  # type: ignore[attr-defined]


def _formatted_literal(function: ast.FunctionDef | ast.AsyncFunctionDef, node: ast.expr) -> ast.Constant | None:
    """The string literal `sql` holds where `sql % ...` reads it, when the one assignment that reaches the read gives
    it (biopython's `sql = ("SELECT ... '%s'"); execute(sql % (gi, accession))`)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Name)):
        return None
    sites = reaching(function).get(id(node.left), frozenset())
    if len(sites) != 1 or PARAMETER in sites:
        return None
    statement = _assignments(function).get(next(iter(sites)))
    value = statement.value if statement is not None else None
    return value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None


@lru_cache(maxsize=64)
def _assignments(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[int, ast.Assign | ast.AnnAssign]:
    """The function's own assignments by id: read once, however many of its reads ask."""
    return {id(n): n for n in own_nodes(function) if isinstance(n, (ast.Assign, ast.AnnAssign))}
