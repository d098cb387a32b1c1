"""The error every command reports as one clear line and exit 2 (advisor/cli_guard.py).
Its own module, so that the lightest modules (the cache directory) can raise it without
importing the configuration code."""


class ConfigError(Exception):
    """A problem the user can fix (configuration, paths, the cache directory, a database to
    reach), said with the file and key, or the thing, it comes from."""
