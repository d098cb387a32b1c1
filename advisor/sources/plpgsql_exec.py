"""The statements a PL/pgSQL routine builds in text and runs with EXECUTE, when the code says them.

`_command := 'SELECT ... WHERE stream_name = $1'`, `IF ... THEN _command := _command || ' AND type = $2';
END IF;`, `RETURN QUERY EXECUTE _command USING ...`: each way the text can be when it runs is one variant,
a sequence of parts: a string literal's text at its offset in the routine's text (positions stay exact),
or a value advisor does not know (an argument, a function's result) at the offset of its expression.
Literals, `||`, `format(text, ...)` and IF/ELSIF/ELSE branches are followed; an assignment in a loop, a
CASE or an exception handler makes the variable unknown (how many times, which way it ran, advisor does
not guess), and so does anything the flow reader does not follow: then nothing is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product

from advisor.parse import FORMAT_DIRECTIVE

Part = tuple[str | None, int]  # (text, offset in the routine's text); None: a value advisor does not know
Variant = tuple[Part, ...]
_MAX_VARIANTS = 16  # four independent IFs; beyond that the text is not read
# a variant longer than this is not read either (`q := q || q` doubles it on every line)
_MAX_PARTS, _MAX_TEXT = 100, 20_000
_MAX_DEPTH = 32  # nested parentheses and format() calls in one expression; nested blocks in a routine
_OPENS = {"IF", "CASE", "LOOP", "FOR", "FOREACH", "WHILE", "BEGIN", "DECLARE"}


@dataclass(frozen=True)
class Executed:
    """One way the text handed to EXECUTE can be."""

    parts: Variant
    returned: bool  # RETURN QUERY EXECUTE: the rows the routine returns


@dataclass
class _Frame:
    kind: str  # if, loop, case, block, declare
    before: dict = field(default_factory=dict)  # an IF: each variable assigned inside, its value before the IF
    branch: set = field(default_factory=set)  # the variables assigned in the current branch
    results: list = field(default_factory=list)  # each finished branch: its assigned variables' values
    has_else: bool = False
    handler: bool = False  # a block's EXCEPTION part


_CONTROL = re.compile(
    r"\s*(?:(?P<label><<\s*\w+\s*>>)|(?P<end>END(?:\s+(?:IF|LOOP|CASE)\b)?)|"
    r"(?P<kw>IF|ELSIF|ELSEIF|ELSE|LOOP|FOR|FOREACH|WHILE|CASE|WHEN|BEGIN|DECLARE|EXCEPTION))(?![\w$])",
    re.IGNORECASE,
)
_ASSIGN = re.compile(r"(?<![\w$])([A-Za-z_]\w*)\s*:?=(?!=)", re.IGNORECASE)
_DECLARED = re.compile(r"([A-Za-z_]\w*)\b[^:=;]*?(?::=|=|\bDEFAULT\b)", re.IGNORECASE)
_EXECUTE = re.compile(r"(RETURN\s+QUERY\s+)?EXECUTE\b", re.IGNORECASE)
_FOR_EXECUTE = re.compile(r"\bIN\s+EXECUTE\b", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_]\w*")
# what a statement stores in variables besides `:=`: INTO targets (not INSERT INTO / MERGE INTO), GET DIAGNOSTICS
_INTO = re.compile(
    r"(?<![\w$])(?:(?P<insert>INSERT|MERGE)\s+)?INTO\s+(?:STRICT\s+)?(?P<targets>[A-Za-z_]\w*(?:\s*\.\s*\w+)*"
    r"(?:\s*,\s*[A-Za-z_]\w*(?:\s*\.\s*\w+)*)*)",
    re.IGNORECASE,
)
_DIAGNOSTICS = re.compile(r"GET\s+(?:(?:CURRENT|STACKED)\s+)?DIAGNOSTICS\b", re.IGNORECASE)
_LOOP_TARGETS = re.compile(r"\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+(?:SLICE\s+\d+\s+)?IN\b", re.IGNORECASE)


def executed(text: str, bare: str, spans: list[tuple[int, int]]) -> list[Executed]:
    """The variants of every EXECUTE in the routine whose pieces (`;`-terminated, offsets in `text`) are
    `spans`; `bare` is `text` with strings and comments blanked (same length)."""
    flow = _Flow(text, bare)
    for start, end in spans:
        flow.piece(start, end)
        if flow.broken:
            return []
    return [] if flow.frames else flow.out


class _Flow:
    def __init__(self, text: str, bare: str):
        self.text, self.bare = text, bare
        self.state: dict[str, list[Variant] | None] = {}
        self.frames: list[_Frame] = []
        self.out: list[Executed] = []
        self.broken = False
        self.budget = 4 * len(text) + _MAX_TEXT  # the text of all variants read: linear in the routine's

    def _poisoned(self) -> bool:
        return any(f.kind in ("loop", "case") or f.handler for f in self.frames)

    def piece(self, i: int, end: int) -> None:
        """One piece: the control keywords before its statement, then the statement."""
        while not self.broken:
            m = _CONTROL.match(self.bare, i, end)
            if m is None:
                self.statement(i + len(self.text[i:end]) - len(self.text[i:end].lstrip()), end)
                return
            i = m.end()
            if m.group("end"):
                self.close(m.group("end").split()[-1].upper() if len(m.group("end").split()) > 1 else "")
                return
            if m.group("kw"):
                i = self.keyword(m.group("kw").upper(), i, end)

    def keyword(self, word: str, i: int, end: int) -> int:
        top = self.frames[-1] if self.frames else None
        if len(self.frames) >= _MAX_DEPTH and word in _OPENS:
            self.broken = True  # nested deeper than real code: not followed
            return end
        if word == "IF":
            self.frames.append(_Frame("if"))
            return self._after(r"THEN", i, end)
        if word in ("ELSIF", "ELSEIF", "ELSE") and top is not None and top.kind == "if":
            top.results.append({name: self.state.get(name) for name in top.branch})
            for name in top.branch:
                self.state[name] = top.before[name]
            top.branch = set()
            top.has_else = word == "ELSE"
            return i if word == "ELSE" else self._after(r"THEN", i, end)
        if word == "ELSE" and top is not None and top.kind == "case":
            return i
        if word == "WHEN" and top is not None and (top.kind == "case" or top.handler):
            return self._after(r"THEN", i, end)
        if word == "CASE":
            self.frames.append(_Frame("case"))
            return self._before(r"WHEN", i, end)
        if word == "LOOP":
            self.frames.append(_Frame("loop"))
            return i
        if word in ("FOR", "FOREACH", "WHILE"):
            loop = self._before(r"LOOP", i, end)
            targets = _LOOP_TARGETS.match(self.bare, i, loop)
            for name in _NAME.findall(targets.group(1)) if targets else []:
                self._set(name.lower(), None)  # after the loop: its last row
            header = _FOR_EXECUTE.search(self.bare, i, loop)
            if header is not None:
                self.execute(header.end(), loop, returned=False)
            self.frames.append(_Frame("loop"))
            return self._after(r"LOOP", loop, end)
        if word == "BEGIN":
            if top is not None and top.kind == "declare":
                top.kind = "block"
            else:
                self.frames.append(_Frame("block"))
            return i
        if word == "DECLARE":
            self.frames.append(_Frame("declare"))
            return i
        if word == "EXCEPTION" and top is not None and top.kind == "block":
            top.handler = True
            return i
        self.broken = True
        return end

    def close(self, what: str) -> None:
        kind = {"IF": "if", "LOOP": "loop", "CASE": "case", "": "block"}[what]
        if not self.frames or self.frames[-1].kind != kind:
            self.broken = True
            return
        frame = self.frames.pop()
        if kind == "if":
            frame.results.append({name: self.state.get(name) for name in frame.branch})
            if not frame.has_else:
                frame.results.append({})  # no branch ran: the values before the IF
            for name, before in frame.before.items():
                self.state[name] = before  # so that an enclosing IF records the value before it
                self._set(name, _merged([branch.get(name, before) for branch in frame.results]))

    def _set(self, name: str, value: list[Variant] | None) -> None:
        """An assignment, recorded in the innermost IF (its other branches and what follows it restore / merge)."""
        for frame in reversed(self.frames):
            if frame.kind == "if":
                frame.before.setdefault(name, self.state.get(name))
                frame.branch.add(name)
                break
        self.state[name] = value

    def _before(self, word: str, i: int, end: int) -> int:
        """Where `word` stands at depth 0 from i on (parentheses, CASE ... END), else breaks the flow."""
        depth = 0
        for m in re.compile(rf"\(|\)|\bCASE\b|\bEND\b|\b{word}\b", re.IGNORECASE).finditer(self.bare, i, end):
            token = m.group(0).upper()
            if token in ("(", "CASE"):
                depth += 1
            elif token in (")", "END"):
                depth -= 1
            elif depth == 0:
                return m.start()
        self.broken = True
        return end

    def _after(self, word: str, i: int, end: int) -> int:
        at = self._before(word, i, end)
        return end if self.broken else at + len(word)

    def statement(self, i: int, end: int) -> None:
        frame = self.frames[-1] if self.frames else None
        m = (_DECLARED if frame is not None and frame.kind == "declare" else _ASSIGN).match(self.bare, i, end)
        if m is not None:
            self._set(m.group(1).lower(), None if self._poisoned() else self.value(m.end(), end))
            return
        m = _EXECUTE.match(self.bare, i, end)
        if m is not None:
            self.execute(m.end(), end, returned=m.group(1) is not None)
        targets = [t.group("targets") for t in _INTO.finditer(self.bare, i, end) if not t.group("insert")]
        if _DIAGNOSTICS.match(self.bare, i, end):
            targets += [t.group(1) for t in _ASSIGN.finditer(self.bare, i, end)]
        for target in (t for each in targets for t in each.split(",")):
            name = _NAME.match(target.strip())  # the statement stores there a value advisor does not know
            if name is not None:
                self._set(name.group(0).lower(), None)

    def execute(self, i: int, end: int, returned: bool) -> None:
        stop = re.search(r"\b(?:INTO|USING)\b", self.bare[i:end], re.IGNORECASE)
        variants = self.value(i, i + stop.start() if stop else end)
        for variant in variants or []:
            self.budget -= _size(variant) + len(variant)
            if self.budget < 0:
                return  # (`q := q || q` repeated, then many EXECUTE q || '...'): not read
            self.out.append(Executed(variant, returned))

    def value(self, i: int, end: int, depth: int = 0) -> list[Variant] | None:
        """The variants of the text expression at [i, end): `||` of literals, known variables, format()."""
        if depth > _MAX_DEPTH:
            return None
        choices = [self._term(a, b, depth) for a, b in _split(self.text, self.bare, i, end, "||")]
        if any(c is None for c in choices) or not choices:
            return None
        count = parts = size = 0
        for c in choices:
            count = max(count, 1) * len(c or [])
            parts += max((len(v) for v in c or []), default=0)
            size += max((_size(v) for v in c or []), default=0)
            if count > _MAX_VARIANTS or parts > _MAX_PARTS or size > _MAX_TEXT:
                return None
        return list(dict.fromkeys(tuple(p for v in combo for p in v) for combo in product(*choices)))  # type: ignore[arg-type]

    def _term(self, i: int, end: int, depth: int) -> list[Variant] | None:
        raw = self.text[i:end]
        literal = _literal(self.text, self.bare, i, end)
        if literal is not None:
            return [literal]
        if _NAME.fullmatch(raw):
            known = self.state.get(raw.lower())
            return known if known is not None else [((None, i),)]
        if raw.startswith("(") and raw.endswith(")") and _closes_at(self.bare, i, end):
            return self.value(i + 1, end - 1, depth + 1)
        call = re.match(r"format\s*\(", raw, re.IGNORECASE)
        if call is not None and _closes_at(self.bare, i + call.end() - 1, end):
            return self._format(i + call.end(), end - 1, depth + 1)
        return [((None, i),)]

    def _format(self, i: int, end: int, depth: int) -> list[Variant] | None:
        args = _split(self.text, self.bare, i, end, ",")
        templates = self.value(*args[0], depth) if args else None
        if not templates:
            return None
        values: list[Part] = []
        for a, b in args[1:]:
            known = self.value(a, b, depth)
            single = known[0] if known and len(known) == 1 and len(known[0]) == 1 else None
            values.append(single[0] if single is not None else (None, a))
        out = []
        for template in templates:
            formatted = _formatted(template, values)
            if formatted is None:
                return None
            out.append(formatted)
        return out


def _merged(values: list[list[Variant] | None]) -> list[Variant] | None:
    """A variable's value after an IF: its variants in any branch; unknown if it is unknown in one."""
    if any(v is None for v in values):
        return None
    merged = list(dict.fromkeys(v for vs in values for v in vs))  # type: ignore[union-attr]
    return merged if len(merged) <= _MAX_VARIANTS else None


def _size(variant: Variant) -> int:
    return sum(len(text) for text, _ in variant if text)


def _split(text: str, bare: str, i: int, end: int, sep: str) -> list[tuple[int, int]]:
    """[i, end) cut at `sep` outside parentheses, each piece without its surrounding blanks."""
    pieces, depth, start, k = [], 0, i, i
    while k < end:
        ch = bare[k]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and bare.startswith(sep, k):
            pieces.append((start, k))
            start = k + len(sep)
            k = start
            continue
        k += 1
    pieces.append((start, end))
    out = []
    for a, b in pieces:  # blanks trimmed by `text`: in `bare` a string is blank too
        a += len(text[a:b]) - len(text[a:b].lstrip())
        b -= len(text[a:b]) - len(text[a:b].rstrip())
        out.append((a, b))
    return [p for p in out if p[0] < p[1]]


def _closes_at(bare: str, open_at: int, end: int) -> bool:
    """The parenthesis at open_at closes at end - 1."""
    depth = 0
    for k in range(open_at, end):
        depth += {"(": 1, ")": -1}.get(bare[k], 0)
        if depth == 0:
            return k == end - 1
    return False


def _literal(text: str, bare: str, i: int, end: int) -> Variant | None:
    """A string literal spanning [i, end) as parts at their offsets ('' read as one quote)."""
    raw = text[i:end]
    if bare[i:end].strip():
        return None  # not one string (its inside is blanked in `bare`)
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        parts: list[Part] = []
        at = i + 1
        while True:
            quote = text.find("''", at, end - 1)
            if quote < 0:
                parts.append((text[at : end - 1], at))
                return tuple(p for p in parts if p[0])
            parts.append((text[at:quote] + "'", at))
            at = quote + 2
    dollar = re.fullmatch(r"(\$(?:[A-Za-z_]\w*)?\$)(.*)\1", raw, re.DOTALL)
    if dollar is not None:
        return ((dollar.group(2), i + len(dollar.group(1))),)
    return None


def _formatted(template: Variant, values: list[Part]) -> Variant | None:
    """format(template, values...): %s and %I as the value's text, %L quoted, %% one percent sign; an
    unknown value stays unknown at its offset.  None when an argument is missing."""
    out: list[Part] = []
    taken = size = 0
    for text, at in template:
        if text is None:
            out.append((text, at))
            continue
        last = 0
        for m in FORMAT_DIRECTIVE.finditer(text):
            out.append((text[last : m.start()], at + last))
            size += m.start() - last + 1
            last = m.end()
            if m.group(2) == "%":
                out.append(("%", at + m.start()))
                continue
            n = int(m.group(1)) - 1 if m.group(1) else taken
            taken = n + 1
            if n >= len(values):
                return None
            value, where = values[n]
            if value is not None and m.group(2) == "L":
                value = "'" + value.replace("'", "''") + "'"
            size += len(value or "")
            if size > _MAX_TEXT or len(out) > _MAX_PARTS:
                return None
            out.append((value, where))
        out.append((text[last:], at + last))
    return tuple(p for p in out if p[0] != "")
