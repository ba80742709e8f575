"""Sender authentication of a received mail: SPF (pyspf), DKIM (dkimpy), DMARC alignment.

A mail is *authenticated for a domain* when its From header has exactly one
address and SPF (for the MAIL FROM domain) or DKIM (a valid signature's
``d=``) passes for a domain aligned with that From domain (DMARC, RFC 7489:
relaxed alignment by organisational domain unless the domain's DMARC record
asks for strict).  The allow-list and auto-booking use that domain, never the
bare MAIL FROM.

DNS goes through a :class:`Dns` object built from the settings (servers,
timeout), so the checks run against any resolver, also a local test server.
Alternatively, behind an MTA that already checked the mail,
:func:`from_trusted_header` reads that MTA's ``Authentication-Results`` header
(only the topmost one carrying the configured authserv-id).

Nothing here raises on hostile input: failures become ``fail``, ``permerror``
or ``temperror`` results with a detail text.
"""

from __future__ import annotations

import contextvars
import email.parser
import email.policy
import email.utils
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import dkim
import dns.exception
import dns.name
import dns.resolver
import publicsuffix2
import spf

from intake.mail_header import header_length

__all__ = [
    "AuthResult",
    "Dns",
    "authenticate",
    "from_trusted_header",
    "organisational_domain",
]

log = logging.getLogger(__name__)

#: header section read for From / Authentication-Results / DKIM
MAX_HEADER_BYTES = 256 * 1024
#: DKIM signatures verified per mail
MAX_SIGNATURES = 5


@dataclass(frozen=True, slots=True)
class AuthResult:
    spf: str = "none"  # pass fail softfail neutral none temperror permerror
    spf_domain: str | None = None
    dkim: str = "none"  # pass fail none temperror
    dkim_domains: tuple[str, ...] = ()
    dmarc: str = "none"  # pass fail none temperror
    dmarc_policy: str | None = None
    from_domain: str | None = None
    #: the From domain when SPF or DKIM passed aligned with it, else None
    domain: str | None = None
    source: str = "checked"  # "checked" or "header:<authserv-id>"
    detail: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["dkim_domains"] = list(self.dkim_domains)
        out["detail"] = list(self.detail)
        return out


# ----------------------------------------------------------------------------- DNS


#: seconds a resolver that timed out is not asked again
UNREACHABLE_PAUSE = 30.0
_UNREACHABLE: dict[str, float] = {}


class DnsError(Exception):
    """A lookup failed temporarily (timeout, no server answered)."""


class Dns:
    """A DNS client for the checks: the system's resolvers, or the given ``ip[:port]`` list."""

    def __init__(self, servers: str = "", timeout: float = 5.0) -> None:
        listed = [s.strip() for s in servers.split(",") if s.strip()]
        if listed:
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.nameservers = []
            ports: dict[str, int] = {}
            for entry in listed:
                host, port = _split_server(entry)
                self.resolver.nameservers.append(host)
                ports[host] = port
            self.resolver.nameserver_ports = ports
        else:
            try:
                self.resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                self.resolver = dns.resolver.Resolver(configure=False)
                self.resolver.nameservers = ["127.0.0.1"]
        self.resolver.lifetime = timeout
        self.resolver.timeout = timeout
        self.timeout = timeout

    def query(self, name: str, qtype: str) -> list[Any]:
        """The answer records (empty for NXDOMAIN / no answer); DnsError when unsure.

        After a timeout the same servers are not asked again for
        :data:`UNREACHABLE_PAUSE` seconds (every lookup fails at once), so a closed
        network costs one timeout, not one per lookup of every mail.
        """
        key = ",".join(f"{h}:{p}" for h, p in self._servers())
        since = _UNREACHABLE.get(key)
        if since is not None and time.monotonic() - since < UNREACHABLE_PAUSE:
            raise DnsError("DNS servers unreachable (timed out moments ago)")
        try:
            answer = self.resolver.resolve(name, qtype, search=False, lifetime=self.timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.Timeout as exc:
            _UNREACHABLE[key] = time.monotonic()
            raise DnsError(str(exc)) from None
        except dns.exception.DNSException as exc:  # NoNameservers (SERVFAIL, refused), ...
            raise DnsError(str(exc)) from None
        _UNREACHABLE.pop(key, None)
        return list(answer)

    def _servers(self) -> list[tuple[str, int]]:
        ports = getattr(self.resolver, "nameserver_ports", {}) or {}
        return [(str(h), int(ports.get(h, 53))) for h in self.resolver.nameservers]

    def txt(self, name: str) -> list[bytes]:
        return [b"".join(r.strings) for r in self.query(name, "TXT")]


def _split_server(entry: str) -> tuple[str, int]:
    if entry.startswith("["):  # [v6]:port
        host, _, rest = entry[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, int(port)
    return entry, 53


# pyspf looks up DNS through its module-level ``DNSLookup``; ours sends it to the
# Dns object of the check running in this context (thread / task)
_CURRENT: contextvars.ContextVar[Dns | None] = contextvars.ContextVar("mailauth_dns", default=None)


def _spf_lookup(name: str, qtype: str, strict: Any = True, timeout: Any = None) -> list[Any]:
    resolver = _CURRENT.get()
    if resolver is None:
        raise spf.TempError("DNS no resolver configured")
    try:
        records = resolver.query(name, qtype)
    except DnsError as exc:
        raise spf.TempError(f"DNS {exc}") from None
    out: list[Any] = []
    for r in records:
        if qtype in {"A", "AAAA"}:
            out.append(((name, qtype), r.address))
        elif qtype == "MX":
            out.append(((name, qtype), (r.preference, r.exchange)))
        elif qtype == "PTR":
            out.append(((name, qtype), r.target.to_text(True)))
        elif qtype in {"TXT", "SPF"}:
            out.append(((name, qtype), r.strings))
    return out


spf.DNSLookup = _spf_lookup


# ----------------------------------------------------------------------------- helpers


def organisational_domain(domain: str) -> str:
    """The registrable domain (public suffix list; an unlisted TLD counts as a suffix)."""
    d = domain.lower().rstrip(".")
    found = publicsuffix2.get_sld(d, strict=True)
    if found:
        return str(found)
    labels = d.split(".")
    return ".".join(labels[-2:])


def _aligned(a: str, b: str, mode: str) -> bool:
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    if mode == "s":
        return a == b
    return organisational_domain(a) == organisational_domain(b)


def _domain_of(address: str) -> str | None:
    addr = address.strip().strip("<>").strip()
    if "@" not in addr:
        return None
    domain = addr.rpartition("@")[2].lower().rstrip(".")
    if not domain or not re.fullmatch(r"[a-z0-9.-]{1,253}", domain) or ".." in domain:
        return None
    return domain


def _headers(raw: bytes) -> Any:
    head = raw[:MAX_HEADER_BYTES]
    # only the header section: a headers-only parse still splits the rest into lines
    # (measured: half the CPU of splitting a mail with a PDF went to this parse)
    head = head[: header_length(head)]
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)


def _from_domain(msg: Any) -> tuple[str | None, str | None]:
    """(domain, problem) of the single From address."""
    values = msg.get_all("From") or []
    if len(values) != 1:
        return None, f"{len(values)} From headers"
    addresses = [a for _, a in email.utils.getaddresses([str(values[0])]) if a]
    if len(addresses) != 1:
        return None, "the From header does not hold exactly one address"
    domain = _domain_of(addresses[0])
    return (domain, None) if domain else (None, "the From address has no valid domain")


# ----------------------------------------------------------------------------- checks


def _check_spf(resolver: Dns, mail_from: str, peer_ip: str | None, helo: str | None) -> str:
    if not peer_ip or not mail_from:
        return "none"
    token = _CURRENT.set(resolver)
    try:
        result, _, _ = spf.query(
            i=peer_ip,
            s=mail_from,
            h=helo or "unknown",
            timeout=resolver.timeout,
            querytime=max(resolver.timeout * 4, 1),
        ).check()
    except Exception as exc:  # pyspf on a hostile record
        log.info("SPF check failed: %s", exc)
        return "permerror"
    finally:
        _CURRENT.reset(token)
    return str(result)


def _check_dkim(resolver: Dns, raw: bytes, count: int) -> tuple[str, tuple[str, ...], list[str]]:
    temp: list[str] = []

    def txt(name: bytes, timeout: float = 5) -> bytes | None:
        try:
            found = resolver.txt(name.decode("ascii", "replace"))
        except DnsError as exc:
            temp.append(str(exc))
            raise dkim.DnsTimeoutError(str(exc)) from None
        return found[0] if found else None

    passed: list[str] = []
    notes: list[str] = []
    for idx in range(min(count, MAX_SIGNATURES)):
        checker = dkim.DKIM(raw, logger=log)
        try:
            ok = checker.verify(idx=idx, dnsfunc=txt)
        except dkim.DKIMException as exc:
            notes.append(f"DKIM signature {idx + 1}: {exc}")
            continue
        except Exception as exc:  # dkimpy on hostile bytes
            notes.append(f"DKIM signature {idx + 1} unreadable: {type(exc).__name__}")
            continue
        domain = (checker.domain or b"").decode("ascii", "replace").lower()
        if ok and domain:
            passed.append(domain)
        else:
            notes.append(f"DKIM signature {idx + 1} (d={domain}) does not verify")
    if passed:
        return "pass", tuple(passed), notes
    if count == 0:
        return "none", (), notes
    return ("temperror" if temp else "fail"), (), notes


def _dmarc_record(resolver: Dns, domain: str) -> tuple[dict[str, str] | None, str | None]:
    """The DMARC tags for ``domain`` (own record, else its organisational domain's)."""
    for name in dict.fromkeys([domain, organisational_domain(domain)]):
        try:
            records = [r for r in resolver.txt(f"_dmarc.{name}") if r.startswith(b"v=DMARC1")]
        except DnsError as exc:
            return None, str(exc)
        if len(records) == 1:
            tags: dict[str, str] = {}
            for part in records[0].decode("ascii", "replace").split(";"):
                key, _, value = part.strip().partition("=")
                if key:
                    tags[key.strip().lower()] = value.strip().lower()
            if name != domain and "sp" in tags:
                tags["p"] = tags["sp"]
            return tags, None
    return None, None


def authenticate(
    raw: bytes,
    *,
    mail_from: str,
    peer_ip: str | None,
    helo: str | None = None,
    resolver: Dns,
) -> AuthResult:
    """Check SPF, DKIM and DMARC alignment of a received mail."""
    try:
        msg = _headers(raw)
    except Exception:  # the stdlib parser on hostile bytes
        return AuthResult(detail=("the header section is unreadable",))
    from_domain, from_problem = _from_domain(msg)
    detail: list[str] = [from_problem] if from_problem else []
    sender = mail_from.strip().strip("<>").strip()
    spf_domain = _domain_of(sender) if sender else None
    spf_result = _check_spf(resolver, sender, peer_ip, helo) if spf_domain else "none"
    count = len(msg.get_all("DKIM-Signature") or [])
    dkim_result, dkim_domains, notes = _check_dkim(resolver, raw, count)
    detail.extend(notes)
    dmarc, policy, domain = "none", None, None
    if from_domain is not None:
        tags, dns_problem = _dmarc_record(resolver, from_domain)
        aspf = (tags or {}).get("aspf", "r")
        adkim = (tags or {}).get("adkim", "r")
        spf_ok = spf_result == "pass" and spf_domain and _aligned(spf_domain, from_domain, aspf)
        dkim_ok = any(_aligned(d, from_domain, adkim) for d in dkim_domains)
        if spf_ok or dkim_ok:
            domain = from_domain
        policy = (tags or {}).get("p")
        if tags is not None:
            dmarc = "pass" if domain else "fail"
        elif dns_problem:
            dmarc = "pass" if domain else "temperror"
            detail.append(f"DMARC lookup: {dns_problem}")
        if domain is None:
            detail.append(f"neither SPF nor DKIM passed for a domain aligned with {from_domain}")
    return AuthResult(
        spf=spf_result,
        spf_domain=spf_domain,
        dkim=dkim_result,
        dkim_domains=dkim_domains,
        dmarc=dmarc,
        dmarc_policy=policy,
        from_domain=from_domain,
        domain=domain,
        detail=tuple(detail),
    )


# ----------------------------------------------------------------------------- trusted header

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z0-9_-]+)(.*)$", re.S | re.I)
_PROP = re.compile(r"([a-z0-9_-]+\.[a-z0-9_.-]+)\s*=\s*([^\s;]+)", re.I)


def _parse_ar(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    text = _COMMENT.sub(" ", " ".join(value.split()))
    parts = [p.strip() for p in text.split(";")]
    authserv = parts[0].split()[0].lower() if parts and parts[0].split() else ""
    results = []
    for part in parts[1:]:
        m = _RESULT.match(part)
        if not m:
            continue
        props = {k.lower(): v.strip('"').lower() for k, v in _PROP.findall(m.group(3))}
        results.append((m.group(1).lower(), m.group(2).lower(), props))
    return authserv, results


def from_trusted_header(raw: bytes, authserv_id: str) -> AuthResult:
    """The result the trusted MTA wrote in its (topmost) Authentication-Results header."""
    source = f"header:{authserv_id}"
    try:
        msg = _headers(raw)
    except Exception:
        return AuthResult(source=source, detail=("the header section is unreadable",))
    from_domain, from_problem = _from_domain(msg)
    found = None
    for value in msg.get_all("Authentication-Results") or []:
        authserv, results = _parse_ar(str(value))
        if authserv == authserv_id.lower():
            found = results
            break
    if found is None:
        return AuthResult(
            from_domain=from_domain,
            source=source,
            detail=(f"no Authentication-Results header from {authserv_id}",),
        )
    spf_result, spf_domain, dkim_result, dmarc = "none", None, "none", "none"
    dkim_domains: list[str] = []
    for method, result, props in found:
        if method == "spf":
            spf_result = result
            spf_domain = _domain_of(props.get("smtp.mailfrom", "")) or props.get("smtp.mailfrom")
        elif method == "dkim":
            if result == "pass" and props.get("header.d"):
                dkim_domains.append(props["header.d"])
                dkim_result = "pass"
            elif dkim_result != "pass":
                dkim_result = result
        elif method == "dmarc":
            dmarc = result
    domain = None
    if from_domain is not None:
        spf_ok = spf_result == "pass" and spf_domain and _aligned(spf_domain, from_domain, "r")
        dkim_ok = any(_aligned(d, from_domain, "r") for d in dkim_domains)
        if dmarc == "pass" or spf_ok or dkim_ok:
            domain = from_domain
    return AuthResult(
        spf=spf_result,
        spf_domain=spf_domain,
        dkim=dkim_result,
        dkim_domains=tuple(dkim_domains),
        dmarc=dmarc,
        from_domain=from_domain,
        domain=domain,
        source=source,
        detail=(from_problem,) if from_problem else (),
    )


# ----------------------------------------------------------------------------- allow-list


def allowed_by_list(
    allowed: tuple[str, ...], auth_domain: str | None, from_header: str | None
) -> bool:
    """The allow-list verdict on the *authenticated* sender.

    Entries are domains (``b.example`` or ``@b.example``): the mail must be
    authenticated for that domain; or addresses (``a@b.example``): the single
    From address must be that one and its domain authenticated.  An empty list
    allows every mail.
    """
    if not allowed:
        return True
    if not auth_domain:
        return False
    addresses = [a.lower() for _, a in email.utils.getaddresses([from_header or ""]) if a]
    sender = addresses[0] if len(addresses) == 1 else ""
    for entry in (a.strip().strip("<>").strip().lower() for a in allowed):
        bare = entry.lstrip("@")
        if "@" in bare:
            if bare == sender and _domain_of(sender) == auth_domain:
                return True
        elif bare == auth_domain:
            return True
    return False
