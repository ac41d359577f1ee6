"""Benchmarks behind ``scnode bench``."""
