"""Callbacks (being written)."""
