"""A project: the files one config governs, their extracted queries and the schema they assemble.

`advisor.discovery.collect` finds the projects of some paths (config and files only);
`advisor.loader.load` reads and extracts the files and assembles the schema.  Every
command works on a loaded `Project`: `advisor check` (advisor/engine.py), `advisor explain`,
`advisor indexes` and `advisor seed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from advisor.config import Config
from advisor.ir import Schema, SourceFile, SqlQuery


@dataclass
class Project:
    config: Config
    files: list[Path] = field(default_factory=list)  # the files to check, sorted
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # not read (advisor/files.py), with why
    sources: list[SourceFile] = field(default_factory=list)  # one per file, once loaded
    schema: Schema = field(default_factory=Schema)  # from the schema files and the checked files, once loaded
    schema_queries: list[SqlQuery] = field(default_factory=list)  # the statements of the schema files

    @property
    def sql_queries(self) -> list[SqlQuery]:
        return [q for s in self.sources for q in s.queries if isinstance(q, SqlQuery)]

    @property
    def other_queries(self) -> list:
        """The MongoDB query shapes of the checked files."""
        return [q for s in self.sources for q in s.queries if not isinstance(q, SqlQuery)]
