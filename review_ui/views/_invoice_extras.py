"""The Invoices page's document-level discounts and charges (draft editor) and the
partial credit note (some lines, part of a quantity), both with live totals computed by
the service (the core's VAT per rate on the total); nothing is stored until saved."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st

from pipeline.service import ServiceError, UserView
from review_ui.common import esc, flash, money, run_command, service

KINDS = {"discount": "Discount", "charge": "Charge"}
MODES = {"percent": "% of the lines", "amount": "Amount (EUR, excl. VAT)"}
ADJ_RATES = ("all", "21", "12", "6", "0")
FIELDS = ("kind", "reason", "mode", "value", "rate")
BLANK = {"kind": "discount", "reason": "", "mode": "percent", "value": "0", "rate": "all"}


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _text(value: Any) -> str:
    """A number as typed into a spec (no float noise, no exponent)."""
    if isinstance(value, float):
        value = repr(value)
    return format(_dec(value).normalize(), "f")


def _rate_label(rate: str) -> str:
    return "Every rate, in proportion" if rate == "all" else f"{rate} %"


# ----------------------------------------------------------------------------- adjustments


def adjustments_from_draft(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """The editor's rows for the adjustments of a stored draft."""
    rows = []
    for adj in draft.get("adjustments") or []:
        percent = adj.get("percent")
        rate = adj.get("vat_rate")
        rate_text = "all" if rate is None else _text(rate)
        rows.append(
            {
                "kind": "charge" if adj.get("is_charge") else "discount",
                "reason": str(adj.get("reason") or ""),
                "mode": "percent" if percent is not None else "amount",
                "value": _text(percent if percent is not None else adj.get("amount") or 0),
                "rate": rate_text if rate_text in ADJ_RATES else "all",
            }
        )
    return rows


def carry_adjustments(old: int, new: int) -> None:
    """Keep what was typed when the widget generation changes."""
    for n, adj in enumerate(st.session_state.get("inv_adjs") or []):
        for name in FIELDS:
            key = f"inv_a{old}_{n}_{name}"
            if key in st.session_state:
                value = st.session_state[key]
                adj[name] = _text(value) if isinstance(value, float) else value


def adjustment_widgets(gen: int, carry: Callable[[int, int], None]) -> list[dict[str, Any]]:
    """Discount and charge rows on the whole invoice; returns the spec's ``adjustments``.
    ``carry(old, new)`` keeps the rest of the editor when a row is removed."""
    adjs: list[dict[str, Any]] = st.session_state.setdefault("inv_adjs", [])
    st.markdown("**Discounts and charges on the whole invoice**")
    out: list[dict[str, Any]] = []
    for n, adj in enumerate(adjs):
        box = st.container(border=True)
        kinds, modes = list(KINDS), list(MODES)
        kind = box.selectbox(
            f"Adjustment {n + 1}",
            kinds,
            index=kinds.index(adj["kind"]) if adj["kind"] in kinds else 0,
            format_func=KINDS.__getitem__,
            key=f"inv_a{gen}_{n}_kind",
        )
        reason = box.text_input(
            "Reason (printed on the invoice)", value=adj["reason"], key=f"inv_a{gen}_{n}_reason"
        )
        mode = box.selectbox(
            "As",
            modes,
            index=modes.index(adj["mode"]) if adj["mode"] in modes else 0,
            format_func=MODES.__getitem__,
            key=f"inv_a{gen}_{n}_mode",
        )
        value = box.number_input(
            "Value",
            value=float(_dec(adj["value"])),
            min_value=0.0,
            step=1.0,
            format="%.2f",
            key=f"inv_a{gen}_{n}_value",
        )
        rates = list(ADJ_RATES)
        rate = box.selectbox(
            "VAT rate it falls under",
            rates,
            index=rates.index(adj["rate"]) if adj["rate"] in rates else 0,
            format_func=_rate_label,
            key=f"inv_a{gen}_{n}_rate",
        )
        if box.button("Remove", key=f"inv_a{gen}_{n}_remove"):
            carry(gen, gen + 1)
            del adjs[n]
            st.session_state["inv_gen"] = gen + 1
            st.rerun()
        spec: dict[str, Any] = {
            "is_charge": kind == "charge",
            "reason": reason,
            str(mode): _text(value),
        }
        if rate != "all":
            spec["vat_rate"] = rate
        out.append(spec)
    if st.button("Add a discount or charge", key=f"inv_add_adj_{gen}"):
        adjs.append(
            {"kind": "discount", "reason": "", "mode": "percent", "value": "0", "rate": "all"}
        )
        st.rerun()
    return out


def adjustment_summary(totals: dict[str, Any]) -> str:
    """``Lines … · discounts −… · charges +…`` when the draft has any."""
    allowances, charges = _dec(totals.get("allowances")), _dec(totals.get("charges"))
    if not allowances and not charges:
        return ""
    parts = [f"Lines {money(_dec(totals.get('line_extension')))}"]
    if allowances:
        parts.append(f"discounts −{money(allowances)}")
    if charges:
        parts.append(f"charges +{money(charges)}")
    return " · ".join(parts)


# ----------------------------------------------------------------------------- partial credit


def _credit_line(line: dict[str, Any], quantity: str) -> dict[str, Any]:
    exempt = bool(line.get("exempt"))
    out: dict[str, Any] = {
        "description": str(line.get("description") or ""),
        "quantity": quantity,
        "unit_price": _text(line.get("unit_price")),
        "vat_rate": None if exempt else _text(line.get("vat_rate")),
        "exempt": exempt,
    }
    for key in ("kind", "unit", "revenue_account"):
        if line.get(key):
            out[key] = line[key]
    return out


def partial_credit(
    user: UserView, dossier_id: int, detail: Any, choose: Callable[[int | None], None]
) -> None:
    """Credit chosen lines, each for all or part of its quantity, with the credit note's
    live totals; the service refuses more than what remains of the invoice."""
    row = detail.row
    draft = detail.draft or {}
    with st.expander("Credit some lines or part of a quantity"):
        chosen: list[dict[str, Any]] = []
        for n, line in enumerate(detail.lines):
            qty = _dec(line.get("quantity"))
            label = (
                f"{esc(line.get('description') or '')}: {_text(qty)} × "
                f"{money(_dec(line.get('unit_price')))}"
            )
            on = st.checkbox(label, value=False, key=f"inv_cr_{row.id}_{n}_on")
            part = st.number_input(
                "Quantity to credit",
                min_value=0.0,
                max_value=float(qty),
                value=float(qty),
                step=1.0,
                format="%.3f",
                key=f"inv_cr_{row.id}_{n}_qty",
            )
            if on and part > 0:
                chosen.append(_credit_line(line, _text(part)))
        if not chosen:
            st.caption("Tick the lines to credit.")
            return
        # as the credit note will be computed: the invoice's percentage discounts and
        # charges apply to the credited lines too, its fixed amounts do not
        spec = {
            "customer_id": row.customer_id,
            "vat_case": draft.get("vat_case") or "domestic",
            "lines": chosen,
            "adjustments": [
                a for a in draft.get("adjustments") or [] if a.get("percent") is not None
            ],
        }
        try:
            totals = service().preview_totals(user, dossier_id, spec)
        except ServiceError as exc:
            st.warning(f"Cannot compute the credit note yet: {esc(exc)}")
            return
        rows = totals.get("rows") or []
        if rows:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "VAT rate": f"{_dec(r['rate']).normalize():f} % ({r['category']})",
                            "Taxable": money(_dec(r["taxable"])),
                            "VAT": money(_dec(r["vat"])),
                        }
                        for r in rows
                    ]
                ),
                hide_index=True,
                key=f"inv_cr_rows_{row.id}",
            )
        st.markdown(
            f"Credit note: net **{money(_dec(totals['tax_exclusive']))}** · "
            f"VAT **{money(_dec(totals['vat']))}** · "
            f"total **{money(_dec(totals['payable']))} EUR**"
        )
        if st.button("Make a credit note of these lines", key=f"inv_credit_lines_{row.id}"):
            cn = run_command("Crediting", service().credit_note, user, row.id, lines=chosen)
            if cn is not None:
                flash(f"Credit note draft #{cn.id} made for {row.number}: issue it")
                choose(cn.id)
                st.rerun()
