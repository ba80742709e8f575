"""Who is a client of a dossier, and marking what a client booked (shared by the booking
capabilities: :mod:`.bookings` for documents, :mod:`.entries` for entries by hand).

A *client* is a member of the dossier whose membership role is not ``accountant`` and
who is not an admin.  What a client books waits for the accountant's approval.
"""

from __future__ import annotations

from typing import Any

from pipeline.service.core import UserView
from storage import repo, rights
from storage.models import JournalEntry

__all__ = ["is_client", "mark_booked"]


def is_client(s: Any, user: UserView, dossier_id: int) -> bool:
    if user.id is None:
        return False  # the system itself (CLI, pipeline)
    stored = repo.user_access(s, user.id)
    if stored is not None and stored[0] == "admin":
        return False
    member = rights.get_membership(s, user.id, dossier_id)
    return member is None or member.role != "accountant"


def mark_booked(s: Any, user: UserView, entry: JournalEntry) -> None:
    """Called when an entry is booked: a client's booking waits for approval; the
    accountant booking it again (after sending it back) settles it."""
    if is_client(s, user, entry.dossier_id):
        entry.by_client = True
        entry.approval = "waiting"
    elif entry.approval in ("waiting", "returned"):
        entry.approval = "approved"
