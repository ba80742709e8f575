"""Fixtures of the review UI tests (built in :mod:`ui_world`)."""

from ui_world import seeded_template, world

__all__ = ["seeded_template", "world"]
