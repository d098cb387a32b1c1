"""The error every module raises for a problem in the user's configuration or input files."""


class ConfigError(Exception):
    """A configuration problem, with the file and key it comes from."""
