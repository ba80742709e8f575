"""Sender authentication against a real DNS server on loopback and real DKIM signatures.

The keys are generated here; the DKIM public key, SPF and DMARC records are
served by :mod:`dnsserver` over UDP, so dkimpy, pyspf and the DMARC lookup
run exactly as against the Internet.
"""

from __future__ import annotations

from collections.abc import Iterator

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnsserver import LocalDns, dkim_key_record, local_dns, txt_chunks

from intake.mailauth import Dns, allowed_by_list, authenticate, from_trusted_header


@pytest.fixture(scope="module")
def key() -> tuple[bytes, bytes]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public


@pytest.fixture
def zone(key: tuple[bytes, bytes]) -> Iterator[LocalDns]:
    for server in local_dns():
        server.add("sel._domainkey.supplier.example", "TXT", txt_chunks(dkim_key_record(key[1])))
        server.add("supplier.example", "TXT", '"v=spf1 ip4:192.0.2.10 -all"')
        server.add("_dmarc.supplier.example", "TXT", '"v=DMARC1; p=reject"')
        server.add("attacker.example", "TXT", '"v=spf1 ip4:203.0.113.5 -all"')
        yield server


def mail(sender: str = "facturen@supplier.example", body: str = "Invoice attached.") -> bytes:
    return (
        f"From: Supplier <{sender}>\r\nTo: dossier@boekbox.test\r\n"
        f"Subject: Invoice 42\r\nMessage-ID: <m1@supplier.example>\r\n\r\n{body}\r\n"
    ).encode()


def signed(raw: bytes, key: bytes, domain: str = "supplier.example") -> bytes:
    sig = dkim.sign(raw, b"sel", domain.encode(), key, include_headers=[b"from", b"subject"])
    return sig + raw


def test_dkim_signed_mail_is_authenticated_for_the_from_domain(zone, key) -> None:
    raw = signed(mail(), key[0])
    result = authenticate(
        raw, mail_from="bounce@other.example", peer_ip="198.51.100.1", resolver=Dns(zone.servers)
    )
    assert result.dkim == "pass"
    assert result.dkim_domains == ("supplier.example",)
    assert result.dmarc == "pass"
    assert result.dmarc_policy == "reject"
    assert result.domain == "supplier.example"
    assert ("sel._domainkey.supplier.example", "TXT") in zone.queries


def test_spf_pass_aligned_authenticates(zone) -> None:
    result = authenticate(
        mail(),
        mail_from="facturen@supplier.example",
        peer_ip="192.0.2.10",
        resolver=Dns(zone.servers),
    )
    assert (result.spf, result.dkim, result.dmarc) == ("pass", "none", "pass")
    assert result.domain == "supplier.example"


def test_spoofed_from_with_attackers_own_spf_is_not_authenticated(zone) -> None:
    """The fraud: SPF passes for the attacker's MAIL FROM, the From header names the supplier."""
    result = authenticate(
        mail(),
        mail_from="x@attacker.example",
        peer_ip="203.0.113.5",
        resolver=Dns(zone.servers),
    )
    assert result.spf == "pass"
    assert result.spf_domain == "attacker.example"
    assert result.dmarc == "fail"
    assert result.domain is None
    assert not allowed_by_list(("supplier.example",), result.domain, "facturen@supplier.example")


def test_spf_fail_from_the_wrong_address(zone) -> None:
    result = authenticate(
        mail(),
        mail_from="facturen@supplier.example",
        peer_ip="203.0.113.5",
        resolver=Dns(zone.servers),
    )
    assert result.spf == "fail"
    assert result.domain is None


def test_tampered_body_breaks_dkim(zone, key) -> None:
    raw = signed(mail(), key[0]).replace(b"Invoice attached.", b"Pay to BE71096123456769.")
    result = authenticate(raw, mail_from="", peer_ip=None, resolver=Dns(zone.servers))
    assert result.dkim == "fail"
    assert result.domain is None


def test_signature_of_another_domain_does_not_align(zone, key) -> None:
    zone.add("sel._domainkey.attacker.example", "TXT", txt_chunks(dkim_key_record(key[1])))
    raw = signed(mail(), key[0], domain="attacker.example")
    result = authenticate(raw, mail_from="", peer_ip=None, resolver=Dns(zone.servers))
    assert result.dkim == "pass"
    assert result.dkim_domains == ("attacker.example",)
    assert result.domain is None


def test_unreachable_dns_is_a_temporary_error_never_a_pass(key) -> None:
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))  # bound, never answers
    port = sock.getsockname()[1]
    try:
        raw = signed(mail(), key[0])
        result = authenticate(
            raw,
            mail_from="facturen@supplier.example",
            peer_ip="192.0.2.10",
            resolver=Dns(f"127.0.0.1:{port}", timeout=0.3),
        )
        asked = _drain(sock)
        # a resolver that just timed out is not asked again: the next mail fails at once
        again = authenticate(
            raw,
            mail_from="facturen@supplier.example",
            peer_ip="192.0.2.10",
            resolver=Dns(f"127.0.0.1:{port}", timeout=0.3),
        )
        asked_again = _drain(sock)
    finally:
        sock.close()
    assert result.spf == "temperror"
    assert result.dkim == "temperror"
    assert result.domain is None
    assert asked > 0
    assert (again.spf, again.dkim, again.domain) == ("temperror", "temperror", None)
    assert asked_again == 0


def _drain(sock) -> int:  # type: ignore[no-untyped-def]
    sock.setblocking(False)
    n = 0
    while True:
        try:
            sock.recv(4096)
        except BlockingIOError:
            return n
        n += 1


def test_two_from_addresses_are_never_authenticated(zone, key) -> None:
    raw = signed(mail(sender="a@supplier.example>, <b@attacker.example"), key[0])
    result = authenticate(raw, mail_from="", peer_ip=None, resolver=Dns(zone.servers))
    assert result.from_domain is None
    assert result.domain is None


def test_trusted_header_uses_only_the_configured_authserv_id() -> None:
    raw = (
        b"Authentication-Results: mx.firm.example; spf=fail smtp.mailfrom=x@attacker.example;"
        b" dkim=none; dmarc=fail header.from=supplier.example\r\n"
        b"Authentication-Results: mx.attacker.example; dkim=pass header.d=supplier.example;"
        b" dmarc=pass header.from=supplier.example\r\n"
        b"From: facturen@supplier.example\r\nSubject: x\r\n\r\nbody\r\n"
    )
    result = from_trusted_header(raw, "mx.firm.example")
    assert (result.spf, result.dmarc, result.domain) == ("fail", "fail", None)
    assert result.source == "header:mx.firm.example"
    forged_only = from_trusted_header(raw, "mx.other.example")
    assert forged_only.domain is None
    good = (
        b"Authentication-Results: mx.firm.example (comment); dkim=pass (good)"
        b" header.d=supplier.example header.s=sel; spf=none\r\n"
        b"From: Facturen <facturen@supplier.example>\r\n\r\nbody\r\n"
    )
    passed = from_trusted_header(good, "mx.firm.example")
    assert passed.dkim == "pass"
    assert passed.domain == "supplier.example"


def test_allow_list_uses_the_authenticated_domain() -> None:
    assert allowed_by_list((), None, None)
    assert allowed_by_list(("@supplier.example",), "supplier.example", "x@supplier.example")
    assert allowed_by_list(
        ("facturen@supplier.example",), "supplier.example", "facturen@supplier.example"
    )
    assert not allowed_by_list(
        ("facturen@supplier.example",), "supplier.example", "boss@supplier.example"
    )
    assert not allowed_by_list(("supplier.example",), None, "facturen@supplier.example")
    assert not allowed_by_list(("supplier.example",), "attacker.example", "x@attacker.example")
