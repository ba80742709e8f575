"""The invoicing dataclasses survive a JSON round trip (what storage keeps)."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings

from invoicing.errors import InvalidIdentifier, InvoicingError
from invoicing.issue import issue
from invoicing.model import Customer, InvoiceDraft, IssuedInvoice, Item, Seller
from invoicing.serial import from_json, to_json
from tests.invoicing.invoicing_factories import BE_COMPANY, ISSUE, SELLER, drafts


@settings(max_examples=40, deadline=None)
@given(drafts())
def test_drafts_and_issued_invoices_round_trip(d: InvoiceDraft) -> None:
    seller = dataclasses.replace(SELLER, logo=b"\x89PNG\r\n\x1a\nfake")
    issued = issue(d, seller, dossier_id=4, sequence=3, issue_date=ISSUE, prefix="F")
    for obj, cls in ((d, InvoiceDraft), (issued, IssuedInvoice)):
        text = json.dumps(to_json(obj))
        assert from_json(cls, json.loads(text)) == obj


def test_items_and_customers_round_trip_and_are_checked_again() -> None:
    item = Item("Boek", Decimal("12.50"))
    assert from_json(Item, to_json(item)) == item
    assert from_json(Customer, to_json(BE_COMPANY)) == BE_COMPANY
    assert from_json(Seller, to_json(SELLER)) == SELLER
    stored = to_json(BE_COMPANY)
    stored["vat"] = "BE0202239952"
    with pytest.raises(InvalidIdentifier):
        from_json(Customer, stored)
    del stored["name"]
    with pytest.raises(InvoicingError, match="cannot be read"):
        from_json(Customer, stored)
