"""Which files a run checks, and the config that governs each: the paths walked, the excluded
patterns and `.gitignore` honoured, only files an extractor reads kept; and reading one file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from advisor import files as repo_files
from advisor.config import (
    BUILD_OUTPUT,
    CONFIG_FILES,
    DEFAULT_EXCLUDE,
    PACKAGE_MARKERS,
    Config,
    ConfigError,
    find_config,
    load_file,
)
from advisor.ir import code_file
from advisor.options import Options
from advisor.project import Project


def display_path(path: Path) -> str:
    """The path as reports name it: relative to the working directory when inside it; a byte of a name that is
    not UTF-8 written as `\\xff` (such a file is skipped: files.skip_reason), so every report can print it."""
    try:
        rel = os.path.relpath(path, Path.cwd())
    except ValueError:
        rel = ".."
    text = str(path) if rel.startswith("..") else rel
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _marks_a_project(directory: Path) -> bool:
    """A folder whose config file or package marker could make it a project of its own (config.find_config)."""
    return any(os.path.lexists(directory / name) for name in (*CONFIG_FILES, *PACKAGE_MARKERS))


def _spec(config: Config):
    return repo_files.Ignores(config, DEFAULT_EXCLUDE)


def _excluded(spec, config: Config, path: Path) -> bool:
    return spec.ignored(path)


def _supported(path: Path) -> bool:
    """sources.supported, without loading the optional extractors (and the Mongo modules they
    import) for a file a built-in extractor reads: they only ever add suffixes."""
    from advisor import sources

    return path.suffix.lower() in sources.EXTRACTORS or sources.supported(str(path))


def _outside_links(here: Path, dirnames: list[str], roots: tuple[Path, ...]) -> list[tuple[Path, str]]:
    """The directory symlinks that lead out of the project, with why: os.walk does not follow them,
    and a note says so."""
    out = []
    for name in dirnames:
        link = here / name
        reason = repo_files.skip_reason(link, roots, 0) if link.is_symlink() else None
        if reason and "outside" in reason:
            out.append((link, reason))
    return out


def default_paths(options: Options) -> list[str]:
    """What a command checks when its command line names no path: the config's `paths`, relative to the
    project root and inside it (unless --allow-outside), else the current directory."""
    config = load_file(Path(options.config)) if options.config else find_config(Path.cwd())
    if config is None or config.paths is None:
        return ["."]
    config.allow_outside = options.allow_outside
    return [str(repo_files.inside_root(config, "paths", value)) for value in config.paths]


def collect(paths: Iterable[str], options: Options) -> list[Project]:
    """Group the files to check by the config that governs them."""
    explicit = load_file(Path(options.config)) if options.config else None
    if options.config and explicit is None:
        raise ConfigError(f"{options.config}: no [tool.advisor] section")
    projects: dict[Path | None, Project] = {}
    configs: dict[Path, Config] = {}
    specs: dict[int, object] = {}
    named: dict[int, set[Path]] = {}  # per config: its schema files, checked as SQL whatever their suffix

    def config_for(directory: Path, top: Path | None = None) -> Config:
        if explicit is not None:
            explicit.allow_outside = options.allow_outside
            return explicit
        if directory not in configs:
            parent = directory.parent
            if top is not None and directory != top and parent in configs and not _marks_a_project(directory):
                configs[directory] = configs[parent]  # what find_config would find again, one folder up at a time
            else:
                configs[directory] = find_config(directory, top)
                configs[directory].allow_outside = options.allow_outside
        return configs[directory]

    def spec_for(config: Config):
        if id(config) not in specs:  # built once per config (setdefault would build it per file)
            specs[id(config)] = _spec(config)
        return specs[id(config)]

    def schema_file(config: Config, path: Path) -> bool:
        if id(config) not in named:
            named[id(config)] = repo_files.named_schema_files(config)
        return Path(os.path.realpath(path)) in named[id(config)]

    def add(path: Path, top: Path | None = None) -> None:
        config = config_for(path.parent, top)
        if _excluded(spec_for(config), config, path) or not (_supported(path) or schema_file(config, path)):
            return
        if top is not None and repo_files.is_test_path(config.test_paths, path, top):
            return
        project = projects.setdefault(config.source or config.root, Project(config))
        # a file named on the command line is the user's choice; one found by walking must stay inside
        roots = (config.root.resolve(), Path(os.path.realpath(top))) if top is not None else (Path("/"),)
        reason = repo_files.skip_reason(path, roots, config.max_file_size)
        if reason and repo_files.built_bundle(path, reason):
            return  # built code over the size limit: never read, as a smaller bundle is not (files.minified)
        (project.skipped.append((path, reason)) if reason else project.files.append(path))

    builds: dict[object, list[Path]] = {}  # project -> the build folders the default exclude skipped
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ConfigError(f"{raw}: no such file or directory")
        if not path.is_dir():
            add(path)
            continue
        for directory, dirnames, filenames in os.walk(path):
            here = Path(directory)
            config = config_for(here, path)
            spec = spec_for(config)
            for d in dirnames:
                if d in BUILD_OUTPUT and _excluded(spec, config, here / d):
                    builds.setdefault(config.source or config.root, []).append(here / d)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not _excluded(spec, config, here / d)
                and not repo_files.is_test_path(config.test_paths, here / d, path)
            )
            links = _outside_links(here, dirnames, (config.root.resolve(), Path(os.path.realpath(path))))
            if links:
                projects.setdefault(config.source or config.root, Project(config)).skipped += links
            for name in sorted(filenames):
                add(here / name, path)
    for key, project in projects.items():
        project.files = without_build_twins(sorted(set(project.files)), project.config.max_file_size)
        project.skipped += _only_built(project.files, builds.get(key, []))
        project.skipped = sorted(set(project.skipped))
    return list(projects.values())


BUILD_ONLY = "the package's code is in"


def _only_built(files: list[Path], builds: list[Path]) -> list[tuple[Path, str]]:
    """When the project's only code is in the build folders the default `exclude` skips (a package that ships only
    its build, `dist/index.js`), the first code file there, and why it was not read: said once, so a run that
    checked nothing does not pass for one that found nothing."""
    if not builds or any(code_file(str(f), runs=True) and not _within(f, builds) for f in files):
        return []
    for build in sorted(builds):
        for directory, dirnames, filenames in os.walk(build):
            dirnames.sort()
            code = next((Path(directory) / n for n in sorted(filenames) if code_file(n, runs=True)), None)
            if code is not None:
                folder = build.name
                return [
                    (
                        code,
                        f"{BUILD_ONLY} {folder}/, a build's output advisor skips by default "
                        f'(exclude = ["!{folder}/"] in advisor.toml checks a package that ships only its build)',
                    )
                ]
    return []


def _within(path: Path, folders: list[Path]) -> bool:
    return any(folder in path.parents for folder in folders)


_TWINS = {".cjs": (".js", ".mjs")}  # a CommonJS build beside its ES module build
# a CommonJS build in a folder of its own beside the ES module build's (`dist/cjs/x.cjs`, `dist/esm/x.js`)
_TWIN_FOLDERS = {"cjs": ("esm", "es", "mjs", "module"), "commonjs": ("esm", "es", "module")}
_BUILD_DIRS = ("lib", "dist", "build", "out")  # where a package's compiled copy of src/ goes (babel, tsc)
_SOURCES = (".js", ".ts", ".mjs", ".tsx", ".jsx")
_MODULE_FILE = re.compile(r"\.(?:c|m)?js$")
_LITERAL = re.compile(r"""'(?:[^'\\\n]|\\.){4,}'|"(?:[^"\\\n]|\\.){4,}"|`[^`]{4,}`""")


def without_build_twins(paths: list[Path], limit: int) -> list[Path]:
    """The files, less each build whose source is there too: a CommonJS bundle beside its ES module twin
    (`index.cjs` beside `index.js`), a compiled copy beside the module it was compiled from (`lib/api/x.js` beside
    `src/api/x.js` or `.ts`, as babel and tsc write them). A package that ships both has the same code twice, and
    every finding in it would be reported twice, the build's at lines no one edits. Twins are judged by their text:
    the build must hold nearly every string literal of its source (its queries), so a hand-written file that only
    shares a name is still read."""
    present = set(paths)
    kept = []
    for path in paths:
        twins = [path.with_suffix(s) for s in _TWINS.get(path.suffix.lower(), ())] + _compiled_from(path)
        twins += _module_build_of(path)
        twin = next((t for t in twins if t in present), None)
        if twin is None or not _same_literals(path, twin, limit):
            kept.append(path)
    return kept


def _module_build_of(path: Path) -> list[Path]:
    """The ES module build a CommonJS build's file may repeat: the same path under the sibling folder of the ES build."""
    if path.suffix.lower() not in (".js", ".cjs"):
        return []
    parts = path.parts
    out = []
    for i, part in enumerate(parts[:-1]):
        for sibling in _TWIN_FOLDERS.get(part, ()):
            twin = Path(*parts[:i], sibling, *parts[i + 1 :])
            out += [twin.with_suffix(s) for s in (".js", ".mjs")]
    return out


def _compiled_from(path: Path) -> list[Path]:
    """The sources a `.js` under a build folder may be compiled from: the same path under `src/` beside it."""
    if path.suffix.lower() not in (".js", ".cjs", ".mjs"):
        return []
    parts = path.parts
    out = []
    for i, part in enumerate(parts[:-1]):
        if part in _BUILD_DIRS:
            source = Path(*parts[:i], "src", *parts[i + 1 :])
            out += [source.with_suffix(s) for s in _SOURCES]
    return out


def _same_literals(path: Path, twin: Path, limit: int) -> bool:
    mine_text, their_text = (repo_files.read_text(p, limit)[0] for p in (path, twin))
    if mine_text is None or their_text is None:
        return False
    # their contents: a compiler may quote them its own way (tsc's CommonJS build writes "x" where the source has 'x'),
    # and name the modules it requires by their built files ("../mongoose.cjs" for '../mongoose')
    mine, theirs = ({_MODULE_FILE.sub("", m[1:-1]) for m in _LITERAL.findall(t)} for t in (mine_text, their_text))
    # the CommonJS build holds the module's literals and some interop boilerplate of its own
    return bool(theirs) and len(mine & theirs) >= 0.9 * len(theirs) and len(mine) <= 1.5 * len(theirs) + 10


def read_text(path: Path, limit: int) -> tuple[str | None, str | None]:
    return repo_files.read_text(path, limit)
