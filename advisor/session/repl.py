"""Reading the session's input: prompt_toolkit at a terminal, plain lines from a pipe.

An input is complete when it is a backslash command (one line), or SQL whose
last statement ends with `;` outside strings, comments and dollar quotes (in
Mongo mode: brackets balanced and ending with `)` or `;`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from advisor.session.commands import HELP, Controller

SQL_WORDS = (
    "SELECT",
    "FROM",
    "WHERE",
    "JOIN",
    "LEFT JOIN",
    "ON",
    "GROUP BY",
    "ORDER BY",
    "LIMIT",
    "OFFSET",
    "INSERT INTO",
    "VALUES",
    "UPDATE",
    "SET",
    "DELETE FROM",
    "WITH",
    "AND",
    "OR",
    "NOT",
    "IN",
    "EXISTS",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "IS NULL",
    "DESC",
    "ASC",
    "COUNT",
    "DISTINCT",
    "HAVING",
    "RETURNING",
    "CREATE INDEX",
    "CREATE INDEX ON",
    "USING",
    "INCLUDE",
)


def complete(text: str, mode: str = "sql") -> bool:
    """Whether `text` is a whole input, ready to run."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.startswith("\\"):
        return True
    if mode == "mongo":
        return _balanced(stripped) and stripped[-1] in ");"
    from advisor.sources.sql_files import split_statements

    # the last statement is closed when a marker appended after it starts a statement of its own
    spans = split_statements(text + "\nX")
    return bool(spans) and spans[-1] == (len(text) + 1, len(text) + 2)


def _balanced(text: str) -> bool:
    depth = 0
    quote = None
    escaped = False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth == 0 and quote is None


def inputs(lines: Iterable[str], mode_of) -> Iterator[str]:
    """Complete inputs from a stream of lines (a pipe, a file); what is left at the end, too.

    A complete Mongo shape waits for the next line: mongosh code chains `.sort(...)` on a line of its own."""
    buffer = ""
    for line in lines:
        if buffer.strip() and complete(buffer, mode_of()) and not line.lstrip().startswith("."):
            yield buffer
            buffer = ""
        if not buffer.strip() and line.lstrip().startswith("\\"):
            yield line.strip()
            continue
        buffer += line if line.endswith("\n") else line + "\n"
        if mode_of() != "mongo" and complete(buffer, mode_of()):
            yield buffer
            buffer = ""
    if buffer.strip():
        yield buffer


def run_lines(controller: Controller, lines: Iterable[str]) -> None:
    for text in inputs(lines, lambda: controller.ws.mode):
        if not controller.handle(text):
            break


# --- the terminal ----------------------------------------------------------------------------------


def _completer(controller: Controller):
    from prompt_toolkit.completion import Completer, Completion

    class SessionCompleter(Completer):
        """Commands after a backslash; tables, columns and SQL words elsewhere."""

        def get_completions(self, document, complete_event):
            before = document.text_before_cursor
            word = document.get_word_before_cursor(WORD=True)
            if before.lstrip().startswith("\\") and " " not in before.strip():
                for name, does in HELP + [("\\sql", "back to SQL mode")]:
                    command = name.split()[0]
                    if command.startswith("\\") and command.startswith(word):
                        yield Completion(command, -len(word), display_meta=does)
                return
            word = re.split(r"[^\w]", word)[-1] if word else ""
            if not word:
                return
            quoted = before[: len(before) - len(word)].endswith('"')  # the user opened the quote already
            schema = controller.ws.schema
            names: list[tuple[str, str]] = []
            for table in schema.tables.values():
                names.append((table.name, "table"))
                names += [(c, f"{table.name} column") for c in table.columns]
            names += [(w, "keyword") for w in SQL_WORDS]
            seen = set()
            lower = word.lower()
            for name, meta in names:
                if name.lower().startswith(lower) and name not in seen:
                    seen.add(name)
                    yield Completion(_identifier(name, meta, quoted), -len(word), display=name, display_meta=meta)

    return SessionCompleter()


def _identifier(name: str, meta: str, quoted: bool) -> str:
    """A table or column name as SQL must spell it: mixed case or odd characters need double quotes."""
    if meta == "keyword" or re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    if quoted:
        return name + '"'
    return '"' + name.replace('"', '""') + '"'


def run_terminal(controller: Controller, *, input=None, output=None, history_path=None) -> None:
    """The interactive loop. `input`/`output` are for tests (prompt_toolkit pipe input)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers.javascript import JavascriptLexer
    from pygments.lexers.sql import PostgresLexer

    keys = KeyBindings()

    @keys.add("enter")
    def _(event) -> None:
        buffer = event.current_buffer
        if complete(buffer.text, controller.ws.mode):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @keys.add("escape", "enter")
    def _(event) -> None:  # Alt-Enter runs what is there, complete or not
        event.current_buffer.validate_and_handle()

    history: History = InMemoryHistory()
    if history_path is not None:
        try:
            history_path.parent.mkdir(parents=True, exist_ok=True)
            history = FileHistory(str(history_path))
        except OSError:
            pass
    session: PromptSession[str] = PromptSession(
        history=history,
        key_bindings=keys,
        multiline=True,
        completer=_completer(controller),
        complete_while_typing=False,
        input=input,
        output=output,
        prompt_continuation=lambda width, line, soft: "." * (width - 1) + " ",
    )
    lexers = {"sql": PygmentsLexer(PostgresLexer), "mongo": PygmentsLexer(JavascriptLexer)}
    while True:
        mode = controller.ws.mode
        try:
            text = session.prompt("advisor> " if mode == "sql" else "mongo> ", lexer=lexers[mode])
        except KeyboardInterrupt:  # Ctrl-C at the prompt: drop what was typed
            continue
        except EOFError:  # Ctrl-D
            break
        if not controller.handle(text):
            break
