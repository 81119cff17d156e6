"""OpenAI-compatible RAG gateway over SEC 10-K filings."""
