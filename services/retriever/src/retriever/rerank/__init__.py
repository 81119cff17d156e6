"""Second-stage rerankers over the fused candidates of a search."""
