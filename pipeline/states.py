"""The document state machine, under the name the pipeline has always used.

The enum and its transition table live in :mod:`storage.states` so that storage can
persist and check states without importing the pipeline (storage sits below it).
"""

from storage.states import (
    ACTIVE_STATES,
    FINAL_STATES,
    LABELS,
    REVIEW_STATES,
    TRANSITIONS,
    DocumentState,
    IllegalTransition,
    can_transition,
    transition,
)

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
