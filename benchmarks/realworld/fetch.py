"""Download and unpack the real-world corpus (benchmarks/realworld/manifest.toml).

    python benchmarks/realworld/fetch.py [--only NAME ...]

Each project is fetched from its registry at its pinned version (PyPI sdists through
`pip download --no-deps --no-binary NAME` (the sdist; build tools may come as wheels), npm tarballs through `npm pack`), unpacked into
$ADVISOR_REALWORLD (default /work/realworld)/<name>/, and given the minimal `advisor.toml` a
new user would write (the manifest's `config`). Idempotent: a project already unpacked at
its pinned version is left alone (its advisor.toml is rewritten if the manifest changed).
Nothing here is committed: the cache lives outside the repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.toml"
MARKER = ".realworld-version"


def cache_dir() -> Path:
    return Path(os.environ.get("ADVISOR_REALWORLD", "/work/realworld"))


@dataclass(frozen=True)
class Project:
    name: str
    registry: str  # "pypi" | "npm"
    package: str
    version: str
    kind: str  # "sql" | "mongo"
    what: str
    config: dict
    nonapp: tuple[str, ...] = ()
    notes: str = ""
    holdout: bool = False  # added after the rules were tuned: its first run measured code advisor had not seen
    python: str = ""  # the Python its sdist requires when newer than this one's (`requires-python >= 3.12`)
    # a pin for the tools that build its sdist's metadata (`setuptools<70` for a setup.py importing pkg_resources)
    build: str = ""
    # the sdist's own address on the index, for one `NAME==VERSION` cannot fetch (a setup.py that versions itself
    # from git builds as `0.15.3+dev.unknown`, which pip then refuses); its sha256 is part of the address
    url: str = ""

    @property
    def root(self) -> Path:
        return cache_dir() / self.name


def load_manifest(path: Path = MANIFEST) -> tuple[list[Project], tuple[str, ...]]:
    """The projects, and the path patterns that are never application code."""
    data = tomllib.loads(path.read_text())
    projects = []
    for p in data["project"]:
        projects.append(Project(
            name=p["name"], registry=p["registry"], package=p.get("package", p["name"]),
            version=p["version"], kind=p["kind"], what=p.get("what", ""), config=p.get("config", {}),
            nonapp=tuple(p.get("nonapp", ())), notes=p.get("notes", ""),
            holdout=bool(p.get("holdout", False)), python=p.get("python", ""), build=p.get("build", ""),
            url=p.get("url", ""),
        ))
    return projects, tuple(data.get("nonapp", ()))


def toml_text(config: dict) -> str:
    """A flat advisor.toml (strings, lists of strings, booleans, numbers)."""
    lines = ["# written by benchmarks/realworld/fetch.py: the minimal config a new user would write"]
    for key, value in config.items():
        if isinstance(value, dict):
            continue
        lines.append(f"{key} = {_value(value)}")
    for key, value in config.items():
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            lines.extend(f"{k} = {_value(v)}" for k, v in value.items())
    return "\n".join(lines) + "\n"


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(_value(x) for x in v) + "]"


def download(p: Project, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    if p.registry == "pypi":
        stem = f"{p.package}-{p.version}".lower().replace("_", "-")
        for f in dest.iterdir():
            if f.name.lower().replace("_", "-").startswith(stem) and f.name.endswith((".tar.gz", ".zip")):
                return f
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as pins:
            newer = ["--python-version", p.python, "--only-binary=:none:"] if p.python else []
            env = dict(os.environ)
            if p.build:  # the build environment pip makes for the sdist honours PIP_CONSTRAINT
                (Path(pins) / "build.txt").write_text(p.build + "\n")
                env["PIP_CONSTRAINT"] = str(Path(pins) / "build.txt")
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", p.package,
                            *newer, p.url or f"{p.package}=={p.version}", "-d", tmp], check=True, env=env)
            (got,) = list(Path(tmp).iterdir())
            return Path(shutil.move(str(got), dest / got.name))
    if p.registry == "npm":
        stem = p.package.lstrip("@").replace("/", "-") + f"-{p.version}.tgz"
        if (dest / stem).exists():
            return dest / stem
        subprocess.run(["npm", "pack", "--silent", "--ignore-scripts", f"{p.package}@{p.version}",
                        "--pack-destination", str(dest)], check=True, stdout=subprocess.DEVNULL)
        return dest / stem
    raise SystemExit(f"{p.name}: unknown registry {p.registry!r}")


def unpack(archive: Path, root: Path) -> None:
    """Unpack into root, dropping the archive's single top-level directory."""
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}-"))
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)
        else:
            with tarfile.open(archive) as t:
                t.extractall(tmp, filter="data")
        tops = list(tmp.iterdir())
        top = tops[0] if len(tops) == 1 and tops[0].is_dir() else tmp
        if root.exists():
            shutil.rmtree(root)
        shutil.move(str(top), root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fetch(p: Project) -> str:
    root = p.root
    marker = root / MARKER
    if not (marker.exists() and marker.read_text().strip() == f"{p.registry}:{p.package}=={p.version}"):
        archive = download(p, cache_dir() / "_downloads")
        unpack(archive, root)
        marker.write_text(f"{p.registry}:{p.package}=={p.version}\n")
        state = "fetched"
    else:
        state = "cached"
    cfg = root / "advisor.toml"
    if not p.config:  # nothing a new user would set: no file, advisor's defaults
        cfg.unlink(missing_ok=True)
        return state
    text = toml_text(p.config)
    if not cfg.exists() or cfg.read_text() != text:
        cfg.write_text(text)
    return state


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="project names")
    ap.add_argument("-j", "--jobs", type=int, default=4)
    args = ap.parse_args(argv)
    projects, _ = load_manifest()
    if args.only:
        projects = [p for p in projects if p.name in args.only]
    cache_dir().mkdir(parents=True, exist_ok=True)
    failed = 0

    def one(p: Project) -> None:
        nonlocal failed
        try:
            sys.stdout.write(f"{p.name:24} {p.registry}:{p.package}=={p.version} {fetch(p)}\n")
        except Exception as exc:  # noqa: BLE001 - report every project, go on
            failed += 1
            sys.stdout.write(f"{p.name:24} FAILED: {exc}\n")

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(one, projects))
    print(f"{len(projects) - failed} projects in {cache_dir()}" + (f", {failed} FAILED" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
