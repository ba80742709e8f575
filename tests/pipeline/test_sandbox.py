"""The sandbox child: results, errors and limits, with real processes."""

from __future__ import annotations

import time

import pytest
from bombs import flate_stream_bomb, image_xobject_bomb, png_bomb

from extractors.errors import LimitExceeded
from extractors.pdfguard import check_pdf_streams
from pipeline import sandbox
from pipeline.render import RenderError, isolated_render_page


def _allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def _spin() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pass


def _refuse() -> None:
    raise LimitExceeded("page 1 image: over the pixel limit")


def test_the_result_comes_back_from_the_child() -> None:
    assert sandbox.run(_allocate, 10, limits=sandbox.SandboxLimits(memory_mb=1024)) == 10 << 20


def test_an_allocation_over_the_memory_limit_is_a_limit_not_a_dead_caller() -> None:
    with pytest.raises(sandbox.SandboxLimit, match="over the memory limit of 600 MB") as info:
        sandbox.run(_allocate, 2048, limits=sandbox.SandboxLimits(memory_mb=600))
    assert info.value.kind == "memory"


def test_cpu_and_wall_limits() -> None:
    with pytest.raises(sandbox.SandboxLimit, match="over the CPU time limit") as info:
        sandbox.run(_spin, limits=sandbox.SandboxLimits(cpu_seconds=1, wall_seconds=60))
    assert info.value.kind == "cpu"
    with pytest.raises(sandbox.SandboxLimit, match="over the time limit") as info:
        sandbox.run(_spin, limits=sandbox.SandboxLimits(cpu_seconds=0, wall_seconds=1))
    assert info.value.kind == "time"


def test_the_functions_own_errors_are_raised_in_the_caller() -> None:
    with pytest.raises(LimitExceeded, match="over the pixel limit"):
        sandbox.run(_refuse)


def test_pdf_streams_are_checked_before_decoding() -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="over the memory limit"):
        check_pdf_streams(flate_stream_bomb(1024))
    assert time.monotonic() - started < 60
    with pytest.raises(LimitExceeded, match="over the pixel limit"):
        check_pdf_streams(image_xobject_bomb(100_000))


def test_page_images_of_bombs_are_refused_with_the_reason() -> None:
    with pytest.raises(RenderError, match="over the memory limit"):
        isolated_render_page(flate_stream_bomb(1024), "application/pdf")
    with pytest.raises(RenderError, match="over the pixel limit"):
        isolated_render_page(image_xobject_bomb(100_000), "application/pdf")
    with pytest.raises(RenderError, match="pixel limit"):
        isolated_render_page(png_bomb(12_000), "image/png")
