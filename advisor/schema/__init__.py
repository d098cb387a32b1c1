"""Schema models from DDL, createIndex calls, or a live catalog."""
