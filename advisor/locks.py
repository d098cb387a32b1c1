"""Advisory file locks between advisor processes (flock: released by the kernel when a process
dies, however it dies, so a killed run never leaves a lock behind)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class FileLock:
    """A lock on one file, taken shared or exclusive. The file is private (0600) and opened
    without following a symlink."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            try:
                self._fd = os.open(self.path, flags, 0o600)
            except FileNotFoundError:  # its directory removed meanwhile (advisor cache clear): made again
                self.path.parent.mkdir(mode=0o700, exist_ok=True)
                self._fd = os.open(self.path, flags, 0o600)
        return self._fd

    def acquire(self, *, shared: bool = False, wait: bool = True) -> bool:
        """Take the lock; False when `wait` is off and another process holds it. Never a
        conversion (Linux drops the lock held when a conversion fails): release first."""
        assert self._fd is None, "FileLock.acquire while held"
        flags = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB)
        while True:
            try:
                fcntl.flock(self._open(), flags)
            except BaseException as exc:
                self.release()
                if isinstance(exc, BlockingIOError) and not wait:
                    return False
                raise
            if self._same_file():
                return True
            self.release()  # removed (advisor cache clear) while we waited: lock the new file

    def _same_file(self) -> bool:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return False
        assert self._fd is not None
        held = os.fstat(self._fd)
        return (st.st_dev, st.st_ino) == (held.st_dev, held.st_ino)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the lock
            self._fd = None
