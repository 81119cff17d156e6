"""Search at scale: a synthetic multi-million-chunk corpus from a real index, measured per index type."""
