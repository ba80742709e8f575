"""Page script: analytical accounting: dimensions and codes, a distribution per entry
line, the result per code per month (table, chart, CSV and XLSX)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from pipeline.service import ServiceError, UserView
from review_ui.common import current_user, esc, flash, money, run_command, service, show_flash
from review_ui.views._dossier_pick import pick_dossier


def _dimensions(user: UserView, dossier_id: int) -> None:
    svc = service()
    dims = svc.analytic_dimensions(user, dossier_id)
    st.subheader("Dimensions and codes")
    if dims:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Dimension": d.name + ("" if d.active else " (inactive)"),
                        "Codes": ", ".join(
                            c.code
                            + (f" ({c.label})" if c.label else "")
                            + ("" if c.active else " [inactive]")
                            for c in d.codes
                        ),
                    }
                    for d in dims
                ]
            ),
            hide_index=True,
        )
    else:
        st.info("No analytical dimensions yet: add one, e.g. cost centre or project.")
    with st.form("an_add"):
        name = st.text_input("Dimension (new or existing)", key="an_name")
        codes = st.text_input("Codes, separated by spaces (CODE or CODE:label)", key="an_codes")
        if st.form_submit_button("Add dimension / codes"):
            got = run_command("Add", svc.add_dimension, user, dossier_id, name, codes.split())
            if got is not None:
                flash(f"{got.name}: {len(got.codes)} codes.")
                st.rerun()


def _distribution(user: UserView) -> None:
    svc = service()
    st.subheader("Distribute an entry line")
    entry_id = st.number_input("Entry id", min_value=1, step=1, value=None, key="an_entry")
    if entry_id is None:
        return
    try:
        lines = svc.line_distributions(user, int(entry_id))
    except ServiceError as exc:
        st.error(f"Entry refused: {esc(exc)}")
        return
    if not lines:
        st.info("This entry has no cost or revenue line, or the dossier no active dimension.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Line": ln.seq,
                    "Account": ln.account,
                    "Description": ln.description,
                    "Amount": money(ln.amount),
                    "Dimension": ln.dimension,
                    "Distribution": ", ".join(
                        f"{p.code} {p.pct}% = {money(p.amount)}" for p in ln.parts
                    )
                    + (" (default, stored when confirmed)" if ln.is_default else ""),
                }
                for ln in lines
            ]
        ),
        hide_index=True,
    )
    with st.form("an_distribute"):
        seqs = sorted({ln.seq for ln in lines})
        line = st.selectbox("Line", seqs, key="an_line")
        dims = sorted({ln.dimension for ln in lines})
        dimension = st.selectbox("Dimension", dims, key="an_dim")
        shares = st.text_input("Shares: CODE=PERCENT, separated by spaces", key="an_shares")
        if st.form_submit_button("Save distribution"):
            pairs = [tuple(s.split("=", 1)) if "=" in s else (s, "") for s in shares.split()]
            got = run_command(
                "Distribution",
                svc.distribute,
                user,
                int(entry_id),
                int(line),
                pairs,
                dimension=dimension,
            )
            if got is not None:
                flash("Distribution saved: " + ", ".join(f"{p.code} {p.amount}" for p in got))
                st.rerun()


def _report(user: UserView, dossier_id: int) -> None:
    svc = service()
    dims = [d.name for d in svc.analytic_dimensions(user, dossier_id)]
    st.subheader("Result per code per month")
    if not dims:
        return
    cols = st.columns(2)
    dimension = cols[0].selectbox("Dimension", dims, key="an_rep_dim")
    year = cols[1].number_input(
        "Year", min_value=2000, max_value=2100, value=dt.date.today().year, key="an_year"
    )
    try:
        report = svc.analytic_report(user, dossier_id, dimension, int(year))
    except ServiceError as exc:
        st.error(f"Report refused: {esc(exc)}")
        return
    if not report.rows:
        st.info("No booked cost or revenue lines in this year.")
        return
    frame = pd.DataFrame(
        [
            {
                "Code": r.code,
                "Month": r.month,
                "Revenue": float(r.revenue),
                "Costs": float(r.costs),
                "Result": float(r.result),
            }
            for r in report.rows
        ]
    )
    st.dataframe(frame, hide_index=True)
    st.markdown(f"**Total result:** {esc(money(report.total))}")
    st.bar_chart(frame.pivot_table(index="Month", columns="Code", values="Result", aggfunc="sum"))
    name = f"analytics-{dimension}-{int(year)}".replace(" ", "_")
    dl = st.columns(2)
    dl[0].download_button(
        "Download CSV",
        svc.analytic_report_csv(user, dossier_id, dimension, int(year)),
        file_name=f"{name}.csv",
        mime="text/csv",
        key="an_dl_csv",
    )
    dl[1].download_button(
        "Download XLSX",
        svc.analytic_report_xlsx(user, dossier_id, dimension, int(year)),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="an_dl_xlsx",
    )


def render() -> None:
    show_flash()
    user = current_user()
    st.header("Analytics")
    dossier_id = pick_dossier(user, "an_dossier")
    if dossier_id is None:
        return
    try:
        _dimensions(user, dossier_id)
    except ServiceError as exc:
        st.error(f"Analytics refused: {esc(exc)}")
        return
    _distribution(user)
    _report(user, dossier_id)


if __name__ == "__main__":
    render()
