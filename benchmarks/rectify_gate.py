"""The photo-rectification gate's first look (issue 14): does a cheaper min-pooled look still pass every page that the
full measurement rectifies, and what does it cost?

For each page (PNG/JPEG page images, e.g. the degraded pages an evaluation kept under ``OUT/<preset>/pages``, and
PDFs rendered at 200 dpi): the full keystone measurement (:func:`preprocess.rectify` with the gate off) and the
pooled first look at pools 2, 3 and 4 (keystone and CPU time). Prints, per page kind and pool, how many pages the
first look would send on, the error against the full measurement, and the smallest pooled keystone among pages the
full measurement rectifies (it must stay above ``MIN_KEYSTONE_DEG - GATE_MARGIN_DEG``).

    OMP_NUM_THREADS=1 python benchmarks/rectify_gate.py runs/eval-wide-final/{scan,fax,photo}/pages/*.png \\
        ../shared/data/real/*.pdf --max-pdf-pages 12 --json /tmp/rectify_gate.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from juesuan.inference import preprocess as pp


def measure(name: str, rgb: np.ndarray) -> dict[str, object]:
    gray = pp.to_gray(rgb)
    quad = pp._outer_quad(pp.binarize(gray))
    full = pp._keystone_deg(quad) if quad is not None else None
    rectified = full is not None and pp.MIN_KEYSTONE_DEG <= full <= pp.MAX_KEYSTONE_DEG
    row: dict[str, object] = {"page": name, "full": full, "rectified": rectified}
    for pool in (2, 3, 4):
        t0 = time.process_time()
        pooled = cv2.erode(gray, np.ones((pool, pool), np.uint8))[::pool, ::pool]
        q = pp._outer_quad(pp.binarize(pooled))
        row[f"k{pool}"] = pp._keystone_deg(q) if q is not None else None
        row[f"cpu{pool}"] = time.process_time() - t0
    return row


def pages(paths: list[Path], max_pdf_pages: int) -> list[tuple[str, str, np.ndarray]]:
    import pypdfium2 as pdfium
    from PIL import Image

    out = []
    for path in paths:
        if path.suffix.lower() == ".pdf":
            doc = pdfium.PdfDocument(str(path))
            for i in range(min(len(doc), max_pdf_pages) if max_pdf_pages else len(doc)):
                bitmap = doc[i].render(scale=200 / 72, rev_byteorder=True)
                out.append(("pdf", f"{path.name}#{i}", np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])))
        else:
            kind = next((k for k in ("photo", "fax", "scan") if f"__{k}" in path.name), "image")
            out.append((kind, path.name, np.asarray(Image.open(path).convert("RGB"))))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("--max-pdf-pages", type=int, default=0, help="pages per PDF (0: all)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    rows = []
    for kind, name, rgb in pages(args.inputs, args.max_pdf_pages):
        rows.append({"kind": kind, **measure(name, rgb)})
    threshold = pp.MIN_KEYSTONE_DEG - pp.GATE_MARGIN_DEG
    print(f"gate: pool {pp.GATE_POOL}, sends a page on at pooled keystone >= {threshold:.2f} deg\n")
    print("| kind | pool | pages | sent on | rectified (full) | min pooled k of rectified | p95 abs error | CPU ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind in dict.fromkeys(r["kind"] for r in rows):
        rs = [r for r in rows if r["kind"] == kind]
        for pool in (2, 3, 4):
            ks = [r[f"k{pool}"] for r in rs]
            sent = sum(k is not None and k >= threshold for k in ks)
            rect = [r[f"k{pool}"] for r in rs if r["rectified"]]
            low = min((k if k is not None else 0.0) for k in rect) if rect else None
            both = [(r[f"k{pool}"], r["full"]) for r in rs if r[f"k{pool}"] is not None and r["full"] is not None]
            err = sorted(abs(k - full) for k, full in both)
            p95 = err[int(0.95 * (len(err) - 1))] if err else None
            ms = 1000 * sum(r[f"cpu{pool}"] for r in rs) / len(rs)
            print(
                f"| {kind} | {pool} | {len(rs)} | {sent} | {len(rect)} | {'-' if low is None else f'{low:.2f}'} "
                f"| {'-' if p95 is None else f'{p95:.3f}'} | {ms:.1f} |"
            )
    missed = [r["page"] for r in rows if r["rectified"] and not ((r[f"k{pp.GATE_POOL}"] or 0.0) >= threshold)]
    print(f"\npages the full measurement rectifies that the shipped gate stops: {len(missed)} {missed[:5]}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
