"""A tiny authoritative DNS server on loopback UDP for the sender-authentication tests.

Real DNS packets (dnspython wire format) over a real socket: the checks under
test resolve through it exactly as they would through a real resolver.
Unknown names answer NXDOMAIN.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

__all__ = ["LocalDns", "dkim_key_record", "local_dns", "txt_chunks"]


def txt_chunks(text: str) -> str:
    """A TXT value as quoted 255-byte strings (long DKIM keys need several)."""
    parts = [text[i : i + 250] for i in range(0, len(text), 250)] or [""]
    return " ".join(f'"{p}"' for p in parts)


def dkim_key_record(public_pem: bytes) -> str:
    """The ``v=DKIM1; k=rsa; p=...`` TXT value for an RSA public key in PEM."""
    body = b"".join(
        line.strip() for line in public_pem.splitlines() if line and not line.startswith(b"-----")
    )
    return f"v=DKIM1; k=rsa; p={body.decode('ascii')}"


class LocalDns:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.queries: list[tuple[str, str]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def servers(self) -> str:
        """The value for ``BOEKBOX_DNS_SERVERS`` / ``Dns(servers=...)``."""
        return f"127.0.0.1:{self.port}"

    def add(self, name: str, qtype: str, value: str) -> None:
        self.records.setdefault((name.lower().rstrip("."), qtype.upper()), []).append(value)

    def start(self) -> LocalDns:
        self.sock.settimeout(0.2)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = self._answer(dns.message.from_wire(data))
            except Exception:
                continue
            self.sock.sendto(reply.to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        qtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, qtype))
        values = self.records.get((name, qtype))
        if values:
            reply.answer.append(
                dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, qtype, values)
            )
        elif not any(key[0] == name for key in self.records):
            reply.set_rcode(dns.rcode.NXDOMAIN)
        return reply


def local_dns() -> Iterator[LocalDns]:
    """Generator for a pytest fixture: a started server, stopped afterwards."""
    server = LocalDns().start()
    try:
        yield server
    finally:
        server.stop()
