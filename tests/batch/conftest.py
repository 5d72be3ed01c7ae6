from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pypdfium2
import pytest
from PIL import Image


@pytest.fixture(scope="session")
def table_png(tmp_path_factory: pytest.TempPathFactory, finance_pdf: Path) -> Path:
    """Page 8 of the finance bureau 决算 (收入决算表) as a 200 dpi PNG: pixels only, no text layer."""
    out = tmp_path_factory.mktemp("pages") / "finance-p8.png"
    pdf = pypdfium2.PdfDocument(str(finance_pdf))
    pdf[7].render(scale=200 / 72).to_pil().convert("RGB").save(out, dpi=(200, 200))
    return out


def draw_tiny_table(seed: int) -> np.ndarray:
    """A small ruled table of amounts (700x420 px, read at 100 dpi): real stages, a fraction of a second a page."""
    rng = np.random.default_rng([8, 2024, seed])
    img = np.full((420, 700, 3), 255, np.uint8)
    rows, cols = 4 + seed % 2, 3
    xs = np.linspace(40, 660, cols + 1).astype(int)
    ys = np.linspace(60, 60 + 60 * rows, rows + 1).astype(int)
    for x in xs:
        cv2.line(img, (int(x), int(ys[0])), (int(x), int(ys[-1])), (0, 0, 0), 2)
    for y in ys:
        cv2.line(img, (int(xs[0]), int(y)), (int(xs[-1]), int(y)), (0, 0, 0), 2)
    for r in range(rows):
        for c in range(cols):
            text = f"{rng.integers(10, 99999)}.{rng.integers(0, 99):02d}"
            cv2.putText(img, text, (int(xs[c]) + 12, int(ys[r]) + 40), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (0, 0, 0), 2)
    return img


@pytest.fixture(scope="session")
def tiny_docs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Twelve one-page PNG documents and one three-page PDF (the last, tiny-pdf.pdf), all tiny ruled tables."""
    folder = tmp_path_factory.mktemp("tiny")
    paths = []
    for k in range(12):
        path = folder / f"tiny{k}.png"
        cv2.imwrite(str(path), draw_tiny_table(k), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        paths.append(path)
    pdf = folder / "tiny-pdf.pdf"
    images = [Image.fromarray(draw_tiny_table(10 + k)) for k in range(3)]
    images[0].save(pdf, save_all=True, append_images=images[1:], resolution=100.0)
    paths.append(pdf)
    return paths


@pytest.fixture(scope="session")
def cheap_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pipeline YAML for tiny pages: ruling-line layout, rule labeller, no previews, 100 dpi PDFs kept at 100 dpi."""
    path = tmp_path_factory.mktemp("config") / "cheap.yaml"
    path.write_text(
        "rasterize: {dpi: 100, min_dpi: 0}\nlayout: {kind: lines_only}\nlabel: {kind: rules}\n"
        "export: {previews: false}\npage_batch: 2\n",
        encoding="utf-8",
    )
    return path
