"""Benchmarks run by ``make bench`` (``python -m bench``): they print numbers, never assert."""
