"""Issue 17 item 4 on the pages (AppTest, real SQLite): the Storage page's forecast and
quota alerts sent, the retention setting for accountants, and the retention date and
legal hold on a document's page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from streamlit.testing.v1 import AppTest
from test_ui_pages import app, texts
from ui_world import World

from pipeline.service import SYSTEM
from storage.models import Dossier, QuotaAlert, UsageDay, utcnow

MB = 1_000_000


def _table(at: AppTest, column: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def test_storage_page_shows_the_forecast_and_the_quota_alerts_sent(world: World) -> None:
    seed = world.seed
    today = utcnow().date()
    start = today - dt.timedelta(days=14)
    with world.runtime.tx() as s:
        d = s.get(Dossier, seed.dossier_b)
        assert d is not None
        d.created_at = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
        d.used_bytes = 450 * MB
        for n in range(14):  # 30 MB a day
            day = start + dt.timedelta(days=n)
            s.merge(UsageDay(dossier_id=d.id, day=day, used_bytes=30 * MB * (n + 1)))
        s.add(
            QuotaAlert(
                dossier_id=d.id,
                month=today.strftime("%Y-%m"),
                threshold="forecast",
                used_bytes=450 * MB,
                recipients=["anna@kantoor.example"],
                sent_at=utcnow(),
            )
        )
    expected = service_full_on(world)
    at = app(seed.anna, "storage")
    assert "Forecast" in texts(at, "subheader")
    line = "Garage Peeters: at this pace (30.00 MB a day) the free 1.00 GB is full around"
    assert f"{line} {expected}." in texts(at, "caption")
    forecast = _table(at, "Full around").set_index("Dossier")
    assert forecast.loc["Garage Peeters", "Full around"] == expected
    assert forecast.loc["Bakkerij Janssens", "Full around"] == ""
    sent = _table(at, "Quota alert")
    assert list(sent["Dossier"]) == ["Garage Peeters"]
    assert list(sent["Quota alert"]) == ["full within 30 days (forecast)"]
    assert list(sent["To"]) == ["anna@kantoor.example"]
    # the entrepreneur of dossier A sees neither B's forecast nor its alerts
    at = app(seed.erik, "storage")
    assert list(_table(at, "Full around")["Dossier"]) == ["Bakkerij Janssens"]
    assert not [d for d in at.dataframe if "Quota alert" in d.value.columns]


def service_full_on(world: World) -> str:
    (view,) = [
        v for v in world.service.quota_outlook(SYSTEM) if v.dossier_id == world.seed.dossier_b
    ]
    assert view.full_on is not None
    return view.full_on.isoformat()


def test_accountants_set_the_retention_never_below_seven(world: World) -> None:
    seed = world.seed
    at = app(seed.anna, "storage")
    assert "Retention" in texts(at, "subheader")
    at.selectbox(key="storage_ret_dossier").select(seed.dossier_a).run()
    box = at.number_input(key=f"storage_ret_years_{seed.dossier_a}")
    assert (box.value, box.min) == (10, 7)
    box.set_value(12).run()
    at.button(key="storage_ret_save").click().run()
    assert not at.exception
    assert "Bakkerij Janssens keeps its documents 12 years." in texts(at, "success")
    assert world.service.retention_years(seed.anna, seed.dossier_a) == 12
    # the entrepreneur (client portal) has no such setting
    at = app(seed.erik, "storage")
    assert "Retention" not in texts(at, "subheader")
    assert not [n for n in at.number_input if str(n.key).startswith("storage_ret_years")]


def test_a_document_page_shows_its_retention_date_and_legal_hold(world: World) -> None:
    seed = world.seed
    until = world.service.retention(seed.anna, seed.pdf).retain_until
    at = app(seed.anna, "documents", doc=str(seed.pdf))
    shown = " ".join(texts(at, "markdown"))
    assert f"Kept until **{until.isoformat()}**" in shown
    assert "legal hold" not in shown
    world.service.set_legal_hold(SYSTEM, seed.dossier_a, True, document_id=seed.pdf)
    at = app(seed.anna, "documents", doc=str(seed.pdf))
    shown = " ".join(texts(at, "markdown"))
    assert f"Kept until **{until.isoformat()}** · **legal hold**" in shown
