"""advisor: a query-analysis linter and index advisor."""

__version__ = "0.1.0"
