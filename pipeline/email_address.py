"""A user's e-mail address: one strict, simple check (issues 13, 17).

``email-validator`` is not a dependency of boekbox, so this is a deliberately narrow
rule set rather than RFC 5322: an ASCII ``local@domain`` with

* at most 254 characters in all and 64 before the ``@``;
* a local part of letters, digits and ``!#$%&'*+/=?^_`{|}~.-``, no leading, trailing
  or doubled dot (no quoted local parts, no comments, no display names);
* a domain of at least two dot-separated labels of letters, digits and ``-`` (1-63
  characters, not starting or ending with ``-``), the last one alphabetic or an IDN
  ``xn--`` label (no IP literals, no dotless hosts);
* no spaces, control characters, ``<>``, ``,`` or ``;`` anywhere, so an address can
  never smuggle a second recipient or a header into a mail.

An internationalised domain must be given in its ``xn--`` (punycode) form.  The domain
is lower-cased; the local part keeps its case (it may matter to the receiving server).
Standard library only.
"""

from __future__ import annotations

import re

__all__ = ["MAX_LENGTH", "InvalidEmail", "is_email", "normalise_email"]

MAX_LENGTH = 254
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TLD = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}")


class InvalidEmail(ValueError):
    """The text is not an e-mail address boekbox accepts; ``str()`` says why."""


def normalise_email(value: str) -> str:
    """``value`` (surrounding blanks removed, domain lower-cased), or :class:`InvalidEmail`."""
    addr = value.strip()
    if not addr:
        raise InvalidEmail("the e-mail address is empty")
    if len(addr) > MAX_LENGTH:
        raise InvalidEmail(f"an e-mail address has at most {MAX_LENGTH} characters")
    if not addr.isascii():
        raise InvalidEmail("use plain ASCII (an international domain in its xn-- form)")
    if addr.count("@") != 1:
        raise InvalidEmail("an e-mail address has exactly one @")
    local, domain = addr.split("@")
    if not local or len(local) > 64 or not _LOCAL.fullmatch(local):
        raise InvalidEmail("the part before the @ is not a valid mailbox name")
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or not _TLD.fullmatch(labels[-1])
    ):
        raise InvalidEmail("the part after the @ is not a valid domain (like firm.be)")
    return f"{local}@{domain.lower()}"


def is_email(value: str) -> bool:
    """Whether :func:`normalise_email` accepts ``value``."""
    try:
        normalise_email(value)
    except InvalidEmail:
        return False
    return True
