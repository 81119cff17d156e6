"""Query-embedding cost: per query, per batch size, per backend, the gateway's per-request retrieval work."""
