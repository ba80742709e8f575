"""Page script: see :func:`review_ui.views._entries.approvals_page`."""

from __future__ import annotations

from review_ui.common import current_user, show_flash
from review_ui.views._entries import approvals_page


def render() -> None:
    show_flash()
    approvals_page(current_user())


if __name__ == "__main__":
    render()
