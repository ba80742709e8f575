"""to_json / from_json (compiled once per type) equal the former per-value walk.

``reference_encode`` / ``reference_decode`` are that walk, kept here verbatim; they are
compared with :func:`extractors.model.to_json` / :func:`extractors.model.from_json` on random
invoices (every field type of the model), on JSON with keys left out or numbers as floats,
and on every UBL invoice of the corpus.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import types
import typing
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from _paths import CORPUS, ROOT  # noqa: F401
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import model
from extractors.model import InvoiceData, from_json, parse_decimal, to_json
from peppol.parse import parse_invoice_xml


def reference_encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return value
    if isinstance(value, _dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: reference_encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [reference_encode(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__}")


def reference_decode(tp: Any, raw: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if raw is None:
            return None
        return reference_decode(members[0], raw)
    if raw is None:
        return None
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(reference_decode(args[0], item) for item in raw)
        return tuple(reference_decode(a, item) for a, item in zip(args, raw, strict=True))
    if tp is Decimal:
        return parse_decimal(raw)
    if tp is _dt.date:
        return _dt.date.fromisoformat(raw)
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return tp(raw)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        kwargs = {
            f.name: reference_decode(hints[f.name], raw[f.name])
            for f in dataclasses.fields(tp)
            if f.name in raw
        }
        return tp(**kwargs)
    if tp is float:
        return float(raw)
    return raw


def _same(a: Any, b: Any) -> None:
    """Equal, and equal down to the types and Decimal exponents (repr)."""
    assert a == b
    assert repr(a) == repr(b)
    assert type(a) is type(b)


def _check(invoice: InvoiceData) -> None:
    encoded = to_json(invoice)
    expected = reference_encode(invoice)
    _same(encoded, expected)
    assert json.dumps(encoded) == json.dumps(expected)
    _same(from_json(expected), reference_decode(InvoiceData, expected))
    _same(from_json(json.loads(json.dumps(expected))), reference_decode(InvoiceData, expected))


decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: abs(d.adjusted()) < 30
)
st.register_type_strategy(Decimal, decimals)
st.register_type_strategy(float, st.floats(allow_nan=False))  # nan != nan in the comparison


@settings(max_examples=60, deadline=None)
@given(st.from_type(InvoiceData))
def test_round_trip_equals_the_former_walk(invoice: InvoiceData) -> None:
    _check(invoice)


def _drop_keys(raw: Any, draw: Any) -> Any:
    if isinstance(raw, dict):
        return {
            k: _drop_keys(v, draw)
            for k, v in raw.items()
            if not draw(st.booleans()) or k == "document_type"
        }
    if isinstance(raw, list):
        return [_drop_keys(v, draw) for v in raw]
    return raw


@settings(max_examples=40, deadline=None)
@given(st.from_type(InvoiceData), st.data())
def test_decoding_partial_json_equals_the_former_walk(invoice: InvoiceData, data: Any) -> None:
    raw = _drop_keys(reference_encode(invoice), data.draw)
    refused: Exception | None = None
    try:
        expected = reference_decode(InvoiceData, raw)
    except Exception as exc:  # a required field left out: the same error
        refused = exc
    if refused is not None:
        with pytest.raises(type(refused)) as got:
            from_json(raw)
        assert str(got.value) == str(refused)
        return
    _same(from_json(raw), expected)


def test_floats_and_ints_for_amounts_decode_as_before() -> None:
    raw = reference_encode(InvoiceData(total_incl_vat=Decimal("12.10")))
    for amount in (12.1, 12, "12.10", " 12.1 ", ""):
        raw["total_incl_vat"] = amount
        raw["total_vat"] = amount
        _same(from_json(raw), reference_decode(InvoiceData, raw))
    evidence = model.Evidence(confidence=0.5, rule="r", page=1, bbox=model.BBox(0, 0, 1, 1))
    raw = reference_encode(InvoiceData(evidence=(("total_incl_vat", evidence),)))
    for number in (1, 0, 0.25):  # ints where floats are meant (confidence, bbox)
        raw["evidence"][0][1]["confidence"] = number
        raw["evidence"][0][1]["bbox"] = {"x0": number, "y0": 0, "x1": 1, "y1": 1}
        _same(from_json(raw), reference_decode(InvoiceData, raw))


def test_encoding_an_unknown_type_fails_as_before() -> None:
    for bad in (object(), {"a": 1}, {1, 2}, InvoiceData):
        with pytest.raises(TypeError) as expected:
            reference_encode(bad)
        with pytest.raises(TypeError) as got:
            model._encode(bad)
        assert str(got.value) == str(expected.value)


def test_every_corpus_ubl_invoice() -> None:
    paths = sorted((CORPUS / "ubl").glob("*.xml"))
    checked = 0
    for path in paths:
        try:
            invoice = parse_invoice_xml(path.read_bytes())
        except Exception:  # a refused document has nothing to encode
            continue
        _check(invoice)
        checked += 1
    assert checked > 30
