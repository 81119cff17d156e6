"""Embedding backends, model files and the persistent embedding cache."""
