"""Capacity plan: gateway and GPU tasks and their cost at a rate (``python -m benchmarks capacity``)."""
