"""Dashboard: result per month against the previous year, VAT position, receivables
and payables ageing, top customers and suppliers (Altair charts), and the user's own
charts, built from a measure (an account range such as 60-61), stored per user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from pipeline.service import DashboardView, OwnChartView, ServiceError, UserView
from review_ui.common import current_user, esc, money, run_command, service, show_flash
from review_ui.views._dossier_pick import pick_dossier

FIGURES = {
    "revenue": "Revenue (70)",
    "costs": "Costs (class 6)",
    "gross_margin": "Gross margin (70 - 60)",
    "result": "Result (class 7 - class 6)",
}
GRANULARITY = {"month": "Month", "quarter": "Quarter", "year": "Year"}
CHART_TYPES = {"bar": "Bars", "line": "Line", "area": "Area"}


def _chart(frame: pd.DataFrame, x: str, y: str, kind: str = "bar", color: str | None = None) -> Any:
    base = alt.Chart(frame)
    mark = {"bar": base.mark_bar(), "line": base.mark_line(point=True), "area": base.mark_area()}
    enc: dict[str, Any] = {
        "x": alt.X(f"{x}:N", title=None, sort=None),
        "y": alt.Y(f"{y}:Q", title="EUR"),
        "tooltip": [x, alt.Tooltip(f"{y}:Q", format=",.2f")] + ([color] if color else []),
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None, legend=alt.Legend(orient="bottom"))
        if kind == "bar":
            enc["xOffset"] = f"{color}:N"
    return mark.get(kind, base.mark_bar()).encode(**enc).properties(height=260)


def _show(chart: Any, key: str) -> None:
    st.altair_chart(chart, width="stretch", key=key)


def _result(dash: DashboardView) -> None:
    figure = st.selectbox("Figure", list(FIGURES), format_func=FIGURES.__getitem__, key="db_figure")
    months: Sequence[Any] = getattr(dash.result, str(figure or "revenue"))
    frame = pd.DataFrame(
        [
            {"Month": m.month, "Year": str(year), "EUR": float(value)}
            for m in months
            for year, value in ((dash.year, m.current), (dash.year - 1, m.previous))
        ]
    )
    _show(_chart(frame, "Month", "EUR", "bar", "Year"), "db_result_chart")
    this = sum(float(m.current) for m in months)
    last = sum(float(m.previous) for m in months)
    left, right = st.columns(2)
    left.metric(f"{dash.year}", f"{money(this)} EUR", f"{money(this - last)} EUR")
    right.metric(f"{dash.year - 1}", f"{money(last)} EUR")


def _vat(dash: DashboardView) -> None:
    if dash.vat is None:
        st.caption("No VAT period booked yet.")
        return
    label = "to pay (71)" if dash.vat.to_pay or not dash.vat.to_recover else "to recover (72)"
    st.metric(
        f"VAT {dash.vat.vat_period} {label}",
        f"{money(dash.vat.to_pay or dash.vat.to_recover)} EUR",
    )


def _ageing(dash: DashboardView) -> None:
    frame = pd.DataFrame(
        [
            {"Ageing": bucket, "Who": who, "EUR": float(value)}
            for who, ageing in (("Receivables", dash.receivables), ("Payables", dash.payables))
            for bucket, value in ageing.buckets
        ]
    )
    _show(_chart(frame, "Ageing", "EUR", "bar", "Who"), "db_ageing_chart")
    st.caption(
        f"Receivables open {money(dash.receivables.total)} · "
        f"payables open {money(dash.payables.total)} EUR"
    )


def _top(dash: DashboardView) -> None:
    for title, ranked, key in (
        ("Top customers", dash.top_customers, "db_top_customers"),
        ("Top suppliers", dash.top_suppliers, "db_top_suppliers"),
    ):
        st.markdown(f"**{title}**")
        if not ranked:
            st.caption("None yet.")
            continue
        frame = pd.DataFrame(
            [{"Name": r.counterparty or "?", "EUR": float(r.amount)} for r in ranked]
        )
        chart = (
            alt.Chart(frame)
            .mark_bar()
            .encode(
                y=alt.Y("Name:N", sort="-x", title=None),
                x=alt.X("EUR:Q", title="EUR"),
                tooltip=["Name", alt.Tooltip("EUR:Q", format=",.2f")],
            )
            .properties(height=28 * len(ranked) + 40)
        )
        _show(chart, key)


def _own_chart(user: UserView, dossier_id: int, chart: OwnChartView) -> None:
    st.markdown(f"**{esc(chart.name)}**")
    st.caption(
        f"accounts {esc(chart.measure)} · {chart.period_from} to {chart.period_to} · "
        f"per {chart.granularity} · total {money(chart.series.total)} EUR"
    )
    frame = pd.DataFrame([{"Period": p.bucket, "EUR": float(p.value)} for p in chart.series.points])
    _show(_chart(frame, "Period", "EUR", chart.chart_type), f"db_own_{chart.id}")
    if st.button("Delete this chart", key=f"db_own_delete_{chart.id}", type="tertiary"):
        try:
            service().delete_own_chart(user, dossier_id, chart.id)
        except ServiceError as exc:
            st.error(f"Delete chart refused: {esc(exc)}")
        else:
            st.rerun()


def _new_chart_form(user: UserView, dossier_id: int) -> None:
    today = dt.date.today()
    with st.form("db_new_chart", clear_on_submit=False):
        st.markdown("**Add a chart**")
        name = st.text_input("Name", max_chars=120, key="db_new_name", placeholder="Costs")
        measure = st.text_input(
            "Accounts", key="db_new_measure", placeholder="60-61 (a range or group, e.g. 70)"
        )
        left, right = st.columns(2)
        start = left.text_input("From (YYYY-MM)", value=f"{today.year}-01", key="db_new_from")
        end = right.text_input("To (YYYY-MM)", value=f"{today.year}-12", key="db_new_to")
        left, right = st.columns(2)
        granularity = left.selectbox(
            "Per", list(GRANULARITY), format_func=GRANULARITY.__getitem__, key="db_new_gran"
        )
        kind = right.selectbox(
            "Chart", list(CHART_TYPES), format_func=CHART_TYPES.__getitem__, key="db_new_type"
        )
        if st.form_submit_button("Add chart", type="primary"):
            added = run_command(
                "Add chart",
                service().add_own_chart,
                user,
                dossier_id,
                name,
                measure,
                start.strip(),
                end.strip(),
                str(granularity),
                str(kind),
            )
            if added is not None:
                st.session_state["db_added"] = name
                st.rerun()


def render() -> None:
    user = current_user()
    show_flash()
    st.header("Dashboard")
    dossier_id = pick_dossier(user, "db_dossier")
    if dossier_id is None:
        return
    this_year = dt.date.today().year
    year = st.selectbox("Year", list(range(this_year, this_year - 6, -1)), key="db_year")
    dash = service().dashboard(user, dossier_id, int(year or this_year))
    st.subheader("Result per month")
    _result(dash)
    st.subheader("VAT")
    _vat(dash)
    st.subheader("Receivables and payables")
    _ageing(dash)
    _top(dash)
    st.subheader("My charts")
    added = st.session_state.pop("db_added", None)
    if added:
        st.success(f"Chart {esc(added)} added.")
    charts = service().own_charts(user, dossier_id)
    if not charts:
        st.caption("No own charts yet: build one below.")
    for chart in charts:
        _own_chart(user, dossier_id, chart)
    _new_chart_form(user, dossier_id)


if __name__ == "__main__":
    render()
