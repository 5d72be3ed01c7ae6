"""Batch runners: local process pool (resume by sha256) and Ray."""
