"""Facts: what a query does, per table."""
