"""Metrics and the evaluation harness behind ``juesuan evaluate`` and benchmarks/."""
