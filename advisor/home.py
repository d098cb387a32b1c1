"""Where advisor keeps what it caches: results, the rule catalogue, history, seeded databases.

Its own module because the light paths (a warm pre-commit run) need the directory and nothing
of the database code.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    if os.environ.get("ADVISOR_CACHE_DIR"):
        root = Path(os.environ["ADVISOR_CACHE_DIR"])
    elif os.name == "posix" and os.geteuid() == 0:
        import tempfile

        root = Path(tempfile.gettempdir()) / "advisor-cache"  # traversable by the unprivileged server user
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "advisor"
    root.mkdir(parents=True, exist_ok=True)
    if os.name == "posix" and os.geteuid() == 0:
        root.chmod(0o755)  # as root, PostgreSQL runs as another user, which must reach its data here
    return root
