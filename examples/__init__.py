"""Runnable example scenarios."""
