"""The proposed entry as an editable table, and the rows it gives back.

The editor hands amounts back as floats and empty cells as NaN/None; the
rows go to the service as plain dicts, where they are converted with
``Decimal(str(x))`` and checked again (balance, locked period).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import AccountView, EntryView

COLUMNS = ["account", "description", "debit", "credit", "vat_code", "vat_grids", "reason", "kind"]
SHOWN = ["account", "description", "debit", "credit", "vat_code", "vat_grids", "reason"]


def account_options(
    chart: Sequence[AccountView], entry: EntryView
) -> tuple[list[str], dict[str, str]]:
    """Editor options ("number name") and the option of each account number."""
    label = {a.number: a.label for a in chart}
    for ln in entry.lines:  # an account outside the chart stays selectable
        label.setdefault(ln.account, ln.account)
    options = sorted(label.values())
    return options, label


def lines_frame(entry: EntryView, label: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "account": label.get(ln.account, ln.account),
                "description": ln.description,
                "debit": float(ln.debit),
                "credit": float(ln.credit),
                "vat_code": ln.vat_code or "",
                "vat_grids": ", ".join(ln.vat_grids),
                "reason": ln.reason,
                "kind": ln.kind,
            }
            for ln in entry.lines
        ],
        columns=COLUMNS,
    )


def _clean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Editor rows as service line dicts (empty rows dropped)."""
    out = []
    for record in frame.to_dict("records"):
        row = {str(k): _clean(v) for k, v in record.items()}
        if not row.get("account") and not row.get("debit") and not row.get("credit"):
            continue
        out.append(
            {
                "account": row.get("account") or "",
                "description": row.get("description") or "",
                "debit": row.get("debit"),
                "credit": row.get("credit"),
                "vat_code": row.get("vat_code") or None,
                "vat_grids": row.get("vat_grids") or "",
                "reason": row.get("reason") or None,
                "kind": row.get("kind") or "base",
            }
        )
    return out


def editor(key: str, frame: pd.DataFrame, options: list[str], *, disabled: bool) -> pd.DataFrame:
    edited = st.data_editor(
        frame,
        key=key,
        num_rows="dynamic" if not disabled else "fixed",
        hide_index=True,
        width="stretch",
        column_order=SHOWN,
        disabled=True if disabled else ["reason"],
        column_config={
            "account": st.column_config.SelectboxColumn(
                "Account", options=options, required=True, width="medium"
            ),
            "description": st.column_config.TextColumn("Description", width="medium"),
            "debit": st.column_config.NumberColumn("Debit", format="%.2f", min_value=0, step=0.01),
            "credit": st.column_config.NumberColumn(
                "Credit", format="%.2f", min_value=0, step=0.01
            ),
            "vat_code": st.column_config.TextColumn("VAT code", width="small"),
            "vat_grids": st.column_config.TextColumn("Grids", width="small"),
            "reason": st.column_config.TextColumn("Why", width="large"),
        },
    )
    assert isinstance(edited, pd.DataFrame)
    return edited


def totals(frame: pd.DataFrame) -> tuple[float, float]:
    debit = float(pd.to_numeric(frame["debit"], errors="coerce").fillna(0).sum())
    credit = float(pd.to_numeric(frame["credit"], errors="coerce").fillna(0).sum())
    return round(debit, 2), round(credit, 2)
