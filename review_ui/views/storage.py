"""Storage: bytes, documents, the free 1 GB, extra GB and monthly cost per dossier,
the alerts of those dossiers (e.g. the daily intake cap reached), the forecast of each
dossier's use ("at this pace the free GB is full around <date>"), the quota alerts
mailed, and the dossier's retention in years (set by whoever may close its periods)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import streamlit as st

from pipeline.service import Permission, QuotaOutlookView, QuotaView, UserView
from review_ui.common import current_user, esc, money, run_command, service, show_flash, size

NEAR = 0.8


def _status(q: QuotaView) -> str:
    if q.used_bytes > q.free_bytes:
        return "over the free allowance"
    if q.used_fraction >= NEAR:
        return "near the limit"
    return "ok"


def _table(quotas: list[QuotaView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Dossier": q.dossier_name,
                "Status": _status(q),
                "Used": size(q.used_bytes),
                "Use of free": q.used_fraction,
                "Documents": q.documents,
                "Free": size(q.free_bytes),
                "Extra GB": q.extra_gb,
                "EUR / month": money(q.monthly_cost_eur),
            }
            for q in quotas
        ]
    )


def _history(quotas: list[QuotaView]) -> pd.DataFrame:
    points = [
        {"day": pd.Timestamp(day), "dossier": q.dossier_name, "MB": used / 1_000_000}
        for q in quotas
        for day, used in q.history
    ]
    if not points:
        return pd.DataFrame()
    frame = pd.DataFrame(points).pivot_table(index="day", columns="dossier", values="MB")
    return frame.sort_index().ffill().fillna(0)


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Storage")
    quotas = service().quotas(user)  # near or over the limit first
    if not quotas:
        st.info("You have no dossiers yet.")
        return
    over = [q for q in quotas if q.extra_gb]
    total = sum((q.monthly_cost_eur for q in quotas), Decimal(0))
    a, b, c = st.columns(3)
    a.metric("Dossiers", len(quotas))
    b.metric("Over the free 1 GB", len(over))
    c.metric("Extra cost per month", f"EUR {money(total)}")
    st.caption("EUR 1 per started GB above each dossier's free allowance; duplicates count once.")
    st.dataframe(
        _table(quotas),
        hide_index=True,
        key="storage_table",
        column_config={
            "Use of free": st.column_config.ProgressColumn(
                "Use of free", min_value=0.0, max_value=1.0, format="percent"
            )
        },
    )
    alerts = service().alerts(user, limit=20)
    if alerts:
        names = {q.dossier_id: q.dossier_name for q in quotas}
        st.subheader("Alerts")
        st.dataframe(  # a table, never Markdown: nothing here is rendered as markup
            pd.DataFrame(
                [
                    {
                        "When": a.at.strftime("%Y-%m-%d %H:%M"),
                        "Dossier": names.get(a.dossier_id or 0, str(a.dossier_id)),
                        "Alert": a.message or a.kind,
                    }
                    for a in alerts
                ]
            ),
            hide_index=True,
            key="storage_alerts",
        )
        st.caption("Junk that got in can be purged so it is not billed: `boekbox purge-junk`.")
    history = _history(quotas)
    if not history.empty:
        st.subheader("Use over time (MB)")
        if len(history) == 1:  # a line needs two days: one day is a bar per dossier
            one_day = history.copy()
            one_day.index = [d.strftime("%Y-%m-%d") for d in one_day.index]
            st.bar_chart(one_day, stack=False)
        else:
            st.line_chart(history)
    _forecast_section(user)
    _mandate_section(user, quotas)
    _retention_section(user, quotas)


def _mandate_section(user: UserView, quotas: list[QuotaView]) -> None:
    """Per dossier, the suppliers still sending PDFs after the e-invoicing mandate."""
    rows = [
        {
            "Dossier": q.dossier_name,
            "Supplier": v.supplier_name,
            "VAT": v.supplier_vat,
            "PDFs": v.documents,
            "E-invoice requested": v.requested,
            "Last": v.last_date.isoformat() if v.last_date else "",
        }
        for q in quotas
        for v in service().mandate_suppliers(user, q.dossier_id)
    ]
    if rows:
        st.subheader("Suppliers still sending PDFs (e-invoicing mandate)")
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="storage_mandate")
        st.caption("Ask each for the Peppol e-invoice from the flagged document on Review.")


_ALERT_NAMES = {
    "80": "80 % of the free GB",
    "100": "over the free GB",
    "forecast": "full within 30 days (forecast)",
}


def forecast_line(v: QuotaOutlookView) -> str:
    """The forecast of one dossier, as a sentence (plain text)."""
    if v.used_bytes >= v.free_bytes:
        return f"{v.dossier_name}: over the free {size(v.free_bytes)} already."
    if v.bytes_per_day is None:
        return f"{v.dossier_name}: too little history for a forecast (a week is needed)."
    if v.full_on is None:
        return f"{v.dossier_name}: at this pace the free {size(v.free_bytes)} does not fill up."
    return (
        f"{v.dossier_name}: at this pace ({size(int(v.bytes_per_day))} a day) the free"
        f" {size(v.free_bytes)} is full around {v.full_on.isoformat()}."
    )


def _forecast_section(user: UserView) -> None:
    """Per dossier the trend of its use and the quota alerts mailed."""
    outlook = service().quota_outlook(user)
    if not outlook:
        return
    st.subheader("Forecast")
    soon = sorted((v for v in outlook if v.full_on), key=lambda v: v.full_on or dt.date.max)
    for v in soon[:20]:
        st.caption(esc(forecast_line(v)))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Dossier": v.dossier_name,
                    "Per day": size(int(v.bytes_per_day)) if v.bytes_per_day is not None else "",
                    "Full around": v.full_on.isoformat() if v.full_on else "",
                    "Days of history": v.history_days,
                }
                for v in outlook
            ]
        ),
        hide_index=True,
        key="storage_forecast",
    )
    st.caption(
        "A straight line through the daily use of the last 30 days (at least 7 days)."
        " The accountants and entrepreneurs of a dossier get a mail at 80 % and 100 % of the"
        " free GB and when it will be full within 30 days, each once a month."
    )
    names = {v.dossier_id: v.dossier_name for v in outlook}
    sent = sorted((a for v in outlook for a in v.alerts), key=lambda a: a.sent_at, reverse=True)
    if sent:
        st.subheader("Quota alerts sent")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Sent": a.sent_at.strftime("%Y-%m-%d %H:%M"),
                        "Dossier": names.get(a.dossier_id, str(a.dossier_id)),
                        "Quota alert": _ALERT_NAMES.get(a.threshold, a.threshold),
                        "Use then": size(a.used_bytes),
                        "To": ", ".join(a.recipients),
                    }
                    for a in sent[:200]
                ]
            ),
            hide_index=True,
            key="storage_quota_alerts",
        )


def _retention_section(user: UserView, quotas: list[QuotaView]) -> None:
    """The dossier's retention in years, set by whoever may close its periods."""
    svc = service()
    allowed = [
        q for q in quotas if Permission.CLOSE_PERIODS in svc.my_permissions(user, q.dossier_id)
    ]
    if not allowed:
        return
    st.subheader("Retention")
    names = {q.dossier_id: q.dossier_name for q in allowed}
    dossier_id = st.selectbox(
        "Dossier",
        list(names),
        format_func=lambda i: names[i],
        key="storage_ret_dossier",
    )
    if dossier_id is None:
        return
    current = service().retention_years(user, dossier_id)
    years = st.number_input(
        "Keep documents and books (years after the year of the document or bookyear)",
        min_value=7,
        max_value=100,
        value=current,
        step=1,
        key=f"storage_ret_years_{dossier_id}",
    )
    st.caption("Never below 7 years (company law); 10 by default (VAT Code art. 60 § 4).")
    if st.button("Save the retention", key="storage_ret_save"):
        done = run_command(
            "Setting the retention", service().set_retention_years, user, dossier_id, int(years)
        )
        if done is not None:
            st.success(f"{esc(names[dossier_id])} keeps its documents {done} years.")


if __name__ == "__main__":
    render()
