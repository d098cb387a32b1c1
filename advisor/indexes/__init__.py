"""Index advice: candidates from facts, verification on a seeded database, workload selection."""
