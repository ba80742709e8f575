"""The client portal pages (Upload, Documents) through AppTest, as the entrepreneur."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest
from ui_world import APP, World

from pipeline import steps
from pipeline.runtime import Runtime
from pipeline.service import UserView
from pipeline.steps import NextStep
from review_ui.views.upload import UPLOADS_KEY

STEPS = {"split": steps.split_step, "extract": steps.extract_step, "propose": steps.propose_step}


def run_steps(rt: Runtime, todo: list[NextStep]) -> None:
    """The pipeline, synchronously (the broker is a stub here)."""
    while todo:
        nxt = todo.pop(0)
        todo.extend(STEPS[nxt.step](rt, nxt.document_id))


def app(user: UserView, page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = user
    at.query_params.update(query)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in getattr(at, kind)]


def test_upload_page_shows_each_file_until_processed(world: World) -> None:
    seed = world.seed
    at = app(seed.erik, "upload")
    assert "Upload" in texts(at, "header")
    assert at.button(key="up_go").disabled  # nothing chosen yet
    # a file sent through the service, as the button does, then followed on the page
    row = world.service.upload(seed.erik, seed.dossier_a, b"%PDF-1.4\nnot a pdf", "bon.pdf")
    at.session_state[UPLOADS_KEY] = [(seed.dossier_a, row.id, "bon [1].pdf")]
    at.run()
    assert "Your uploads" in texts(at, "subheader")
    shown = " ".join(texts(at, "markdown"))
    assert "bon [1].pdf" in shown
    assert "Received" in shown
    assert "Updating while your documents are read …" in texts(at, "caption")
    run_steps(world.runtime, [NextStep("extract", row.id)])
    at.run()
    shown = " ".join(texts(at, "markdown"))
    assert "Quarantined" in shown  # the outcome and its reason
    assert "Updating while your documents are read …" not in texts(at, "caption")


def test_documents_search_open_and_file(world: World) -> None:
    seed = world.seed
    at = app(seed.erik, "documents")
    assert "Documents" in texts(at, "header")
    assert any("Storage:" in str(p.proto.text) for p in at.get("progress"))
    options = at.radio(key="docs_open").options
    assert len(options) == 4  # dossier A's documents (the embedded PDF too); never B's
    at.text_input(key="docs_q").input("amazon").run()
    (only,) = at.radio(key="docs_open").options
    assert only.startswith(f"\\#{seed.pdf} ")
    assert texts(at, "subheader")[0] == f"#{seed.pdf} · i2d_AmazonWebServices.pdf"
    assert at.get("download_button")
    assert at.get("imgs") or at.get("image")
    at.text_input(key=f"docs_tag_{seed.pdf}").input("Contracts")
    at.button(key=f"docs_file_{seed.pdf}").click().run()
    assert not at.exception
    assert world.service.document(seed.erik, seed.pdf).row.state == "filed"
    at.text_input(key="docs_q").input("").run()
    at.selectbox(key="docs_tag").select("Contracts").run()
    assert len(at.radio(key="docs_open").options) == 1


def test_documents_of_another_dossier_stay_hidden(world: World) -> None:
    seed = world.seed
    at = app(seed.erik, "documents", doc=str(seed.other))
    assert f"#{seed.other} " not in " ".join(texts(at, "subheader"))
    assert all(not o.startswith(f"\\#{seed.other} ") for o in at.radio(key="docs_open").options)
    assert at.selectbox(key="docs_dossier").options == ["Bakkerij Janssens"]


def test_outside_names_are_shown_escaped(world: World) -> None:
    seed = world.seed
    evil = "[click](javascript:alert(1)) <b>x.pdf"
    row = world.service.upload(seed.erik, seed.dossier_a, b"%PDF-1.4\nbroken", evil)
    at = app(seed.erik, "documents", doc=str(row.id))
    raw = [str(s.value) for s in at.subheader]
    assert raw[0].startswith(f"#{row.id} · \\[click\\]\\(javascript")
    assert "<b>" not in raw[0]
