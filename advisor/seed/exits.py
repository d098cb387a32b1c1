"""What a signal or the end of the process must undo: servers to stop, scratch databases to drop.

SIGTERM (what CI sends on cancel) and SIGHUP run every registered cleanup, then exit 128+signal.
SIGINT stays Python's KeyboardInterrupt: its unwinding closes each target (the callers'
`finally`) and exit runs the rest, while the interactive session keeps Ctrl-C as "stop this query".
"""

from __future__ import annotations

import atexit
import contextlib
import signal
from collections.abc import Callable

_cleanups: dict[int, Callable[[], None]] = {}  # what a signal or exit must undo, by owner id
_handlers_installed = False


def on_exit(owner: object, cleanup: Callable[[], None]) -> None:
    """Run `cleanup` at exit and on SIGTERM/SIGHUP, unless `off_exit(owner)` comes first."""
    _install_handlers()
    _cleanups[id(owner)] = cleanup


def off_exit(owner: object) -> None:
    _cleanups.pop(id(owner), None)


def _run_cleanups() -> None:
    for key in reversed(list(_cleanups)):
        cleanup = _cleanups.pop(key, None)
        if cleanup is not None:
            with contextlib.suppress(Exception):
                cleanup()


def _install_handlers() -> None:
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_run_cleanups)
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(sig)

        def handler(signum, frame, previous=previous):
            signal.signal(signum, signal.SIG_IGN)  # a second TERM does not cut the cleanup short
            _run_cleanups()
            if callable(previous):
                previous(signum, frame)
            raise SystemExit(128 + signum)

        with contextlib.suppress(Exception):
            signal.signal(sig, handler)
