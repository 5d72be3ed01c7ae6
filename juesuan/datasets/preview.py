"""Draw token boxes and labels on page images (for checking labels by eye) and contact sheets of pages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from juesuan.datasets.labelled_page import LabelledPage, image_path, load_labels, read_dataset
from juesuan.errors import InputError

# One colour per label, fixed so screenshots compare across runs.
_PALETTE = [
    (230, 25, 75),
    (60, 180, 75),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 140, 140),
    (240, 50, 230),
    (128, 128, 0),
    (0, 0, 128),
    (170, 110, 40),
    (128, 0, 0),
    (0, 128, 128),
    (100, 100, 255),
    (255, 100, 100),
    (60, 60, 60),
    (150, 150, 150),
    (0, 200, 200),
]


def require_images(folder: Path, pages: Sequence[LabelledPage]) -> None:
    """Fail with one line, not a traceback, when page images are absent (large datasets do not commit them)."""
    missing = [image_path(folder, p) for p in pages if not image_path(folder, p).is_file()]
    if missing:
        raise InputError(
            Path(folder),
            f"{len(missing)} of {len(pages)} page images are missing (first: {missing[0]}); this dataset's images "
            "are not committed: regenerate them with the command in its README.md",
        )


def label_colours() -> dict[str, tuple[int, int, int]]:
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(load_labels())}


def draw_pages(folder: Path, out_dir: Path, ids: Sequence[str] | None = None, limit: int = 5) -> list[Path]:
    """One PNG per page: each token's box in its label's colour with the label name above it."""
    from PIL import Image, ImageDraw, ImageFont

    pages = [p for split in read_dataset(folder).values() for p in split]
    if ids:
        wanted = set(ids)
        pages = [p for p in pages if p.id in wanted]
    else:
        pages = pages[:limit]
    require_images(folder, pages)
    colours = label_colours()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    font = ImageFont.load_default()
    paths: list[Path] = []
    for page in pages:
        img = Image.open(image_path(folder, page)).convert("RGB")
        draw = ImageDraw.Draw(img)
        for table in page.tables:
            for cell in table.cells:
                draw.rectangle(cell.bbox, outline=(200, 200, 255), width=1)
        for tok in page.tokens:
            colour = colours.get(tok.label, (0, 0, 0))
            draw.rectangle(tok.bbox, outline=colour, width=2)
            tag = tok.label if not tok.field else f"{tok.label}:{tok.field[-6:]}"
            draw.text(
                (tok.bbox[0], max(0, tok.bbox[1] - 10)), tag.encode("ascii", "replace").decode(), fill=colour, font=font
            )
        path = out_dir / (page.id.replace("#", "_p").replace("/", "_") + ".png")
        img.save(path)
        paths.append(path)
    return paths


def contact_sheet(folder: Path, out: Path, n: int = 16, seed: int = 0, thumb: int = 330) -> Path:
    """A grid of ``n`` random page thumbnails (pages picked with ``default_rng(seed)``)."""
    from PIL import Image

    pages = [p for split in read_dataset(folder).values() for p in split]
    rng = np.random.default_rng(seed)
    picked = [pages[int(i)] for i in rng.choice(len(pages), size=min(n, len(pages)), replace=False)]
    require_images(folder, picked)
    cols = 4
    rows = (len(picked) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (thumb + 8) + 8, rows * (thumb + 8) + 8), (235, 235, 235))
    for k, page in enumerate(picked):
        img = Image.open(image_path(folder, page)).convert("RGB")
        img.thumbnail((thumb, thumb))
        x = 8 + (k % cols) * (thumb + 8) + (thumb - img.width) // 2
        y = 8 + (k // cols) * (thumb + 8) + (thumb - img.height) // 2
        sheet.paste(img, (x, y))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # 128-colour palette: pages are grey plus red seals, and the sheet stays small enough to commit (< 500 kB).
    sheet.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out
