"""Page images are rendered once in the sandbox and then read from the page cache
(issue 18 item 1: never render untrusted bytes in the UI process, cache the page images).
The cache is derived data: not in the dossier's quota, gone with its document."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import CORPUS, dossier
from sqlalchemy import func, select

from pipeline import sandbox
from pipeline.runtime import Runtime
from pipeline.service import SYSTEM, Service
from storage import retention
from storage.models import Document, Dossier, PageRender

PDF = CORPUS / "pdf" / "i2d_QualityHosting.pdf"  # two pages


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sandboxed renders started (the real sandbox runs; each call is noted)."""
    started: list[str] = []
    real = sandbox.run

    def counting(fn: Any, *args: Any, **kwargs: Any) -> Any:
        started.append(getattr(fn, "__name__", str(fn)))
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(sandbox, "run", counting)
    return started


def _cached_rows(rt: Runtime, doc_id: int) -> int:
    with rt.tx() as s:
        return int(s.scalar(select(func.count()).where(PageRender.document_id == doc_id)) or 0)


def test_the_second_view_reads_the_cache_and_starts_no_render(
    runtime: Runtime, renders: list[str]
) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    doc = svc.ingest(SYSTEM, did, PDF.read_bytes(), PDF.name).id
    with runtime.tx() as s:
        used = int(s.get(Dossier, did).used_bytes)  # type: ignore[union-attr]

    first = svc.page_image(SYSTEM, doc, page=1, dpi=110)
    assert len(renders) == 1
    assert first.png.startswith(b"\x89PNG")
    assert _cached_rows(runtime, doc) == 1

    # the same page again, from another service (another UI process): no render
    again = Service(runtime).page_image(SYSTEM, doc, page=1, dpi=110)
    assert len(renders) == 1
    assert (again.png, again.width, again.height, again.page_count) == (
        first.png,
        first.width,
        first.height,
        first.page_count,
    )
    # a field's box is drawn on the cached page: still no render, same size, other pixels
    boxed = svc.page_image(SYSTEM, doc, page=1, dpi=110, box=(0.1, 0.1, 0.5, 0.2))
    assert len(renders) == 1
    assert (boxed.width, boxed.height) == (first.width, first.height)
    assert boxed.png != first.png
    # past the last page: the last page, from the cache once the page count is known
    assert first.page_count == 2
    last = svc.page_image(SYSTEM, doc, page=99, dpi=110)
    assert last.page == 2
    n = len(renders)
    assert svc.page_image(SYSTEM, doc, page=99, dpi=110).png == last.png
    assert len(renders) == n
    # another zoom is another render, once
    svc.page_image(SYSTEM, doc, page=1, dpi=165)
    svc.page_image(SYSTEM, doc, page=1, dpi=165)
    assert len(renders) == n + 1
    # all pages: both pages of 110 dpi are cached now, so no render
    pages = svc.page_images(SYSTEM, doc, dpi=110)
    assert [p.png for p in pages] == [first.png, last.png]
    assert len(renders) == n + 1
    # at 220 dpi none is: one render of all pages, then the cache (also for one page)
    big = svc.page_images(SYSTEM, doc, dpi=220)
    assert [p.page for p in big] == [1, 2]
    assert len(renders) == n + 2
    assert [p.png for p in svc.page_images(SYSTEM, doc, dpi=220)] == [p.png for p in big]
    assert svc.page_image(SYSTEM, doc, page=2, dpi=220).png == big[1].png
    assert len(renders) == n + 2

    with runtime.tx() as s:  # derived data: the quota does not move
        assert int(s.get(Dossier, did).used_bytes) == used  # type: ignore[union-attr]


def test_cached_pages_go_with_their_document(runtime: Runtime) -> None:
    svc = Service(runtime)
    did = dossier(runtime)
    junk = svc.ingest(SYSTEM, did, PDF.read_bytes(), "junk.pdf").id
    kept = svc.ingest(SYSTEM, did, PDF.read_bytes(), "other.pdf").id
    for doc in (junk, kept):
        svc.page_image(SYSTEM, doc)
        assert _cached_rows(runtime, doc) == 1
    svc.purge_junk(SYSTEM, did, [junk])  # the accountant purges junk: its pages go
    assert _cached_rows(runtime, junk) == 0
    assert _cached_rows(runtime, kept) == 1
    with runtime.tx() as s:  # the retention purge deletes rows by foreign key
        retention._delete_rows(s, Document.__table__, [kept])
    assert _cached_rows(runtime, kept) == 0
