"""A real SQLite database with corpus documents, for the review UI tests.

The database is built once per session through the service and the real
pipeline steps (extract, propose run synchronously; the broker is a stub),
then copied for every test, so a test may confirm, reject or release freely.

Contents (``Seed``):

- dossier A "Bakkerij Janssens" (VAT BE0743182920): the UBL.BE e-invoice
  ``ublbe_15000001.xml`` (proposed; its embedded PDF became a duplicate
  child), the AWS PDF ``i2d_AmazonWebServices.pdf`` (proposed, fields with
  boxes), a broken PDF (quarantined);
- dossier B "Garage Peeters": ``cen_ubl-tc434-example1.xml`` (proposed);
- users: ``anna`` accountant of A and B, ``erik`` entrepreneur of A only,
  ``root`` admin; every password is ``secret-pass``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.runtime import Runtime, build_runtime, reset_runtime
from pipeline.service import SYSTEM, Service, UserView
from pipeline.settings import Settings
from storage.db import dispose_engines, migrate

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
APP = str(REPO_ROOT / "review_ui" / "app.py")
#: what ``boekbox ui`` serves: the pages plus the session-cookie routes
SERVER = str(REPO_ROOT / "review_ui" / "server.py")
PASSWORD = "secret-pass"


@dataclass(frozen=True)
class Seed:
    dossier_a: int
    dossier_b: int
    ubl: int  # proposed e-invoice in A
    embedded: int  # its embedded PDF (duplicate)
    pdf: int  # proposed AWS PDF in A
    broken: int  # quarantined in A
    other: int  # proposed e-invoice in B
    anna: UserView
    erik: UserView
    root: UserView


def _settings(base: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{base / 'boekbox.db'}",
        blob_store=str(base / "blobs"),
        broker="stub",
        broker_url=str(base / "queue.db"),
        mail_domain="dossiers.boekbox.test",
    )


def _stub_broker() -> None:
    """Commands that re-send documents (reprocess, release) go to an in-memory stub."""
    from pipeline.broker import setup_broker

    broker = setup_broker(Settings(broker="stub"))
    import pipeline.actors as actors

    actors.bind(broker)


def _ingest(svc: Service, rt: Runtime, dossier_id: int, path: Path) -> int:
    from pipeline import steps

    row = svc.ingest(SYSTEM, dossier_id, path.read_bytes(), path.name)
    for nxt in steps.extract_step(rt, row.id):
        assert nxt.step == "propose"
        steps.propose_step(rt, nxt.document_id)
    return row.id


def _build(base: Path) -> Seed:
    settings = _settings(base)
    migrate(settings.database_url)
    rt = build_runtime(settings)
    reset_runtime(rt)
    svc = Service(rt)
    a = svc.create_dossier(SYSTEM, "Bakkerij Janssens", vat_number="BE0743182920")
    b = svc.create_dossier(SYSTEM, "Garage Peeters", vat_number="BE0428759497")
    anna = svc.add_user(SYSTEM, "anna", PASSWORD, "accountant", dossiers=[a.id, b.id])
    erik = svc.add_user(SYSTEM, "erik", PASSWORD, "entrepreneur", dossiers=[a.id])
    root = svc.add_user(SYSTEM, "root", PASSWORD, "admin")
    ubl = _ingest(svc, rt, a.id, CORPUS / "ubl" / "ublbe_15000001.xml")
    pdf = _ingest(svc, rt, a.id, CORPUS / "pdf" / "i2d_AmazonWebServices.pdf")
    row = svc.ingest(SYSTEM, a.id, b"%PDF-1.4\nnot a pdf at all", "broken.pdf")
    _ingest_steps_only(rt, row.id)
    other = _ingest(svc, rt, b.id, CORPUS / "ubl" / "cen_ubl-tc434-example1.xml")
    embedded = svc.document(SYSTEM, ubl).children[0].id
    seed = Seed(a.id, b.id, ubl, embedded, pdf, row.id, other, anna, erik, root)
    for doc_id in (ubl, pdf, other):
        assert svc.document(SYSTEM, doc_id).row.state == "proposed", doc_id
    assert svc.document(SYSTEM, row.id).row.state == "quarantined"
    reset_runtime(None)
    dispose_engines()
    return seed


def _ingest_steps_only(rt: Runtime, doc_id: int) -> None:
    from pipeline import steps

    steps.extract_step(rt, doc_id)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seed]:
    _stub_broker()
    base = tmp_path_factory.mktemp("ui-template")
    return base, _build(base)


@dataclass(frozen=True)
class World:
    seed: Seed
    runtime: Runtime
    service: Service
    base: Path


@pytest.fixture
def world(seeded_template: tuple[Path, Seed], tmp_path: Path) -> Iterator[World]:
    """A private copy of the seeded database, installed as the process runtime."""
    import streamlit as st

    template, seed = seeded_template
    base = tmp_path / "data"
    shutil.copytree(template, base)
    _stub_broker()
    rt = build_runtime(_settings(base))
    reset_runtime(rt)
    st.cache_data.clear()
    yield World(seed, rt, Service(rt), base)
    st.cache_data.clear()
    reset_runtime(None)
    dispose_engines()
