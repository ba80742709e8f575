"""Customer CSV import: aliases, delimiters, encodings, and every bad row with its line."""

from __future__ import annotations

import pytest

from invoicing.customers_csv import parse_customers_csv
from invoicing.errors import InvoicingError
from invoicing.model import Language


def test_semicolon_excel_file_with_bom_and_errors_per_line() -> None:
    data = (
        "\ufeffNaam;Land;BTW;Taal;E-mail;Betalingstermijn\n"
        "Klant NV;BE;BE 0202.239.951;fr;a@b.be;14\n"
        "Fout BV;BE;BE0202239952;nl;;30\n"
        ";;;;;\n"
        "Client SARL;FR;FR40303265045;xx;;30\n"
        "Kunde GmbH;DE;DE136695976;de;;soon\n"
        "Jan Peeters;BE;;nl;jan@example.org;0\n"
    ).encode("utf-8")
    result = parse_customers_csv(data)
    assert [(line, c.name) for line, c in result.customers] == [(2, "Klant NV"), (7, "Jan Peeters")]
    first = result.customers[0][1]
    assert (first.vat, first.peppol_id, first.language, first.payment_terms_days) == (
        "BE0202239951", "0208:0202239951", Language.FR, 14,
    )  # fmt: skip
    assert [line for line, _ in result.errors] == [3, 5, 6]
    assert "invalid VAT number" in result.errors[0][1]
    assert "language" in result.errors[1][1]
    assert "payment terms" in result.errors[2][1]


def test_comma_file_in_windows_1252_and_quoted_fields() -> None:
    data = 'name,country,city\n"Café ""De Hoek"", Gent",BE,Gent\n'.encode("cp1252")
    (line, customer), = parse_customers_csv(data).customers  # fmt: skip
    assert (line, customer.name) == (2, 'Café "De Hoek", Gent')


def test_header_and_size_are_checked() -> None:
    with pytest.raises(InvoicingError, match="'name' and 'country'"):
        parse_customers_csv(b"foo;bar\n1;2\n")
    with pytest.raises(InvoicingError, match="empty"):
        parse_customers_csv(b"")
    with pytest.raises(InvoicingError, match="larger than"):
        parse_customers_csv(b"x" * (5 * 1024 * 1024 + 1))
