"""Outline every field's box on a rendered page (the selected one is drawn by the renderer).

The PNG comes from the service's sandboxed renderer (our own output, bounded in
size); the other fields' boxes are drawn thin so the selected field stands out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

COLOUR = (40, 110, 220)
MAX_BOXES = 60


def outline(png: bytes, boxes: Sequence[tuple[float, ...]]) -> bytes:
    """``png`` with a thin outline around each box (page fractions, origin top left)."""
    if not boxes:
        return png
    with Image.open(io.BytesIO(png)) as page:
        image = page.convert("RGB")
    w, h = image.size
    draw = ImageDraw.Draw(image)
    for box in list(boxes)[:MAX_BOXES]:
        if len(box) != 4:
            continue
        x0, y0, x1, y1 = (min(1.0, max(0.0, float(v))) for v in box)
        if x1 <= x0 or y1 <= y0:
            continue
        draw.rectangle(
            (int(x0 * w) - 2, int(y0 * h) - 2, int(x1 * w) + 2, int(y1 * h) + 2),
            outline=COLOUR,
            width=1,
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
