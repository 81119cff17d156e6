"""Capacity plan: gateway and GPU tasks, and their cost, for a request rate (``python -m benchmarks capacity``)."""
