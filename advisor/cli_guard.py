"""The error policy every command shares: known errors are one clear line and exit 2,
unknown ones too (no traceback unless ADVISOR_DEBUG is set); DSN passwords are masked."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

EXIT_ERROR = 2
EXIT_BROKEN_PIPE = 141  # as a shell reports a process SIGPIPE ended (128 + 13)


def fail(message: str) -> NoReturn:
    from advisor.reporters import printable  # names from the repository: no control characters, no `::` lines
    from advisor.secrets import mask  # passwords in DSNs never reach the output

    click.echo(f"advisor: error: {printable(mask(message), newlines=True)}", err=True)
    sys.exit(EXIT_ERROR)


def guard(fn):
    """Known errors become one clear line and exit 2; unknown ones too, without a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from advisor.catalogue import CatalogueError
        from advisor.config import ConfigError

        try:
            return fn(*args, **kwargs)
        except (ConfigError, CatalogueError) as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("advisor: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # the reader went away (`advisor check | head`): nothing left to say, and nobody to say it to;
            # standard output goes to /dev/null so the interpreter's last flush fails quietly too
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001
            if isinstance(exc, ModuleNotFoundError):
                from advisor.extras import missing_extra

                advice = missing_extra(exc)
                if advice:
                    fail(advice)
            if os.environ.get("ADVISOR_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} (set ADVISOR_DEBUG=1 for a traceback)")

    return wrapper
