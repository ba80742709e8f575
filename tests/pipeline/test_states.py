"""The one document state machine: table-driven, closed, reasons where needed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.states import (
    ACTIVE_STATES,
    FINAL_STATES,
    REVIEW_STATES,
    TRANSITIONS,
    DocumentState,
    IllegalTransition,
    can_transition,
    transition,
)
from storage.states import NEEDS_REASON

S = DocumentState
states = st.sampled_from(list(DocumentState))


def test_every_state_has_a_row_and_a_class() -> None:
    assert set(TRANSITIONS) == set(DocumentState)
    classified = ACTIVE_STATES | REVIEW_STATES | FINAL_STATES
    assert classified == set(DocumentState)
    assert not (ACTIVE_STATES & REVIEW_STATES)
    assert not (REVIEW_STATES & FINAL_STATES)


def test_every_state_is_reachable_from_received() -> None:
    seen, todo = {S.RECEIVED}, [S.RECEIVED]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(DocumentState)


def test_the_happy_path() -> None:
    state = S.RECEIVED
    for target in (S.EXTRACTED, S.PROPOSED, S.BOOKED):
        state = transition(state, target)
    assert state is S.BOOKED


def test_a_booked_document_only_reopens() -> None:
    assert TRANSITIONS[S.BOOKED] == frozenset({S.PROPOSED})
    with pytest.raises(IllegalTransition, match="booked -> received"):
        transition(S.BOOKED, S.RECEIVED)


def test_failure_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        transition(S.RECEIVED, S.FAILED)
    assert transition(S.RECEIVED, S.FAILED, "parser crashed") is S.FAILED


@given(states, states, st.text(min_size=1).filter(str.strip))
def test_transition_agrees_with_the_table(current: S, target: S, reason: str) -> None:
    if can_transition(current, target):
        assert transition(current, target, reason) is target
    else:
        with pytest.raises(IllegalTransition):
            transition(current, target, reason)


@given(st.lists(states, max_size=40))
def test_any_walk_only_takes_legal_steps(targets: list[S]) -> None:
    state = S.RECEIVED
    for target in targets:
        try:
            new = transition(state, target, "because")
        except IllegalTransition:
            assert target not in TRANSITIONS[state]
            continue
        assert target in TRANSITIONS[state]
        state = new
    assert state in TRANSITIONS


@given(states)
def test_states_that_need_a_reason_refuse_blank_ones(target: S) -> None:
    sources = [s for s in DocumentState if target in TRANSITIONS[s]]
    for source in sources:
        if target in NEEDS_REASON:
            with pytest.raises(ValueError):
                transition(source, target, "   ")
        else:
            assert transition(source, target) is target


def test_working_states_are_left_by_the_pipeline() -> None:
    # the reconciler watches ACTIVE_STATES: each must lead somewhere a person sees
    for state in ACTIVE_STATES:
        assert TRANSITIONS[state] & (REVIEW_STATES | FINAL_STATES | ACTIVE_STATES)


def test_a_filed_document_is_kept_not_booked() -> None:
    # contracts, payslips, bank letters: filed from review, never booked from there
    for source in (S.PROPOSED, S.QUARANTINED, S.FAILED, S.REJECTED):
        assert transition(source, S.FILED) is S.FILED
    assert TRANSITIONS[S.FILED] == frozenset({S.RECEIVED})
    assert S.FILED in FINAL_STATES
    with pytest.raises(IllegalTransition):
        transition(S.FILED, S.BOOKED)
    with pytest.raises(IllegalTransition):
        transition(S.BOOKED, S.FILED)
