"""Quota alerts: when a dossier's storage use crosses 80 % and 100 % of its free GB, and
when the trend says it will be full within 30 days (issue 17 item 4).

The forecast is a straight line through the dossier's recent daily use:

* the window is the last :data:`WINDOW_DAYS` days up to today; each day's figure is the
  last use recorded on or before it (``usage_day`` is written on the days the use
  changed; today's figure is the running counter);
* with fewer than :data:`MIN_DAYS` days of history (the dossier is new) there is no
  forecast;
* the slope is the least-squares fit of use against the day number (bytes per day);
  from today's use, at that pace, the free GB is full after
  ``(free - used) / slope`` days.  A flat or falling trend never fills it.

The ``forecast`` alert goes out when that day is within :data:`HORIZON_DAYS` days (and
the dossier is not over the limit already; the 100 % alert covers that).  Each alert
(``80``, ``100``, ``forecast``) is mailed once per dossier and calendar month; the
sending (:func:`run_alerts`) and the glue (:func:`run_if_due` for the worker's
reconciler, :func:`after_intake` for the intake steps) are at the bottom of this module;
it never imports :mod:`pipeline.service` (the actors import it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from pipeline.email_address import is_email

if TYPE_CHECKING:
    from pipeline.runtime import Runtime

__all__ = [
    "FORECAST",
    "HORIZON_DAYS",
    "LEVELS",
    "MIN_DAYS",
    "WINDOW_DAYS",
    "AlertText",
    "Forecast",
    "QuotaAlertView",
    "after_intake",
    "alert_text",
    "alert_view",
    "due_alerts",
    "forecast",
    "recipients",
    "run_alerts",
    "run_if_due",
]

log = logging.getLogger(__name__)

WINDOW_DAYS = 30
MIN_DAYS = 7
HORIZON_DAYS = 30
#: the use levels, as a fraction of the free GB, by the name of their alert
LEVELS: tuple[tuple[str, float], ...] = (("80", 0.8), ("100", 1.0))
FORECAST = "forecast"
ORDER = ("80", "100", FORECAST)


@dataclass(frozen=True, slots=True)
class Forecast:
    """The trend of a dossier's use: bytes per day and the day the free GB is full."""

    bytes_per_day: float
    days: int  # days of history the line was fitted on
    full_on: dt.date | None  # None: a flat or falling trend, or already over

    def within(self, today: dt.date, horizon: int = HORIZON_DAYS) -> bool:
        return self.full_on is not None and (self.full_on - today).days <= horizon


def forecast(daily: Sequence[int], today: dt.date, free: int) -> Forecast | None:
    """The forecast from ``daily`` (the use of consecutive days, the last being today).

    None with fewer than :data:`MIN_DAYS` days."""
    values = [int(v) for v in daily][-WINDOW_DAYS:]
    n = len(values)
    if n < MIN_DAYS:
        return None
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    slope = sxy / sxx
    used = values[-1]
    if slope <= 0 or used >= free:
        return Forecast(slope, n, None)
    days = math.ceil((free - used) / slope)
    try:
        full_on = today + dt.timedelta(days=days)
    except OverflowError:
        return Forecast(slope, n, None)
    return Forecast(slope, n, full_on)


def due_alerts(
    used: int, free: int, fc: Forecast | None, today: dt.date, sent: set[str]
) -> list[str]:
    """The alerts due now and not yet sent this month, in :data:`ORDER`."""
    due = [name for name, share in LEVELS if free > 0 and used >= share * free]
    if used < free and fc is not None and fc.within(today):
        due.append(FORECAST)
    return [name for name in ORDER if name in due and name not in sent]


# ----------------------------------------------------------------------------- the mail


@dataclass(frozen=True, slots=True)
class AlertText:
    subject: str
    body: str


_T: dict[str, dict[str, str]] = {
    "nl": {
        "subject": "Opslag van dossier {dossier}: {what}",
        "80": "Het dossier {dossier} gebruikt {used} van de {free} gratis opslag ({pct} %).",
        "100": (
            "Het dossier {dossier} gebruikt {used}: meer dan de {free} gratis opslag ({pct} %)."
            " Elke begonnen GB daarboven kost EUR 1 per maand."
        ),
        "forecast": (
            "Aan dit tempo ({rate} per dag) is de gratis opslag van {free} vol rond {date}."
        ),
        "what_80": "80 % van de gratis opslag",
        "what_100": "gratis opslag overschreden",
        "what_forecast": "vol binnen 30 dagen",
        "end": (
            "Ongewenste documenten kunnen worden opgeruimd zodat ze niet worden"
            " aangerekend.\n\nMet vriendelijke groeten,\nboekbox"
        ),
        "hello": "Beste,",
    },
    "fr": {
        "subject": "Stockage du dossier {dossier} : {what}",
        "80": ("Le dossier {dossier} utilise {used} des {free} de stockage gratuit ({pct} %)."),
        "100": (
            "Le dossier {dossier} utilise {used} : plus que les {free} de stockage gratuit"
            " ({pct} %). Chaque Go entamé au-delà coûte 1 EUR par mois."
        ),
        "forecast": (
            "À ce rythme ({rate} par jour), les {free} de stockage gratuit seront pleins"
            " vers le {date}."
        ),
        "what_80": "80 % du stockage gratuit",
        "what_100": "stockage gratuit dépassé",
        "what_forecast": "plein dans les 30 jours",
        "end": (
            "Les documents indésirables peuvent être supprimés pour ne pas être facturés."
            "\n\nCordialement,\nboekbox"
        ),
        "hello": "Madame, Monsieur,",
    },
    "de": {
        "subject": "Speicher des Dossiers {dossier}: {what}",
        "80": ("Das Dossier {dossier} belegt {used} der {free} freien Speichers ({pct} %)."),
        "100": (
            "Das Dossier {dossier} belegt {used}: mehr als die {free} freien Speichers"
            " ({pct} %). Jedes angefangene GB darüber kostet 1 EUR pro Monat."
        ),
        "forecast": (
            "Bei diesem Tempo ({rate} pro Tag) sind die {free} freien Speichers um den {date} voll."
        ),
        "what_80": "80 % des freien Speichers",
        "what_100": "freier Speicher überschritten",
        "what_forecast": "voll innerhalb von 30 Tagen",
        "end": (
            "Unerwünschte Dokumente können entfernt werden, damit sie nicht berechnet"
            " werden.\n\nMit freundlichen Grüßen,\nboekbox"
        ),
        "hello": "Sehr geehrte Damen und Herren,",
    },
    "en": {
        "subject": "Storage of dossier {dossier}: {what}",
        "80": "Dossier {dossier} uses {used} of its {free} of free storage ({pct} %).",
        "100": (
            "Dossier {dossier} uses {used}: more than its {free} of free storage ({pct} %)."
            " Every started GB above it costs EUR 1 a month."
        ),
        "forecast": "At this pace ({rate} a day) the free {free} is full around {date}.",
        "what_80": "80 % of the free storage",
        "what_100": "free storage exceeded",
        "what_forecast": "full within 30 days",
        "end": (
            "Unwanted documents can be purged so they are not billed.\n\nKind regards,\nboekbox"
        ),
        "hello": "Hello,",
    },
}
LANGUAGES = tuple(_T)


def _size(n: float) -> str:
    if abs(n) >= 1_000_000_000:
        return f"{n / 1_000_000_000:.2f} GB"
    return f"{n / 1_000_000:.1f} MB"


def _clean(value: str, limit: int = 120) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(text.split())[:limit] or "?"


def alert_text(
    language: str,
    alerts: Sequence[str],
    *,
    dossier: str,
    used: int,
    free: int,
    fc: Forecast | None,
) -> AlertText:
    """The mail for ``alerts`` (due together) in the dossier's language (Dutch when
    unknown); the subject names the most urgent one."""
    t = _T.get(language, _T["nl"])
    values = {
        "dossier": _clean(dossier),
        "used": _size(used),
        "free": _size(free),
        "pct": f"{100 * used / max(free, 1):.0f}",
        "rate": _size(fc.bytes_per_day if fc else 0),
        "date": fc.full_on.isoformat() if fc and fc.full_on else "?",
    }
    levels = [a for a in alerts if a in ("80", "100")]
    lines = [t[levels[-1]].format(**values)] if levels else []
    if FORECAST in alerts or (fc is not None and fc.full_on is not None):
        lines.append(t["forecast"].format(**values))
    if not lines:
        lines.append(t["80"].format(**values))
    main = max(alerts, key=lambda a: ("forecast", "80", "100").index(a)) if alerts else "80"
    subject = t["subject"].format(dossier=values["dossier"], what=t[f"what_{main}"])
    body = "\n\n".join([t["hello"], *lines, t["end"]]) + "\n"
    return AlertText(subject, body)


# ----------------------------------------------------------------------------- sending


@dataclass(frozen=True, slots=True)
class QuotaAlertView:
    """A quota alert mailed: ``threshold`` is ``80``, ``100`` or ``forecast``."""

    dossier_id: int
    month: str
    threshold: str
    used_bytes: int
    recipients: tuple[str, ...]
    sent_at: dt.datetime


def alert_view(row: Any) -> QuotaAlertView:
    return QuotaAlertView(
        dossier_id=int(row.dossier_id),
        month=str(row.month),
        threshold=str(row.threshold),
        used_bytes=int(row.used_bytes),
        recipients=tuple(str(r) for r in row.recipients or ()),
        sent_at=row.sent_at,
    )


def recipients(members: Sequence[tuple[str, str, str | None]]) -> list[str]:
    """The addresses to mail, from (username, role, e-mail) rows: each member's e-mail
    address first, else the user name when that is an address; members with neither
    are left out; an address shared by two members is mailed once."""
    out: dict[str, str] = {}
    for username, _role, email in members:
        addr = email or _address(username)
        if addr:
            out.setdefault(addr.lower(), addr)
    return list(out.values())


def _address(value: str) -> str | None:
    """A user name that is a plain e-mail address, else None."""
    addr = parseaddr(value)[1].strip()
    return addr if is_email(addr) else None


def run_alerts(
    rt: Runtime, *, dossier_id: int | None = None, today: dt.date | None = None
) -> list[QuotaAlertView]:
    """Mail the alerts due now and not sent this month (every dossier, or one); returns
    the alerts sent.  Nothing without ``BOEKBOX_OUTGOING_SMTP_URL``.  A relay that
    fails for a dossier is logged and leaves it for the next run."""
    from pipeline.invoice_channels import ChannelError
    from storage import NotFound, repo
    from storage.models import utcnow

    url = rt.settings.outgoing_smtp_url
    if not url:
        return []
    today = today or utcnow().date()
    month = today.strftime("%Y-%m")
    if dossier_id is None:
        with rt.tx() as s:
            ids = [d.id for d in repo.list_dossiers(s)]
    else:
        ids = [dossier_id]
    out: list[QuotaAlertView] = []
    for did in ids:
        try:
            out.extend(_alert_dossier(rt, did, month, today, url))
        except ChannelError as exc:
            log.warning("quota alert of dossier %s not sent (retried): %s", did, exc.reason)
        except NotFound:
            continue
    return out


def _alert_dossier(
    rt: Runtime, dossier_id: int, month: str, today: dt.date, url: str
) -> list[QuotaAlertView]:
    from pipeline.invoice_channels import ChannelError, MailRelay, Outgoing
    from storage import repo
    from storage.models import QuotaAlert
    from storage.quota import alert_members, claim_alerts, daily_use, sent_alerts

    with rt.tx() as s:
        d = repo.get_dossier(s, dossier_id)
        used, free = int(d.used_bytes or 0), int(d.free_bytes or 0)
        fc = forecast(daily_use(s, d, today, WINDOW_DAYS), today, free)
        due = due_alerts(used, free, fc, today, sent_alerts(s, d.id, month))
        if not due:
            return []
        to = recipients(alert_members(s, d.id))
        if not to:
            log.warning(
                "quota alert %s of dossier %s: no accountant or entrepreneur with an"
                " e-mail address (set one with `boekbox user email`)",
                "/".join(due),
                d.id,
            )
            return []
        if not claim_alerts(s, d.id, month, due, used):
            return []  # another process sent them
        language = str((d.settings or {}).get("language") or "nl")
        text = alert_text(language, due, dossier=d.name, used=used, free=free, fc=fc)
        domain = rt.settings.mail_domain
        relay = MailRelay(url)
        delivered: list[str] = []
        for addr in to:
            tag = hashlib.sha256(addr.lower().encode()).hexdigest()[:12]
            item = Outgoing(
                message_id=f"quota-{d.id}-{month}-{'-'.join(due)}-{tag}@{domain}",
                recipient=addr,
                number=f"quota-{month}",
                sender_name="boekbox",
                sender_email=f"noreply@{domain}",
                subject=text.subject,
                body=text.body,
                pdf=None,
                ubl=None,
            )
            try:
                relay.send(item)
            except ChannelError as exc:
                if exc.retry:
                    raise  # the claim rolls back: the next run sends it
                log.warning("quota alert to %s refused by the relay: %s", addr, exc.reason)
                continue
            delivered.append(addr)
        views = []
        for name in due:
            row = s.get(QuotaAlert, (d.id, month, name))
            assert row is not None
            row.recipients = delivered
            views.append(alert_view(row))
        repo.audit(
            s,
            "quota_alert",
            dossier_id=d.id,
            month=month,
            thresholds=due,
            used_bytes=used,
            recipients=delivered,
            language=language,
        )
        return views


# ----------------------------------------------------------------------------- glue

_next_run: float | None = None


def run_if_due(rt: Runtime | None = None, now: float | None = None) -> int | None:
    """From the worker's reconciler: check every dossier every
    ``BOEKBOX_QUOTA_ALERT_EVERY_SECONDS`` (0 = never); returns the alerts sent (one
    mail per dossier and recipient covers the alerts due together), None when not due."""
    global _next_run
    from pipeline.runtime import get_runtime

    rt = rt or get_runtime()
    every = float(rt.settings.quota_alert_every_seconds)
    if every <= 0:
        return None
    now = time.monotonic() if now is None else now
    if _next_run is not None and now < _next_run:
        return None
    _next_run = now + every
    return len(run_alerts(rt))


def after_intake(rt: Runtime, document_id: int) -> None:
    """After a document was taken in: check its dossier (never fails the caller)."""
    from storage import repo

    if not rt.settings.outgoing_smtp_url:
        return  # nothing can be sent
    try:
        with rt.tx() as s:
            dossier_id = repo.get_document(s, document_id).dossier_id
        run_alerts(rt, dossier_id=dossier_id)
    except Exception:
        log.exception("quota alert check after document %s failed", document_id)
