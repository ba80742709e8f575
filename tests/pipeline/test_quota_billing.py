"""Issue 17 item 4: monthly quota statements, kept per month (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import dossier

from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, AccessDenied, Refused, Service
from storage.models import Dossier, UsageDay

GB = 1_000_000_000


def _use(rt: Runtime, did: int, day: str, used: int) -> None:
    with rt.tx() as s:
        s.merge(UsageDay(dossier_id=did, day=dt.date.fromisoformat(day), used_bytes=used))


def test_statement_bills_the_peak_per_started_gb_and_is_kept(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    with runtime.tx() as s:
        d = s.get(Dossier, did)
        assert d is not None
        d.created_at = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    _use(runtime, did, "2026-10-31", 900_000_000)  # carried into November
    _use(runtime, did, "2026-11-03", 2_300_000_000)  # the peak: 1.3 GB over, 2 started GB
    _use(runtime, did, "2026-11-20", 1_100_000_000)
    today = dt.date(2026, 12, 6)
    (st,) = svc.quota_statements(SYSTEM, "2026-11", today=today)
    assert (st.peak_bytes, st.free_bytes, st.billed_gb) == (2_300_000_000, GB, 2)
    assert st.amount_eur == Decimal("2.00")
    (oct_,) = svc.quota_statements(SYSTEM, "2026-10", today=today)
    assert (oct_.peak_bytes, oct_.billed_gb, oct_.amount_eur) == (900_000_000, 0, Decimal("0.00"))
    # a closed month is kept as made: later usage rows do not change it
    _use(runtime, did, "2026-11-25", 5 * GB)
    (again,) = svc.quota_statements(SYSTEM, "2026-11", today=today)
    assert again == st
    rows = list(csv.reader(io.StringIO(svc.quota_statements_csv(SYSTEM, "2026-11", today=today))))
    assert rows[0][:3] == ["month", "dossier_id", "dossier"]
    assert rows[1][0] == "2026-11"
    assert rows[1][-2:] == ["2", "2.00"]
    # before the dossier existed, or a month not begun: no statement
    assert svc.quota_statements(SYSTEM, "2026-08", today=today) == []
    assert svc.quota_statements(SYSTEM, "2027-01", today=today) == []
    with pytest.raises(Refused, match="2026-11"):
        svc.quota_statements(SYSTEM, "nov")
    anna = svc.add_user(SYSTEM, "anna", "probe-password", "accountant")
    with pytest.raises(AccessDenied):
        svc.quota_statements(anna, "2026-11", today=today)


def test_cli_quota_statements_csv_and_the_quota_table_still_works(tmp_path: Path) -> None:
    from test_cli import boekbox

    boekbox(tmp_path, "init")
    boekbox(tmp_path, "dossier", "add", "Bakkerij Janssens", "--vat", "BE 0428.759.497")
    month = dt.date.today().strftime("%Y-%m")
    out = tmp_path / "statements.csv"
    boekbox(tmp_path, "quota", "statements", "--month", month, "--csv", str(out))
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 2
    assert rows[1][0] == month
    assert rows[1][2] == "Bakkerij Janssens"
    assert rows[1][-2:] == ["0", "0.00"]
    assert "Bakkerij Janssens" in boekbox(tmp_path, "quota").stdout
    bad = boekbox(tmp_path, "quota", "statements", "--month", "nov", check=False)
    assert bad.returncode != 0
    assert "2026-11" in bad.stderr
