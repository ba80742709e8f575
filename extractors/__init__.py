"""Template-free invoice extraction (pure core)."""
