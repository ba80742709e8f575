"""Sales invoicing (pure core): customers, items, drafts, Belgian VAT cases, numbering,
PDF (WeasyPrint) and Peppol BIS 3.0 UBL (through ``peppol``), reminders, CODA payments and
the sales booking proposal.  Dataclasses in, frozen dataclasses or bytes out; no database.

Modules: :mod:`invoicing.model`, :mod:`invoicing.vat`, :mod:`invoicing.numbering`,
:mod:`invoicing.issue`, :mod:`invoicing.ubl`, :mod:`invoicing.pdf`, :mod:`invoicing.epc`.
"""
