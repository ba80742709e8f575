"""Builders for invoicing tests: valid parties and drafts, and a Hypothesis strategy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from hypothesis import strategies as st

from invoicing.model import (
    Adjustment,
    Customer,
    DocumentKind,
    DraftLine,
    InvoiceDraft,
    ItemKind,
    Language,
    Seller,
    VatCase,
)

SELLER = Seller(
    name="Bakkerij De Smet BV",
    street="Kerkstraat 1",
    postal_code="9000",
    city="Gent",
    vat="BE0403170701",
    enterprise_number="0403.170.701",
    iban="BE71 0961 2345 6769",
    bic="GKCCBEBB",
)

BE_COMPANY = Customer(
    name="Klant NV", country="BE", vat="BE0202239951", street="Markt 2", postal_code="1000",
    city="Brussel", language=Language.NL, email="boekhouding@klant.example",
)  # fmt: skip
FR_COMPANY = Customer(
    name="Client SARL", country="FR", vat="FR40303265045", city="Lille", postal_code="59000",
    street="Rue 3", language=Language.FR,
)  # fmt: skip
DE_COMPANY = Customer(
    name="Kunde GmbH", country="DE", vat="DE136695976", city="Aachen", postal_code="52062",
    street="Weg 4", language=Language.DE,
)  # fmt: skip
US_COMPANY = Customer(
    name="Customer Inc", country="US", city="Boston", postal_code="02110", street="Main St 5",
    language=Language.EN, peppol_id="0088:5412345000013",
)  # fmt: skip
# A non-VAT association with an enterprise number (reachable on Peppol by 0208).
BE_ASSOCIATION = Customer(
    name="Jeugdhuis vzw", country="BE", enterprise_number="0202239951", city="Leuven",
    postal_code="3000", street="Plein 1", language=Language.NL,
)  # fmt: skip
CONSUMER = Customer(
    name="Jan Peeters", country="BE", city="Antwerpen", postal_code="2000", street="Lei 9",
    language=Language.NL, email="jan@example.org", is_consumer=True,
)  # fmt: skip

CUSTOMERS = {
    VatCase.DOMESTIC: (BE_COMPANY,),
    VatCase.PRIVATE: (BE_ASSOCIATION,),
    VatCase.INTRA_EU_GOODS: (FR_COMPANY, DE_COMPANY),
    VatCase.INTRA_EU_SERVICES: (FR_COMPANY, DE_COMPANY),
    VatCase.EXPORT: (US_COMPANY,),
    VatCase.COCONTRACTOR: (BE_COMPANY,),
    VatCase.SMALL_ENTERPRISE: (BE_COMPANY, FR_COMPANY),
    VatCase.EXEMPT: (BE_COMPANY, BE_ASSOCIATION),
}
RATES = (D("21"), D("12"), D("6"), D("0"))
ISSUE = dt.date(2026, 12, 6)


def line(price: str, rate: str | None = "21", qty: str = "1", **kw: object) -> DraftLine:
    return DraftLine("Werk", D(qty), D(price), None if rate is None else D(rate), **kw)  # type: ignore[arg-type]


def draft(*lines: DraftLine, customer: Customer = BE_COMPANY, **kw: object) -> InvoiceDraft:
    return InvoiceDraft(customer=customer, lines=lines, **kw)  # type: ignore[arg-type]


money = st.decimals(min_value=D("1.00"), max_value=D("5000"), places=2)
quantity = st.decimals(min_value=D("0.5"), max_value=D("40"), places=1)


@st.composite
def draft_lines(draw: st.DrawFn, case: VatCase) -> tuple[DraftLine, ...]:
    n = draw(st.integers(1, 5))
    out = []
    for i in range(n):
        rate = draw(st.sampled_from(RATES))
        exempt = case is VatCase.DOMESTIC and draw(st.integers(0, 9)) == 0
        out.append(
            DraftLine(
                f"Regel {i} <&> é",
                draw(quantity),
                draw(money),
                rate,
                unit=draw(st.sampled_from(["C62", "HUR", "DAY", "KGM"])),
                kind=draw(st.sampled_from(list(ItemKind))),
                exempt=exempt,
            )
        )
    return tuple(out)


@st.composite
def adjustments(draw: st.DrawFn) -> tuple[Adjustment, ...]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        is_charge = draw(st.booleans())
        if draw(st.booleans()):
            pct = draw(st.sampled_from([D("2"), D("5"), D("10")]))
            reason = "Transport" if is_charge else "Korting"
            out.append(Adjustment(is_charge, reason, percent=pct))
        else:
            # at most 2 x 0.20 + 2 x 10 %: never more than the smallest document (0.50)
            amount = draw(st.decimals(min_value=D("0.01"), max_value=D("0.20"), places=2))
            out.append(Adjustment(is_charge, "Vaste korting" if not is_charge else "Verzending",
                                  amount=amount))  # fmt: skip
    return tuple(out)


@st.composite
def drafts(draw: st.DrawFn) -> InvoiceDraft:
    case = draw(st.sampled_from(list(VatCase)))
    customer = draw(st.sampled_from(CUSTOMERS[case]))
    customer = Customer(
        name=customer.name, country=customer.country, street=customer.street,
        postal_code=customer.postal_code, city=customer.city,
        language=draw(st.sampled_from(list(Language))), vat=customer.vat,
        enterprise_number=customer.enterprise_number, email=customer.email,
        peppol_id=customer.peppol_id,
        payment_terms_days=draw(st.sampled_from([0, 14, 30, 60])),
    )  # fmt: skip
    return InvoiceDraft(
        customer=customer,
        lines=draw(draft_lines(case)),
        vat_case=case,
        adjustments=draw(adjustments()),
        note=draw(st.sampled_from([None, "Bestelling 42", "Merci & à bientôt <b>"])),
        buyer_reference=draw(st.sampled_from([None, "PO-1"])),
        kind=DocumentKind.INVOICE,
    )
