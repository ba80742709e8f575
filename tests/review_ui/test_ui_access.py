"""Access is enforced by the service the UI calls, not by hidden buttons."""

from __future__ import annotations

import pytest
from ui_world import World

from pipeline.service import AccessDenied, ServiceError


def test_entrepreneur_of_a_sees_nothing_of_b(world: World) -> None:
    seed, svc, erik = world.seed, world.service, world.seed.erik
    b, doc_b = seed.dossier_b, seed.other
    assert [d.id for d in svc.dossiers(erik)] == [seed.dossier_a]
    assert [q.dossier_id for q in svc.quotas(erik)] == [seed.dossier_a]
    assert {d for d, _state in svc.state_counts(erik)} == {seed.dossier_a}
    assert doc_b not in {r.id for r in svc.documents(erik, states=["proposed"], kind=None)}
    assert svc.count_documents(erik, kind=None) == 4  # A's four files, nothing of B
    for call in (
        lambda: svc.documents(erik, dossier_id=b),
        lambda: svc.count_documents(erik, dossier_id=b),
        lambda: svc.entries(erik, b),
        lambda: svc.vat_return(erik, b),
        lambda: svc.accounts(erik, b),
        lambda: svc.members(erik, b),
    ):
        with pytest.raises(AccessDenied, match="no access to this dossier"):
            call()
    # a document of B answers like one that does not exist: ids cannot be probed
    for doc_call in (svc.document, svc.document_bytes, svc.page_images, svc.neighbours):
        with pytest.raises(ServiceError, match=f"^document {doc_b} does not exist$") as info:
            doc_call(erik, doc_b)
        assert type(info.value) is ServiceError
    with pytest.raises(ServiceError, match=f"^unknown dossier: {b}$"):
        svc.dossier(erik, b)


def test_entrepreneur_cannot_book_or_reject_even_in_own_dossier(world: World) -> None:
    seed, svc = world.seed, world.service
    for call in (
        lambda: svc.confirm(seed.erik, seed.pdf),
        lambda: svc.reject(seed.erik, seed.pdf, "no"),
        lambda: svc.save_draft(seed.erik, seed.pdf, []),
        lambda: svc.release(seed.erik, seed.broken),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert svc.document(seed.anna, seed.pdf).row.state == "proposed"


def test_accountant_of_a_and_b_cannot_create_dossiers_or_users(world: World) -> None:
    seed, svc = world.seed, world.service
    with pytest.raises(AccessDenied):
        svc.create_dossier(seed.anna, "Sneaky BV")
    with pytest.raises(AccessDenied):
        svc.add_user(seed.anna, "mallory", "pw-pw-pw-pw", "admin")
    with pytest.raises(ServiceError):
        svc.document(seed.anna, 999_999)
