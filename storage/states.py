"""The one document state machine.

Every state change in boekbox goes through :func:`transition`; the table
below is the whole truth about which moves are legal (h11 style: everything
that affects state lives in this file).

A stored mail is itself a document of kind ``mail``: the split step moves it
to ``SPLIT`` (its parts became child documents) or ``NO_ATTACHMENT``.  Files
(PDF, XML, images) go ``RECEIVED → EXTRACTED → PROPOSED`` and wait there for
the accountant, who books or rejects them.

::

    RECEIVED ──split──▶ SPLIT | NO_ATTACHMENT
    RECEIVED ──extract─▶ EXTRACTED ──propose──▶ PROPOSED ──confirm──▶ BOOKED
        │                   │                      │  └──reject──▶ REJECTED
        └──▶ DUPLICATE / QUARANTINED / FAILED ◀────┘
    PROPOSED / QUARANTINED / FAILED / REJECTED ──file under a tag──▶ FILED (not booked)
    any non-final review state ──reprocess / release──▶ RECEIVED
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ACTIVE_STATES",
    "FINAL_STATES",
    "LABELS",
    "REVIEW_STATES",
    "TRANSITIONS",
    "DocumentState",
    "IllegalTransition",
    "can_transition",
    "transition",
]


class DocumentState(StrEnum):
    RECEIVED = "received"
    SPLIT = "split"
    NO_ATTACHMENT = "no_attachment"
    EXTRACTED = "extracted"
    PROPOSED = "proposed"
    BOOKED = "booked"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    FAILED = "failed"
    #: not an invoice (a contract, payslip, bank letter): kept under a tag, never booked
    FILED = "filed"


S = DocumentState

TRANSITIONS: dict[DocumentState, frozenset[DocumentState]] = {
    S.RECEIVED: frozenset(
        {S.SPLIT, S.NO_ATTACHMENT, S.EXTRACTED, S.DUPLICATE, S.QUARANTINED, S.FAILED}
    ),
    S.EXTRACTED: frozenset({S.PROPOSED, S.DUPLICATE, S.QUARANTINED, S.FAILED, S.RECEIVED}),
    S.PROPOSED: frozenset({S.BOOKED, S.REJECTED, S.DUPLICATE, S.RECEIVED, S.FILED}),
    S.BOOKED: frozenset({S.PROPOSED}),
    S.REJECTED: frozenset({S.RECEIVED, S.PROPOSED, S.FILED}),
    S.DUPLICATE: frozenset({S.RECEIVED, S.REJECTED}),
    S.QUARANTINED: frozenset({S.RECEIVED, S.REJECTED, S.FILED}),
    S.FAILED: frozenset({S.RECEIVED, S.REJECTED, S.FILED}),
    S.NO_ATTACHMENT: frozenset({S.RECEIVED, S.REJECTED}),
    S.SPLIT: frozenset({S.RECEIVED}),
    S.FILED: frozenset({S.RECEIVED}),
}

#: States in which the pipeline still owes work (the reconciler watches these).
ACTIVE_STATES: frozenset[DocumentState] = frozenset({S.RECEIVED, S.EXTRACTED})
#: States waiting for a person.
REVIEW_STATES: frozenset[DocumentState] = frozenset(
    {S.PROPOSED, S.NO_ATTACHMENT, S.QUARANTINED, S.FAILED}
)
#: States nothing moves out of without a person asking.
FINAL_STATES: frozenset[DocumentState] = frozenset(
    {S.BOOKED, S.REJECTED, S.DUPLICATE, S.SPLIT, S.FILED}
)

#: UI labels, one place.
LABELS: dict[DocumentState, str] = {
    S.RECEIVED: "Received",
    S.SPLIT: "Mail split",
    S.NO_ATTACHMENT: "No attachment",
    S.EXTRACTED: "Extracted",
    S.PROPOSED: "To review",
    S.BOOKED: "Booked",
    S.REJECTED: "Rejected",
    S.DUPLICATE: "Duplicate",
    S.QUARANTINED: "Quarantined",
    S.FAILED: "Failed",
    S.FILED: "Filed",
}

#: States that need a reason stored with them.
NEEDS_REASON: frozenset[DocumentState] = frozenset(
    {S.FAILED, S.QUARANTINED, S.REJECTED, S.DUPLICATE, S.NO_ATTACHMENT}
)


class IllegalTransition(ValueError):
    """A move the table does not allow."""

    def __init__(self, current: DocumentState, target: DocumentState) -> None:
        super().__init__(f"illegal document state change {current.value} -> {target.value}")
        self.current = current
        self.target = target


def can_transition(current: DocumentState, target: DocumentState) -> bool:
    return target in TRANSITIONS[current]


def transition(
    current: DocumentState, target: DocumentState, reason: str | None = None
) -> DocumentState:
    """Return ``target`` if the move is legal, else raise :class:`IllegalTransition`.

    Moves into a state that needs a reason raise ``ValueError`` without one.
    """
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(current, target)
    if target in NEEDS_REASON and not (reason and reason.strip()):
        raise ValueError(f"state {target.value} needs a reason")
    return target
