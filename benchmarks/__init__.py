"""Benchmarks of the RAG gateway stack: load generator, gateway overhead, retrieval quality."""
