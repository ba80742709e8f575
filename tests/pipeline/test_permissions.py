"""Every service method against every permission, from one table.

Each public method of :class:`pipeline.service.Service` declares the permission it
needs in the dossier it touches (``@requires``, collected in ``REQUIRED``).  This test
holds one call per method (``CALLS``; a new method without a row here fails the first
test) and checks, on SQLite and PostgreSQL, that

* a member holding every permission *but* the declared one is refused
  (``AccessDenied``; for ``view``: a non-member, who is refused or sees nothing);
* a member holding only ``view`` and the declared permission is not refused for
  lack of rights (the call may still be refused on its merits).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from helpers import CORPUS, dossier, run_all

from pipeline.runtime import Runtime
from pipeline.service import (
    REQUIRED,
    SYSTEM,
    AccessDenied,
    Permission,
    Service,
    ServiceError,
    UserView,
)
from pipeline.steps import NextStep

P = Permission
UBL = CORPUS / "ubl" / "cen_BIS3_Invoice_positive.xml"


@dataclass(frozen=True)
class Ctx:
    dossier: int
    doc: int
    supplier: int


Call = Callable[[Service, UserView, Ctx], Any]

#: method -> a call of it on the seeded dossier (``view`` calls marked "hidden" return
#: data across the caller's dossiers: a non-member must simply not see this dossier's)
CALLS: dict[str, Call] = {
    # view
    "accounts": lambda s, u, c: s.accounts(u, c.dossier),
    "alerts": lambda s, u, c: s.alerts(u, c.dossier),
    "count_documents": lambda s, u, c: s.count_documents(u, dossier_id=c.dossier),
    "document": lambda s, u, c: s.document(u, c.doc),
    "document_bytes": lambda s, u, c: s.document_bytes(u, c.doc),
    "documents": lambda s, u, c: s.documents(u, dossier_id=c.dossier),
    "dossier": lambda s, u, c: s.dossier(u, c.dossier),
    "dossiers": lambda s, u, c: [d.id for d in s.dossiers(u)],
    "intake": lambda s, u, c: s.intake(u, c.dossier),
    "members": lambda s, u, c: s.members(u, c.dossier),
    "my_permissions": lambda s, u, c: s.my_permissions(u, c.dossier),
    "neighbours": lambda s, u, c: s.neighbours(u, c.doc),
    "page_image": lambda s, u, c: s.page_image(u, c.doc),
    "page_images": lambda s, u, c: s.page_images(u, c.doc),
    "quotas": lambda s, u, c: [q.dossier_id for q in s.quotas(u)],
    "review_queue_count": lambda s, u, c: s.review_queue_count(u),
    "state_counts": lambda s, u, c: [d for d, _ in s.state_counts(u)],
    "stats": lambda s, u, c: s.stats(u),
    "suppliers": lambda s, u, c: s.suppliers(u, c.dossier),
    "upload_progress": lambda s, u, c: s.upload_progress(u, c.dossier, [c.doc]),
    "search_documents": lambda s, u, c: s.search_documents(u, c.dossier),
    "document_tags": lambda s, u, c: s.document_tags(u, c.dossier),
    "document_filing": lambda s, u, c: s.document_filing(u, c.doc),
    "storage_use": lambda s, u, c: s.storage_use(u, c.dossier),
    "firm_overview": lambda s, u, c: [r.dossier_id for r in s.firm_overview(u)],
    # upload
    "ingest": lambda s, u, c: s.ingest(u, c.dossier, b"%PDF-1.4\n%%EOF\n", "probe.pdf"),
    "upload": lambda s, u, c: s.upload(u, c.dossier, b"%PDF-1.4\n%%EOF\n", "probe.pdf"),
    "file_document": lambda s, u, c: s.file_document(u, c.doc, "contracts"),
    # view the books
    "entries": lambda s, u, c: s.entries(u, c.dossier),
    "vat_return": lambda s, u, c: s.vat_return(u, c.dossier),
    "vat_export": lambda s, u, c: s.vat_export(u, c.dossier, "2026-01"),
    "trial_balance": lambda s, u, c: s.trial_balance(u, c.dossier),
    "account_ledger": lambda s, u, c: s.account_ledger(u, c.dossier, "400000"),
    "journal_entry": lambda s, u, c: s.journal_entry(u, c.dossier, 10**6),
    "journals": lambda s, u, c: s.journals(u, c.dossier),
    "journal_codes": lambda s, u, c: s.journal_codes(u, c.dossier),
    "vat_periods": lambda s, u, c: s.vat_periods(u, c.dossier),
    "vat_listing": lambda s, u, c: s.vat_listing(u, c.dossier, "2026-01"),
    "vat_returns": lambda s, u, c: s.vat_returns(u, c.dossier),
    "counterparty_history": lambda s, u, c: s.counterparty_history(u, c.dossier, "customers"),
    "ageing": lambda s, u, c: s.ageing(u, c.dossier, "suppliers"),
    "measure": lambda s, u, c: s.measure(u, c.dossier, "60-61", "2026-01", "2026-12"),
    "dashboard": lambda s, u, c: s.dashboard(u, c.dossier),
    "own_charts": lambda s, u, c: s.own_charts(u, c.dossier),
    "add_own_chart": lambda s, u, c: s.add_own_chart(u, c.dossier, "C", "60", "2026-01", "2026-02"),
    "delete_own_chart": lambda s, u, c: s.delete_own_chart(u, c.dossier, 10**6),
    "books_export": lambda s, u, c: s.books_export(u, c.dossier, "trial_balance", "csv"),
    # book purchases
    "confirm": lambda s, u, c: s.confirm(u, c.doc),
    "confirm_iban": lambda s, u, c: s.confirm_iban(u, c.doc, "BE71096123456769"),
    "correct_field": lambda s, u, c: s.correct_field(u, c.doc, "invoice_number", "X-1"),
    "mark_duplicate": lambda s, u, c: s.mark_duplicate(u, c.doc, c.doc),
    "draft_entry": lambda s, u, c: s.draft_entry(u, c.doc),
    "set_rate": lambda s, u, c: s.set_rate(u, c.doc, "1,08"),
    "mark_same_invoice": lambda s, u, c: s.mark_same_invoice(u, c.doc),
    "reject": lambda s, u, c: s.reject(u, c.doc, "probe"),
    "release": lambda s, u, c: s.release(u, c.doc),
    "reopen": lambda s, u, c: s.reopen(u, c.doc),
    "reprocess": lambda s, u, c: s.reprocess(u, c.doc),
    "save_draft": lambda s, u, c: s.save_draft(u, c.doc, []),
    "set_supplier_policy": lambda s, u, c: s.set_supplier_policy(u, c.supplier, autobook="never"),
    # close periods
    "purge_junk": lambda s, u, c: s.purge_junk(u, c.dossier, [c.doc]),
    # manage users
    "add_member": lambda s, u, c: s.add_member(u, c.dossier, "target", "client_portal"),
    "remove_member": lambda s, u, c: s.remove_member(u, c.dossier, "target"),
    "rights": lambda s, u, c: s.rights(u, c.dossier),
    "rights_history": lambda s, u, c: s.rights_history(u, c.dossier),
    "set_rights": lambda s, u, c: s.set_rights(u, c.dossier, "target", permissions=["view"]),
    # invoice (ids of invoices, customers, items that do not exist answer "does not exist")
    "invoicing_settings": lambda s, u, c: s.invoicing_settings(u, c.dossier),
    "set_invoicing_settings": lambda s, u, c: s.set_invoicing_settings(u, c.dossier, prefix="F"),
    "customers": lambda s, u, c: s.customers(u, c.dossier),
    "customer": lambda s, u, c: s.customer(u, c.dossier, 10**6),
    "create_customer": lambda s, u, c: s.create_customer(u, c.dossier, _CUSTOMER),
    "update_customer": lambda s, u, c: s.update_customer(u, c.dossier, 10**6, {"city": "Gent"}),
    "delete_customer": lambda s, u, c: s.delete_customer(u, c.dossier, 10**6),
    "import_customers": lambda s, u, c: s.import_customers(u, c.dossier, b"name;country\nX;BE\n"),
    "export_customers_csv": lambda s, u, c: s.export_customers_csv(u, c.dossier),
    "items": lambda s, u, c: s.items(u, c.dossier),
    "create_item": lambda s, u, c: s.create_item(
        u, c.dossier, {"description": "A", "unit_price": 1}
    ),
    "update_item": lambda s, u, c: s.update_item(u, c.dossier, 10**6, {"unit_price": 2}),
    "delete_item": lambda s, u, c: s.delete_item(u, c.dossier, 10**6),
    "create_draft": lambda s, u, c: s.create_draft(u, c.dossier, {"customer_id": 10**6}),
    "update_draft": lambda s, u, c: s.update_draft(u, 10**6, {}),
    "delete_draft": lambda s, u, c: s.delete_draft(u, 10**6),
    "preview_totals": lambda s, u, c: s.preview_totals(u, c.dossier, {"customer_id": 10**6}),
    "issue": lambda s, u, c: s.issue(u, 10**6),
    "credit_note": lambda s, u, c: s.credit_note(u, 10**6),
    "invoices": lambda s, u, c: s.invoices(u, c.dossier),
    "invoice": lambda s, u, c: s.invoice(u, 10**6),
    "invoice_pdf": lambda s, u, c: s.invoice_pdf(u, 10**6),
    "invoice_ubl": lambda s, u, c: s.invoice_ubl(u, 10**6),
    "send": lambda s, u, c: s.send(u, 10**6),
    "sends": lambda s, u, c: s.sends(u, 10**6),
    "open_items": lambda s, u, c: s.open_items(u, c.dossier),
    "run_reminders": lambda s, u, c: s.run_reminders(u, c.dossier, dry_run=True),
    # manage payments
    "mark_paid": lambda s, u, c: s.mark_paid(u, 10**6),
    "import_coda": lambda s, u, c: s.import_coda(u, c.dossier, b"not a CODA file"),
    "unmatched_movements": lambda s, u, c: s.unmatched_movements(u, c.dossier),
    "match_movement": lambda s, u, c: s.match_movement(u, 10**6, ignore=True),
    "book_movement": lambda s, u, c: s.book_movement(u, 10**6, "657000"),
    # book sales
    "book_invoice": lambda s, u, c: s.book_invoice(u, 10**6),
    # the archive (pipeline/service/archive.py)
    "retention": lambda s, u, c: s.retention(u, c.doc),
    "set_legal_hold": lambda s, u, c: s.set_legal_hold(u, c.dossier, False),
    "purge": lambda s, u, c: s.purge(u, c.dossier, dry_run=True),
    "purge_log": lambda s, u, c: s.purge_log(u, c.dossier),
    "export_dossier": lambda s, u, c: s.export_dossier(u, c.dossier, "/nonexistent-dir/x.zip"),
    # entries by hand, bookyears, period locks, approvals (pipeline/service/entries.py)
    "journal_list": lambda s, u, c: s.journal_list(u, c.dossier),
    "period_locks": lambda s, u, c: s.period_locks(u, c.dossier),
    "bookyears": lambda s, u, c: s.bookyears(u, c.dossier),
    "client_bookings": lambda s, u, c: s.client_bookings(u, c.dossier),
    "waiting_approval": lambda s, u, c: s.waiting_approval(u, c.dossier),
    "add_manual_entry": lambda s, u, c: s.add_manual_entry(
        u, c.dossier, "misc", _MARCH_31, [_MISC_DEBIT, _MISC_CREDIT]
    ),
    "add_account": lambda s, u, c: s.add_account(u, c.dossier, "550000", "Bank"),
    "import_opening": lambda s, u, c: s.import_opening(u, c.dossier, "2019", _TRIAL),
    "lock_periods": lambda s, u, c: s.lock_periods(u, c.dossier, "2020-12"),
    "unlock_period": lambda s, u, c: s.unlock_period(u, c.dossier, "2020-12"),
    "create_bookyear": lambda s, u, c: s.create_bookyear(u, c.dossier),
    "approve_booking": lambda s, u, c: s.approve_booking(u, 10**6),
    "return_booking": lambda s, u, c: s.return_booking(u, 10**6, "the VAT rate is wrong"),
    # analytical accounting (pipeline/service/analytics.py)
    "analytic_dimensions": lambda s, u, c: s.analytic_dimensions(u, c.dossier),
    "add_dimension": lambda s, u, c: s.add_dimension(u, c.dossier, "probe", ["X1"]),
    "deactivate_analytic": lambda s, u, c: s.deactivate_analytic(u, c.dossier, "probe"),
    "line_distributions": lambda s, u, c: s.line_distributions(u, _entry_id(s, c)),
    "distribute": lambda s, u, c: s.distribute(u, _entry_id(s, c), 1, [("X1", "100")]),
    "analytic_report": lambda s, u, c: s.analytic_report(u, c.dossier, "probe"),
    "analytic_report_csv": lambda s, u, c: s.analytic_report_csv(u, c.dossier, "probe"),
    "analytic_report_xlsx": lambda s, u, c: s.analytic_report_xlsx(u, c.dossier, "probe"),
    # the Peppol-mandate watch (pipeline/service/mandate.py)
    "request_peppol_invoice": lambda s, u, c: s.request_peppol_invoice(u, c.doc),
    "mandate_suppliers": lambda s, u, c: s.mandate_suppliers(u, c.dossier),
    # quota alerts and retention settings (pipeline/service/quota.py, archive.py)
    "quota_outlook": lambda s, u, c: [v.dossier_id for v in s.quota_outlook(u)],
    "retention_years": lambda s, u, c: s.retention_years(u, c.dossier),
    "set_retention_years": lambda s, u, c: s.set_retention_years(u, c.dossier, 10),
}


def _entry_id(svc: Service, ctx: Ctx) -> int:
    entry = svc.document(SYSTEM, ctx.doc).entry
    assert entry is not None
    return entry.id


_MARCH_31 = datetime.date(2026, 3, 31)
_MISC_DEBIT = {"account": "613000", "debit": "10.00"}
_MISC_CREDIT = {"account": "440000", "credit": "10.00"}
_TRIAL = b"account;debit;credit\n400000;10,00;\n440000;;10,00\n"
_CUSTOMER = {"name": "Klant NV", "country": "BE", "vat": "BE0202239951"}

#: view calls whose answer spans the caller's dossiers: a non-member sees none of ours
HIDDEN = {
    "dossiers",
    "firm_overview",
    "quota_outlook",
    "quotas",
    "review_queue_count",
    "state_counts",
    "stats",
}


def _declared() -> dict[str, Permission]:
    return {name: perm for name, perm in REQUIRED.items() if perm is not None}


def test_every_method_that_needs_a_right_has_a_row_here() -> None:
    missing = sorted(set(_declared()) - set(CALLS))
    assert not missing, f"add these service methods to CALLS: {missing}"
    assert not sorted(set(CALLS) - set(_declared())), "CALLS names a method not declared"


def _user(svc: Service, name: str, dossier_id: int | None, perms: set[Permission]) -> UserView:
    user = svc.add_user(SYSTEM, name, "probe-password", "accountant")
    if dossier_id is not None:
        svc.set_rights(SYSTEM, dossier_id, name, permissions=[p.value for p in perms])
    return user


def _seed(runtime: Runtime) -> tuple[Service, Ctx]:
    svc = Service(runtime)
    did = dossier(runtime)
    row = svc.ingest(SYSTEM, did, UBL.read_bytes(), UBL.name)
    run_all(runtime, [NextStep("extract", row.id)])
    assert svc.document(SYSTEM, row.id).row.state == "proposed"
    svc.set_rate(SYSTEM, row.id, "7,4657")  # a DKK invoice: booked in euro at a given rate
    supplier = svc.suppliers(SYSTEM, did)[0].id
    svc.add_user(SYSTEM, "target", "probe-password", "entrepreneur")
    return svc, Ctx(did, row.id, supplier)


def _denied(call: Call, svc: Service, user: UserView, ctx: Ctx) -> bool:
    try:
        call(svc, user, ctx)
    except AccessDenied:
        return True
    except ServiceError as exc:  # a foreign id answers like a missing one
        return "does not exist" in str(exc) or "unknown dossier" in str(exc)
    return False


def test_every_method_refuses_without_its_right_and_allows_with_it(runtime: Runtime) -> None:
    svc, ctx = _seed(runtime)
    everything = set(Permission)
    outsider = _user(svc, "outsider", None, set())
    wrong: list[str] = []
    for name, perm in sorted(_declared().items(), key=lambda kv: (kv[1] != P.VIEW, kv[0])):
        call = CALLS[name]
        # without the right
        if perm == P.VIEW:
            if name in HIDDEN:
                seen = call(svc, outsider, ctx)
                if ctx.dossier in (seen if isinstance(seen, list) else []) or (
                    isinstance(seen, int) and seen
                ):
                    wrong.append(f"{name}: an outsider sees the dossier")
            elif not _denied(call, svc, outsider, ctx):
                wrong.append(f"{name}: an outsider is not refused")
        else:
            lacking = _user(svc, f"no-{name}", ctx.dossier, everything - {perm})
            if not _denied(call, svc, lacking, ctx):
                wrong.append(f"{name}: allowed without {perm.value}")
        # with only that right
        holder = _user(svc, f"only-{name}", ctx.dossier, {P.VIEW, perm})
        try:
            call(svc, holder, ctx)
        except AccessDenied as exc:
            if "cannot grant rights you do not hold" not in str(exc):  # that is on the merits
                wrong.append(f"{name}: refused with {perm.value}: {exc}")
        except ServiceError:
            pass  # refused on the merits, not for lack of rights
    assert not wrong, "\n".join(wrong)


def test_the_role_of_the_membership_decides_not_the_global_role(runtime: Runtime) -> None:
    """An accountant added to a dossier as client portal cannot book there."""
    svc, ctx = _seed(runtime)
    anna = svc.add_user(SYSTEM, "anna", "probe-password", "accountant")
    svc.set_rights(SYSTEM, ctx.dossier, "anna", role="client_portal")
    with pytest.raises(AccessDenied, match="book purchases"):
        svc.confirm(anna, ctx.doc)
    svc.set_rights(SYSTEM, ctx.dossier, "anna", grant=["book_purchases"])
    assert svc.confirm(anna, ctx.doc).status == "booked"


def test_rights_changes_are_checked_and_audited(runtime: Runtime) -> None:
    svc, ctx = _seed(runtime)
    boss = _user(svc, "boss", ctx.dossier, {P.VIEW, P.MANAGE_USERS, P.UPLOAD})
    with pytest.raises(AccessDenied, match="cannot grant rights you do not hold: book_purchases"):
        svc.set_rights(boss, ctx.dossier, "target", permissions=["upload", "book_purchases"])
    with pytest.raises(ServiceError, match="unknown user ghost"):
        svc.set_rights(boss, ctx.dossier, "ghost", role="client_portal")
    with pytest.raises(ServiceError, match="unknown permission 'fly'"):
        svc.set_rights(boss, ctx.dossier, "target", grant=["fly"])
    with pytest.raises(ServiceError, match="away from yourself"):
        svc.set_rights(boss, ctx.dossier, "boss", revoke=["manage_users"])
    with pytest.raises(AccessDenied, match="do not hold"):
        svc.add_member(boss, ctx.dossier, "target", "accountant")
    got = svc.set_rights(boss, ctx.dossier, "target", permissions=["upload"])
    assert got.permissions == ("upload", "view")
    assert got.custom
    history = svc.rights_history(boss, ctx.dossier)
    assert history[0].action == "member_added"
    assert history[0].by_user_id == boss.id
    assert history[0].detail["after"] == ["upload", "view"]
    rows = {r.username: r for r in svc.rights(boss, ctx.dossier)}
    assert rows["target"].permissions == ("upload", "view")
    svc.remove_member(boss, ctx.dossier, "target")
    assert "target" not in {r.username for r in svc.rights(boss, ctx.dossier)}
    assert svc.rights_history(boss, ctx.dossier)[0].action == "member_removed"
