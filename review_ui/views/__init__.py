"""One module per page; each exposes ``render()`` (see :mod:`review_ui.nav`)."""
