"""One frozen settings object, built once from ``BOEKBOX_*`` variables.

Errors name the variable.  Shells (CLI, actors, SMTP server, UI service)
read settings; the pure cores receive plain values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

__all__ = ["ConfigError", "Settings", "load_settings"]


class ConfigError(ValueError):
    """A configuration variable has a value boekbox cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///./var/boekbox.db"
    blob_store: str = "./var/blobs"
    s3_endpoint_url: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    broker: str = "sqlite"
    broker_url: str = "./var/queue.db"
    mail_domain: str = "dossiers.boekbox.localhost"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_max_bytes: int = 52_428_800
    smtp_tls_cert: str | None = None
    smtp_tls_key: str | None = None
    smtp_proxy_protocol: bool = False
    smtp_max_connections: int = 200
    smtp_max_connections_per_ip: int = 20
    smtp_max_messages_per_minute_per_ip: int = 600
    smtp_command_timeout: float = 300.0
    #: idle timeout once 80% of ``smtp_max_connections`` are open (idle sessions are shed)
    smtp_busy_timeout: float = 15.0
    #: most times one session may send the same command (MAIL, RCPT, RSET, ...)
    smtp_max_commands: int = 1000
    #: a DATA section larger than this is spooled to a temp file, not kept in memory
    smtp_spool_bytes: int = 1_048_576
    #: spool directory ("" = ``<blob_store>/spool``, or the system temp dir for S3)
    smtp_spool_dir: str = ""
    #: bytes of spooled mails loaded into memory at once for storing (all sessions)
    smtp_memory_budget_bytes: int = 268_435_456
    #: CIDRs allowed to send a PROXY header (only used with smtp_proxy_protocol)
    smtp_trusted_proxies: str = "127.0.0.1/32,::1/128"
    #: default intake cap per dossier and UTC day (0 = none); a dossier's
    #: ``settings["intake_bytes_per_day"]`` overrides it
    intake_bytes_per_day: int = 524_288_000
    ui_host: str = "127.0.0.1"
    ui_port: int = 8501
    #: a web session ends after this many minutes without a click (and at logout)
    ui_session_idle_minutes: int = 120
    #: and in any case this many hours after the log-in
    ui_session_max_hours: int = 12
    #: mark the session cookie Secure (set when the UI is served over HTTPS)
    ui_cookie_secure: bool = False
    #: show Streamlit's developer menu and Deploy button (never in production)
    ui_developer_mode: bool = False
    worker_processes: int = 2
    worker_threads: int = 2
    #: worker processes that only read documents needing OCR (0 = one per CPU core, at most 4)
    ocr_processes: int = 0
    reconcile_after_seconds: int = 300
    #: blobs no row refers to are deleted once last written this long ago (storage.blobgc)
    blob_gc_grace_seconds: float = 86_400.0
    #: how often the worker's reconciler runs the blob garbage collector (0 = never)
    blob_gc_every_seconds: float = 3_600.0
    #: how often the worker's reconciler re-hashes a random sample of blobs (0 = never)
    blob_verify_every_seconds: float = 21_600.0
    #: how many blobs that sample check re-hashes
    blob_verify_sample: int = 200
    step_time_limit_seconds: int = 600
    max_retries: int = 5
    ocr_languages: str = "nld+fra+deu+eng"
    ocr_page_timeout_seconds: float = 120.0
    extract_memory_mb: int = 1024
    extract_cpu_seconds: int = 300
    max_deliveries: int = 3
    #: sender authentication of received mail: "check" (SPF, DKIM, DMARC over DNS),
    #: "header" (trust the Authentication-Results of ``mail_auth_trusted_authserv_id``)
    mail_auth: str = "check"
    #: authserv-id of the upstream MTA whose Authentication-Results header is trusted
    mail_auth_trusted_authserv_id: str = ""
    #: DNS servers for the checks ("ip" or "ip:port", comma-separated; "" = the system's)
    dns_servers: str = ""
    dns_timeout_seconds: float = 5.0
    #: outgoing mail relay for sending invoices: smtp://user:pass@host:port?starttls=1
    outgoing_smtp_url: str | None = None
    #: Peppol access point (Storecove REST API v2 base URL) and its API key
    peppol_ap_url: str | None = None
    peppol_ap_token: str | None = None
    #: the firm's own dossier (id or mail address): the issuer of the quota invoices
    firm_dossier: str = ""
    #: how often the worker's reconciler checks the quota alerts (0 = never)
    quota_alert_every_seconds: float = 900.0
    #: late-payment reference rates added to or correcting boekbox's table, per half-year:
    #: "2026-2=10.5, 2027-1=10" (the Gazette notice's rate, until a release carries it)
    late_interest_rates: str = ""
    log_level: str = "INFO"

    @property
    def var_dir(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///")).parent
        return Path("./var")


def _convert(name: str, raw: str, default: object) -> object:
    var = f"BOEKBOX_{name.upper()}"
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{var} must be a boolean (0/1), got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{var} must be an integer, got {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{var} must be a number, got {raw!r}") from None
    return raw or None if default is None else raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    defaults = Settings()
    for f in fields(Settings):
        var = f"BOEKBOX_{f.name.upper()}"
        if var in env:
            values[f.name] = _convert(f.name, env[var], getattr(defaults, f.name))
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.broker not in {"sqlite", "redis", "stub"}:
        raise ConfigError(f"BOEKBOX_BROKER must be sqlite or redis, got {settings.broker!r}")
    if settings.mail_auth not in {"check", "header"}:
        raise ConfigError(f"BOEKBOX_MAIL_AUTH must be check or header, got {settings.mail_auth!r}")
    if settings.mail_auth == "header" and not settings.mail_auth_trusted_authserv_id:
        raise ConfigError(
            "BOEKBOX_MAIL_AUTH=header needs BOEKBOX_MAIL_AUTH_TRUSTED_AUTHSERV_ID"
            " (the authserv-id of the MTA whose Authentication-Results header is trusted)"
        )
    if settings.late_interest_rates:
        from invoicing.reminders import parse_reference_rates

        try:
            parse_reference_rates(settings.late_interest_rates)
        except ValueError as exc:
            raise ConfigError(f"BOEKBOX_LATE_INTEREST_RATES: {exc}") from None
    return settings
