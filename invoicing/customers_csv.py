"""Customer import from CSV (pure): bytes in, valid customers and per-line errors out.

Header names (case and blanks ignored, Dutch/French aliases accepted): ``name``,
``country``, ``street``, ``postal_code``, ``city``, ``language``, ``vat``,
``enterprise_number``, ``peppol_id``, ``email``, ``payment_terms_days``, ``is_consumer``.
The delimiter is ``;`` or ``,`` (Excel in Belgium writes ``;``); UTF-8 (with or without
BOM) or Windows-1252.  Every bad row is reported with its line number and reason; the
good rows are returned, so the caller decides whether to import all or nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from invoicing.errors import InvoicingError
from invoicing.model import Customer, Language

__all__ = ["CsvResult", "parse_customers_csv"]

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
_ALIASES = {
    "name": "name", "naam": "name", "nom": "name",
    "country": "country", "land": "country", "pays": "country",
    "street": "street", "straat": "street", "adres": "street", "rue": "street",
    "address": "street",
    "postal_code": "postal_code", "postcode": "postal_code", "zip": "postal_code",
    "code_postal": "postal_code",
    "city": "city", "gemeente": "city", "stad": "city", "ville": "city",
    "language": "language", "taal": "language", "langue": "language",
    "vat": "vat", "btw": "vat", "tva": "vat", "vat_number": "vat", "btw_nummer": "vat",
    "enterprise_number": "enterprise_number", "kbo": "enterprise_number",
    "bce": "enterprise_number", "ondernemingsnummer": "enterprise_number",
    "peppol_id": "peppol_id", "peppol": "peppol_id",
    "email": "email", "e_mail": "email", "mail": "email",
    "payment_terms_days": "payment_terms_days", "payment_terms": "payment_terms_days",
    "betalingstermijn": "payment_terms_days",
    "is_consumer": "is_consumer", "consumer": "is_consumer", "particulier": "is_consumer",
}  # fmt: skip
_TRUE = {"1", "true", "yes", "ja", "oui", "y", "x"}


@dataclass(frozen=True, slots=True)
class CsvResult:
    customers: tuple[tuple[int, Customer], ...]  # (line, customer)
    errors: tuple[tuple[int, str], ...]  # (line, reason)


def _key(header: str) -> str | None:
    norm = "_".join(header.strip().lower().replace("-", " ").split())
    return _ALIASES.get(norm)


def _text(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise InvoicingError(f"CSV of {len(data)} bytes is larger than {MAX_CSV_BYTES}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_customers_csv(data: bytes) -> CsvResult:
    text = _text(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InvoicingError("empty CSV file") from None
    except csv.Error as exc:
        raise InvoicingError(f"line 1: {exc}") from exc
    keys = [_key(h) for h in header]
    if "name" not in keys or "country" not in keys:
        raise InvoicingError("line 1: the header needs at least 'name' and 'country' columns")
    customers: list[tuple[int, Customer]] = []
    errors: list[tuple[int, str]] = []
    rows = 0
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((line, str(exc)))
            break
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        if rows > MAX_ROWS:
            errors.append((line, f"more than {MAX_ROWS} rows: the rest is not read"))
            break
        values = {k: v.strip() for k, v in zip(keys, row, strict=False) if k and v.strip()}
        try:
            customers.append((line, _customer(values)))
        except (InvoicingError, ValueError) as exc:
            errors.append((line, str(exc)[:300]))
    return CsvResult(tuple(customers), tuple(errors))


def _customer(v: dict[str, str]) -> Customer:
    terms = v.get("payment_terms_days", "30")
    if not terms.isdigit():
        raise InvoicingError(f"payment terms {terms[:20]!r} is not a number of days")
    lang = v.get("language", "nl").lower()
    if lang not in {item.value for item in Language}:
        raise InvoicingError(f"language {lang[:10]!r} is not nl, fr, de or en")
    return Customer(
        name=v.get("name", ""),
        country=v.get("country", ""),
        street=v.get("street", ""),
        postal_code=v.get("postal_code", ""),
        city=v.get("city", ""),
        language=Language(lang),
        vat=v.get("vat"),
        enterprise_number=v.get("enterprise_number"),
        peppol_id=v.get("peppol_id"),
        email=v.get("email"),
        payment_terms_days=int(terms),
        is_consumer=v.get("is_consumer", "").lower() in _TRUE,
    )
