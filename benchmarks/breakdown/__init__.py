"""Where a gateway request's CPU goes, step by step, timed in-process (min and p50 resist machine noise)."""
