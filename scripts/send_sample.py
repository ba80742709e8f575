#!/usr/bin/env python3
"""Mail a sample supplier invoice to a boekbox dossier address over SMTP.

    python3 scripts/send_sample.py ADDRESS [--file PATH ...] [--host H] [--port P]

Without ``--file`` it attaches a Belgian PDF invoice and a Belgian UBL invoice
from the shared corpus (``../shared/corpus``) when present, else a small
built-in Peppol BIS 3 UBL invoice.  Without ADDRESS it asks
``boekbox dossier list --json`` for the first dossier's address.  Host and
port default to BOEKBOX_SMTP_HOST / BOEKBOX_SMTP_PORT (127.0.0.1:2525).

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import re
import shutil
import smtplib
import subprocess
import sys
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_SAMPLES = (CORPUS / "pdf" / "oca_efff_exact_be.pdf", CORPUS / "ubl" / "ublbe_15000001.xml")
ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def builtin_ubl(today: date) -> bytes:
    """A minimal Peppol BIS Billing 3.0 invoice from a Belgian supplier."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
 <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
 <cbc:ID>SAMPLE-{today:%Y%m%d}</cbc:ID>
 <cbc:IssueDate>{today.isoformat()}</cbc:IssueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cbc:BuyerReference>boekbox-sample</cbc:BuyerReference>
 <cac:AccountingSupplierParty><cac:Party>
  <cbc:EndpointID schemeID="0208">0403019261</cbc:EndpointID>
  <cac:PostalAddress><cbc:StreetName>Kerkstraat 1</cbc:StreetName>
   <cbc:CityName>Gent</cbc:CityName><cbc:PostalZone>9000</cbc:PostalZone>
   <cac:Country><cbc:IdentificationCode>BE</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>BE0403019261</cbc:CompanyID>
   <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Voorbeeld Leverancier NV</cbc:RegistrationName>
  </cac:PartyLegalEntity>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <cbc:EndpointID schemeID="0208">0202239951</cbc:EndpointID>
  <cac:PostalAddress><cbc:CityName>Brussel</cbc:CityName><cbc:PostalZone>1000</cbc:PostalZone>
   <cac:Country><cbc:IdentificationCode>BE</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>BE0202239951</cbc:CompanyID>
   <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Demo Klant BV</cbc:RegistrationName>
  </cac:PartyLegalEntity>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
  <cbc:PaymentID>+++090/9337/55493+++</cbc:PaymentID>
  <cac:PayeeFinancialAccount><cbc:ID>BE71096123456769</cbc:ID></cac:PayeeFinancialAccount>
 </cac:PaymentMeans>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">21.00</cbc:TaxAmount>
  <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount>
   <cbc:TaxAmount currencyID="EUR">21.00</cbc:TaxAmount>
   <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent>
    <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
  </cac:TaxSubtotal></cac:TaxTotal>
 <cac:LegalMonetaryTotal>
  <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount>
  <cbc:TaxInclusiveAmount currencyID="EUR">121.00</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="EUR">121.00</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID>
  <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Kantoorbenodigdheden</cbc:Name>
   <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent>
    <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">100.00</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
</Invoice>
""".encode()


def attachments(files: list[Path]) -> list[tuple[str, bytes]]:
    """(filename, content) pairs: the given files, else the default samples."""
    if not files:
        files = [path for path in CORPUS_SAMPLES if path.is_file()]
        if not files:
            return [("sample-invoice.xml", builtin_ubl(date.today()))]
    found = []
    for path in files:
        if not path.is_file():
            sys.exit(f"send_sample: no such file: {path}")
        found.append((path.name, path.read_bytes()))
    return found


def build_message(sender: str, recipient: str, parts: list[tuple[str, bytes]]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = "Factuur / Facture / Invoice (boekbox sample)"
    message["Message-ID"] = make_msgid(domain="sample.boekbox.localhost")
    message.set_content("Beste,\n\nIn bijlage onze factuur.\n\nMet vriendelijke groeten\n")
    for filename, content in parts:
        kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def first_dossier_address() -> str:
    """The first dossier address that ``boekbox dossier list --json`` reports."""
    boekbox = Path(sys.executable).parent / "boekbox"
    command = str(boekbox) if boekbox.exists() else shutil.which("boekbox")
    if command is None:
        sys.exit("send_sample: give the dossier ADDRESS (boekbox is not installed here)")
    result = subprocess.run(
        [command, "dossier", "list", "--json"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"send_sample: boekbox dossier list failed: {result.stderr.strip()}")
    found = ADDRESS.findall(json.dumps(json.loads(result.stdout or "null")))
    if not found:
        sys.exit("send_sample: no dossier yet; run `boekbox init --demo` or give ADDRESS")
    return str(found[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("address", nargs="?", help="dossier mail address (default: first)")
    parser.add_argument("--file", action="append", type=Path, default=[], help="attach this file")
    parser.add_argument("--host", default=os.environ.get("BOEKBOX_SMTP_HOST", "127.0.0.1"))
    default_port = int(os.environ.get("BOEKBOX_SMTP_PORT", "2525"))
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--sender", default="facturatie@leverancier.example")
    args = parser.parse_args(argv)
    recipient = args.address or first_dossier_address()
    parts = attachments(args.file)
    message = build_message(args.sender, recipient, parts)
    try:
        with smtplib.SMTP(args.host, args.port, timeout=30) as smtp:
            refused = smtp.send_message(message, from_addr=args.sender, to_addrs=[recipient])
    except (OSError, smtplib.SMTPException) as exc:
        print(f"send_sample: could not deliver to {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    if refused:
        print(f"send_sample: refused: {refused}", file=sys.stderr)
        return 1
    names = ", ".join(name for name, _ in parts)
    print(f"sent {message['Message-ID']} to {recipient} via {args.host}:{args.port}: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
