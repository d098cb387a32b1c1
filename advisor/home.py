"""Where advisor keeps what it caches: results, the rule catalogue, history, seeded databases.

One private directory per user, root included: $ADVISOR_CACHE_DIR, else $XDG_CACHE_HOME/advisor,
else ~/.cache/advisor. It is created 0700 and used only when it is a real directory (not a
symlink) owned by the current user that no one else may write; otherwise advisor refuses it
with one clear line, since anything found there is trusted (cached findings, seeded databases).
Inside it, nothing is read or removed through a symlink (see `remove_tree`, and the records
of advisor/cache.py, opened with O_NOFOLLOW).

Its own module because the light paths (a warm pre-commit run) need the directory and nothing
of the database code.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from advisor.errors import ConfigError


class CacheError(ConfigError):
    """A cache directory advisor will not use, with what is wrong with it."""


def cache_root() -> Path:
    if os.environ.get("ADVISOR_CACHE_DIR"):
        root = Path(os.environ["ADVISOR_CACHE_DIR"])
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "advisor"
    private_dir(root.absolute())
    return root


def private_dir(path: Path, owner: int | None = None, mode: int = 0o700) -> Path:
    """`path` as a directory only `owner` (default: us) may write: made with `mode` when missing
    (parents too), else verified -- a real directory, owned by `owner`, not writable by group or
    others -- and its mode set to `mode`. CacheError otherwise."""
    uid = os.geteuid() if owner is None else owner
    try:
        os.mkdir(path, mode)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.mkdir(path, mode)
    except FileExistsError:
        pass
    except OSError as exc:
        raise CacheError(f"cannot create the cache directory {path}: {exc.strerror}") from None
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise CacheError(
            f"the cache directory {path} is a symlink or not a directory: refused (remove it, or set ADVISOR_CACHE_DIR)"
        )
    if st.st_uid not in (os.geteuid(), uid):
        raise CacheError(
            f"the cache directory {path} belongs to uid {st.st_uid}, not to uid {uid}: "
            "refused (remove it, or set ADVISOR_CACHE_DIR)"
        )
    if st.st_mode & 0o022:
        raise CacheError(
            f"the cache directory {path} is writable by others (mode {stat.S_IMODE(st.st_mode):o}): "
            "refused (remove it, or set ADVISOR_CACHE_DIR)"
        )
    if uid != st.st_uid:
        os.chown(path, uid, -1)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode)
    return path


def remove_tree(path: Path) -> None:
    """Remove a file or a directory tree without following any symlink in it (nor `path` itself,
    when it is one: the link goes, not what it points to)."""
    import shutil

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        assert shutil.rmtree.avoids_symlink_attacks or os.name != "posix"
        shutil.rmtree(path, ignore_errors=True)  # the fd-based variant: never leaves the tree
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def tree_size(path: Path) -> int:
    """Bytes in a tree, symlinks not followed."""
    total = 0
    for directory, dirnames, filenames in os.walk(path):  # os.walk does not follow symlinked directories
        for name in filenames + dirnames:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                pass
    return total
