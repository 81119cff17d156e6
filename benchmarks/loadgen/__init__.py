"""Streaming load generator for any OpenAI-compatible ``base_url``."""
