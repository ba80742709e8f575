"""Page script: see :func:`review_ui.views._entries.manual_entry_page`."""

from __future__ import annotations

from review_ui.common import current_user, show_flash
from review_ui.views._entries import manual_entry_page


def render() -> None:
    show_flash()
    manual_entry_page(current_user())


if __name__ == "__main__":
    render()
